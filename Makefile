# The test command of the README: `make test`. .ci/run calls exactly this.
# It installs what the tests need when it is missing, then runs gofmt, go vet,
# the race-enabled test suite and a short fuzz smoke run.

GO       ?= go
# moto and the AWS CLI come with the machine image's Python (pyenv).
export PATH := $(PATH):$(HOME)/.pyenv/shims
GOFILES   = $(shell git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*')
# The smoke run's fuzzing per target: the unit step already runs every
# seed corpus; this adds a short random search. `make fuzz FUZZTIME=5m` for
# a real one.
FUZZTIME ?= 5s

.PHONY: test deps lint unit fuzz-smoke fuzz bench build

test: deps lint unit fuzz-smoke

# System packages the tests use: real servers, started by the tests on
# loopback: HAProxy (haproxy_backend), BIND 9 with its tools (dns_rrset over
# RFC 2136, the dns check), Prometheus (it scrapes `fbctl run`'s /metrics;
# its promtool checks and tests the shipped alerting rules), PostgreSQL 15
# and MariaDB (the sql, postgres_replication and mysql_replication checks,
# with streaming replication and a replica on loopback), PowerDNS with its
# SQLite backend (powerdns_weighted's LUA records, answered for real; sqlite3
# creates its schema). The tests start
# their own servers in their own directories on free loopback ports: the
# services the packages install are not needed: right after installing
# them, deps stops them (and disables them where systemd runs).
DEBS = haproxy bind9 bind9-utils prometheus postgresql mariadb-server pdns-server pdns-backend-sqlite3 sqlite3
deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing && \
	  if [ -d /run/systemd/system ]; then systemctl disable --now -q postgresql mariadb pdns 2>/dev/null || true; \
	  else for s in postgresql mariadb pdns; do service $$s stop >/dev/null 2>&1 || true; done; fi; fi
	@command -v moto_server >/dev/null 2>&1 || pip install 'moto[server]==5.2.1' || \
	  { echo "moto_server is missing and could not be installed: the AWS tests need it" >&2; exit 1; }
	@command -v aws >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq awscli; }
	$(GO) mod download

lint:
	@out=$$(gofmt -l $(GOFILES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 ./...

fuzz-smoke:
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./policy
	$(GO) test -run '^$$' -fuzz '^FuzzParseTFOutputs$$' -fuzztime $(FUZZTIME) ./policy
	$(GO) test -run '^$$' -fuzz '^FuzzParseServersState$$' -fuzztime $(FUZZTIME) ./providers/haproxy
	$(GO) test -run '^$$' -fuzz '^FuzzParseWeightReply$$' -fuzztime $(FUZZTIME) ./providers/haproxy
	$(GO) test -run '^$$' -fuzz '^FuzzServeHTTP$$' -fuzztime $(FUZZTIME) ./internal/sim/elbv2
	$(GO) test -run '^$$' -fuzz '^FuzzChangeBatch$$' -fuzztime $(FUZZTIME) ./internal/sim/route53
	$(GO) test -run '^$$' -fuzz '^FuzzServeHTTP$$' -fuzztime $(FUZZTIME) ./internal/sim/gcp
	$(GO) test -run '^$$' -fuzz '^FuzzServeHTTP$$' -fuzztime $(FUZZTIME) ./internal/sim/s3
	$(GO) test -run '^$$' -fuzz '^FuzzServeHTTP$$' -fuzztime $(FUZZTIME) ./internal/sim/gcs
	$(GO) test -run '^$$' -fuzz '^FuzzServeHTTP$$' -fuzztime $(FUZZTIME) ./internal/sim/azure

# Longer fuzzing, by hand: make fuzz FUZZTIME=5m
fuzz: fuzz-smoke

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The version and commit come from git and are passed by -ldflags, so that
# `fbctl version` has them even where the go command stamps no VCS
# information (-buildvcs=false, no git in a build container). A tree with
# uncommitted changes is marked "-dirty". Outside a checkout both are empty
# and fbctl falls back to its build information.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS  = -X github.com/fbctl/fbctl/internal/app.version=$(VERSION) -X github.com/fbctl/fbctl/internal/app.commit=$(COMMIT)

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/fbctl ./cmd/fbctl
