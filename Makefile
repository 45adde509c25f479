# stillpay — run `make help` for the targets.
SHELL := /bin/bash
GO      ?= go
BIN     ?= bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
PKG     := github.com/stillpay/stillpay
LDFLAGS := -X $(PKG)/terminal/cli.version=$(VERSION) -X $(PKG)/terminal/cli.commit=$(COMMIT) \
           -X $(PKG)/server/cli.version=$(VERSION) -X $(PKG)/server/cli.commit=$(COMMIT)
# Release public keys (comma-separated, from `stillbundle pubkey`) that `posagent update` trusts
# without --trusted-key; empty builds trust only keys the technician supplies.
RELEASE_PUBKEYS ?=
ifneq ($(RELEASE_PUBKEYS),)
LDFLAGS += -X $(PKG)/terminal/update.builtinTrustedKeys=$(RELEASE_PUBKEYS)
endif
# Seconds each fuzz target runs during `make test` (the short pass) and `make fuzz` (the long one).
FUZZTIME_SHORT ?= 3s
FUZZTIME       ?= 2m
CROSS_TARGETS  := linux/arm/7 linux/arm64 linux/amd64
# staticcheck for `make lint`: v0.8.2 is the newest release that builds with Go 1.26; installed into
# GOBIN (default $(go env GOPATH)/bin) when missing.
STATICCHECK_VERSION ?= v0.8.2
STATICCHECK ?= $(or $(shell command -v staticcheck 2>/dev/null),$(or $(shell $(GO) env GOBIN),$(shell $(GO) env GOPATH)/bin)/staticcheck)

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show this help.
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

.PHONY: build
build: ## Build posagent, settlementd and wallet into bin/.
	@mkdir -p $(BIN)
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/...

.PHONY: test
test: ## Run every test with the race detector, then a short pass of every fuzz target.
	@if [ -z "$$STILLPAY_TEST_POSTGRES" ] && ! (command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432); then \
	  echo "PostgreSQL tests skipped: no server on 127.0.0.1:5432; set STILLPAY_TEST_POSTGRES=postgres://user@host:5432/db?sslmode=disable to run them"; fi
	@command -v pg_autoctl >/dev/null || echo "failover chaos test skipped: pg_autoctl missing (apt-get install postgresql-15-auto-failover; .ci/run does)"
	$(GO) test -race -count=1 -timeout 15m ./...
	@# The camera corpus tests render hundreds of photos, too slow under -race (where they skip):
	@# run them once without it, so the decode-rate goal (docs/benchmarks.md) is checked in CI.
	$(GO) test -count=1 -timeout 10m -run 'TestDecodeCorpus$$|TestDecodeSteeplyTiltedCode' ./hardware/imaging/
	FUZZTIME=$(FUZZTIME_SHORT) ./scripts/fuzz.sh

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME (default 2m) each.
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

.PHONY: demo
demo: build ## Run the whole system with simulated hardware on the embedded store (KEEP=1: keep it running until Ctrl-C).
	$(GO) run ./cmd/stilldemo -bin $(BIN) $(if $(KEEP),-keep)

.PHONY: bench
bench: build ## Run the benchmarks and print figures next to same-run baselines.
	./scripts/bench.sh

.PHONY: cross
cross: ## Build static posagent binaries for linux/armv7, arm64 and amd64 into bin/cross/.
	@set -e; for t in $(CROSS_TARGETS); do \
	  os=$${t%%/*}; rest=$${t#*/}; arch=$${rest%%/*}; arm=$${rest#*/}; [ "$$arch" = arm ] || arm=; \
	  out=$(BIN)/cross/$$os-$$arch$${arm:+v$$arm}; mkdir -p $$out; \
	  echo "posagent $$os/$$arch$${arm:+ GOARM=$$arm} -> $$out/posagent"; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch GOARM=$$arm $(GO) build -trimpath -ldflags "-s -w $(LDFLAGS)" -o $$out/posagent ./cmd/posagent; \
	done

.PHONY: bundle
bundle: cross ## Build per-architecture install bundles (tar.gz, sums, signature) into bin/bundles/.
	./scripts/bundle.sh $(BIN) $(VERSION)

.PHONY: lint
lint: ## gofmt, go vet, staticcheck, the go.mod tidy check and the dependency-layer tests.
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@command -v $(STATICCHECK) >/dev/null || { echo "installing staticcheck $(STATICCHECK_VERSION)"; $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION); }
	$(STATICCHECK) ./...
	@# go.mod and go.sum must be exactly what `go mod tidy` writes (direct requirements not marked
	@# indirect, nothing missing or unused); -diff prints the change and fails without touching them.
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }
	@# The allowed import directions between areas (internal/repotest/deps_test.go), each binary's
	@# checked-in third-party packages (cmd/*/depaware.txt, internal/repotest/depaware_test.go) and
	@# posagent's ban on server/database code (terminal/deps_test.go); cmd/* holds only main.go.
	$(GO) test -count=1 -run '^(TestDependencyLayers|TestDepaware|TestCommandsOnlyWire|TestPosagentLinksNoServerCode)$$' ./internal/repotest ./terminal

.PHONY: clean
clean: ## Remove build output.
	rm -rf $(BIN)

.PHONY: wallet-vendor
wallet-vendor: ## Re-fetch the web wallet's vendored QR libraries (needs npm; run only to upgrade them).
	cd $$(mktemp -d) && npm pack qrcode-generator@2.0.4 >/dev/null && tar xzf qrcode-generator-2.0.4.tgz && \
		cp package/dist/qrcode.mjs $(CURDIR)/server/webwallet/assets/vendor/qrcode-generator/qrcode.mjs
	cd $$(mktemp -d) && npm pack jsqr@1.4.0 >/dev/null && tar xzf jsqr-1.4.0.tgz && \
		cp package/dist/jsQR.js $(CURDIR)/server/webwallet/assets/vendor/jsqr/jsQR.js && \
		cp package/LICENSE $(CURDIR)/server/webwallet/assets/vendor/jsqr/LICENSE
	sha256sum server/webwallet/assets/vendor/qrcode-generator/qrcode.mjs server/webwallet/assets/vendor/jsqr/jsQR.js
