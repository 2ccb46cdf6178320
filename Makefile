# Two commands set everything up: `make run` and `make test` (see README.md).
SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/.bin
export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)

# Pinned tools. staticcheck is a `tool` directive in go.mod, so go.mod and
# go.sum pin and verify it: `go tool staticcheck` runs it. goaws (v0.5.4) is
# pinned in go.mod too and built from cmd/goaws, which runs it on 127.0.0.1
# only; tests and the local stack start it from .bin. The Lambda Runtime
# Interface Emulator is installed at its pinned version instead: as a tool
# directive it would raise the module's go line (see docs/decisions.md,
# "Build and tools").
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d

# Where tests find the emulators.
export GOAWS_BIN := $(BIN)/goaws
export RIE_BIN := $(BIN)/aws-lambda-rie
export DYNALITE_BIN := $(CURDIR)/node_modules/.bin/dynalite

FUNCTIONS := scheduler worker api
LDFLAGS := -s -w
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags '$(LDFLAGS)'

.PHONY: all test bench soak run build tools node-deps vet staticcheck crossbuild standalone clean \
	build-SchedulerFunction build-WorkerFunction build-ApiFunction

all: build

tools: $(BIN)/goaws $(BIN)/aws-lambda-rie

# Rebuilt whenever go.mod or go.sum change, so the binary follows the pin.
$(BIN)/goaws: go.mod go.sum cmd/goaws/main.go
	$(GO) build -o $@ ./cmd/goaws

$(BIN)/aws-lambda-rie:
	GOBIN=$(BIN) $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

node-deps: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is required (Node.js 20+): install Node.js and npm first" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) tool staticcheck ./...

# Most people who run the stack locally do it on a Mac: every package, tests
# included, must compile there (arm64) and on Windows. go vet type-checks them
# all for the target without running anything.
CROSS_TARGETS := darwin/arm64 windows/amd64
crossbuild:
	@set -e; for t in $(CROSS_TARGETS); do \
		echo "cross-build check: GOOS=$${t%/*} GOARCH=$${t#*/} go vet ./... (every package, tests included)"; \
		GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) vet ./...; \
	done; echo "cross-build check: ok ($(CROSS_TARGETS))"

# The repository stands alone: nothing in it may point beside the clone
# (../shared) or name a path of one machine.
FOREIGN_PATHS := (^|[^.a-zA-Z])/(work|tmp|root|home)/|\.\./(\.\./)*shared/
standalone:
	@if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		echo "standalone check: not a git checkout, nothing to check"; \
	elif git grep -nIE '$(FOREIGN_PATHS)' -- ':!Makefile'; then \
		echo "standalone check: the lines above point outside the repository or to one machine's paths" >&2; exit 1; \
	else echo "standalone check: ok (no ../shared, no machine paths)"; fi

test: tools node-deps vet staticcheck crossbuild standalone
	$(GO) test -race -count=1 -timeout 25m ./...

# The fault soak (docs/reliability.md): SOAK_RUNS seeded runs under random
# faults (default 1,000), from SOAK_SEED (default 1). A failure prints the
# seed that replays it. `make test` runs a short fixed-seed soak.
SOAK_RUNS ?= 1000
SOAK_SEED ?= 1
soak: tools node-deps
	SOAK_RUNS=$(SOAK_RUNS) SOAK_SEED=$(SOAK_SEED) $(GO) test -count=1 -run '^TestSoak$$' -timeout 120m -v ./internal/localstack/

bench: tools node-deps
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./...

# The local stack needs goaws and dynalite only; it is built first so that
# Ctrl-C reaches the stack itself and not `go run`.
run: $(BIN)/goaws node-deps
	$(GO) build -o $(BIN)/local ./cmd/local
	@exec $(BIN)/local

# Lambda builds: one bootstrap per function for provided.al2023 on arm64.
build: $(addprefix build/,$(addsuffix /bootstrap,$(FUNCTIONS)))

build/%/bootstrap: FORCE
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $@ ./functions/$*

# sam build (BuildMethod: makefile) calls build-<LogicalId> with ARTIFACTS_DIR set.
build-SchedulerFunction:
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/scheduler
build-WorkerFunction:
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/worker
build-ApiFunction:
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/api

clean:
	rm -rf build .aws-sam

FORCE:
