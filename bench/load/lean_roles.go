package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// counters are the harness-wide event counts, updated atomically.
type counters struct {
	produceRequests atomic.Int64
	fetchRequests   atomic.Int64
	reconnects      atomic.Int64
	retries         atomic.Int64
	produceFailures atomic.Int64 // batches given up on (records unacknowledged)
	fetchErrors     atomic.Int64
	outOfRange      atomic.Int64
	consumed        atomic.Int64
}

// maxAttempts bounds the sends of one batch (the first included).
const maxAttempts = 6

// leanProducer is an idempotent producer on one lean connection, writing
// to one partition.
type leanProducer struct {
	idx       int // harness producer index (stamped in values)
	partition int32
	conn      *leanConn
	stream    *stream
	topic     string
	batch     int
	valueSize int
	pace      time.Duration
	c         *counters

	pid   int64
	epoch int16
	next  uint64
	bb    batchBuilder
	req   *kmsg.ProduceRequest
}

// init gets a producer id (InitProducerId without a transactional id).
func (p *leanProducer) init(ctx context.Context) error {
	req := kmsg.NewPtrInitProducerIDRequest()
	req.TransactionTimeoutMillis = -1
	req.ProducerID, req.ProducerEpoch = -1, -1
	resp, err := p.conn.roundTrip(req)
	if err != nil {
		return fmt.Errorf("InitProducerId: %w", err)
	}
	r := resp.(*kmsg.InitProducerIDResponse)
	if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
		return fmt.Errorf("InitProducerId: %w", err)
	}
	p.pid, p.epoch = r.ProducerID, r.ProducerEpoch
	p.req = kmsg.NewPtrProduceRequest()
	p.req.Acks = -1
	p.req.TimeoutMillis = 30000
	t := kmsg.NewProduceRequestTopic()
	t.Topic = p.topic
	pp := kmsg.NewProduceRequestTopicPartition()
	pp.Partition = p.partition
	t.Partitions = []kmsg.ProduceRequestTopicPartition{pp}
	p.req.Topics = []kmsg.ProduceRequestTopic{t}
	return nil
}

// run sends one batch per pace tick until stop is closed, one request in
// flight. It returns the error that made it give up, if any.
func (p *leanProducer) run(ctx context.Context, stop <-chan struct{}) error {
	// Spread the producers over the period so that their ticks do not
	// arrive together.
	select {
	case <-time.After(rand.N(p.pace)):
	case <-stop:
		return nil
	}
	tick := time.NewTicker(p.pace)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		if err := p.send(ctx); err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case <-tick.C:
		}
	}
}

// send produces the next batch, retrying it (same sequence: the broker
// deduplicates) on a broken connection or a retriable error.
func (p *leanProducer) send(ctx context.Context) error {
	first := p.next
	data := p.bb.build(p.idx, p.partition, first, p.batch, p.valueSize, p.pid, p.epoch, time.Now().UnixMilli())
	p.req.Topics[0].Partitions[0].Records = data
	p.stream.markSent(first + uint64(p.batch))
	var lastErr error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		if attempt > 1 {
			p.c.retries.Add(1)
		}
		p.c.produceRequests.Add(1)
		resp, err := p.conn.roundTrip(p.req)
		if err != nil {
			lastErr = err
			p.c.reconnects.Add(1)
			if rerr := p.conn.reconnect(ctx); rerr != nil {
				lastErr = fmt.Errorf("%w; reconnecting: %v", err, rerr)
				time.Sleep(200 * time.Millisecond)
			}
			continue
		}
		r := resp.(*kmsg.ProduceResponse)
		if len(r.Topics) != 1 || len(r.Topics[0].Partitions) != 1 {
			return fmt.Errorf("producer %d: produce response with %d topics", p.idx, len(r.Topics))
		}
		pr := r.Topics[0].Partitions[0]
		if pr.ErrorCode == 0 {
			p.stream.ack(first, p.batch)
			p.next += uint64(p.batch)
			return nil
		}
		lastErr = kerr.ErrorForCode(pr.ErrorCode)
		if pr.ErrorMessage != nil {
			lastErr = fmt.Errorf("%w: %s", lastErr, *pr.ErrorMessage)
		}
		if !kerr.IsRetriable(kerr.ErrorForCode(pr.ErrorCode)) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.c.produceFailures.Add(1)
	return fmt.Errorf("producer %d partition %d: batch at sequence %d not acknowledged after %d attempts: %w", p.idx, p.partition, first, maxAttempts, lastErr)
}

// leanConsumer reads its partitions from offset 0 (a full scan), tailing
// them until told the final end offsets and reaching them.
type leanConsumer struct {
	conn  *leanConn
	topic string
	scope *scope
	parts int // partitions of the topic (for the stamp check)
	c     *counters
	// targets, once set, are the end offsets to reach (per partition).
	targets *atomic.Pointer[[]int64]

	offsets  []int64
	req      *kmsg.FetchRequest
	caughtUp bool
}

func (lc *leanConsumer) prepare() {
	lc.offsets = make([]int64, len(lc.scope.parts))
	lc.req = kmsg.NewPtrFetchRequest()
	lc.req.ReplicaID = -1
	lc.req.MaxWaitMillis = 500
	lc.req.MinBytes = 1
	lc.req.MaxBytes = 4 << 20
	lc.req.SessionEpoch = -1
	t := kmsg.NewFetchRequestTopic()
	t.Topic = lc.topic
	for _, p := range lc.scope.parts {
		fp := kmsg.NewFetchRequestTopicPartition()
		fp.Partition = p
		fp.PartitionMaxBytes = 1 << 20
		t.Partitions = append(t.Partitions, fp)
	}
	lc.req.Topics = []kmsg.FetchRequestTopic{t}
}

// run fetches until ctx ends or the targets are reached.
func (lc *leanConsumer) run(ctx context.Context) error {
	failures := 0
	for ctx.Err() == nil {
		if lc.reached() {
			lc.caughtUp = true
			return nil
		}
		for i := range lc.req.Topics[0].Partitions {
			lc.req.Topics[0].Partitions[i].FetchOffset = lc.offsets[i]
		}
		lc.c.fetchRequests.Add(1)
		resp, err := lc.conn.roundTrip(lc.req)
		if err != nil {
			lc.c.reconnects.Add(1)
			failures++
			if failures > maxAttempts {
				return fmt.Errorf("consumer %s: %w", lc.scope.name, err)
			}
			if rerr := lc.conn.reconnect(ctx); rerr != nil {
				time.Sleep(200 * time.Millisecond)
			}
			continue
		}
		failures = 0
		if err := lc.handle(resp.(*kmsg.FetchResponse)); err != nil {
			return fmt.Errorf("consumer %s: %w", lc.scope.name, err)
		}
	}
	return nil
}

func (lc *leanConsumer) handle(r *kmsg.FetchResponse) error {
	if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
		lc.c.fetchErrors.Add(1)
		time.Sleep(100 * time.Millisecond)
		return nil
	}
	for _, t := range r.Topics {
		for _, fp := range t.Partitions {
			i := lc.index(fp.Partition)
			if i < 0 {
				return fmt.Errorf("fetch response for partition %d, not requested", fp.Partition)
			}
			switch err := kerr.ErrorForCode(fp.ErrorCode); {
			case err == nil:
			case errors.Is(err, kerr.OffsetOutOfRange):
				// Retention deleted records this scan had not read: they
				// show up as lost. Continue from the log start.
				lc.c.outOfRange.Add(1)
				lc.offsets[i] = fp.LogStartOffset
				continue
			default:
				lc.c.fetchErrors.Add(1)
				continue
			}
			before := lc.scope.records
			next, err := eachRecord(fp.RecordBatches, lc.offsets[i], func(_ int64, v []byte) error {
				lc.scope.observe(lc.parts, fp.Partition, v)
				return nil
			})
			if err != nil {
				return fmt.Errorf("partition %d at offset %d: %w", fp.Partition, lc.offsets[i], err)
			}
			lc.c.consumed.Add(lc.scope.records - before)
			lc.offsets[i] = next
		}
	}
	return nil
}

func (lc *leanConsumer) index(p int32) int {
	for i, q := range lc.scope.parts {
		if q == p {
			return i
		}
	}
	return -1
}

func (lc *leanConsumer) reached() bool {
	tp := lc.targets.Load()
	if tp == nil {
		return false
	}
	for i, p := range lc.scope.parts {
		if lc.offsets[i] < (*tp)[p] {
			return false
		}
	}
	return true
}
