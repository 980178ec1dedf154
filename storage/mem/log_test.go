package mem_test

import (
	"encoding/binary"
	"errors"
	"sync"
	"testing"

	"github.com/minikafka/minikafka/storage"
	"github.com/minikafka/minikafka/storage/mem"
	"github.com/minikafka/minikafka/storage/recordbatch"
	"github.com/minikafka/minikafka/storage/recordbatch/batchtest"
)

// appendRecs appends one batch holding a record per timestamp.
func appendRecs(t testing.TB, l storage.Log, o batchtest.Options, ts ...int64) int64 {
	t.Helper()
	recs := make([]batchtest.Rec, len(ts))
	maxTS := ts[0]
	for i, x := range ts {
		recs[i] = batchtest.Rec{Timestamp: x, Value: []byte("0123456789")}
		maxTS = max(maxTS, x)
	}
	b := batchtest.Build(recs, o)
	base, err := l.Append(b, int32(len(ts)-1), maxTS)
	if err != nil {
		t.Fatal(err)
	}
	return base
}

func readOffsets(t *testing.T, l storage.Log, from, upTo int64, maxBytes int) []int64 {
	t.Helper()
	var out []int64
	err := l.Read(from, upTo, maxBytes, func(b *storage.Batch) bool {
		if got := int64(binary.BigEndian.Uint64(b.Data)); got != b.BaseOffset {
			t.Errorf("stored batch says base offset %d, index says %d", got, b.BaseOffset)
		}
		out = append(out, b.BaseOffset)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestOffsetsAndRead(t *testing.T) {
	l := mem.NewLog()
	if l.StartOffset() != 0 || l.EndOffset() != 0 || l.Size() != 0 {
		t.Fatalf("empty log: start %d end %d size %d", l.StartOffset(), l.EndOffset(), l.Size())
	}
	bases := []int64{
		appendRecs(t, l, batchtest.Options{}, 1, 2, 3),
		appendRecs(t, l, batchtest.Options{}, 4),
		appendRecs(t, l, batchtest.Options{}, 5, 6),
	}
	if want := []int64{0, 3, 4}; !equal(bases, want) {
		t.Fatalf("base offsets %v, want %v", bases, want)
	}
	if l.EndOffset() != 6 {
		t.Fatalf("end offset %d, want 6", l.EndOffset())
	}
	cases := map[string]struct {
		from, upTo int64
		maxBytes   int
		want       []int64
	}{
		"all":                    {0, 6, 1 << 20, []int64{0, 3, 4}},
		"mid-batch start":        {1, 6, 1 << 20, []int64{0, 3, 4}},
		"up to excludes":         {0, 4, 1 << 20, []int64{0, 3}},
		"at end":                 {6, 6, 1 << 20, nil},
		"max bytes passes one":   {0, 6, 1, []int64{0}},
		"max bytes stops before": {3, 6, 1, []int64{3}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := readOffsets(t, l, c.from, c.upTo, c.maxBytes); !equal(got, c.want) {
				t.Fatalf("read %d..%d: %v, want %v", c.from, c.upTo, got, c.want)
			}
		})
	}
	for _, off := range []int64{-1, 7} {
		if err := l.Read(off, 6, 100, func(*storage.Batch) bool { return true }); !errors.Is(err, storage.ErrOffsetOutOfRange) {
			t.Errorf("read at %d: %v, want ErrOffsetOutOfRange", off, err)
		}
	}
}

func TestDeleteBefore(t *testing.T) {
	l := mem.NewLog()
	appendRecs(t, l, batchtest.Options{}, 1, 2, 3) // 0-2
	appendRecs(t, l, batchtest.Options{}, 4, 5)    // 3-4
	size := l.Size()
	if err := l.DeleteBefore(1); err != nil {
		t.Fatal(err)
	}
	if l.StartOffset() != 1 || l.Size() != size {
		t.Fatalf("mid-batch delete: start %d size %d, want 1 and the batch kept", l.StartOffset(), l.Size())
	}
	if err := l.Read(0, 5, 100, func(*storage.Batch) bool { return true }); !errors.Is(err, storage.ErrOffsetOutOfRange) {
		t.Fatalf("read below the start: %v", err)
	}
	if err := l.DeleteBefore(0); err != nil || l.StartOffset() != 1 {
		t.Fatalf("moving back: err %v start %d, want a no-op", err, l.StartOffset())
	}
	if err := l.DeleteBefore(3); err != nil || l.StartOffset() != 3 || readOffsets(t, l, 3, 5, 100)[0] != 3 {
		t.Fatalf("delete to a batch boundary: err %v start %d", err, l.StartOffset())
	}
	if err := l.DeleteBefore(6); !errors.Is(err, storage.ErrOffsetOutOfRange) {
		t.Fatalf("beyond the end: %v", err)
	}
	if err := l.DeleteBefore(5); err != nil || l.StartOffset() != 5 || l.Size() != 0 {
		t.Fatalf("delete everything: err %v start %d size %d", err, l.StartOffset(), l.Size())
	}
	if base := appendRecs(t, l, batchtest.Options{}, 9); base != 5 {
		t.Fatalf("append after emptying: base %d, want 5", base)
	}
}

func TestRetain(t *testing.T) {
	var sizeA int64
	build := func() (*mem.Log, int64) {
		l := mem.NewLog()
		appendRecs(t, l, batchtest.Options{}, 100, 110) // 0-1
		sizeA = l.Size()
		appendRecs(t, l, batchtest.Options{}, 200) // 2
		appendRecs(t, l, batchtest.Options{}, 300) // 3
		return l, l.Size()
	}
	_, total := build()
	cases := map[string]struct {
		maxBytes, minTS int64
		wantStart       int64
	}{
		"nothing":                {-1, 0, 0},
		"time drops older":       {-1, 201, 3},
		"time boundary keeps":    {-1, 200, 2},
		"time drops newest too":  {-1, 301, 4},
		"bytes keep at least":    {total - sizeA, 0, 2},
		"bytes one byte more":    {total - sizeA + 1, 0, 0},
		"bytes zero drops all":   {0, 0, 4},
		"bytes large keeps all":  {total, 0, 0},
		"either rule drops":      {total, 201, 3},
		"bytes over time":        {0, 150, 4},
		"no time rule when zero": {-1, 0, 0},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			l, _ := build()
			l.Retain(c.maxBytes, c.minTS)
			if l.StartOffset() != c.wantStart {
				t.Fatalf("start offset %d, want %d", l.StartOffset(), c.wantStart)
			}
			if c.minTS == 0 && c.maxBytes >= 0 && c.wantStart < 4 && l.Size() < c.maxBytes {
				t.Fatalf("size %d dropped below retention.bytes %d", l.Size(), c.maxBytes)
			}
			if l.EndOffset() != 4 {
				t.Fatalf("end offset %d moved", l.EndOffset())
			}
		})
	}
}

func TestOffsetForTimestamp(t *testing.T) {
	for _, o := range []batchtest.Options{{}, {Codec: recordbatch.CodecGzip}, {Codec: recordbatch.CodecSnappy},
		{Codec: recordbatch.CodecSnappy, XerialSnappy: true}, {Codec: recordbatch.CodecLZ4}, {Codec: recordbatch.CodecZstd}} {
		l := mem.NewLog()
		appendRecs(t, l, o, 1000, 1010, 1005) // 0-2
		appendRecs(t, l, o, 1020, 1030)       // 3-4
		appendRecs(t, l, o, 1025)             // 5
		cases := map[string]struct {
			ts, wantOff, wantTS int64
			found               bool
		}{
			"before all":              {0, 0, 1000, true},
			"inside first batch":      {1001, 1, 1010, true},
			"exact record":            {1005, 1, 1010, true},
			"second record of batch":  {1021, 4, 1030, true},
			"first batch reaching ts": {1025, 4, 1030, true},
			"after all":               {1031, 0, 0, false},
		}
		for name, c := range cases {
			off, ts, found := l.OffsetForTimestamp(c.ts)
			if found != c.found || (found && (off != c.wantOff || ts != c.wantTS)) {
				t.Errorf("codec %d %s: got (%d, %d, %v), want (%d, %d, %v)", o.Codec, name, off, ts, found, c.wantOff, c.wantTS, c.found)
			}
		}
		// The log start inside the first batch hides the records below it.
		if err := l.DeleteBefore(2); err != nil {
			t.Fatal(err)
		}
		if off, ts, found := l.OffsetForTimestamp(1001); !found || off != 2 || ts != 1005 {
			t.Errorf("codec %d after DeleteBefore(2): got (%d, %d, %v), want (2, 1005)", o.Codec, off, ts, found)
		}
		if off, ts, found := l.OffsetForTimestamp(1006); !found || off != 3 || ts != 1020 {
			t.Errorf("codec %d next batch: got (%d, %d, %v), want (3, 1020)", o.Codec, off, ts, found)
		}
	}
}

func TestMaxTimestamp(t *testing.T) {
	l := mem.NewLog()
	if off, ts := l.MaxTimestamp(); off != -1 || ts != -1 {
		t.Fatalf("empty log: (%d, %d), want (-1, -1)", off, ts)
	}
	appendRecs(t, l, batchtest.Options{}, 10, 50, 20) // 0-2
	appendRecs(t, l, batchtest.Options{}, 30, 40)     // 3-4
	if off, ts := l.MaxTimestamp(); off != 1 || ts != 50 {
		t.Fatalf("got (%d, %d), want the record at offset 1 with 50", off, ts)
	}
	l.Retain(-1, 45) // the first batch's max (50) is not older: nothing goes
	if l.StartOffset() != 0 {
		t.Fatalf("retention dropped a batch with a recent max timestamp")
	}
	l.Retain(-1, 51) // drops both
	if off, ts := l.MaxTimestamp(); off != -1 || ts != -1 {
		t.Fatalf("after retention emptied the log: (%d, %d)", off, ts)
	}
	appendRecs(t, l, batchtest.Options{}, 5, 7) // 5-6
	appendRecs(t, l, batchtest.Options{}, 6)    // 7
	if err := l.DeleteBefore(7); err != nil {
		t.Fatal(err)
	}
	if off, ts := l.MaxTimestamp(); off != 7 || ts != 6 {
		t.Fatalf("after the max batch was deleted: (%d, %d), want (7, 6)", off, ts)
	}
}

// TestConcurrentReaders runs one writer and several readers (with -race in
// the suite): readers always see whole batches, in order, within
// [StartOffset, EndOffset].
func TestConcurrentReaders(t *testing.T) {
	l := mem.NewLog()
	const batches = 300
	var wg sync.WaitGroup
	done := make(chan struct{})
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				start, end := l.StartOffset(), l.EndOffset()
				prev := int64(-1)
				err := l.Read(start, end, 1<<20, func(b *storage.Batch) bool {
					if b.BaseOffset <= prev || b.LastOffset < b.BaseOffset {
						t.Errorf("batches out of order: %d after %d", b.BaseOffset, prev)
					}
					prev = b.BaseOffset
					return true
				})
				if err != nil && !errors.Is(err, storage.ErrOffsetOutOfRange) { // retention may move the start
					t.Error(err)
				}
				l.OffsetForTimestamp(int64(end))
				l.MaxTimestamp()
			}
		}()
	}
	for i := 0; i < batches; i++ {
		appendRecs(t, l, batchtest.Options{Codec: recordbatch.CodecSnappy}, int64(2*i), int64(2*i+1))
		if i%50 == 49 {
			l.Retain(-1, int64(i))
			_ = l.DeleteBefore(l.StartOffset() + 1)
		}
	}
	close(done)
	wg.Wait()
	if l.EndOffset() != 2*batches {
		t.Fatalf("end offset %d, want %d", l.EndOffset(), 2*batches)
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// BenchmarkOffsetForTimestamp: a lookup in a log of 10,000 compressed
// batches (10 records each) scans the batch index and decodes one batch.
func BenchmarkOffsetForTimestamp(b *testing.B) {
	l := mem.NewLog()
	for i := int64(0); i < 10_000; i++ {
		ts := make([]int64, 10)
		for j := range ts {
			ts[j] = i*10 + int64(j)
		}
		appendRecs(b, l, batchtest.Options{Codec: recordbatch.CodecSnappy}, ts...)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if off, _, ok := l.OffsetForTimestamp(50_005); !ok || off != 50_005 {
			b.Fatalf("got %d %v", off, ok)
		}
	}
}

// BenchmarkAppend is the append path OffsetForTimestamp must not slow.
func BenchmarkAppend(b *testing.B) {
	batch := batchtest.Build([]batchtest.Rec{{Timestamp: 1, Value: []byte("v")}}, batchtest.Options{})
	l := mem.NewLog()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := l.Append(batch, 0, 1); err != nil {
			b.Fatal(err)
		}
	}
}
