package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/bits"
)

// Every record value starts with a 16-byte stamp: the harness producer's
// index, the partition it was sent to, and its sequence number in that
// (producer, partition) stream, followed by padding up to the value size.
//
//	[0:4)  producer index (uint32)
//	[4:8)  partition (uint32)
//	[8:16) sequence (uint64), dense from 0 per (producer, partition)
const stampSize = 16

func putStamp(v []byte, producer int, partition int32, seq uint64) {
	binary.BigEndian.PutUint32(v[0:], uint32(producer))
	binary.BigEndian.PutUint32(v[4:], uint32(partition))
	binary.BigEndian.PutUint64(v[8:], seq)
}

func readStamp(v []byte) (producer int, partition int32, seq uint64, ok bool) {
	if len(v) < stampSize {
		return 0, 0, 0, false
	}
	return int(binary.BigEndian.Uint32(v[0:])), int32(binary.BigEndian.Uint32(v[4:])), binary.BigEndian.Uint64(v[8:]), true
}

var crc32c = crc32.MakeTable(crc32.Castagnoli)

// batchBuilder builds uncompressed magic-v2 record batches of idempotent
// producers, reusing its buffer.
type batchBuilder struct {
	buf   []byte
	value []byte
}

const batchHeaderSize = 61

// build returns a batch of n records stamped (producer, partition,
// firstSeq+i), with the idempotent producer id, epoch and base sequence.
// The returned slice is valid until the next call.
func (b *batchBuilder) build(producer int, partition int32, firstSeq uint64, n, valueSize int, pid int64, epoch int16, now int64) []byte {
	if cap(b.value) < valueSize {
		b.value = make([]byte, valueSize)
		for i := stampSize; i < valueSize; i++ {
			b.value[i] = byte(i)
		}
	}
	value := b.value[:valueSize]
	buf := append(b.buf[:0], make([]byte, batchHeaderSize)...)
	for i := 0; i < n; i++ {
		putStamp(value, producer, partition, firstSeq+uint64(i))
		// record: attributes, timestamp delta, offset delta, key (null),
		// value, header count.
		var rec [3 * binary.MaxVarintLen64]byte
		r := rec[:0]
		r = append(r, 0)
		r = binary.AppendVarint(r, 0)
		r = binary.AppendVarint(r, int64(i))
		r = binary.AppendVarint(r, -1)
		r = binary.AppendVarint(r, int64(len(value)))
		size := len(r) + len(value) + 1
		buf = binary.AppendVarint(buf, int64(size))
		buf = append(buf, r...)
		buf = append(buf, value...)
		buf = append(buf, 0) // no headers
	}
	h := buf[:batchHeaderSize]
	binary.BigEndian.PutUint64(h[0:], 0)                        // base offset
	binary.BigEndian.PutUint32(h[8:], uint32(len(buf)-12))      // batch length
	binary.BigEndian.PutUint32(h[12:], 0)                       // partition leader epoch
	h[16] = 2                                                   // magic
	binary.BigEndian.PutUint16(h[21:], 0)                       // attributes: uncompressed, CreateTime
	binary.BigEndian.PutUint32(h[23:], uint32(n-1))             // last offset delta
	binary.BigEndian.PutUint64(h[27:], uint64(now))             // first timestamp
	binary.BigEndian.PutUint64(h[35:], uint64(now))             // max timestamp
	binary.BigEndian.PutUint64(h[43:], uint64(pid))             // producer id
	binary.BigEndian.PutUint16(h[51:], uint16(epoch))           // producer epoch
	binary.BigEndian.PutUint32(h[53:], uint32(int32(firstSeq))) // base sequence
	binary.BigEndian.PutUint32(h[57:], uint32(n))               // records
	binary.BigEndian.PutUint32(h[17:], crc32.Checksum(buf[21:], crc32c))
	b.buf = buf
	return buf
}

var errShortBatch = errors.New("truncated batch")

// eachRecord walks the batches of a fetched partition: it checks each
// batch's CRC and calls fn with every record at or above fromOffset. It
// returns the offset after the last complete batch (a fetch may end with
// a partial batch, which is not an error).
func eachRecord(data []byte, fromOffset int64, fn func(offset int64, value []byte) error) (int64, error) {
	next := fromOffset
	for len(data) > 0 {
		if len(data) < batchHeaderSize {
			return next, nil
		}
		size := int(int32(binary.BigEndian.Uint32(data[8:]))) + 12
		if size < batchHeaderSize {
			return next, fmt.Errorf("batch length %d", size)
		}
		if size > len(data) {
			return next, nil // partial batch at the end of the fetch
		}
		batch := data[:size]
		data = data[size:]
		if batch[16] != 2 {
			return next, fmt.Errorf("magic %d", batch[16])
		}
		if want, got := binary.BigEndian.Uint32(batch[17:]), crc32.Checksum(batch[21:], crc32c); want != got {
			return next, fmt.Errorf("batch at offset %d: CRC %08x, computed %08x", int64(binary.BigEndian.Uint64(batch)), want, got)
		}
		base := int64(binary.BigEndian.Uint64(batch))
		attrs := binary.BigEndian.Uint16(batch[21:])
		lastDelta := int64(int32(binary.BigEndian.Uint32(batch[23:])))
		if attrs&0x20 != 0 { // control batch
			next = max(next, base+lastDelta+1)
			continue
		}
		if attrs&0x07 != 0 {
			return next, fmt.Errorf("batch at offset %d is compressed (codec %d); the load producers never compress", base, attrs&7)
		}
		n := int(int32(binary.BigEndian.Uint32(batch[57:])))
		recs := batch[batchHeaderSize:]
		for i := 0; i < n; i++ {
			length, k := binary.Varint(recs)
			if k <= 0 || length < 0 || int64(len(recs)-k) < length {
				return next, fmt.Errorf("batch at offset %d: record %d: %w", base, i, errShortBatch)
			}
			rec := recs[k : k+int(length)]
			recs = recs[k+int(length):]
			if err := recordValue(rec, base, fromOffset, fn); err != nil {
				return next, fmt.Errorf("batch at offset %d: record %d: %w", base, i, err)
			}
		}
		next = max(next, base+lastDelta+1)
	}
	return next, nil
}

// recordValue decodes one record body and passes its value to fn when its
// offset is at least from.
func recordValue(rec []byte, base, from int64, fn func(int64, []byte) error) error {
	if len(rec) < 1 {
		return errShortBatch
	}
	rec = rec[1:] // attributes
	var vals [2]int64
	for i := range vals { // timestamp delta, offset delta
		v, k := binary.Varint(rec)
		if k <= 0 {
			return errShortBatch
		}
		vals[i], rec = v, rec[k:]
	}
	off := base + vals[1]
	klen, k := binary.Varint(rec)
	if k <= 0 {
		return errShortBatch
	}
	rec = rec[k:]
	if klen > 0 {
		if int64(len(rec)) < klen {
			return errShortBatch
		}
		rec = rec[klen:]
	}
	vlen, k := binary.Varint(rec)
	if k <= 0 || vlen < 0 || int64(len(rec)-k) < vlen {
		return errShortBatch
	}
	if off < from {
		return nil
	}
	return fn(off, rec[k:k+int(vlen)])
}

// bitset is a growable set of sequence numbers.
type bitset []uint64

// set adds i and reports whether it was already present.
func (b *bitset) set(i uint64) bool {
	w := int(i / 64)
	if w >= len(*b) {
		n := make(bitset, max(w+1, 2*len(*b)))
		copy(n, *b)
		*b = n
	}
	m := uint64(1) << (i % 64)
	had := (*b)[w]&m != 0
	(*b)[w] |= m
	return had
}

func (b bitset) has(i uint64) bool {
	w := int(i / 64)
	return w < len(b) && b[w]&(uint64(1)<<(i%64)) != 0
}

// count returns how many members b has.
func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// andNotCount returns |b \ o|.
func (b bitset) andNotCount(o bitset) int {
	n := 0
	for i, w := range b {
		if i < len(o) {
			w &^= o[i]
		}
		n += bits.OnesCount64(w)
	}
	return n
}

// firstAndNot returns the smallest member of b \ o, or -1.
func (b bitset) firstAndNot(o bitset) int64 {
	for i, w := range b {
		if i < len(o) {
			w &^= o[i]
		}
		if w != 0 {
			return int64(i*64 + bits.TrailingZeros64(w))
		}
	}
	return -1
}
