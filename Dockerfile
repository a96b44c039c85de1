# Confidant image: a static binary on an empty base, run as a non-root user.
# Build: docker build --build-arg VERSION=$(git describe --tags --always) \
#          --build-arg COMMIT=$(git rev-parse --short=12 HEAD) -t confidant .
# The binary is built with the flags of `make build` and scripts/reproducible.sh
# (no paths, no VCS stamp, no build id, no timestamps), so it is reproducible.

# Build stage, pinned to the Go release in go.mod.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-mod=readonly GOTOOLCHAIN=local
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
# The browser verifier (WebAssembly) is embedded where the tree has one.
RUN if [ -x scripts/build-verifier.sh ]; then ./scripts/build-verifier.sh; fi
RUN go build -trimpath -buildvcs=false \
      -ldflags "-buildid= -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/confidant ./cmd/confidant \
 && mkdir -p /out/data

# Final stage: nothing but the binary, CA certificates and an empty data
# directory owned by the unprivileged user.
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/confidant /confidant
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV CONFIDANT_ADDR=0.0.0.0:8080 CONFIDANT_DATA_DIR=/data
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --retries=3 CMD ["/confidant", "healthcheck"]
ENTRYPOINT ["/confidant"]
CMD ["serve"]
