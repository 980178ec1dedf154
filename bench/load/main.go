// Command load runs the minikafka binary in a subprocess and drives it
// with many concurrent authenticated connections on loopback, producing
// and consuming for a while, then checks that no acknowledged record was
// lost or read twice and that the broker's memory stayed bounded:
//
//	go run ./bench/load                                   # 1,000 connections for 60 s
//	go run ./bench/load -duration 30m -retention-bytes 4194304   # the soak
//	go run ./bench/load -conns 200 -duration 15s          # what TestLoad runs in CI
//
// The connections are split between
//   - a franz-go consumer group (-kgo-consumers members, every partition),
//     joined before anything is produced;
//   - franz-go idempotent producers (-kgo-producers, acks=all, -kgo-rate
//     records/s each, round robin over the partitions);
//   - "lean" connections filling up to -conns: one socket each, driven
//     request by request with kmsg and franz-go's client-side SASL
//     mechanisms. A -producer-share of them are idempotent producers
//     (InitProducerId, then one Produce of -batch records in flight,
//     acks=-1, retried with the same sequence on a broken connection),
//     sharing -rate records/s, each writing one partition; the others
//     scan their partitions from offset 0 (full scans, one partition
//     each when there are enough of them).
//
// Every connection authenticates with PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
// or OAUTHBEARER in turn (tokens from the broker's development issuer),
// over 16 principals per mechanism.
//
// Every record value carries (producer, partition, sequence). After the
// run the producers stop, the end offsets are read, and every scan (each
// lean consumer, and the group as a whole) must reach them within
// -drain-timeout. Then, per scan: lost = acknowledged records it did not
// read; duplicated = records it read twice; phantom = records never sent.
// The run fails on any lost, duplicated or phantom record, on a produce
// given up on, on a broker that never held -conns connections, on a panic
// or data race in the broker log, and on a broker peak RSS (VmHWM of the
// subprocess) above -rss-limit-mib.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"strings"
	"time"
)

func main() {
	os.Exit(cli(os.Args[1:], os.Stdout, os.Stderr))
}

func defaultOptions() options {
	return options{
		conns:          1000,
		duration:       60 * time.Second,
		partitions:     32,
		kgoProducers:   8,
		kgoConsumers:   4,
		producerShare:  0.6,
		rate:           20000,
		kgoRate:        250,
		batch:          10,
		valueSize:      100,
		retentionBytes: -1,
		rssLimit:       512 << 20,
		drainTimeout:   2 * time.Minute,
		dialParallel:   32,
		progress:       5 * time.Second,
	}
}

func cli(args []string, stdout, stderr io.Writer) int {
	o := defaultOptions()
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.conns, "conns", o.conns, "concurrent authenticated Kafka connections to hold")
	fs.DurationVar(&o.duration, "duration", o.duration, "how long the producers run")
	fs.IntVar(&o.partitions, "partitions", o.partitions, "partitions of the load topic")
	fs.IntVar(&o.kgoProducers, "kgo-producers", o.kgoProducers, "franz-go idempotent producers")
	fs.IntVar(&o.kgoConsumers, "kgo-consumers", o.kgoConsumers, "members of the franz-go consumer group (0: no group)")
	fs.Float64Var(&o.producerShare, "producer-share", o.producerShare, "share of the lean connections that produce (the rest consume)")
	fs.Float64Var(&o.rate, "rate", o.rate, "records per second of all lean producers together")
	fs.Float64Var(&o.kgoRate, "kgo-rate", o.kgoRate, "records per second of each franz-go producer")
	fs.IntVar(&o.batch, "batch", o.batch, "records per lean Produce request")
	fs.IntVar(&o.valueSize, "value-size", o.valueSize, "bytes per record value (at least 16)")
	fs.Int64Var(&o.retentionBytes, "retention-bytes", o.retentionBytes, "retention.bytes of each partition (-1: unlimited; set it for long soaks so memory stays bounded)")
	rssMiB := fs.Int64("rss-limit-mib", o.rssLimit>>20, "fail when the broker's peak RSS exceeds this many MiB (0: report only)")
	fs.StringVar(&o.binary, "binary", "", "minikafka binary to run (default: go build ./cmd/minikafka into a temporary directory)")
	fs.BoolVar(&o.race, "race", false, "build the broker with the race detector")
	fs.DurationVar(&o.drainTimeout, "drain-timeout", o.drainTimeout, "how long the consumers may take to read everything once producing stops")
	fs.IntVar(&o.dialParallel, "dial-parallel", o.dialParallel, "connections opened at once")
	fs.BoolVar(&o.keepDir, "keep", false, "keep the temporary directory (broker log and config)")
	fs.DurationVar(&o.progress, "progress", o.progress, "progress line interval (0: none)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	o.rssLimit = *rssMiB << 20
	if err := o.validate(); err != nil {
		fmt.Fprintln(stderr, "load:", err)
		return 2
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	fmt.Fprintf(stdout, "minikafka load: %s\ncommand: go run ./bench/load %s\n", machine(), strings.Join(args, " "))
	r, err := run(ctx, o, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "load:", err)
		return 1
	}
	printReport(stdout, r)
	if f := r.failures(); len(f) > 0 {
		fmt.Fprintln(stdout, "RESULT: FAIL")
		for _, s := range f {
			fmt.Fprintln(stdout, "  -", s)
		}
		return 1
	}
	fmt.Fprintln(stdout, "RESULT: PASS")
	return 0
}

func (o *options) validate() error {
	switch {
	case o.conns < 4:
		return fmt.Errorf("-conns must be at least 4")
	case o.partitions < 1 || o.batch < 1 || o.duration <= 0:
		return fmt.Errorf("-partitions, -batch and -duration must be positive")
	case o.valueSize < stampSize:
		return fmt.Errorf("-value-size must be at least %d", stampSize)
	case o.producerShare <= 0 || o.producerShare >= 1:
		return fmt.Errorf("-producer-share must be between 0 and 1")
	case o.rate <= 0 || o.kgoRate < 0:
		return fmt.Errorf("-rate must be positive")
	case o.kgoProducers < 0 || o.kgoConsumers < 0 || o.dialParallel < 1:
		return fmt.Errorf("bad client counts")
	}
	return nil
}

func machine() string {
	la, _ := os.ReadFile("/proc/loadavg")
	return fmt.Sprintf("%s/%s, %d CPUs, %s, load average %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(),
		strings.Join(strings.Fields(string(la))[:min(3, len(strings.Fields(string(la))))], " "))
}

func printReport(w io.Writer, r *report) {
	o := r.opts
	fmt.Fprintf(w, "\n== load report\n")
	fmt.Fprintf(w, "connections        target %d; broker held min %d max %d while producing (lean: %d producers + %d consumers; franz-go: %d producers + %d group members + admin = %d)\n",
		o.conns, r.connsMin, r.connsMax, r.leanProducers, r.leanConsumers, o.kgoProducers, o.kgoConsumers, r.kgoConns)
	var mechs []string
	for m, n := range r.authOK {
		mechs = append(mechs, fmt.Sprintf("%s %d", m, n))
	}
	sort.Strings(mechs)
	fmt.Fprintf(w, "authentications    %s; failed %d\n", strings.Join(mechs, ", "), r.authFailed)
	fmt.Fprintf(w, "duration           produce %v, drain %v\n", r.produceElapsed.Round(time.Millisecond), r.drainElapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "records            sent %d, acknowledged %d (%.0f/s), read %d over %d full scans\n",
		r.sent, r.acked, float64(r.acked)/r.produceElapsed.Seconds(), r.consumed, r.scopes)
	fmt.Fprintf(w, "verdict            lost %d, duplicated %d, phantom %d, misplaced %d, read-but-unacknowledged %d, scans not caught up %d\n",
		r.lost, r.dups, r.phantom, r.invalid, r.unackedRead, r.lagging)
	fmt.Fprintf(w, "client events      produce requests %d, fetch requests %d, reconnects %d, retries %d, produce give-ups %d, fetch errors %d, offset out of range %d, group revocations %d, group partitions lost %d\n",
		r.produceRequests, r.fetchRequest, r.reconnects, r.retries, r.produceFailures, r.fetchErrors, r.outOfRange, r.groupRevokes, r.groupLost)
	bound := "not asserted"
	if o.rssLimit > 0 {
		bound = "bound " + mib(o.rssLimit)
	}
	fmt.Fprintf(w, "broker memory      peak RSS (VmHWM) %s (%s), RSS at the end %s\n", mib(r.peakRSS), bound, mib(r.rssAtStop))
	fmt.Fprintf(w, "CPU                broker %v, load harness %v (one machine, %d CPUs)\n",
		r.brokerCPU.Round(100*time.Millisecond), r.harnessCPU.Round(100*time.Millisecond), runtime.NumCPU())
	fmt.Fprintf(w, "open-file limits   harness %s, broker %s\n", r.harnessNofile, r.brokerNofile)
}
