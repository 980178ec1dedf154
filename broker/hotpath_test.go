package broker

// Benchmarks and allocation tests of the produce and fetch hot paths, from
// a request frame as read off the socket to the response frame queued for
// the writer (decode, handler, log, encode). Run:
//
//	go test -run '^$' -bench 'Produce|Fetch' -benchmem ./broker

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"testing"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/authorizer/acl"
	"github.com/minikafka/minikafka/principal"
	"github.com/minikafka/minikafka/protocol"
	"github.com/minikafka/minikafka/storage"
	"github.com/minikafka/minikafka/storage/mem"
)

const hotTopic = "bench"

// hotBroker is a broker with metrics on (the default) and a 3-partition
// topic, not listening: frames are handed to a conn directly.
func hotBroker(tb testing.TB, opts ...func(*Config)) *Broker {
	tb.Helper()
	cfg := Config{
		Listeners: []ListenerConfig{{Name: "PLAINTEXT", Addr: "127.0.0.1:0", SecurityProtocol: Plaintext}},
		Logs:      mem.LogFactory{},
		Metrics:   NewMetrics(prometheus.NewRegistry()),
	}
	for _, o := range opts {
		o(&cfg)
	}
	b, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if _, _, err := b.topics.create(hotTopic, 3, nil); err != nil {
		tb.Fatal(err)
	}
	return b
}

// hotConn is an authenticated PLAINTEXT connection whose responses are
// drained (and their frames recycled) by a goroutine, as writeLoop would.
func hotConn(tb testing.TB, b *Broker) *conn {
	tb.Helper()
	c := &conn{b: b, l: &listener{cfg: &b.cfg.Listeners[0], m: b.m.forListener(b.cfg.Listeners[0].Name)}, host: "127.0.0.1",
		out: make(chan outMsg, 64), done: make(chan struct{}), state: stateAuthenticated}
	c.subject = principal.AnonymousSubject(nil)
	c.rc = az.RequestContext{Subject: c.subject, Host: c.host, Listener: "PLAINTEXT"}
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for m := range c.out {
			if m.vec != nil {
				m.vec.Buffers()
			}
			m.recycle()
		}
	}()
	tb.Cleanup(func() { close(c.out); <-drained })
	return c
}

// hotRecordBatch encodes a valid magic-v2 batch of n records of size-byte
// values (no key, no headers, not idempotent).
func hotRecordBatch(n, size int) []byte {
	value := make([]byte, size)
	var recs, rec []byte
	for i := 0; i < n; i++ {
		rec = append(rec[:0], 0)                  // attributes
		rec = kbin.AppendVarlong(rec, int64(i))   // timestamp delta
		rec = kbin.AppendVarint(rec, int32(i))    // offset delta
		rec = kbin.AppendVarint(rec, -1)          // null key
		rec = kbin.AppendVarint(rec, int32(size)) // value
		rec = append(rec, value...)
		rec = kbin.AppendVarint(rec, 0) // headers
		recs = kbin.AppendVarint(recs, int32(len(rec)))
		recs = append(recs, rec...)
	}
	rb := kmsg.RecordBatch{
		PartitionLeaderEpoch: -1, Magic: 2, LastOffsetDelta: int32(n - 1),
		FirstTimestamp: 1_700_000_000_000, MaxTimestamp: 1_700_000_000_000 + int64(n-1),
		ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1, NumRecords: int32(n), Records: recs,
	}
	b := rb.AppendTo(nil)
	binary.BigEndian.PutUint32(b[8:], uint32(len(b)-12))
	binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:], crc32c))
	return b
}

// hotRequestFrame encodes req (version set) as a request frame without its
// size prefix, as ReadFrame returns it.
func hotRequestFrame(req kmsg.Request) []byte {
	f := binary.BigEndian.AppendUint16(nil, uint16(req.Key()))
	f = binary.BigEndian.AppendUint16(f, uint16(req.GetVersion()))
	f = binary.BigEndian.AppendUint32(f, 1)
	f = binary.BigEndian.AppendUint16(f, 5)
	f = append(f, "bench"...)
	if req.IsFlexible() {
		f = append(f, 0)
	}
	return req.AppendTo(f)
}

// hotProduceFrame is a Produce v9 request carrying one batch of n records
// for each of the three partitions.
func hotProduceFrame(n, size int) []byte { return hotProduceFrameParts(3, n, size) }

// hotProduceFrameParts is a Produce v9 request carrying one batch of n
// records for each of the first parts partitions.
func hotProduceFrameParts(parts int32, n, size int) []byte {
	req := kmsg.NewPtrProduceRequest()
	req.Version = 9
	req.Acks = -1
	req.TimeoutMillis = 30000
	t := kmsg.NewProduceRequestTopic()
	t.Topic = hotTopic
	for p := int32(0); p < parts; p++ {
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Partition = p
		rp.Records = hotRecordBatch(n, size)
		t.Partitions = append(t.Partitions, rp)
	}
	req.Topics = append(req.Topics, t)
	return hotRequestFrame(req)
}

// hotFetchFrame is a Fetch v12 request of the three partitions from offset 0.
func hotFetchFrame() []byte {
	req := kmsg.NewPtrFetchRequest()
	req.Version = 12
	req.ReplicaID = -1
	req.MaxWaitMillis = 0
	req.MinBytes = 1
	req.MaxBytes = 50 << 20
	req.SessionEpoch = -1
	t := kmsg.NewFetchRequestTopic()
	t.Topic = hotTopic
	for p := int32(0); p < 3; p++ {
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition = p
		rp.PartitionMaxBytes = 1 << 20
		t.Partitions = append(t.Partitions, rp)
	}
	req.Topics = append(req.Topics, t)
	return hotRequestFrame(req)
}

func hotHandle(tb testing.TB, c *conn, frame []byte) {
	if !c.handleFrame(frame) {
		tb.Fatal("handleFrame closed the connection")
	}
}

// hotRepeater yields a size-prefixed frame over and over, like a client
// sending the same request in a loop.
type hotRepeater struct {
	frame []byte
	off   int
}

func (r *hotRepeater) Read(p []byte) (int, error) {
	n := copy(p, r.frame[r.off:])
	r.off = (r.off + n) % len(r.frame)
	return n, nil
}

// hotWire reads frames as conn.serve does (each into a new buffer) from a
// client repeating one frame.
type hotWire struct {
	c  *conn
	br *bufio.Reader
}

func newHotWire(c *conn, frame []byte) *hotWire {
	return &hotWire{c: c, br: bufio.NewReaderSize(&hotRepeater{frame: protocol.AppendFrame(nil, frame)}, 32<<10)}
}

// next reads and handles one frame, and returns it.
func (w *hotWire) next(tb testing.TB) []byte {
	frame, err := protocol.ReadFrame(w.br, w.c.b.cfg.MaxRequestBytes)
	if err != nil {
		tb.Fatal(err)
	}
	hotHandle(tb, w.c, frame)
	return frame
}

// hotACLs turns authorization on (the ACL authorizer behind the default
// chain) with ACLs allowing User:ANONYMOUS to write and read the benchmark
// topic, among a thousand ACLs of other users on other topics.
func hotACLs(tb testing.TB) func(*Config) {
	acls := []az.ACL{
		{ResourceType: az.ResourceTopic, ResourceName: hotTopic, PatternType: az.PatternLiteral, Principal: "User:ANONYMOUS", Host: "*", Operation: az.OpWrite, Permission: az.PermAllow},
		{ResourceType: az.ResourceTopic, ResourceName: hotTopic, PatternType: az.PatternLiteral, Principal: "User:ANONYMOUS", Host: "*", Operation: az.OpRead, Permission: az.PermAllow},
	}
	for i := 0; i < 1000; i++ {
		acls = append(acls, az.ACL{ResourceType: az.ResourceTopic, ResourceName: fmt.Sprintf("topic-%d", i), PatternType: az.PatternLiteral,
			Principal: fmt.Sprintf("User:user-%d", i), Host: "*", Operation: az.OpWrite, Permission: az.PermAllow})
	}
	z, err := acl.NewMemory(acls...)
	if err != nil {
		tb.Fatal(err)
	}
	return func(c *Config) { c.Authorizer, c.ACLs = &az.Chain{Authorizers: []az.Authorizer{z}}, z }
}

func benchmarkProduce(b *testing.B, parts int32, n, size int, opts ...func(*Config)) {
	br := hotBroker(b, opts...)
	c := hotConn(b, br)
	w := newHotWire(c, hotProduceFrameParts(parts, n, size))
	partitions := br.topics.get(hotTopic).partitions
	b.SetBytes(int64(int(parts) * n * size))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		w.next(b)
		if i%16 == 15 { // retention: the log stays small, as a steady-state broker's
			for _, p := range partitions {
				_ = p.log.DeleteBefore(p.log.EndOffset())
			}
		}
	}
	b.ReportMetric(float64(b.N*int(parts)*n)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkProduce: one Produce request of one batch per partition, read
// from the wire as conn.serve does. The log is trimmed every 16 requests so
// that memory stays bounded whatever b.N.
func BenchmarkProduce(b *testing.B) {
	b.Run("3x1000x100B", func(b *testing.B) { benchmarkProduce(b, 3, 1000, 100) })
	b.Run("3x10x10KB", func(b *testing.B) { benchmarkProduce(b, 3, 10, 10240) })
	b.Run("1x1000x100B", func(b *testing.B) { benchmarkProduce(b, 1, 1000, 100) })
	b.Run("3x1000x100B-acls", func(b *testing.B) { benchmarkProduce(b, 3, 1000, 100, hotACLs(b)) })
	b.Run("3x1000x100B-nometrics", func(b *testing.B) {
		benchmarkProduce(b, 3, 1000, 100, func(c *Config) { c.Metrics = nil })
	})
}

// TestProduceBatchKeepsLittleElse checks how produce keeps memory: a batch
// of at least a quarter of its request frame is stored by reference to the
// frame, a smaller one as an exact-size copy, so that no stored batch keeps
// alive more than four times its size.
func TestProduceBatchKeepsLittleElse(t *testing.T) {
	br := hotBroker(t)
	c := hotConn(t, br)
	// Partitions 0 and 1: 1000 records (about 110 KB each); partition 2:
	// 10 records (about 1 KB).
	req := kmsg.NewPtrProduceRequest()
	req.Version = 9
	req.Acks = -1
	tp := kmsg.NewProduceRequestTopic()
	tp.Topic = hotTopic
	for p, n := range []int{1000, 1000, 10} {
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Partition = int32(p)
		rp.Records = hotRecordBatch(n, 100)
		tp.Partitions = append(tp.Partitions, rp)
	}
	req.Topics = append(req.Topics, tp)
	frame := newHotWire(c, hotRequestFrame(req)).next(t)
	for part, wantRef := range []bool{true, true, false} {
		var d []byte
		p := br.topics.get(hotTopic).partitions[part]
		_ = p.log.Read(0, p.log.EndOffset(), 1<<30, func(bt *storage.Batch) bool { d = bt.Data; return true })
		if d == nil {
			t.Fatalf("partition %d: nothing stored", part)
		}
		start := uintptr(unsafe.Pointer(&frame[0]))
		at := uintptr(unsafe.Pointer(&d[0]))
		ref := at >= start && at < start+uintptr(len(frame))
		if ref != wantRef || (!ref && cap(d) != len(d)) {
			t.Errorf("partition %d: batch of %d bytes (capacity %d) in a %d-byte frame: by reference %v, want %v", part, len(d), cap(d), len(frame), ref, wantRef)
		}
		if ref && len(frame) > 4*len(d) {
			t.Errorf("partition %d: a %d-byte batch keeps a %d-byte frame alive", part, len(d), len(frame))
		}
	}
}

func benchmarkFetch(b *testing.B, batches, n, size int, opts ...func(*Config)) {
	br := hotBroker(b, opts...)
	c := hotConn(b, br)
	for i := 0; i < batches; i++ {
		hotHandle(b, c, hotProduceFrame(n, size))
	}
	w := newHotWire(c, hotFetchFrame())
	b.SetBytes(int64(3 * batches * n * size))
	b.ReportAllocs()
	for b.Loop() {
		w.next(b)
	}
	b.ReportMetric(float64(b.N*3*batches*n)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkFetch: one Fetch request of the three partitions, each holding
// the given batches (all returned: they fit in 1 MiB).
func BenchmarkFetch(b *testing.B) {
	b.Run("3x1x1000x100B", func(b *testing.B) { benchmarkFetch(b, 1, 1000, 100) })
	b.Run("3x8x1000x100B", func(b *testing.B) { benchmarkFetch(b, 8, 1000, 100) })
	b.Run("3x1x10x10KB", func(b *testing.B) { benchmarkFetch(b, 1, 10, 10240) })
	b.Run("3x1x1000x100B-acls", func(b *testing.B) { benchmarkFetch(b, 1, 1000, 100, hotACLs(b)) })
}

// TestProduceAllocationsDoNotGrowWithRecords checks that produce does no
// per-record work that allocates: a request of 1000-record batches
// allocates no more than one of 1-record batches.
func TestProduceAllocationsDoNotGrowWithRecords(t *testing.T) {
	allocs := func(n int) float64 {
		br := hotBroker(t)
		c := hotConn(t, br)
		w := newHotWire(c, hotProduceFrame(n, 100))
		w.next(t) // the first append creates state
		return testing.AllocsPerRun(200, func() { w.next(t) })
	}
	// A per-record allocation would add 3000; the slack absorbs the pools
	// (the race detector empties sync.Pools at random).
	one, many := allocs(1), allocs(1000)
	if many > one+30 {
		t.Fatalf("a produce of 3×1000 records allocates %.1f times, of 3×1 record %.1f times: something allocates per record", many, one)
	}
	t.Logf("allocations per produce request: %.1f (1-record batches), %.1f (1000-record batches)", one, many)
}

// TestFetchAllocationsDoNotGrowWithRecords checks the same for fetch (that
// the batches are referenced, not copied, is checked by
// TestFetchResponseReferencesStoredBatches).
func TestFetchAllocationsDoNotGrowWithRecords(t *testing.T) {
	allocs := func(n int) float64 {
		br := hotBroker(t)
		c := hotConn(t, br)
		hotHandle(t, c, hotProduceFrame(n, 100))
		w := newHotWire(c, hotFetchFrame())
		w.next(t)
		return testing.AllocsPerRun(200, func() { w.next(t) })
	}
	one, many := allocs(1), allocs(1000)
	if many > one+30 {
		t.Fatalf("a fetch of 3×1000 records allocates %.1f times, of 3×1 record %.1f times: something allocates per record", many, one)
	}
	t.Logf("allocations per fetch request: %.1f (1-record batches), %.1f (1000-record batches)", one, many)
}

// TestFetchResponseReferencesStoredBatches checks that a fetch response
// frame carries the stored batch itself (by reference) and still decodes
// to the records produced.
func TestFetchResponseReferencesStoredBatches(t *testing.T) {
	br := hotBroker(t)
	c := &conn{b: br, l: &listener{cfg: &br.cfg.Listeners[0]}, host: "127.0.0.1",
		out: make(chan outMsg, 8), done: make(chan struct{}), state: stateAuthenticated}
	hotHandle(t, c, hotProduceFrame(1000, 100))
	<-c.out // produce response
	hotHandle(t, c, hotFetchFrame())
	m := <-c.out
	if m.vec == nil {
		t.Fatal("fetch response was not a vector frame")
	}
	stored := map[*byte]bool{}
	for _, p := range br.topics.get(hotTopic).partitions {
		_ = p.log.Read(0, p.log.EndOffset(), 1<<20, func(bt *storage.Batch) bool {
			stored[&bt.Data[0]] = true
			return true
		})
	}
	var frame []byte
	refs := 0
	for _, b := range m.vec.Buffers() {
		if stored[&b[0]] {
			refs++
		}
		frame = append(frame, b...)
	}
	if refs != 3 {
		t.Fatalf("%d of 3 stored batches referenced by the response", refs)
	}
	resp := kmsg.NewPtrFetchResponse()
	resp.Version = 12
	if int(binary.BigEndian.Uint32(frame)) != len(frame)-4 {
		t.Fatalf("size prefix %d, frame %d bytes", binary.BigEndian.Uint32(frame), len(frame)-4)
	}
	if err := resp.ReadFrom(frame[9:]); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, tp := range resp.Topics {
		for _, p := range tp.Partitions {
			var rb kmsg.RecordBatch
			if err := rb.ReadFrom(p.RecordBatches); err != nil {
				t.Fatal(err)
			}
			total += int(rb.NumRecords)
		}
	}
	if total != 3000 {
		t.Fatalf("fetched %d records, want 3000", total)
	}
	m.recycle()
}
