package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestMain lets the test binary serve as a broker process too: the
// harness re-executes itself with -serve=NAME.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && strings.HasPrefix(os.Args[1], "-serve=") {
		os.Exit(serveMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func TestParseTargets(t *testing.T) {
	cases := map[string]struct {
		in   string
		want []string
		err  string
	}{
		"default":         {in: "minikafka,kfake", want: []string{"minikafka", "kfake"}},
		"variants":        {in: "minikafka+nometrics,minikafka+authz+audit", want: []string{"minikafka+nometrics", "minikafka+authz+audit"}},
		"unknown option":  {in: "minikafka+turbo", err: `unknown option "turbo"`},
		"kfake options":   {in: "kfake+authz", err: "kfake takes no options"},
		"unknown broker":  {in: "redpanda", err: "want minikafka[+option...] or kfake"},
		"given twice":     {in: "kfake,kfake", err: "given twice"},
		"empty component": {in: "minikafka,", err: "want minikafka"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := parseTargets(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("parseTargets(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tg := range got {
				names = append(names, tg.String())
			}
			if strings.Join(names, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("parseTargets(%q) = %v, want %v", tc.in, names, tc.want)
			}
		})
	}
}

func TestParseWorkloads(t *testing.T) {
	got, err := parseWorkloads("1000000x100, 10000x10240")
	if err != nil || len(got) != 2 || got[0] != (workload{1000000, 100}) || got[1] != (workload{10000, 10240}) {
		t.Fatalf("parseWorkloads = %v, %v", got, err)
	}
	for _, bad := range []string{"", "100", "0x100", "100x0", "ax1", "-5x10"} {
		if _, err := parseWorkloads(bad); err == nil {
			t.Errorf("parseWorkloads(%q) accepted", bad)
		}
	}
}

// TestRunComparesBrokers runs the whole harness on tiny workloads: both
// brokers in their own processes, every record produced and consumed back
// (measure checks the counts and bytes), a table row per target and the
// final ratios line.
func TestRunComparesBrokers(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"-workloads", "2000x100,30x4096", "-startup-n", "0", "-targets", "minikafka,kfake,minikafka+nometrics"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("run exited %d: %s\n%s", code, errOut.String(), out.String())
	}
	for _, row := range []string{
		`(?m)^2000x100B\s+minikafka\s+\d+`, `(?m)^2000x100B\s+kfake\s+\d+`, `(?m)^2000x100B\s+minikafka\+nometrics\s+\d+`,
		`(?m)^30x4096B\s+minikafka\s+\d+`, `(?m)^30x4096B\s+kfake\s+\d+`,
		`(?m)^ratios: produce \d+\.\d\dx consume \d+\.\d\dx rss \d+\.\d\dx$`,
	} {
		if !regexp.MustCompile(row).MatchString(out.String()) {
			t.Errorf("output has no line matching %s:\n%s", row, out.String())
		}
	}
}

// TestAuthzVariantAuthorizes checks that the authz variant really has
// authorization on: its ACLs let the benchmark use its topic (a produce
// and consume run succeeds) and nothing else (another topic is denied).
func TestAuthzVariantAuthorizes(t *testing.T) {
	addr, stop, err := startBroker("minikafka", []string{"authz", "audit"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := createTopic(ctx, addr, 3); err != nil {
		t.Fatalf("creating the benchmark topic: %v", err)
	}
	wl := workload{count: 500, size: 100}
	if _, err := produce(ctx, addr, wl); err != nil {
		t.Fatalf("produce to the benchmark topic: %v", err)
	}
	if _, err := consume(ctx, addr, wl); err != nil {
		t.Fatalf("consume the benchmark topic: %v", err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordRetries(1))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	err = cl.ProduceSync(ctx, &kgo.Record{Topic: "other", Value: []byte("x")}).FirstErr()
	if !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("produce to another topic: %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
}

func TestEmbeddedStartupSamples(t *testing.T) {
	for name, f := range map[string]func() (float64, error){
		"minikafka": func() (float64, error) { d, err := embeddedMinikafka(); return d.Seconds(), err },
		"kfake":     func() (float64, error) { d, err := embeddedKfake(); return d.Seconds(), err },
	} {
		d, err := f()
		if err != nil || d <= 0 {
			t.Errorf("%s: %v, %v", name, d, err)
		}
	}
}
