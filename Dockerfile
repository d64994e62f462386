# Depot: a multi-stage build. The first stage compiles the `depot` binary (librdkafka is
# built from source by rdkafka's default features); the second runs it as a non-root
# user with its data in /data (and /blobs, owned by that user, for a shared drive volume
# as docker-compose.yml mounts one).
FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin depot

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data depot \
 && mkdir -p /data /blobs && chown depot /data /blobs
COPY --from=build /src/target/release/depot /usr/local/bin/depot
USER depot
ENV DEPOT_ADDR=0.0.0.0:9000 \
    DEPOT_DATA_DIR=/data
EXPOSE 9000
VOLUME ["/data"]
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=6 \
  CMD if [ -n "$DEPOT_TLS_CERT" ]; then curl -fsSk https://127.0.0.1:9000/_depot/health; else curl -fsS http://127.0.0.1:9000/_depot/health; fi > /dev/null || exit 1
ENTRYPOINT ["depot"]
CMD ["serve"]
