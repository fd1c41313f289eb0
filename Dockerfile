# syntax=docker/dockerfile:1
# AsyncGate server image: build with the Swift toolchain, run on a slim Debian with only the runtime
# libraries, PostgreSQL's server binaries (for the embedded default) and a non-root user.
#
#   docker build -t asyncgate .
#   docker run -p 8080:8080 asyncgate                         # embedded PostgreSQL, dev mode
#   docker run -p 8080:8080 -e ASYNCGATE_ENV=production \
#     -e ASYNCGATE_API_KEY=... -e ASYNCGATE_DATABASE_URL=postgres://... asyncgate

# ---- build ------------------------------------------------------------------------------------
FROM swift:6.3-bookworm AS build
RUN export DEBIAN_FRONTEND=noninteractive \
 && apt-get update -q \
 && apt-get install -y -q --no-install-recommends libpq-dev libssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so editing sources does not refetch them. Package.resolved is not copied on
# purpose: it is machine-local here (see .gitignore) and resolution picks the manifest's versions.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
COPY migrations ./migrations
# Static Swift runtime: the image then needs no Swift libraries, only libpq and libcrypto.
RUN swift build -c release --product asyncgate --static-swift-stdlib \
 && mkdir -p /out \
 && cp "$(swift build -c release --show-bin-path)/asyncgate" /out/asyncgate \
 && strip /out/asyncgate

# ---- run --------------------------------------------------------------------------------------
FROM debian:bookworm-slim
# postgresql-common first, so installing postgresql does not create and start a system cluster
# (AsyncGate creates its own private one under ASYNCGATE_DATA_DIR when no DATABASE_URL is given).
RUN export DEBIAN_FRONTEND=noninteractive \
 && apt-get update -q \
 && apt-get install -y -q --no-install-recommends postgresql-common \
 && sed -ri 's/^#?\s*(create_main_cluster)\s*=.*$/\1 = false/' /etc/postgresql-common/createcluster.conf \
 && apt-get install -y -q --no-install-recommends \
      libpq5 libssl3 postgresql ca-certificates curl tini tzdata \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /var/lib/asyncgate \
      --shell /usr/sbin/nologin asyncgate
COPY --from=build /out/asyncgate /usr/local/bin/asyncgate

USER asyncgate:asyncgate
WORKDIR /var/lib/asyncgate
ENV ASYNCGATE_HOST=0.0.0.0 \
    ASYNCGATE_PORT=8080 \
    ASYNCGATE_DATA_DIR=/var/lib/asyncgate/data
# Only used by the embedded cluster; with ASYNCGATE_DATABASE_URL nothing is written here.
VOLUME ["/var/lib/asyncgate"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${ASYNCGATE_PORT}/v1/health" >/dev/null || exit 1
# tini is PID 1: it forwards SIGTERM to asyncgate (graceful shutdown, exit 0) and reaps the
# embedded PostgreSQL's processes.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/asyncgate"]
CMD ["serve"]
