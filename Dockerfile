# newsbot in a container: a static binary (pure Go, no cgo) on a distroless
# base, running as a non-root user, with its database on a volume.
#
#   docker build -t newsbot .
#   docker run -d --name newsbot -e TELEGRAM_BOT_TOKEN=123:abc \
#     -v "$PWD/config.yaml:/etc/newsbot/config.yaml:ro" -v newsbot-data:/data newsbot
#
# The configuration must say `database: /data/newsbot.db` and
# `http.listen: ":8080"` (the health check calls /healthz there).
# Maintenance beside the running bot:
#   docker exec newsbot newsbot -config /etc/newsbot/config.yaml backup /data/backup.db

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/newsbot . \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
# CA certificates for HTTPS feeds and the Bot APIs come with the base image;
# time zones are compiled into the binary (time/tzdata).
COPY --from=build /out/newsbot /usr/local/bin/newsbot
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
# A static image has no curl: the binary checks its own /healthz (200 → 0).
# Three missed poll periods or an unwritable database make it unhealthy.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["/usr/local/bin/newsbot", "-config", "/etc/newsbot/config.yaml", "healthcheck"]
# SIGTERM stops it cleanly (sends in flight finish); give it 15 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/newsbot", "-config", "/etc/newsbot/config.yaml"]
