# Lagboard server and its development companions (devidp, devstack traffic).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-X main.version=${VERSION}" -o /out/ ./cmd/web ./cmd/devidp ./cmd/devstack

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 lagboard
COPY --from=build /out/ /usr/local/bin/
USER lagboard
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/web"]
