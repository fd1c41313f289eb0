#!/usr/bin/env bash
# MCP through the official Python SDK, in both major versions (mcp>=2 and mcp<2), against the
# running server: python Tests/mcp/test_mcp_sdk.py BASE_URL under each virtualenv.
# The venvs are cached in $ASYNCGATE_MCP_VENVS (default /tmp/asyncgate-mcp-venvs).
set -euo pipefail
base_url=${1:?usage: mcp_sdk.sh BASE_URL}
root=$(cd "$(dirname "$0")/../.." && pwd)
venvs=${ASYNCGATE_MCP_VENVS:-/tmp/asyncgate-mcp-venvs}
pythons=()
for spec in "v2:mcp>=2,<3" "v1:mcp<2"; do
  name=${spec%%:*}; req=${spec#*:}
  dir="$venvs/$name"
  if [ ! -x "$dir/bin/python" ] || ! "$dir/bin/python" -c "import mcp" 2>/dev/null; then
    rm -rf "$dir"
    python3 -m venv "$dir"
    if ! "$dir/bin/pip" install -q --disable-pip-version-check "$req"; then
      # An unreachable package index is not a failure of AsyncGate: say so loudly, don't hide it as a pass.
      echo "mcp_sdk.sh: SKIPPED: could not install '$req' from PyPI" >&2
      exit 0
    fi
  fi
  pythons+=("$dir/bin/python")
done
ASYNCGATE_MCP_PYTHONS=$(IFS=:; echo "${pythons[*]}") python3 "$root/Tests/mcp/test_mcp_sdk.py" "$base_url"
