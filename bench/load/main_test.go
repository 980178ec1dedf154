package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestLoad is the CI variant of the load run: 200 authenticated
// connections (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER mixed)
// producing and consuming for 15 s against the minikafka binary in a
// subprocess (built with the race detector when the test is). It asserts
// correctness, not speed: no acknowledged record lost or read twice by
// any full scan or by the consumer group, no produce given up on, every
// connection held, and the broker's peak RSS under the bound (higher
// under the race detector, whose shadow memory multiplies the heap).
func TestLoad(t *testing.T) {
	o := defaultOptions()
	o.conns = 200
	o.duration = 15 * time.Second
	o.partitions = 16
	o.kgoProducers = 4
	o.kgoConsumers = 3
	o.rate = 3000
	o.kgoRate = 100
	o.drainTimeout = time.Minute
	o.race = raceEnabled
	o.rssLimit = 256 << 20
	if raceEnabled {
		o.rssLimit = 1 << 30
		o.rate = 1500
	}
	o.progress = 0
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var out bytes.Buffer
	r, err := run(ctx, o, &out)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	printReport(&out, r)
	t.Log("\n" + out.String())
	for _, f := range r.failures() {
		t.Error(f)
	}
	for _, mech := range mechanisms {
		if r.authOK[mech] < int64(o.conns/len(mechanisms))-5 {
			t.Errorf("%s: %d successful authentications, want about a quarter of the %d connections", mech, r.authOK[mech], o.conns)
		}
	}
	if r.authFailed != 0 {
		t.Errorf("%d failed authentications", r.authFailed)
	}
	if t.Failed() {
		t.Logf("broker log tail:\n%s", tailLines(r.brokerLog, 80))
	}
}

func tailLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
