#!/usr/bin/env bash
# Runs franz-go's own kgo integration tests against the minikafka binary:
# builds the broker and kgo.test, starts the broker on a random loopback
# port (PLAINTEXT, no authorizer), runs the tests, stops the broker.
#
#   scripts/kgo-integration.sh                  # the default test set
#   KGO_TESTS='TestGroupETL' KGO_TEST_RECORDS=500000 scripts/kgo-integration.sh
#
# Environment: KGO_TESTS (a -test.run pattern), KGO_TEST_RECORDS (default
# 100000), KGO_TIMEOUT (default 600s), KEEP_LOGS=1 to keep the work dir.
set -euo pipefail
cd "$(dirname "$0")/.."

TESTS=${KGO_TESTS:-'TestGroupETL|TestTxnEtl|TestIssue325|TestGroupSimple|TestPing|TestConsumeRegex$|TestAddRemovePartitions'}
RECORDS=${KGO_TEST_RECORDS:-100000}
TIMEOUT=${KGO_TIMEOUT:-600s}
work=$(mktemp -d)
broker_pid=""

cleanup() {
  if [ -n "$broker_pid" ] && kill -0 "$broker_pid" 2>/dev/null; then
    kill "$broker_pid"
    wait "$broker_pid" 2>/dev/null || true
  fi
  if [ "${KEEP_LOGS:-}" = 1 ]; then
    echo "logs kept in $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

start=$(date +%s)
echo "== building minikafka and kgo.test"
go build -o "$work/minikafka" ./cmd/minikafka
go test -c -o "$work/kgo.test" github.com/twmb/franz-go/pkg/kgo
built=$(date +%s)

echo "== starting minikafka"
"$work/minikafka" serve --override listeners=PLAINTEXT://127.0.0.1:0 >"$work/broker.out" 2>"$work/broker.log" &
broker_pid=$!
addr=""
for _ in $(seq 1 100); do
  addr=$(awk '$1 == "listener" && $2 == "PLAINTEXT" { print $4; exit }' "$work/broker.out")
  [ -n "$addr" ] && break
  if ! kill -0 "$broker_pid" 2>/dev/null; then
    echo "minikafka exited:"; cat "$work/broker.log"; exit 1
  fi
  sleep 0.1
done
if [ -z "$addr" ]; then
  echo "minikafka did not report its listener"; cat "$work/broker.log"; exit 1
fi
echo "   listening on $addr"

echo "== kgo tests: $TESTS ($RECORDS records)"
status=0
KGO_SEEDS=$addr KGO_TEST_RF=1 KGO_TEST_RECORDS=$RECORDS KGO_LOG_LEVEL=none \
  "$work/kgo.test" -test.run "$TESTS" -test.timeout "$TIMEOUT" -test.v >"$work/kgo.log" 2>&1 || status=$?
grep -E '^(=== RUN|--- |    --- |PASS|FAIL|ok|panic)' "$work/kgo.log" | grep -v '^=== RUN' || true
end=$(date +%s)
echo "== build $((built - start))s, tests $((end - built))s, total $((end - start))s"
if [ "$status" -ne 0 ]; then
  echo "== kgo tests failed (exit $status); last lines of the test log:"
  tail -50 "$work/kgo.log"
  echo "== broker warnings and errors:"
  grep -E 'level=(WARN|ERROR)' "$work/broker.log" | tail -20 || true
  exit "$status"
fi
