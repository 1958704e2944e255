# hookgate: the habits, as targets. CGO is required (go-sqlite3, -race).
export CGO_ENABLED := 1

GO       ?= go
PKGS     := ./...
FUZZTIME ?= 30s

.PHONY: all build test lint fmt vet staticcheck tidy fuzz bench faults hostile run ci clean readme

all: lint test build

build:
	$(GO) build -o bin/hookgate ./cmd/hookgate

# The suite CI runs (.ci/run calls this same command).
test:
	$(GO) test -race -count=1 $(PKGS)

lint: fmt vet staticcheck tidy

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

staticcheck:
	$(GO) tool staticcheck $(PKGS)

# go.mod and go.sum as `go mod tidy` leaves them (CI fails on a diff).
tidy:
	$(GO) mod tidy -diff

# Each fuzz target for FUZZTIME (plain `go test` runs only their seeds).
fuzz:
	@for p in ./verify ./gateway; do \
		for t in $$($(GO) test -list '^Fuzz' $$p | grep ^Fuzz); do \
			echo "== $$p $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$p || exit 1; \
		done; \
	done

# The crash and outage fault tests with ten times the load of the CI run.
faults:
	HOOKGATE_FAULT_SCALE=10 $(GO) test -race -count=1 -run 'TestFault' -timeout 30m -v ./cmd/hookgate

# The hostile group (attacks driven against the built binary: slow bodies,
# oversized uploads, malformed headers, forged signatures and bus messages,
# a second instance, bad replays) at ten times the size of the CI run.
hostile:
	HOOKGATE_HOSTILE_SCALE=10 $(GO) test -count=1 -run 'TestHostile' -timeout 30m -v ./cmd/hookgate

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

run: build
	./bin/hookgate serve -config config.example.yaml

ci:
	bash .ci/run

# Regenerate what is made from the catalogue and verify/testdata: the
# negatives' catalogue file and vectors, verify/vectorsources.go, and
# README.md's provider table (tests check each).
readme:
	$(GO) test ./verify -run TestNegativesCatalogueCurrent -update -count=1 >/dev/null
	cd verify/testdata && python3 gen_vectors_more_negatives.py > vectors_more_negatives.json
	$(GO) test ./verify -run TestVectorSourcesCurrent -update -count=1 >/dev/null
	$(GO) run ./cmd/hookgate providers -markdown > .providers.md
	awk '/<!-- providers:begin -->/{print; while ((getline l < ".providers.md") > 0) print l; skip=1; next} \
	     /<!-- providers:end -->/{skip=0} !skip' README.md > README.md.new
	mv README.md.new README.md && rm -f .providers.md

clean:
	rm -rf bin data
