# syntax=docker/dockerfile:1
# Builds OneTimeShare with the same pinned tools as `make run` (scripts/setup.sh)
# and ships the server binary plus the site in a slim Debian image.

FROM rust:1.95-bookworm AS builder
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Tools first (cargo-leptos, wasm-bindgen-cli at Cargo.lock's version, npm
# binaryen's wasm-opt) so source edits do not reinstall them.
COPY scripts/ scripts/
COPY Cargo.toml Cargo.lock ./
RUN bash scripts/setup.sh
COPY . .
RUN bash scripts/build-site.sh \
 && mkdir -p /out \
 && cp target/release/onetimeshare /out/ \
 && cp -r target/site /out/site

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin ots \
 && mkdir -p /data && chown ots:ots /data
COPY --from=builder /out/onetimeshare /usr/local/bin/onetimeshare
COPY --from=builder /out/site /srv/onetimeshare/site
ENV OTS_LISTEN=0.0.0.0:3000 \
    OTS_DATA_DIR=/data \
    OTS_SITE_ROOT=/srv/onetimeshare/site \
    RUST_LOG=info
USER ots
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:3000/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/onetimeshare"]
