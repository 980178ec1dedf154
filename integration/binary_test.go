package integration

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// TestBinaryLifecycle checks the harness's view of `minikafka serve`: every
// listener of the generated server.properties answers ApiVersions with
// the core APIs, the banner names each listener's address, and SIGTERM
// shuts the broker down cleanly (Stop asserts exit status 0 and a log
// without ERROR lines) and closes its ports.
func TestBinaryLifecycle(t *testing.T) {
	requireBinary(t)
	b := startBinary(t, BinaryConfig{Listeners: []ListenerSpec{
		{Name: "PLAINTEXT"},
		{Name: "INTERNAL", SecurityProtocol: "PLAINTEXT"},
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, l := range []string{"PLAINTEXT", "INTERNAL"} {
		addr := b.Addr(t, l)
		resp, err := probeApiVersions(ctx, addr, nil)
		if err != nil {
			t.Fatalf("listener %s (%s): ApiVersions: %v", l, addr, err)
		}
		served := map[int16]bool{}
		for _, k := range resp.ApiKeys {
			served[k.ApiKey] = true
		}
		for _, key := range []int16{0, 1, 2, 3, 18, 19} { // Produce, Fetch, ListOffsets, Metadata, ApiVersions, CreateTopics
			if !served[key] {
				t.Errorf("listener %s: ApiVersions lacks key %d", l, key)
			}
		}
		if log := b.Log(); !strings.Contains(log, addr) {
			t.Errorf("the banner does not name %s's address %s", l, addr)
		}
	}
	b.Stop(t)
	if log := b.Log(); !strings.Contains(log, `msg="shutting down" signal=terminated`) {
		t.Errorf("no shutdown line in the broker log")
	}
	for _, l := range []string{"PLAINTEXT", "INTERNAL"} {
		if c, err := net.DialTimeout("tcp", b.Addr(t, l), time.Second); err == nil {
			c.Close()
			t.Errorf("listener %s still accepts connections after SIGTERM", l)
		}
	}
}
