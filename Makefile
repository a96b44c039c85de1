# Confidant: `make dev` runs the app, `make test` runs every test.
# Both provision what is missing first (PostgreSQL 15, pgvector, chromium).

GO        ?= go
COMMIT    := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
VERSION   := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# Reproducible: no paths (-trimpath), no VCS stamp (-buildvcs=false; the commit
# comes in through -X), empty build id, static (CGO_ENABLED=0). The Dockerfile and
# scripts/reproducible.sh build with the same flags.
BUILDFLAGS := -trimpath -buildvcs=false
LDFLAGS   := -buildid= -X main.version=$(VERSION) -X main.commit=$(COMMIT)
BIN       := bin/confidant
ARTIFACTS ?= $(CURDIR)/artifacts

.PHONY: dev test bench build verifier reproducible generate check-generated provision provision-test vet clean

## dev: provision Postgres + pgvector, build, migrate and serve http://localhost:8080
dev: provision build
	CONFIDANT_ENCLAVE=$${CONFIDANT_ENCLAVE:-simulated} ./$(BIN) serve

## test: provision everything (incl. chromium) and run every test
test: provision-test check-generated vet verifier
	ARTIFACTS_DIR=$(ARTIFACTS) $(GO) test -count=1 -timeout 20m ./...

## bench: benchmarks and load generators (ratios against a baseline in the same run)
bench: provision build
	$(GO) test -run '^$$' -bench . -benchmem ./enclave/... ./store/...
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./rag
	CONFIDANT_BENCH=1 $(GO) test -run '^TestImportBench$$' -count=1 -v -timeout 30m ./portability/imports
	CONFIDANT_BENCH=1 $(GO) test -run '^$$' -bench AccountExport -benchtime 1x -timeout 30m ./store
	$(GO) run ./internal/loadgen -bin ./$(BIN)
	$(GO) run ./internal/chatbench -bin ./$(BIN)
	CONFIDANT_BENCH=1 $(GO) test -count=1 -run TestThroughput -v ./connectors/imap
	CONFIDANT_BENCH=1 $(GO) test -count=1 -run '^TestSyncThroughputEndToEnd$$' -v -timeout 30m ./connectors

build: generate verifier
	CGO_ENABLED=0 $(GO) build $(BUILDFLAGS) -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/confidant

## reproducible: build the committed tree twice in clean directories and compare hashes
reproducible:
	./scripts/reproducible.sh

## verifier: the browser verifier (WebAssembly), embedded by build and served at /verifier/
verifier:
	./scripts/build-verifier.sh

generate:
	$(GO) tool templ generate -path views >/dev/null 2>&1

## check-generated: fail when committed templ output is stale
check-generated:
	@before=$$(cat views/*_templ.go | sha256sum); \
	$(GO) tool templ generate -path views >/dev/null 2>&1; \
	after=$$(cat views/*_templ.go | sha256sum); \
	[ "$$before" = "$$after" ] || { echo "views/*_templ.go were stale and have been regenerated: commit them"; exit 1; }

vet:
	$(GO) vet ./...

provision:
	./scripts/provision.sh

provision-test:
	./scripts/provision.sh --browser

clean:
	rm -rf bin artifacts
