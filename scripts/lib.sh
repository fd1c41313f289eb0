# shellcheck shell=bash
# Sourced by the other scripts: repository root as the working directory, Swift on PATH, and a few
# helpers. Not executable on its own.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# Toolchains unpacked from swift.org tarballs (and this project's CI machines) live in /opt/swift
# without touching PATH; a shell that never sourced a profile would not find `swift`.
if ! command -v swift >/dev/null 2>&1; then
  for dir in /opt/swift/usr/bin /usr/share/swift/usr/bin "${HOME:-/root}/.local/share/swiftly/bin"; do
    if [ -x "$dir/swift" ]; then PATH="$dir:$PATH"; export PATH; break; fi
  done
fi

if [ -t 2 ]; then say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }; else say() { printf '==> %s\n' "$*" >&2; }; fi
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

need_swift() {
  command -v swift >/dev/null 2>&1 || die "swift not found: install Swift 6.3 (https://www.swift.org/install/linux/) and put it on PATH"
}
