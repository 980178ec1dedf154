// Package batchtest builds real magic-v2 record batches (CRC, compression,
// timestamps) for tests of the storage and broker packages. It is test
// support only; nothing in the broker's serving path imports it.
package batchtest

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"github.com/minikafka/minikafka/storage/recordbatch"
)

// Rec is one record to put in a batch: its timestamp and value.
type Rec struct {
	Timestamp int64
	Key       []byte
	Value     []byte
}

// Options tune a batch.
type Options struct {
	Codec         int   // recordbatch.Codec*
	XerialSnappy  bool  // frame snappy as the Java client does
	LogAppendTime bool  // set the timestamp-type attribute
	ProducerID    int64 // -1 when zero and not Idempotent
	ProducerEpoch int16
	BaseSequence  int32
	Idempotent    bool // keep ProducerID even when it is 0
	Transactional bool
}

// Build returns a batch with base offset 0 holding recs, in wire form.
func Build(recs []Rec, o Options) []byte {
	if len(recs) == 0 {
		panic("batchtest: a batch needs at least one record")
	}
	first, maxTS := recs[0].Timestamp, recs[0].Timestamp
	for _, r := range recs {
		maxTS = max(maxTS, r.Timestamp)
	}
	var body []byte
	for i, r := range recs {
		var rec []byte
		rec = append(rec, 0) // attributes
		rec = binary.AppendVarint(rec, r.Timestamp-first)
		rec = binary.AppendVarint(rec, int64(i))
		rec = appendBytes(rec, r.Key)
		rec = appendBytes(rec, r.Value)
		rec = binary.AppendVarint(rec, 0) // headers
		body = binary.AppendVarint(body, int64(len(rec)))
		body = append(body, rec...)
	}
	body = compress(o, body)
	attrs := int16(o.Codec)
	if o.LogAppendTime {
		attrs |= recordbatch.AttrLogAppendTime
	}
	if o.Transactional {
		attrs |= recordbatch.AttrTransactional
	}
	pid := o.ProducerID
	if pid == 0 && !o.Idempotent {
		pid = -1
	}
	epoch, seq := o.ProducerEpoch, o.BaseSequence
	if pid < 0 {
		epoch, seq = -1, -1
	}
	b := make([]byte, recordbatch.HeaderSize, recordbatch.HeaderSize+len(body))
	binary.BigEndian.PutUint64(b[0:], 0)
	binary.BigEndian.PutUint32(b[8:], uint32(recordbatch.HeaderSize-12+len(body)))
	binary.BigEndian.PutUint32(b[12:], 0) // partition leader epoch
	b[16] = 2
	binary.BigEndian.PutUint16(b[21:], uint16(attrs))
	binary.BigEndian.PutUint32(b[23:], uint32(len(recs)-1))
	binary.BigEndian.PutUint64(b[27:], uint64(first))
	binary.BigEndian.PutUint64(b[35:], uint64(maxTS))
	binary.BigEndian.PutUint64(b[43:], uint64(pid))
	binary.BigEndian.PutUint16(b[51:], uint16(epoch))
	binary.BigEndian.PutUint32(b[53:], uint32(seq))
	binary.BigEndian.PutUint32(b[57:], uint32(len(recs)))
	b = append(b, body...)
	binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:], crc32.MakeTable(crc32.Castagnoli)))
	return b
}

func appendBytes(dst, b []byte) []byte {
	if b == nil {
		return binary.AppendVarint(dst, -1)
	}
	dst = binary.AppendVarint(dst, int64(len(b)))
	return append(dst, b...)
}

func compress(o Options, body []byte) []byte {
	var buf bytes.Buffer
	switch o.Codec {
	case recordbatch.CodecNone:
		return body
	case recordbatch.CodecGzip:
		w := gzip.NewWriter(&buf)
		_, _ = w.Write(body)
		_ = w.Close()
	case recordbatch.CodecSnappy:
		if !o.XerialSnappy {
			return snappy.Encode(nil, body)
		}
		buf.Write([]byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1})
		for len(body) > 0 { // small blocks, to exercise the framing
			n := min(len(body), 64)
			blk := snappy.Encode(nil, body[:n])
			buf.Write(binary.BigEndian.AppendUint32(nil, uint32(len(blk))))
			buf.Write(blk)
			body = body[n:]
		}
	case recordbatch.CodecLZ4:
		w := lz4.NewWriter(&buf)
		_, _ = w.Write(body)
		_ = w.Close()
	case recordbatch.CodecZstd:
		w, _ := zstd.NewWriter(&buf)
		_, _ = w.Write(body)
		_ = w.Close()
	default:
		panic(fmt.Sprintf("batchtest: unknown codec %d", o.Codec))
	}
	return buf.Bytes()
}
