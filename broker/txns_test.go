package broker

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// consumeAll reads topic from the start with the given isolation level
// until want records arrived, and returns their values sorted by
// partition and offset.
func consumeAll(t *testing.T, addr, topic string, committed bool, want int) []string {
	t.Helper()
	level := kgo.ReadUncommitted()
	if committed {
		level = kgo.ReadCommitted()
	}
	cl := newClient(t, addr, kgo.ConsumeTopics(topic), kgo.FetchIsolationLevel(level),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	ctx := testContext(t, 30*time.Second)
	var recs []*kgo.Record
	for len(recs) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records from %s", len(recs), want, topic)
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Fatalf("fetch: %v", err) })
		recs = append(recs, fs.Records()...)
	}
	sort.Slice(recs, func(i, j int) bool {
		if recs[i].Partition != recs[j].Partition {
			return recs[i].Partition < recs[j].Partition
		}
		return recs[i].Offset < recs[j].Offset
	})
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Value)
	}
	return out
}

func endOffsets(t *testing.T, cl *kgo.Client, topic string, committed bool) (total int64) {
	t.Helper()
	adm := kadm.NewClient(cl)
	var offs kadm.ListedOffsets
	var err error
	if committed {
		offs, err = adm.ListCommittedOffsets(context.Background(), topic)
	} else {
		offs, err = adm.ListEndOffsets(context.Background(), topic)
	}
	if err != nil {
		t.Fatal(err)
	}
	offs.Each(func(o kadm.ListedOffset) { total += o.Offset })
	return total
}

func TestTxnCommitAbortSeenByReadCommitted(t *testing.T) {
	_, addr := startGroupBroker(t, nil)
	ctx := testContext(t, 60*time.Second)
	admCl := newClient(t, addr)
	createGroupTopic(t, ctx, admCl, "txn-visibility", 2)
	p := newClient(t, addr, kgo.TransactionalID("visibility"), kgo.DefaultProduceTopic("txn-visibility"),
		kgo.TransactionTimeout(30*time.Second))
	txn := func(prefix string, n int, end kgo.TransactionEndTry) {
		if err := p.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if err := p.ProduceSync(ctx, kgo.StringRecord(prefix+strconv.Itoa(i))).FirstErr(); err != nil {
				t.Fatalf("produce %s%d: %v", prefix, i, err)
			}
		}
		if end == kgo.TryAbort {
			if err := p.AbortBufferedRecords(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.EndTransaction(ctx, end); err != nil {
			t.Fatalf("end transaction %s: %v", prefix, err)
		}
	}
	txn("a", 6, kgo.TryCommit)
	txn("b", 6, kgo.TryAbort)
	txn("c", 6, kgo.TryCommit)

	// An open transaction holds the last stable offset back.
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := p.ProduceSync(ctx, kgo.StringRecord("d0")).FirstErr(); err != nil {
		t.Fatal(err)
	}
	hwm, lso := endOffsets(t, admCl, "txn-visibility", false), endOffsets(t, admCl, "txn-visibility", true)
	if lso >= hwm {
		t.Fatalf("last stable offset %d not below the high watermark %d with a transaction open", lso, hwm)
	}

	all := consumeAll(t, addr, "txn-visibility", false, 19)
	if len(all) != 19 || !strings.Contains(strings.Join(all, ","), "b3") {
		t.Fatalf("read_uncommitted saw %v, want all 19 records including aborted ones", all)
	}
	committed := consumeAll(t, addr, "txn-visibility", true, 12)
	for _, v := range committed {
		if v[0] != 'a' && v[0] != 'c' {
			t.Fatalf("read_committed saw %q (aborted or open): %v", v, committed)
		}
	}
	if err := p.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	if hwm, lso := endOffsets(t, admCl, "txn-visibility", false), endOffsets(t, admCl, "txn-visibility", true); lso != hwm {
		t.Fatalf("last stable offset %d != high watermark %d after the commit", lso, hwm)
	}
	committed = consumeAll(t, addr, "txn-visibility", true, 13)
	if !strings.Contains(strings.Join(committed, ","), "d0") || len(committed) != 13 {
		t.Fatalf("read_committed after the commit saw %v", committed)
	}
}

func TestTxnReinitFencesAndAbortsOngoing(t *testing.T) {
	_, addr := startGroupBroker(t, nil)
	ctx := testContext(t, 60*time.Second)
	admCl := newClient(t, addr)
	createGroupTopic(t, ctx, admCl, "fencing", 1)
	opts := []kgo.Opt{kgo.TransactionalID("shared-id"), kgo.DefaultProduceTopic("fencing")}
	old := newClient(t, addr, opts...)
	if err := old.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := old.ProduceSync(ctx, kgo.StringRecord("zombie")).FirstErr(); err != nil {
		t.Fatal(err)
	}
	fresh := newClient(t, addr, opts...)
	if err := fresh.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := fresh.ProduceSync(ctx, kgo.StringRecord("live")).FirstErr(); err != nil {
		t.Fatalf("the new producer could not produce: %v", err)
	}
	if err := fresh.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	err := old.EndTransaction(ctx, kgo.TryCommit)
	if !errors.Is(err, kerr.ProducerFenced) && !errors.Is(err, kerr.InvalidProducerEpoch) {
		t.Fatalf("the fenced producer's commit: %v, want PRODUCER_FENCED", err)
	}
	got := consumeAll(t, addr, "fencing", true, 1)
	if len(got) != 1 || got[0] != "live" {
		t.Fatalf("read_committed saw %v, want only the new producer's record", got)
	}
}

func TestTxnTimeoutAbortsAndFences(t *testing.T) {
	clock := newTestClock()
	b, addr := startGroupBroker(t, func(c *Config) { c.Now = clock.Now })
	ctx := testContext(t, 60*time.Second)
	admCl := newClient(t, addr)
	createGroupTopic(t, ctx, admCl, "slow", 1)
	p := newClient(t, addr, kgo.TransactionalID("slowpoke"), kgo.DefaultProduceTopic("slow"), kgo.TransactionTimeout(time.Second))
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := p.ProduceSync(ctx, kgo.StringRecord("late")).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if lso := endOffsets(t, admCl, "slow", true); lso != 0 {
		t.Fatalf("last stable offset %d with the transaction open, want 0", lso)
	}
	clock.Advance(2 * time.Second)
	b.txns.expire()
	// The abort marker closes the transaction: LSO = HWM = 2.
	if hwm, lso := endOffsets(t, admCl, "slow", false), endOffsets(t, admCl, "slow", true); hwm != 2 || lso != 2 {
		t.Fatalf("after the timeout abort: hwm %d lso %d, want 2 and 2", hwm, lso)
	}
	err := p.EndTransaction(ctx, kgo.TryCommit)
	if !errors.Is(err, kerr.ProducerFenced) && !errors.Is(err, kerr.InvalidProducerEpoch) {
		t.Fatalf("commit after the timeout: %v, want the producer fenced", err)
	}
	part := b.topics.partition("slow", 0)
	if ab := part.abortedIn(0, 1); len(ab) != 1 || ab[0].FirstOffset != 0 {
		t.Fatalf("aborted transactions index %+v, want one from offset 0", ab)
	}
}

func TestGroupTransactSessionETL(t *testing.T) {
	_, addr := startGroupBroker(t, nil)
	ctx := testContext(t, 90*time.Second)
	admCl := newClient(t, addr)
	createGroupTopic(t, ctx, admCl, "etl-in", 3)
	createGroupTopic(t, ctx, admCl, "etl-out", 3)
	const n = 300
	in := newClient(t, addr, kgo.DefaultProduceTopic("etl-in"))
	for i := 0; i < n; i++ {
		in.Produce(ctx, kgo.StringRecord(strconv.Itoa(i)), nil)
	}
	if err := in.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	processed, aborted := 0, 0
	// run transforms until stop() says enough; the first batch of the
	// first session is aborted, which must not lose or duplicate anything.
	run := func(txnID string, abortFirst bool, stop func() bool) {
		sess, err := kgo.NewGroupTransactSession(kgo.SeedBrokers(addr), kgo.TransactionalID(txnID),
			kgo.ConsumerGroup("etl"), kgo.ConsumeTopics("etl-in"), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.HeartbeatInterval(100*time.Millisecond),
			kgo.FetchMaxWait(100*time.Millisecond), kgo.MaxBufferedRecords(50))
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		for !stop() {
			fs := sess.PollFetches(ctx)
			if ctx.Err() != nil {
				t.Fatalf("processed %d of %d: %v", processed, n, ctx.Err())
			}
			fs.EachError(func(_ string, _ int32, err error) { t.Fatalf("fetch: %v", err) })
			if fs.NumRecords() == 0 {
				continue
			}
			if err := sess.Begin(); err != nil {
				t.Fatal(err)
			}
			fs.EachRecord(func(r *kgo.Record) {
				sess.Produce(ctx, &kgo.Record{Topic: "etl-out", Value: append([]byte("out-"), r.Value...)}, nil)
			})
			end := kgo.TryCommit
			if abortFirst {
				// Write the records, then abort: they must stay invisible.
				if err := sess.Client().Flush(ctx); err != nil {
					t.Fatal(err)
				}
				end, abortFirst = kgo.TryAbort, false
			}
			committed, err := sess.End(ctx, end)
			if err != nil {
				t.Fatalf("end: %v", err)
			}
			if committed {
				processed += fs.NumRecords()
			} else {
				aborted += fs.NumRecords()
			}
		}
	}
	run("etl-a", true, func() bool { return processed >= n/2 })
	run("etl-b", false, func() bool { return processed >= n })
	if processed != n {
		t.Fatalf("committed transforms of %d records, want exactly %d", processed, n)
	}

	if aborted == 0 {
		t.Fatal("no transaction was aborted")
	}
	if raw := consumeAll(t, addr, "etl-out", false, n+aborted); len(raw) != n+aborted {
		t.Fatalf("read_uncommitted saw %d records, want %d committed + %d aborted", len(raw), n, aborted)
	}
	out := consumeAll(t, addr, "etl-out", true, n)
	seen := map[string]bool{}
	for _, v := range out {
		if seen[v] {
			t.Fatalf("%s written twice: not exactly once", v)
		}
		seen[v] = true
	}
	if len(seen) != n {
		t.Fatalf("%d distinct outputs, want %d", len(seen), n)
	}
	offs, err := kadm.NewClient(admCl).FetchOffsets(ctx, "etl")
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	offs.Each(func(o kadm.OffsetResponse) { sum += o.At })
	if sum != n {
		t.Fatalf("group offsets sum to %d, want %d", sum, n)
	}
}

func TestControlBatchParses(t *testing.T) {
	for _, commit := range []bool{false, true} {
		raw := controlBatch(4242, 7, commit, 1_700_000_000_000)
		h, size, err := parseBatch(raw)
		if err != nil || size != len(raw) {
			t.Fatalf("parseBatch: %v (size %d of %d)", err, size, len(raw))
		}
		if !h.control() || !h.transactional() || h.ProducerID != 4242 || h.ProducerEpoch != 7 || h.NumRecords != 1 {
			t.Fatalf("header %+v", h)
		}
		var rb kmsg.RecordBatch
		if err := rb.ReadFrom(raw); err != nil {
			t.Fatal(err)
		}
		if uint32(rb.CRC) != crc32.Checksum(raw[21:], crc32c) {
			t.Fatal("CRC32C does not cover the batch")
		}
		var rec kmsg.Record
		if err := rec.ReadFrom(rb.Records); err != nil {
			t.Fatal(err)
		}
		wantType := byte(0)
		if commit {
			wantType = 1
		}
		if fmt.Sprint(rec.Key) != fmt.Sprint([]byte{0, 0, 0, wantType}) || len(rec.Value) != 6 {
			t.Fatalf("marker key %v value %v", rec.Key, rec.Value)
		}
	}
}
