// Command bench measures minikafka against franz-go's kfake on the same
// machine: produce and consume throughput (records/s and MB/s of record
// values) and the broker's peak memory for two workloads, plus how fast
// minikafka starts. It ends with one line of ratios, the first target over
// the second (minikafka over kfake by default):
//
//	ratios: produce 2.10x consume 1.30x rss 0.45x
//
// Each ratio is the worst of the workloads (lowest throughput ratio,
// highest memory ratio), so a goal met by the ratios line is met by every
// workload.
//
// Every broker runs in its own process (this binary re-executed with the
// hidden flag -serve=NAME), so that its peak RSS (VmHWM) and CPU time are
// its own; the load is driven from this process with franz-go (kgo),
// configured identically for every target. A fresh broker serves each
// workload.
//
// Targets are a broker name with optional "+option" suffixes, so variants
// of one broker can be compared with each other:
//
//	go run ./bench                                        # minikafka vs kfake
//	go run ./bench -targets minikafka+nometrics,minikafka # cost of metrics
//	go run ./bench -targets minikafka,minikafka+authz+audit # cost of authorization and audit
//
// Options: nometrics (minikafka without its Prometheus metrics), audit
// (an audit logger that formats every decision, allowed ones included, into
// a discarding writer), authz (authorization on, every request allowed by
// a matching ACL among a thousand others; see variants.go).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

func main() {
	if len(os.Args) > 1 && strings.HasPrefix(os.Args[1], "-serve=") {
		os.Exit(serveMain(os.Args[1:]))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	targets    []target
	workloads  []workload
	partitions int
	runs       int
	startupN   int
	binary     string
	profileDir string
	skipLoad   bool
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	targets := fs.String("targets", "minikafka,kfake", "comma-separated brokers to compare, each NAME[+option...]; ratios are the first over the second")
	workloads := fs.String("workloads", "1000000x100,10000x10240", "comma-separated workloads COUNTxBYTES (records × value size)")
	partitions := fs.Int("partitions", 3, "partitions of the benchmark topic")
	runs := fs.Int("runs", 1, "runs per target and workload, alternating targets, each on a fresh broker; the best figure of each column is reported")
	startupN := fs.Int("startup-n", 25, "samples for each startup figure (0: skip startup figures)")
	binary := fs.String("binary", "", "minikafka binary for the binary-start figure (default: go build ./cmd/minikafka)")
	profileDir := fs.String("profile", "", "directory to write each broker's CPU and heap profiles to (pprof)")
	skipLoad := fs.Bool("startup-only", false, "only measure the startup figures")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	o := options{partitions: *partitions, runs: *runs, startupN: *startupN, binary: *binary, profileDir: *profileDir, skipLoad: *skipLoad}
	var err error
	if o.targets, err = parseTargets(*targets); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	if o.workloads, err = parseWorkloads(*workloads); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	if o.runs < 1 || o.partitions < 1 {
		fmt.Fprintln(stderr, "bench: -runs and -partitions must be at least 1")
		return 2
	}
	if o.profileDir != "" {
		if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
	}
	fmt.Fprintf(stdout, "minikafka bench: %s\n", machine())
	fmt.Fprintf(stdout, "command: go run ./bench %s\n", strings.Join(args, " "))
	fmt.Fprintf(stdout, "load average at start: %s\n\n", loadAverage())
	if o.startupN > 0 {
		if err := startupFigures(stdout, o); err != nil {
			fmt.Fprintln(stderr, "bench: startup:", err)
			return 1
		}
	}
	if o.skipLoad {
		return 0
	}
	results, err := loadFigures(stdout, o)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	fmt.Fprintf(stdout, "load average at end: %s\n", loadAverage())
	printRatios(stdout, o, results)
	return 0
}

// workload is one load shape: count records of size value bytes.
type workload struct {
	count int
	size  int
}

func (w workload) String() string { return fmt.Sprintf("%dx%dB", w.count, w.size) }

func parseWorkloads(s string) ([]workload, error) {
	var out []workload
	for _, f := range strings.Split(s, ",") {
		var w workload
		if _, err := fmt.Sscanf(strings.TrimSpace(f), "%dx%d", &w.count, &w.size); err != nil || w.count <= 0 || w.size <= 0 {
			return nil, fmt.Errorf("workload %q: want COUNTxBYTES, e.g. 1000000x100", f)
		}
		out = append(out, w)
	}
	return out, nil
}

// result is the best run of one target on one workload.
type result struct {
	produce, consume rate
	peakRSS          int64 // bytes, whole broker process lifetime
	rssAfterProduce  int64 // VmHWM once every record was acknowledged
}

// rate is one phase (produce or consume) of one run.
type rate struct {
	records   int
	bytes     int64
	elapsed   time.Duration
	brokerCPU time.Duration // CPU time of the broker process in the phase
	driverCPU time.Duration // CPU time of the load-driving clients
}

func (r rate) recordsPerSec() float64 { return float64(r.records) / r.elapsed.Seconds() }
func (r rate) mbPerSec() float64      { return float64(r.bytes) / 1e6 / r.elapsed.Seconds() }

func loadFigures(w io.Writer, o options) (map[string]map[workload]result, error) {
	results := map[string]map[workload]result{}
	fmt.Fprintf(w, "Throughput and memory (%d partitions, franz-go %s, values are random bytes, MB = 10^6 bytes of record values)\n", o.partitions, franzVersion())
	fmt.Fprintf(w, "%-14s %-26s %13s %7s %13s %7s %10s %10s %11s %11s\n", "workload", "broker", "produce rec/s", "MB/s", "consume rec/s", "MB/s", "rss@prod", "peak rss", "cpu prod", "cpu cons")
	for _, wl := range o.workloads {
		// Runs alternate between targets so that a slow moment of a
		// shared machine does not fall on one target only.
		best := make([]result, len(o.targets))
		for i := 0; i < o.runs; i++ {
			for ti, t := range o.targets {
				r, err := measure(t, wl, o, i)
				if err != nil {
					return nil, fmt.Errorf("%s %s: %w", t, wl, err)
				}
				best[ti] = better(best[ti], r, i == 0)
			}
		}
		for ti, t := range o.targets {
			if results[t.String()] == nil {
				results[t.String()] = map[workload]result{}
			}
			b := best[ti]
			results[t.String()][wl] = b
			fmt.Fprintf(w, "%-14s %-26s %13.0f %7.1f %13.0f %7.1f %10s %10s %11s %11s\n", wl, t,
				b.produce.recordsPerSec(), b.produce.mbPerSec(),
				b.consume.recordsPerSec(), b.consume.mbPerSec(),
				mib(b.rssAfterProduce), mib(b.peakRSS), cpus(b.produce), cpus(b.consume))
		}
	}
	fmt.Fprintln(w, "rss@prod: broker peak RSS once every record is acknowledged; peak rss: after consuming them all too.")
	fmt.Fprintln(w, "cpu prod / cpu cons: CPU seconds of the broker process / of the franz-go driver in each phase.")
	fmt.Fprintln(w)
	return results, nil
}

// better keeps the best of several runs: highest throughputs, lowest memory.
func better(a, b result, first bool) result {
	if first {
		return b
	}
	if b.produce.recordsPerSec() > a.produce.recordsPerSec() {
		a.produce = b.produce
	}
	if b.consume.recordsPerSec() > a.consume.recordsPerSec() {
		a.consume = b.consume
	}
	a.peakRSS = min(a.peakRSS, b.peakRSS)
	a.rssAfterProduce = min(a.rssAfterProduce, b.rssAfterProduce)
	return a
}

// cpus renders broker/driver CPU seconds of a phase.
func cpus(r rate) string {
	return fmt.Sprintf("%.2f/%.2f", r.brokerCPU.Seconds(), r.driverCPU.Seconds())
}

func mib(n int64) string { return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20)) }

func printRatios(w io.Writer, o options, results map[string]map[workload]result) {
	if len(o.targets) < 2 {
		return
	}
	a, b := results[o.targets[0].String()], results[o.targets[1].String()]
	prod, cons, rss := 0.0, 0.0, 0.0
	fmt.Fprintf(w, "Ratios %s over %s per workload (throughput: higher is better; rss: lower is better)\n", o.targets[0], o.targets[1])
	for i, wl := range o.workloads {
		p := a[wl].produce.recordsPerSec() / b[wl].produce.recordsPerSec()
		c := a[wl].consume.recordsPerSec() / b[wl].consume.recordsPerSec()
		r := float64(a[wl].peakRSS) / float64(b[wl].peakRSS)
		fmt.Fprintf(w, "  %-16s produce %.2fx consume %.2fx rss %.2fx   (broker CPU seconds: produce %.2fx consume %.2fx)\n", wl, p, c, r,
			a[wl].produce.brokerCPU.Seconds()/b[wl].produce.brokerCPU.Seconds(), a[wl].consume.brokerCPU.Seconds()/b[wl].consume.brokerCPU.Seconds())
		if i == 0 {
			prod, cons, rss = p, c, r
			continue
		}
		prod, cons, rss = min(prod, p), min(cons, c), max(rss, r)
	}
	fmt.Fprintf(w, "ratios: produce %.2fx consume %.2fx rss %.2fx\n", prod, cons, rss)
}
