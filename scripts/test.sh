#!/usr/bin/env bash
# Runs the whole minikafka test suite on a fresh Debian machine: installs
# what the tests need (Debian packages, npm packages, Go tools), then vets,
# lints and runs every test with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

# Debian packages used by the integration tests (real clients and servers).
# gcc and libc6-dev: cgo for confluent-kafka-go (its librdkafka is bundled).
# curl: the README examples (TestReadmeExamples runs them).
APT_PKGS=(kcat python3-kafka python3-confluent-kafka slapd ldap-utils openssl gcc libc6-dev curl)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # slapd's package starts a system daemon; the tests run their own.
  $SUDO service slapd stop >/dev/null 2>&1 || true
fi

# npm packages (kafkajs client, oidc-provider identity provider).
if [ -f integration/js/package.json ]; then
  # oidc-provider 9 needs Node.js 20 or later (Debian 12's nodejs is 18).
  node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$node_major" -lt 20 ]; then
    echo "Node.js >= 20 with npm is required by integration/js (found: $(node --version 2>/dev/null || echo none))" >&2
    exit 1
  fi
  log "npm ci (integration/js)"
  (cd integration/js && npm ci --no-audit --no-fund --silent)
fi

# Go tools.
export PATH="$(go env GOPATH)/bin:$PATH"
if ! command -v staticcheck >/dev/null; then
  log "go install staticcheck"
  go install honnef.co/go/tools/cmd/staticcheck@v0.7.0
fi

log "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt needed:"; echo "$unformatted"; exit 1; fi
log "go vet"
go vet ./...
log "staticcheck"
staticcheck ./...
log "go test -race"
go test -race -count=1 -timeout 15m ./...
log "franz-go's own kgo integration tests against the minikafka binary"
./scripts/kgo-integration.sh
# Every fuzz target briefly (about 2 minutes in all); scripts/fuzz.sh 60
# for a longer run (README "Fuzzing").
log "fuzz (5 s per target)"
scripts/fuzz.sh 5
log "all tests passed"
