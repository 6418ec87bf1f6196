# cognate in a container: a static binary (musl) on an empty base image, run as a non-root user,
# its data in the /data volume.
#   docker build -t cognate .
#   docker run -p 9229:9229 -v cognate-data:/data -e COGNATE_PUBLIC_URL=https://auth.example.com cognate

FROM rust:1.95-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends musl-tools=1.2.3-1 \
    && rm -rf /var/lib/apt/lists/*
RUN rustup target add x86_64-unknown-linux-musl
WORKDIR /src
COPY . .
RUN cargo build --release --locked --target x86_64-unknown-linux-musl --bin cognate \
    && cp target/x86_64-unknown-linux-musl/release/cognate /cognate \
    && mkdir /data

FROM scratch
COPY --from=build /cognate /cognate
COPY --from=build --chown=65532:65532 /data /data
USER 65532:65532
VOLUME ["/data"]
ENV COGNATE_DATA_DIR=/data \
    COGNATE_LISTEN=0.0.0.0:9229 \
    COGNATE_PUBLIC_URL=http://localhost:9229
EXPOSE 9229
HEALTHCHECK --interval=30s --timeout=6s --start-period=10s --retries=3 CMD ["/cognate", "health"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/cognate"]
CMD ["serve"]
