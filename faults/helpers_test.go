package faults

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/minikafka/minikafka/internal/brokerproc"
)

// binPath is the minikafka binary built by TestMain (with the race
// detector when the tests run with it).
var binPath string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "minikafka-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binPath = filepath.Join(dir, "minikafka")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := brokerproc.Build(ctx, binPath, raceEnabled); err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		return 1
	}
	return m.Run()
}

// startBinary starts the binary for t and kills it at cleanup unless the
// test stopped it. The broker log is dumped when t failed.
func startBinary(t *testing.T, cfg brokerproc.Config) *brokerproc.Proc {
	t.Helper()
	cfg.Binary = binPath
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	if cfg.LogLevel == "" {
		cfg.LogLevel = "info"
	}
	p, err := brokerproc.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("--- broker log (%s) ---\n%s", p.LogPath(), brokerproc.Tail(p.Log(), 150))
		}
		for _, bad := range []string{"panic:", "WARNING: DATA RACE", "fatal error:"} {
			if strings.Contains(p.Log(), bad) {
				t.Errorf("broker log contains %q", bad)
			}
		}
	})
	return p
}

// logBuffer is a concurrency-safe slog destination for in-process brokers.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// mark is the current length of the log, for waitLogSince.
func (l *logBuffer) mark() int { return len(l.String()) }

// linesSince returns the lines written after mark containing every one of
// subs.
func (l *logBuffer) linesSince(mark int, subs ...string) []string {
	var out []string
	s := l.String()
	if mark > len(s) {
		mark = len(s)
	}
	for _, line := range strings.Split(s[mark:], "\n") {
		ok := line != ""
		for _, s := range subs {
			ok = ok && strings.Contains(line, s)
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}

// waitLogSince waits until a line written after mark contains every one
// of subs, and returns it.
func (l *logBuffer) waitLogSince(t *testing.T, mark int, subs ...string) string {
	t.Helper()
	var found string
	waitFor(t, fmt.Sprintf("a log line with %q", subs), func() bool {
		if ls := l.linesSince(mark, subs...); len(ls) > 0 {
			found = ls[0]
			return true
		}
		return false
	})
	return found
}

// waitFor polls cond until it holds or 30 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// client returns a franz-go client of addr, closed at cleanup.
func client(t *testing.T, addr string, mech sasl.Mechanism, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	base := []kgo.Opt{kgo.SeedBrokers(addr), kgo.RetryTimeout(10 * time.Second), kgo.RequestRetries(2)}
	if mech != nil {
		base = append(base, kgo.SASL(mech))
	}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func plainMech(user, pass string) sasl.Mechanism {
	return plain.Auth{User: user, Pass: pass}.AsMechanism()
}

// login opens a fresh client with mech and pings: the error of the
// authentication, if any.
func login(ctx context.Context, addr string, mech sasl.Mechanism) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.SASL(mech), kgo.RequestRetries(0), kgo.RetryTimeout(time.Second))
	if err != nil {
		return err
	}
	defer cl.Close()
	return cl.Ping(ctx)
}

// produceOne produces one record to topic synchronously.
func produceOne(ctx context.Context, cl *kgo.Client, topic, value string) error {
	return cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte(value)}).FirstErr()
}

// counterValue returns the sum of the counter (or gauge) samples of name
// whose labels include want.
func counterValue(t *testing.T, reg *prometheus.Registry, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue metrics
				}
			}
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}
