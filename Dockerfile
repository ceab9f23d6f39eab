# syntax=docker/dockerfile:1
#
# Quire as a container image: one static binary on Alpine, run as a
# non-root user.
#
#   docker build -t quire .
#   docker run -p 8080:8080 -v quire-data:/data quire
#
# docs/deployment.md describes the settings, volumes, probes and signals.

# --- build ------------------------------------------------------------------
# A static musl binary. Alpine's own toolchain targets musl, so the C code in
# the dependency tree (SQLite, bundled by sqlx; zstd; ring; mimalloc) compiles
# with its gcc and needs no cross compiler. Nothing links OpenSSL: TLS is
# rustls with ring. Quire allocates with mimalloc, so musl's allocator does
# not slow it down. Cargo.toml asks for Rust 1.94 or later.
FROM rust:1-alpine AS build
ARG TARGETARCH
RUN apk add --no-cache gcc musl-dev linux-headers
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src src
COPY migrations migrations
# The admin UI is committed already built (admin-ui/dist) and embedded at
# compile time, so the image needs no Node stage.
COPY admin-ui/dist admin-ui/dist
# The target is the builder's own architecture: x86_64-unknown-linux-musl on
# amd64, aarch64-unknown-linux-musl on arm64.
RUN --mount=type=cache,id=quire-cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,id=quire-target-${TARGETARCH},target=/src/target \
    set -eu; \
    target="$(uname -m)-unknown-linux-musl"; \
    cargo build --release --locked --target "$target"; \
    mkdir -p /out; \
    cp "target/$target/release/quire" /out/quire; \
    /out/quire --version

# --- run --------------------------------------------------------------------
FROM alpine:3.22
# S3 over HTTPS and webhook deliveries check certificates against the
# system's CA bundle (PostgreSQL TLS carries its own roots). Alpine ships the
# bundle; naming it keeps it there.
RUN apk add --no-cache ca-certificates-bundle \
    && addgroup -S -g 10001 quire \
    && adduser -S -D -H -u 10001 -G quire -h /data -s /sbin/nologin quire \
    && mkdir -p /data /etc/quire \
    && chown quire:quire /data
COPY --from=build /out/quire /usr/local/bin/quire

# Listen on every interface of the container; keep the SQLite file, local
# media and the search index under /data.
ENV QUIRE_BIND=0.0.0.0:8080 \
    QUIRE_DATA_DIR=/data
# ./quire.toml and ./content-types are read from here when mounted.
WORKDIR /etc/quire
VOLUME /data
EXPOSE 8080
USER 10001:10001

# Liveness only: /readyz is for balancers (it answers 503 while the search
# index catches up and while the database is out of reach). The port is the
# one QUIRE_BIND names; busybox wget comes with Alpine.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
    CMD wget -q -T 4 -O /dev/null "http://127.0.0.1:${QUIRE_BIND##*:}/healthz" || exit 1

# SIGTERM drains: no new connections, requests in flight get 10 s, the search
# index takes in the last changes (up to 5 s), then Quire exits 0. Give the
# container at least 20 s to stop (docker run --stop-timeout 20).
STOPSIGNAL SIGTERM
ENTRYPOINT ["quire"]
CMD ["serve"]
