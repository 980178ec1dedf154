package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
)

// kgoOpts are the options every franz-go client of the harness shares:
// one seed, SASL, no idle-connection reaping (so that the connection count
// stays what it was when the lean connections were sized).
func kgoOpts(addr, clientID string, mech sasl.Mechanism) []kgo.Opt {
	return []kgo.Opt{
		kgo.SeedBrokers(addr),
		kgo.SASL(mech),
		kgo.ClientID(clientID),
		kgo.ConnIdleTimeout(15 * time.Minute),
		kgo.RequestTimeoutOverhead(30 * time.Second),
	}
}

// kgoProducer is a franz-go idempotent producer (acks=all, the default)
// writing round robin over the partitions, each (producer, partition)
// stream with its own dense sequence.
type kgoProducer struct {
	idx       int
	cl        *kgo.Client
	led       *ledger
	streams   []*stream
	next      []uint64
	valueSize int
	rate      float64 // records per second
	c         *counters

	failed  atomic.Int64
	errOnce sync.Once
	err     error
}

func newKgoProducer(idx int, addr, topic string, mech sasl.Mechanism, led *ledger, partitions, valueSize int, rate float64, c *counters) (*kgoProducer, error) {
	opts := append(kgoOpts(addr, fmt.Sprintf("load-kgo-producer-%d", idx), mech),
		kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProducerLinger(5*time.Millisecond),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	p := &kgoProducer{idx: idx, cl: cl, led: led, next: make([]uint64, partitions), valueSize: valueSize, rate: rate, c: c}
	for i := 0; i < partitions; i++ {
		p.streams = append(p.streams, led.stream(idx, int32(i)))
	}
	return p, nil
}

// produce sends one record to partition part.
func (p *kgoProducer) produce(ctx context.Context, part int32) {
	seq := p.next[part]
	p.next[part]++
	v := make([]byte, p.valueSize)
	putStamp(v, p.idx, part, seq)
	st := p.streams[part]
	st.markSent(seq + 1)
	p.cl.Produce(ctx, &kgo.Record{Partition: part, Value: v}, func(r *kgo.Record, err error) {
		if err != nil {
			p.failed.Add(1)
			p.errOnce.Do(func() { p.err = fmt.Errorf("franz-go producer %d: %w", p.idx, err) })
			return
		}
		st.ack(seq, 1)
	})
}

// run produces at the configured rate until stop, then flushes.
func (p *kgoProducer) run(ctx context.Context, stop <-chan struct{}) error {
	const tick = 10 * time.Millisecond
	perTick := p.rate * tick.Seconds()
	t := time.NewTicker(tick)
	defer t.Stop()
	credit := 0.0
	part := int32(p.idx % len(p.next))
	for {
		select {
		case <-stop:
			fctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			if err := p.cl.Flush(fctx); err != nil {
				return fmt.Errorf("franz-go producer %d: flush: %w", p.idx, err)
			}
			p.c.produceFailures.Add(p.failed.Load())
			return p.err
		case <-t.C:
		}
		for credit += perTick; credit >= 1; credit-- {
			p.produce(ctx, part)
			part = (part + 1) % int32(len(p.next))
		}
	}
}

// kgoGroup is a consumer group of franz-go clients reading every
// partition; the group as a whole must read each acknowledged record
// exactly once.
type kgoGroup struct {
	members []*kgoMember
	parts   int

	mu       sync.Mutex
	assigned map[int]int // member -> partitions held
	revokes  atomic.Int64
	lost     atomic.Int64
}

type kgoMember struct {
	idx   int
	cl    *kgo.Client
	scope *scope
	// next is the offset after the last record read, per partition.
	next []atomic.Int64
}

func newKgoGroup(n int, addr, topic, group string, mechs func(i int) sasl.Mechanism, partitions, producers int) (*kgoGroup, error) {
	g := &kgoGroup{parts: partitions, assigned: map[int]int{}}
	for i := 0; i < n; i++ {
		m := &kgoMember{idx: i, next: make([]atomic.Int64, partitions),
			scope: newScope(fmt.Sprintf("group member %d", i), nil, producers)}
		opts := append(kgoOpts(addr, fmt.Sprintf("load-kgo-consumer-%d", i), mechs(i)),
			kgo.ConsumerGroup(group),
			kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			kgo.FetchMaxWait(500*time.Millisecond),
			kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) {
				g.mu.Lock()
				g.assigned[m.idx] += len(a[topic])
				g.mu.Unlock()
			}),
			kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, r map[string][]int32) {
				if len(r[topic]) > 0 {
					g.revokes.Add(1)
				}
				g.mu.Lock()
				g.assigned[m.idx] -= len(r[topic])
				g.mu.Unlock()
			}),
			kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, l map[string][]int32) {
				if len(l[topic]) > 0 {
					g.lost.Add(1)
				}
				g.mu.Lock()
				g.assigned[m.idx] -= len(l[topic])
				g.mu.Unlock()
			}),
		)
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			g.close()
			return nil, err
		}
		m.cl = cl
		g.members = append(g.members, m)
	}
	return g, nil
}

// assignedTotal is the number of partitions the members hold.
func (g *kgoGroup) assignedTotal() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, v := range g.assigned {
		n += v
	}
	return n
}

// run polls with every member until ctx ends or the targets are reached.
func (g *kgoGroup) run(ctx context.Context, targets *atomic.Pointer[[]int64], c *counters) error {
	var wg sync.WaitGroup
	errs := make([]error, len(g.members))
	done := make(chan struct{})
	var closeDone sync.Once
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i, m := range g.members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pctx.Err() == nil {
				fs := m.cl.PollFetches(pctx)
				fs.EachError(func(t string, p int32, err error) {
					if pctx.Err() == nil && errs[i] == nil {
						errs[i] = fmt.Errorf("group member %d: %s[%d]: %w", m.idx, t, p, err)
					}
				})
				n := int64(0)
				fs.EachRecord(func(r *kgo.Record) {
					m.scope.observe(g.parts, r.Partition, r.Value)
					if next := r.Offset + 1; next > m.next[r.Partition].Load() {
						m.next[r.Partition].Store(next)
					}
					n++
				})
				c.consumed.Add(n)
				if g.reached(targets) {
					closeDone.Do(func() { close(done) })
				}
			}
		}()
	}
	// A member blocked in PollFetches sees no new record once the
	// targets are set; check them on a ticker too.
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case <-done:
			break wait
		case <-ctx.Done():
			break wait
		case <-tick.C:
			if g.reached(targets) {
				break wait
			}
		}
	}
	cancel()
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// reached reports whether the members together read every partition up
// to its target.
func (g *kgoGroup) reached(targets *atomic.Pointer[[]int64]) bool {
	tp := targets.Load()
	if tp == nil {
		return false
	}
	for p, t := range *tp {
		var best int64
		for _, m := range g.members {
			best = max(best, m.next[p].Load())
		}
		if best < t {
			return false
		}
	}
	return true
}

// union merges the members' reads into one scope over all partitions.
func (g *kgoGroup) union(producers int) *scope {
	parts := make([]int32, g.parts)
	for i := range parts {
		parts[i] = int32(i)
	}
	u := newScope("franz-go consumer group", parts, producers)
	for _, m := range g.members {
		u.merge(m.scope)
	}
	return u
}

func (g *kgoGroup) close() {
	var wg sync.WaitGroup
	for _, m := range g.members {
		if m.cl != nil {
			wg.Add(1)
			go func() { defer wg.Done(); m.cl.Close() }()
		}
	}
	wg.Wait()
}
