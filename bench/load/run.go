package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"

	"github.com/minikafka/minikafka/internal/brokerproc"
)

const (
	topicName = "load"
	listener  = "SASL_PLAINTEXT"
	groupName = "load-group"
)

// options configure one run (flags in main.go).
type options struct {
	conns          int
	duration       time.Duration
	partitions     int
	kgoProducers   int
	kgoConsumers   int
	producerShare  float64
	rate           float64 // records/s of all lean producers together
	kgoRate        float64 // records/s of each franz-go producer
	batch          int
	valueSize      int
	retentionBytes int64
	rssLimit       int64 // bytes; 0: not asserted
	binary         string
	race           bool
	drainTimeout   time.Duration
	dialParallel   int
	keepDir        bool
	progress       time.Duration
}

// report is what a run measured.
type report struct {
	opts                          options
	leanProducers, leanConsumers  int
	kgoConns                      int // connections open before the lean ones (franz-go clients + admin)
	connsMin, connsMax            int // broker gauge during the measured phase
	authOK                        map[string]int64
	authFailed                    int64
	sent, acked                   int64
	consumed                      int64
	scopes                        int
	lost, dups, phantom, invalid  int64
	unackedRead                   int64
	lagging                       int
	firstProblem                  string
	peakRSS, rssAtStop            int64
	brokerCPU, harnessCPU         time.Duration
	produceElapsed, drainElapsed  time.Duration
	reconnects, retries           int64
	produceFailures, fetchErrors  int64
	outOfRange                    int64
	groupRevokes, groupLost       int64
	harnessNofile, brokerNofile   string
	errs                          []string
	brokerLog                     string
	produceRequests, fetchRequest int64
}

// failures lists what makes the run fail.
func (r *report) failures() []string {
	var f []string
	f = append(f, r.errs...)
	if r.lost > 0 {
		f = append(f, fmt.Sprintf("%d acknowledged records were not read back (first: %s)", r.lost, r.firstProblem))
	}
	if r.dups > 0 {
		f = append(f, fmt.Sprintf("%d records were read more than once (first: %s)", r.dups, r.firstProblem))
	}
	if r.phantom+r.invalid > 0 {
		f = append(f, fmt.Sprintf("%d records read were never sent or are misplaced (first: %s)", r.phantom+r.invalid, r.firstProblem))
	}
	if r.acked == 0 {
		f = append(f, "no record was acknowledged")
	}
	if r.produceFailures > 0 {
		f = append(f, fmt.Sprintf("%d produce batches were given up on", r.produceFailures))
	}
	if r.lagging > 0 {
		f = append(f, fmt.Sprintf("%d scans did not reach the end offsets within %v", r.lagging, r.opts.drainTimeout))
	}
	if r.connsMax < r.opts.conns {
		f = append(f, fmt.Sprintf("the broker never held %d connections (max %d)", r.opts.conns, r.connsMax))
	}
	if r.opts.rssLimit > 0 && r.peakRSS > r.opts.rssLimit {
		f = append(f, fmt.Sprintf("broker peak RSS %s exceeds the bound %s", mib(r.peakRSS), mib(r.opts.rssLimit)))
	}
	return f
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// raiseNofile makes sure this process may open need descriptors, raising
// the soft limit up to the hard one.
func raiseNofile(need uint64) (string, error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return "", err
	}
	if rl.Cur < need && rl.Cur < rl.Max {
		rl.Cur = min(need, rl.Max)
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			return "", fmt.Errorf("raising the open-file limit to %d: %w", rl.Cur, err)
		}
	}
	desc := fmt.Sprintf("soft %d hard %d", rl.Cur, rl.Max)
	if rl.Cur < need {
		return desc, fmt.Errorf("open-file limit %s is below the %d this run needs (raise the hard limit: ulimit -Hn)", desc, need)
	}
	return desc, nil
}

// selfCPU is the CPU time (user + system) this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// brokerNofile reads the broker's "Max open files" from /proc.
func brokerNofile(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "Max open files") {
			f := strings.Fields(line)
			if len(f) >= 5 {
				return "soft " + f[3] + " hard " + f[4]
			}
		}
	}
	return "?"
}

func run(ctx context.Context, o options, out io.Writer) (*report, error) {
	r := &report{opts: o}
	var err error
	if r.harnessNofile, err = raiseNofile(uint64(o.conns) + 256); err != nil {
		return r, err
	}
	dir, err := os.MkdirTemp("", "minikafka-load-")
	if err != nil {
		return r, err
	}
	if !o.keepDir {
		defer os.RemoveAll(dir)
	}
	bin := o.binary
	if bin == "" {
		bin = filepath.Join(dir, "minikafka")
		fmt.Fprintf(out, "building minikafka (race=%v)...\n", o.race)
		if err := brokerproc.Build(ctx, bin, o.race); err != nil {
			return r, err
		}
	}
	proc, err := brokerproc.Start(brokerproc.Config{
		Binary: bin, Dir: dir, Admin: true,
		Listeners:  []brokerproc.Listener{{Name: listener}},
		Properties: brokerProperties(listener, o.duration+o.drainTimeout+10*time.Minute),
	})
	if err != nil {
		return r, err
	}
	stopped := false
	defer func() {
		if !stopped {
			proc.Kill()
		}
	}()
	r.brokerNofile = brokerNofile(proc.PID())
	addr := proc.Addr(listener)
	fmt.Fprintf(out, "broker pid %d on %s (admin %s), open files: broker %s, harness %s; log %s\n",
		proc.PID(), addr, proc.AdminAddr(), r.brokerNofile, r.harnessNofile, proc.LogPath())

	tokens, err := fetchTokens(ctx, proc.AdminAddr())
	if err != nil {
		return r, err
	}
	_, adminMech := mechanism(0, tokens) // PLAIN
	admin, err := dialLean(ctx, addr, "load-admin", adminMech, 30*time.Second)
	if err != nil {
		return r, fmt.Errorf("admin connection: %w", err)
	}
	defer admin.close()
	if err := createTopic(admin, o); err != nil {
		return r, err
	}

	var c counters
	led := newLedger(o.kgoProducers+o.conns, o.partitions)
	var targets atomic.Pointer[[]int64]

	// The franz-go consumer group joins before anything is produced, so
	// that it never rebalances with records in flight.
	group, err := newKgoGroup(o.kgoConsumers, addr, topicName, groupName,
		func(i int) sasl.Mechanism { _, m := mechanism(i+1, tokens); return m }, o.partitions, o.kgoProducers+o.conns)
	if err != nil {
		return r, err
	}
	defer group.close()
	if o.kgoConsumers > 0 {
		if err := waitGroupStable(ctx, group, o.partitions); err != nil {
			return r, err
		}
	}
	var kps []*kgoProducer
	defer func() {
		for _, p := range kps {
			p.cl.Close()
		}
	}()
	for i := 0; i < o.kgoProducers; i++ {
		_, m := mechanism(i+2, tokens)
		p, err := newKgoProducer(i, addr, topicName, m, led, o.partitions, o.valueSize, o.kgoRate, &c)
		if err != nil {
			return r, err
		}
		kps = append(kps, p)
		// One record now, so that the producer's connections are open
		// when the lean ones are counted.
		p.produce(ctx, int32(i%o.partitions))
		if err := p.cl.Flush(ctx); err != nil {
			return r, fmt.Errorf("franz-go producer %d: first record: %w", i, err)
		}
	}
	s0, err := scrape(ctx, proc.AdminAddr())
	if err != nil {
		return r, err
	}
	r.kgoConns = s0.connections
	lean := o.conns - r.kgoConns
	if lean < 2 {
		return r, fmt.Errorf("-conns %d leaves no room for lean connections (%d are open already)", o.conns, r.kgoConns)
	}
	r.leanProducers = max(1, int(float64(lean)*o.producerShare+0.5))
	r.leanConsumers = lean - r.leanProducers
	if r.leanConsumers < 1 {
		r.leanProducers, r.leanConsumers = lean-1, 1
	}

	fmt.Fprintf(out, "opening %d lean connections (%d producers, %d consumers) next to %d held by %d franz-go producers, %d group members and the admin connection...\n",
		lean, r.leanProducers, r.leanConsumers, r.kgoConns, o.kgoProducers, o.kgoConsumers)
	start := time.Now()
	producers, consumers, err := openLean(ctx, o, r, addr, tokens, led, &c, &targets)
	defer func() {
		for _, p := range producers {
			p.conn.close()
		}
		for _, lc := range consumers {
			lc.conn.close()
		}
	}()
	if err != nil {
		return r, err
	}
	fmt.Fprintf(out, "lean connections open and authenticated in %v\n", time.Since(start).Round(time.Millisecond))

	// Consumers run until the targets are reached or the drain deadline.
	consCtx, consCancel := context.WithCancel(ctx)
	defer consCancel()
	var consWG sync.WaitGroup
	var errMu sync.Mutex
	addErr := func(err error) {
		errMu.Lock()
		if len(r.errs) < 20 {
			r.errs = append(r.errs, err.Error())
		}
		errMu.Unlock()
	}
	for _, lc := range consumers {
		consWG.Add(1)
		go func() {
			defer consWG.Done()
			if err := lc.run(consCtx); err != nil {
				addErr(err)
			}
		}()
	}
	if o.kgoConsumers > 0 {
		consWG.Add(1)
		go func() {
			defer consWG.Done()
			if err := group.run(consCtx, &targets, &c); err != nil {
				addErr(err)
			}
		}()
	}

	stop := make(chan struct{})
	var prodWG sync.WaitGroup
	t0 := time.Now()
	// Revocations while the group formed do not count; later ones would
	// be rebalances with records in flight.
	group.revokes.Store(0)
	group.lost.Store(0)
	for _, p := range producers {
		prodWG.Add(1)
		go func() {
			defer prodWG.Done()
			if err := p.run(ctx, stop); err != nil {
				addErr(err)
			}
		}()
	}
	for _, p := range kps {
		prodWG.Add(1)
		go func() {
			defer prodWG.Done()
			if err := p.run(ctx, stop); err != nil {
				addErr(err)
			}
		}()
	}

	samplerDone := make(chan struct{})
	samplerStop := make(chan struct{})
	r.connsMin = -1
	go func() {
		defer close(samplerDone)
		sampleLoop(ctx, proc, r, led, &c, t0, o, out, samplerStop, stop)
	}()

	select {
	case <-time.After(o.duration):
	case <-ctx.Done():
	}
	close(stop)
	prodWG.Wait()
	r.produceElapsed = time.Since(t0)
	r.sent, r.acked = led.totals()

	// Drain: every scan must reach the end offsets as they are now.
	ends, err := listEnds(admin, o.partitions)
	if err != nil {
		addErr(fmt.Errorf("ListOffsets after producing: %w", err))
		ends = make([]int64, o.partitions) // let the consumers stop
	}
	targets.Store(&ends)
	fmt.Fprintf(out, "producers stopped after %v: %d records sent, %d acknowledged; draining...\n",
		r.produceElapsed.Round(time.Millisecond), r.sent, r.acked)
	drainStart := time.Now()
	drained := make(chan struct{})
	go func() { consWG.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(o.drainTimeout):
		consCancel()
		<-drained
	}
	r.drainElapsed = time.Since(drainStart)
	close(samplerStop)
	<-samplerDone

	if st, err := proc.Status(); err == nil {
		r.peakRSS, r.rssAtStop, r.brokerCPU = st.PeakRSS, st.RSS, st.CPU
	}
	r.harnessCPU = selfCPU()
	if s, err := scrape(ctx, proc.AdminAddr()); err == nil {
		r.authOK, r.authFailed = s.authOK, s.authFailed
	}

	// Verify every scan.
	for _, lc := range consumers {
		r.account(led, lc.scope)
		if !lc.caughtUp {
			r.lagging++
		}
	}
	if o.kgoConsumers > 0 {
		u := group.union(o.kgoProducers + o.conns)
		r.account(led, u)
		if !group.reached(&targets) {
			r.lagging++
		}
	}
	r.groupRevokes, r.groupLost = group.revokes.Load(), group.lost.Load()
	r.reconnects, r.retries = c.reconnects.Load(), c.retries.Load()
	r.produceFailures, r.fetchErrors, r.outOfRange = c.produceFailures.Load(), c.fetchErrors.Load(), c.outOfRange.Load()
	r.produceRequests, r.fetchRequest = c.produceRequests.Load(), c.fetchRequests.Load()

	group.close()
	for _, p := range kps {
		p.cl.Close()
	}
	kps = nil
	stopped = true
	if err := proc.Stop(30 * time.Second); err != nil {
		addErr(err)
	}
	r.brokerLog = proc.Log()
	for _, bad := range []string{"panic:", "WARNING: DATA RACE", "fatal error:"} {
		if strings.Contains(r.brokerLog, bad) {
			addErr(fmt.Errorf("the broker log contains %q (%s)", bad, proc.LogPath()))
		}
	}
	return r, nil
}

func (r *report) account(led *ledger, sc *scope) {
	v := led.check(sc)
	r.scopes++
	r.consumed += sc.records
	r.lost += v.lost
	r.dups += sc.dups
	r.invalid += sc.invalid
	r.phantom += v.phantom
	r.unackedRead += v.unackedRead
	if r.firstProblem == "" {
		switch {
		case v.firstLost != "":
			r.firstProblem = sc.name + ": lost " + v.firstLost
		case sc.firstBad != "":
			r.firstProblem = sc.name + ": " + sc.firstBad
		}
	}
}

func createTopic(admin *leanConn, o options) error {
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 30000
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic = topicName
	t.NumPartitions = int32(o.partitions)
	t.ReplicationFactor = 1
	if o.retentionBytes > 0 {
		c := kmsg.NewCreateTopicsRequestTopicConfig()
		c.Name = "retention.bytes"
		v := fmt.Sprint(o.retentionBytes)
		c.Value = &v
		t.Configs = append(t.Configs, c)
	}
	req.Topics = append(req.Topics, t)
	resp, err := admin.roundTrip(req)
	if err != nil {
		return fmt.Errorf("CreateTopics: %w", err)
	}
	for _, rt := range resp.(*kmsg.CreateTopicsResponse).Topics {
		if err := kerr.ErrorForCode(rt.ErrorCode); err != nil {
			return fmt.Errorf("CreateTopics %s: %w", rt.Topic, err)
		}
	}
	return nil
}

// listEnds returns the end offset (high watermark) of every partition.
func listEnds(admin *leanConn, partitions int) ([]int64, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	t := kmsg.NewListOffsetsRequestTopic()
	t.Topic = topicName
	for p := 0; p < partitions; p++ {
		lp := kmsg.NewListOffsetsRequestTopicPartition()
		lp.Partition = int32(p)
		lp.Timestamp = -1 // latest
		t.Partitions = append(t.Partitions, lp)
	}
	req.Topics = []kmsg.ListOffsetsRequestTopic{t}
	resp, err := admin.roundTrip(req)
	if err != nil {
		return nil, err
	}
	ends := make([]int64, partitions)
	for _, rt := range resp.(*kmsg.ListOffsetsResponse).Topics {
		for _, rp := range rt.Partitions {
			if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
				return nil, fmt.Errorf("partition %d: %w", rp.Partition, err)
			}
			ends[rp.Partition] = rp.Offset
		}
	}
	return ends, nil
}

func waitGroupStable(ctx context.Context, g *kgoGroup, partitions int) error {
	deadline := time.Now().Add(60 * time.Second)
	stableSince := time.Time{}
	for time.Now().Before(deadline) {
		if g.assignedTotal() == partitions {
			if stableSince.IsZero() {
				stableSince = time.Now()
			} else if time.Since(stableSince) >= time.Second {
				return nil
			}
		} else {
			stableSince = time.Time{}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("the franz-go consumer group did not assign all %d partitions within 60s (assigned %d)", partitions, g.assignedTotal())
}

// openLean dials and authenticates the lean producers and consumers,
// dialParallel at a time, mechanisms mixed in turn.
func openLean(ctx context.Context, o options, r *report, addr string, tokens []string, led *ledger, c *counters, targets *atomic.Pointer[[]int64]) ([]*leanProducer, []*leanConsumer, error) {
	n := r.leanProducers + r.leanConsumers
	producers := make([]*leanProducer, r.leanProducers)
	consumers := make([]*leanConsumer, r.leanConsumers)
	perProducer := o.rate / float64(r.leanProducers)
	pace := time.Duration(float64(o.batch) / perProducer * float64(time.Second))
	pace = max(pace, time.Millisecond)
	sem := make(chan struct{}, o.dialParallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			// Connection i of the mix; the admin connection was 0.
			_, mech := mechanism(i+1, tokens)
			conn, err := dialLean(ctx, addr, fmt.Sprintf("load-lean-%d", i), mech, 60*time.Second)
			if err == nil && i < r.leanProducers {
				idx := o.kgoProducers + i
				part := int32(i % o.partitions)
				p := &leanProducer{idx: idx, partition: part, conn: conn, stream: led.stream(idx, part), topic: topicName,
					batch: o.batch, valueSize: o.valueSize, pace: pace, c: c}
				if err = p.init(ctx); err == nil {
					mu.Lock()
					producers[i] = p
					mu.Unlock()
				}
			} else if err == nil {
				j := i - r.leanProducers
				parts := consumerParts(j, o.partitions, r.leanConsumers)
				lc := &leanConsumer{conn: conn, topic: topicName, parts: o.partitions, c: c, targets: targets,
					scope: newScope(fmt.Sprintf("lean consumer %d", j), parts, o.kgoProducers+o.conns)}
				lc.prepare()
				mu.Lock()
				consumers[j] = lc
				mu.Unlock()
			}
			if err != nil {
				if conn != nil {
					conn.close()
				}
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("lean connection %d (%s): %w", i, mech.Name(), err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	// Drop the slots of failed connections.
	ps := producers[:0]
	for _, p := range producers {
		if p != nil {
			ps = append(ps, p)
		}
	}
	cs := consumers[:0]
	for _, lc := range consumers {
		if lc != nil {
			cs = append(cs, lc)
		}
	}
	return ps, cs, firstErr
}

// consumerParts returns the partitions consumer j of n scans: one each
// when there are at least as many consumers as partitions (consumer j
// reads partition j mod partitions), else every partition p with
// p mod n == j.
func consumerParts(j, partitions, n int) []int32 {
	if n >= partitions {
		return []int32{int32(j % partitions)}
	}
	var parts []int32
	for p := j; p < partitions; p += n {
		parts = append(parts, int32(p))
	}
	return parts
}

// sampleLoop samples the broker once a second: connection gauge (its
// min/max while producers run, after a 2 s settling time), RSS, progress.
func sampleLoop(ctx context.Context, proc *brokerproc.Proc, r *report, led *ledger, c *counters, t0 time.Time, o options,
	out io.Writer, done, produceStopped <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	lastPrint := time.Now()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s, err := scrape(ctx, proc.AdminAddr())
		st, _ := proc.Status()
		producing := true
		select {
		case <-produceStopped:
			producing = false
		default:
		}
		if err == nil && producing && time.Since(t0) >= 2*time.Second {
			if r.connsMin < 0 || s.connections < r.connsMin {
				r.connsMin = s.connections
			}
			r.connsMax = max(r.connsMax, s.connections)
		}
		if o.progress > 0 && time.Since(lastPrint) >= o.progress {
			lastPrint = time.Now()
			_, acked := led.totals()
			fmt.Fprintf(out, "  t=%-5v conns=%-5d acked=%-9d consumed=%-10d rss=%s peak=%s broker-cpu=%v goroutines=%d\n",
				time.Since(t0).Round(time.Second), s.connections, acked, c.consumed.Load(), mib(st.RSS), mib(st.PeakRSS),
				st.CPU.Round(100*time.Millisecond), runtime.NumGoroutine())
		}
	}
}
