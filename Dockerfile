# syntax=docker/dockerfile:1
# Gatehouse: one static binary on a distroless, non-root base.
#   docker build -t gatehouse .
#   docker run -p 3001:3001 -v gatehouse-data:/data gatehouse

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/gatehouse ./cmd/gatehouse \
 && mkdir -p /out/data

# static-debian12 carries CA certificates and tzdata; :nonroot runs as 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/gatehouse /gatehouse
# The data directory belongs to the non-root user so SQLite can write it.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
VOLUME ["/data"]
# ADMIN_BIND=0.0.0.0 because, inside a container, a loopback-only listener
# cannot be reached through a published port. Publish 3002 on the host's
# loopback only (-p 127.0.0.1:3002:3002) and reach it over an SSH tunnel.
ENV DB_URL=sqlite:/data/gatehouse.db \
    PORT=3001 \
    ADMIN_PORT=3002 \
    ADMIN_BIND=0.0.0.0
EXPOSE 3001 3002
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/gatehouse", "healthcheck"]
ENTRYPOINT ["/gatehouse"]
CMD ["serve"]
