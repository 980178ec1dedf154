package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

const topicName = "bench"

// child is a broker process started by the parent.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
	addr  string
}

func startChild(t target, o options, profilePrefix string) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{"-serve=" + t.name, "-partitions", strconv.Itoa(o.partitions)}
	if len(t.opts) > 0 {
		args = append(args, "-opts", strings.Join(t.opts, ","))
	}
	if profilePrefix != "" {
		args = append(args, "-cpuprofile", profilePrefix+"-cpu.pprof", "-memprofile", profilePrefix+"-allocs.pprof")
	}
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	line, err := c.line("addr")
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, err
	}
	c.addr = line
	return c, nil
}

// line reads the child's next line, which must start with prefix.
func (c *child) line(prefix string) (string, error) {
	if !c.out.Scan() {
		return "", fmt.Errorf("broker process ended before %q: %v", prefix, c.out.Err())
	}
	v, ok := strings.CutPrefix(c.out.Text(), prefix+" ")
	if !ok {
		return "", fmt.Errorf("broker process said %q, want %q", c.out.Text(), prefix)
	}
	return v, nil
}

// stat is what the broker process reports about itself.
type stat struct {
	peakRSS int64
	cpu     time.Duration
}

func (c *child) readStat() (stat, error) {
	v, err := c.line("stat")
	if err != nil {
		return stat{}, err
	}
	var st stat
	var cpu int64
	if _, err := fmt.Sscanf(v, "%d %d", &st.peakRSS, &cpu); err != nil {
		return stat{}, fmt.Errorf("broker process stat %q: %w", v, err)
	}
	st.cpu = time.Duration(cpu)
	return st, nil
}

func (c *child) stat() (stat, error) {
	if _, err := io.WriteString(c.stdin, "stat\n"); err != nil {
		return stat{}, err
	}
	return c.readStat()
}

// stop ends the child and returns its final stat.
func (c *child) stop() (stat, error) {
	_ = c.stdin.Close()
	st, err := c.readStat()
	if err != nil {
		_ = c.cmd.Process.Kill()
		_ = c.cmd.Wait()
		return stat{}, err
	}
	if err := c.cmd.Wait(); err != nil {
		return stat{}, fmt.Errorf("broker process: %w", err)
	}
	return st, nil
}

// measure runs one workload against a fresh broker of target t.
func measure(t target, wl workload, o options, run int) (result, error) {
	var res result
	prefix := ""
	if o.profileDir != "" {
		prefix = filepath.Join(o.profileDir, fmt.Sprintf("%s-%s-%d", t, wl, run))
	}
	c, err := startChild(t, o, prefix)
	if err != nil {
		return res, err
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = c.cmd.Process.Kill()
			_ = c.cmd.Wait()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := createTopic(ctx, c.addr, o.partitions); err != nil {
		return res, err
	}
	st0, err := c.stat()
	if err != nil {
		return res, err
	}
	d0 := driverCPU()
	if res.produce, err = produce(ctx, c.addr, wl); err != nil {
		return res, fmt.Errorf("produce: %w", err)
	}
	d1 := driverCPU()
	st1, err := c.stat()
	if err != nil {
		return res, err
	}
	if res.consume, err = consume(ctx, c.addr, wl); err != nil {
		return res, fmt.Errorf("consume: %w", err)
	}
	d2 := driverCPU()
	stopped = true
	st2, err := c.stop()
	if err != nil {
		return res, err
	}
	res.rssAfterProduce, res.peakRSS = st1.peakRSS, st2.peakRSS
	res.produce.brokerCPU, res.consume.brokerCPU = st1.cpu-st0.cpu, st2.cpu-st1.cpu
	res.produce.driverCPU, res.consume.driverCPU = d1-d0, d2-d1
	return res, nil
}

// driverCPU is the CPU time this (load driving) process has used.
func driverCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func createTopic(ctx context.Context, addr string, partitions int) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return err
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, int32(partitions), 1, nil, topicName)
	if err != nil {
		return fmt.Errorf("create topic: %w", err)
	}
	if resp.Err != nil {
		return fmt.Errorf("create topic: %w", resp.Err)
	}
	return nil
}

// producerOpts is the producer configuration used for every broker:
// idempotent with acks=all (kgo's default, up to 5 requests in flight),
// no compression (values are random anyway, and brokers then store and
// serve exactly the bytes measured), 1 MiB batches, records spread evenly
// over the partitions, and a buffer large enough to keep every partition's
// batch full while requests are in flight.
func producerOpts(addr string) []kgo.Opt {
	return []kgo.Opt{
		kgo.SeedBrokers(addr),
		kgo.DefaultProduceTopic(topicName),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProducerBatchMaxBytes(1 << 20),
		kgo.ProducerLinger(10 * time.Millisecond),
		kgo.MaxBufferedRecords(200_000),
		kgo.MaxBufferedBytes(64 << 20),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()),
	}
}

// consumerOpts is the consumer configuration used for every broker: kgo's
// defaults (50 MB per fetch, 1 MiB per partition, 5 s max wait), reading
// the topic from the start.
func consumerOpts(addr string) []kgo.Opt {
	return []kgo.Opt{
		kgo.SeedBrokers(addr),
		kgo.ConsumeTopics(topicName),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	}
}

func produce(ctx context.Context, addr string, wl workload) (rate, error) {
	value := make([]byte, wl.size)
	_, _ = rand.Read(value)
	cl, err := kgo.NewClient(producerOpts(addr)...)
	if err != nil {
		return rate{}, err
	}
	defer cl.Close()
	// Connect and learn the metadata before the clock starts.
	if err := cl.Ping(ctx); err != nil {
		return rate{}, err
	}
	var failed atomic.Int64
	var firstErr atomic.Value
	// Records are recycled once acknowledged (kgo allows it after the
	// promise), so that the driver spends its CPU on producing rather
	// than on allocating and collecting a million records: the less the
	// shared CPUs do for the client, the more the figures say about the
	// broker.
	var free sync.Pool
	promise := func(r *kgo.Record, err error) {
		if err != nil && failed.Add(1) == 1 {
			firstErr.Store(err)
		}
		*r = kgo.Record{}
		free.Put(r)
	}
	runtimeSettle()
	start := time.Now()
	for i := 0; i < wl.count; i++ {
		r, _ := free.Get().(*kgo.Record)
		if r == nil {
			r = new(kgo.Record)
		}
		r.Value = value
		cl.Produce(ctx, r, promise)
	}
	if err := cl.Flush(ctx); err != nil {
		return rate{}, err
	}
	elapsed := time.Since(start)
	if n := failed.Load(); n > 0 {
		return rate{}, fmt.Errorf("%d records failed, first: %v", n, firstErr.Load())
	}
	return rate{records: wl.count, bytes: int64(wl.count) * int64(wl.size), elapsed: elapsed}, nil
}

func consume(ctx context.Context, addr string, wl workload) (rate, error) {
	runtimeSettle()
	start := time.Now()
	cl, err := kgo.NewClient(consumerOpts(addr)...)
	if err != nil {
		return rate{}, err
	}
	defer cl.Close()
	var records int
	var bytes int64
	for records < wl.count {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return rate{}, fmt.Errorf("consumed %d of %d records: %w", records, wl.count, err)
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) { ferr = errors.Join(ferr, fmt.Errorf("%s/%d: %w", t, p, err)) })
		if ferr != nil {
			return rate{}, ferr
		}
		fs.EachRecord(func(r *kgo.Record) {
			records++
			bytes += int64(len(r.Value))
		})
	}
	elapsed := time.Since(start)
	if records != wl.count || bytes != int64(wl.count)*int64(wl.size) {
		return rate{}, fmt.Errorf("consumed %d records of %d bytes, want %d of %d", records, bytes, wl.count, int64(wl.count)*int64(wl.size))
	}
	return rate{records: records, bytes: bytes, elapsed: elapsed}, nil
}

// runtimeSettle collects the driver's garbage from the previous phase so
// that it does not run its GC during the next measurement's first moments.
func runtimeSettle() { debug.FreeOSMemory() }
