# Lagboard. The two commands a newcomer needs are `make run` and `make test`.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
BIN := bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
TESTFLAGS ?= -race -count=1 -timeout=30m
PKGS ?= ./...

.PHONY: run test deps assets generate build lint check-generated compose-config bench bench-scale fuzz clean

## run: the dashboard on a local real stack with demo traffic (Ctrl-C stops everything)
run: deps build
	$(BIN)/devstack demo

## test: every test, against real Postgres, RocketMQ brokers, OIDC provider and Chromium
test: deps lint build compose-config
	$(BIN)/devstack test -- $(GO) test $(TESTFLAGS) $(PKGS)

deps:
	scripts/deps.sh

## assets: vendor front-end libraries from node_modules into static/ (and axe-core, for the browser tests only, into stacktest)
assets:
	npm ci --no-audit --no-fund --loglevel=error >/dev/null
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css static/vendor/
	cp node_modules/axe-core/axe.min.js internal/stack/stacktest/axe/axe.min.js

generate:
	$(GO) tool templ generate

build:
	@mkdir -p $(BIN)
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

## lint: fails when gofmt, go vet, templ fmt, templ generate or make assets would change anything
lint: check-generated
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [[ -n $$out ]]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool templ fmt -fail . >/dev/null

check-generated:
	$(GO) tool templ generate >/dev/null
	$(MAKE) --no-print-directory assets
	@if ! git diff --quiet -- '*_templ.go' static/vendor internal/stack/stacktest/axe; then \
		echo "generated files are stale; commit the output of make generate assets:"; \
		git diff --stat -- '*_templ.go' static/vendor internal/stack/stacktest/axe; exit 1; fi

compose-config:
	docker-compose -f docker-compose.yml config -q

bench: deps build
	$(BIN)/devstack test -- $(GO) test -run '^$$' -bench . -benchmem $(PKGS)

## bench-scale: 20,000 groups over four clusters, Lagboard's web process side by side with
## mqadmin consumerProgress (minutes; BENCHFLAGS=-groups 2000 for a quicker run)
BENCHFLAGS ?=
bench-scale: deps build
	$(BIN)/lagbench -web $(BIN)/web $(BENCHFLAGS)

## fuzz: each fuzzer of untrusted input for FUZZTIME (default 30s): the network decoders and the HTTP edge
FUZZTIME ?= 30s
# package:fuzzer; a package that needs Postgres starts its own unless LAGBOARD_TEST_* name one.
FUZZERS := \
	./internal/mqadmin:FuzzDecodeFrame \
	./internal/mqadmin:FuzzNormalizeFastJSON \
	./internal/mqadmin:FuzzNormalizeDecodeConsumeStats \
	./internal/mqadmin:FuzzParseMessageQueueKey \
	./internal/mqadmin:FuzzDecodeBrokerOffsets \
	./internal/mqadmin:FuzzDecodeMessages \
	./internal/poller:FuzzPopLogApply \
	./internal/http:FuzzEdgeRequest
fuzz:
	for pf in $(FUZZERS); do \
		$(GO) test -run '^$$' -fuzz "^$${pf#*:}\$$" -fuzztime=$(FUZZTIME) -parallel 1 "$${pf%%:*}/" || exit 1; done

clean:
	rm -rf $(BIN)
