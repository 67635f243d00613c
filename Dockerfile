# Multi-stage build: compile in the Rust image, run from a slim Debian with a non-root user.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# C toolchain pieces used by the bundled SQLite and the crypto crates' build scripts.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake pkg-config \
 && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cargo build --release --locked -p gateway \
 && strip target/release/gateway

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin gateway \
 && mkdir -p /app/data /app/config \
 && chown -R gateway:gateway /app
WORKDIR /app
COPY --from=build /src/target/release/gateway /usr/local/bin/gateway
COPY --chown=gateway:gateway config/default.toml /app/config/default.toml
USER gateway
# Listen on all interfaces inside the container; the database defaults to /app/data (a volume).
ENV FS_HTTP_ADDR=0.0.0.0:8080 \
    FS_WS_ADDR=0.0.0.0:8081 \
    FS_LOG_FORMAT=json
VOLUME ["/app/data"]
EXPOSE 8080 8081
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/health || exit 1
STOPSIGNAL SIGTERM
CMD ["gateway"]
