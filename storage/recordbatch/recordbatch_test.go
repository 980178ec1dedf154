package recordbatch_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka/storage/recordbatch"
	"github.com/minikafka/minikafka/storage/recordbatch/batchtest"
)

var codecs = map[string]batchtest.Options{
	"none":          {Codec: recordbatch.CodecNone},
	"gzip":          {Codec: recordbatch.CodecGzip},
	"snappy":        {Codec: recordbatch.CodecSnappy},
	"snappy-xerial": {Codec: recordbatch.CodecSnappy, XerialSnappy: true},
	"lz4":           {Codec: recordbatch.CodecLZ4},
	"zstd":          {Codec: recordbatch.CodecZstd},
}

func sampleRecs() []batchtest.Rec {
	// Timestamps are not monotonic inside the batch, as CreateTime allows.
	ts := []int64{1000, 1005, 1003, 1010, 1010, 1020}
	recs := make([]batchtest.Rec, len(ts))
	for i, t := range ts {
		recs[i] = batchtest.Rec{Timestamp: t, Key: []byte(fmt.Sprint("k", i)), Value: bytes.Repeat([]byte{byte('a' + i)}, 100+i)}
	}
	return recs
}

func TestEachAllCodecs(t *testing.T) {
	for name, o := range codecs {
		t.Run(name, func(t *testing.T) {
			recs := sampleRecs()
			b := batchtest.Build(recs, o)
			binary.BigEndian.PutUint64(b, 500) // base offset as stored
			// kmsg (a third-party decoder) agrees with the header we built.
			var kb kmsg.RecordBatch
			if err := kb.ReadFrom(b); err != nil || kb.NumRecords != int32(len(recs)) {
				t.Fatalf("kmsg decode: %v, %d records", err, kb.NumRecords)
			}
			var got []recordbatch.Record
			if err := recordbatch.Each(b, func(r recordbatch.Record) bool { got = append(got, r); return true }); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(recs) {
				t.Fatalf("got %d records, want %d", len(got), len(recs))
			}
			for i, r := range got {
				if r.Offset != 500+int64(i) || r.Timestamp != recs[i].Timestamp {
					t.Errorf("record %d = %+v, want offset %d ts %d", i, r, 500+i, recs[i].Timestamp)
				}
			}
		})
	}
}

func TestFirstAtOrAfter(t *testing.T) {
	b := batchtest.Build(sampleRecs(), batchtest.Options{Codec: recordbatch.CodecZstd})
	cases := map[string]struct {
		ts, minOffset int64
		wantOff       int64
		wantTS        int64
		found         bool
	}{
		"before all":              {ts: 0, wantOff: 0, wantTS: 1000, found: true},
		"exact first":             {ts: 1000, wantOff: 0, wantTS: 1000, found: true},
		"between, not monotonic":  {ts: 1004, wantOff: 1, wantTS: 1005, found: true},
		"equal to a later one":    {ts: 1010, wantOff: 3, wantTS: 1010, found: true},
		"last":                    {ts: 1011, wantOff: 5, wantTS: 1020, found: true},
		"after all":               {ts: 1021, found: false},
		"below log start skipped": {ts: 1000, minOffset: 2, wantOff: 2, wantTS: 1003, found: true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r, found, err := recordbatch.FirstAtOrAfter(b, c.ts, c.minOffset)
			if err != nil {
				t.Fatal(err)
			}
			if found != c.found || (found && (r.Offset != c.wantOff || r.Timestamp != c.wantTS)) {
				t.Fatalf("got %+v found=%v, want offset %d ts %d found=%v", r, found, c.wantOff, c.wantTS, c.found)
			}
		})
	}
}

func TestLogAppendTimeUsesMaxTimestamp(t *testing.T) {
	b := batchtest.Build(sampleRecs(), batchtest.Options{LogAppendTime: true})
	r, found, err := recordbatch.FirstAtOrAfter(b, 1015, 0)
	if err != nil || !found || r.Offset != 0 || r.Timestamp != 1020 {
		t.Fatalf("got %+v %v %v, want offset 0 at the batch max timestamp 1020", r, found, err)
	}
}

func TestCorruptBatches(t *testing.T) {
	good := batchtest.Build(sampleRecs(), batchtest.Options{Codec: recordbatch.CodecGzip})
	plain := batchtest.Build(sampleRecs(), batchtest.Options{})
	mutate := func(b []byte, f func([]byte) []byte) []byte { return f(append([]byte(nil), b...)) }
	cases := map[string][]byte{
		"short":            good[:20],
		"bad magic":        mutate(good, func(b []byte) []byte { b[16] = 1; return b }),
		"length too long":  mutate(good, func(b []byte) []byte { binary.BigEndian.PutUint32(b[8:], 1<<30); return b }),
		"negative length":  mutate(good, func(b []byte) []byte { binary.BigEndian.PutUint32(b[8:], 0xffffffff); return b }),
		"bad gzip":         mutate(good, func(b []byte) []byte { b[recordbatch.HeaderSize] ^= 0xff; return b }),
		"unknown codec":    mutate(good, func(b []byte) []byte { b[22] = 7; return b }),
		"more records":     mutate(plain, func(b []byte) []byte { binary.BigEndian.PutUint32(b[57:], 1000); return b }),
		"negative records": mutate(plain, func(b []byte) []byte { binary.BigEndian.PutUint32(b[57:], 0xffffffff); return b }),
		"truncated record": mutate(plain, func(b []byte) []byte {
			n := len(b) - 50
			binary.BigEndian.PutUint32(b[8:], uint32(n-12))
			return b[:n]
		}),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := recordbatch.FirstAtOrAfter(b, 1<<40, 0)
			if !errors.Is(err, recordbatch.ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
		})
	}
}

// FuzzEach checks that no batch, however broken, panics or hangs the
// record walker.
func FuzzEach(f *testing.F) {
	for _, o := range codecs {
		f.Add(batchtest.Build(sampleRecs(), o))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n := 0
		err := recordbatch.Each(b, func(recordbatch.Record) bool { n++; return true })
		if err != nil && !errors.Is(err, recordbatch.ErrCorrupt) {
			t.Fatalf("error %v does not wrap ErrCorrupt", err)
		}
		if h, _, herr := recordbatch.ParseHeader(b); herr == nil && n > int(h.NumRecords) {
			t.Fatalf("reported %d records, header says %d", n, h.NumRecords)
		}
	})
}
