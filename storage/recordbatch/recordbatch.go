// Package recordbatch reads the records of a Kafka magic-v2 record batch
// held as wire bytes, without building them: it walks each record's
// offset and timestamp deltas and skips keys, values and headers, so that
// memory stays bounded whatever the batch claims. Compressed batches (gzip,
// snappy raw or xerial-framed, lz4 frame, zstd) are decompressed as a
// stream, capped at MaxDecompressedBytes.
//
// It is used on cold paths only (ListOffsets by timestamp); the produce and
// fetch paths never decode records.
package recordbatch

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// HeaderSize is the size of the fixed header of a magic-v2 batch.
const HeaderSize = 61

// MaxDecompressedBytes caps how much a compressed batch may inflate to
// before it is treated as corrupt (a decompression bomb).
const MaxDecompressedBytes = 256 << 20

// Attribute bits of a magic-v2 batch.
const (
	AttrCompressionMask = 0x07
	AttrLogAppendTime   = 0x08
	AttrTransactional   = 0x10
	AttrControl         = 0x20
)

// Compression codecs (the low three attribute bits).
const (
	CodecNone   = 0
	CodecGzip   = 1
	CodecSnappy = 2
	CodecLZ4    = 3
	CodecZstd   = 4
)

// ErrCorrupt marks a batch whose header or records cannot be read.
var ErrCorrupt = errors.New("corrupt record batch")

// Header is the part of the batch header this package needs.
type Header struct {
	BaseOffset     int64
	Attributes     int16
	FirstTimestamp int64
	MaxTimestamp   int64
	NumRecords     int32
}

// ParseHeader reads the fixed header of the batch at the start of b and
// returns it with the records section (the bytes after the header, up to
// the batch's declared length). It does not check the CRC: the caller
// stored the batch after checking it.
func ParseHeader(b []byte) (Header, []byte, error) {
	var h Header
	if len(b) < HeaderSize {
		return h, nil, fmt.Errorf("%w: %d bytes is shorter than a batch header", ErrCorrupt, len(b))
	}
	length := int64(int32(binary.BigEndian.Uint32(b[8:])))
	size := length + 12
	if size < HeaderSize || size > int64(len(b)) {
		return h, nil, fmt.Errorf("%w: batch length %d does not fit %d bytes", ErrCorrupt, length, len(b))
	}
	if b[16] != 2 {
		return h, nil, fmt.Errorf("%w: unsupported magic %d", ErrCorrupt, int8(b[16]))
	}
	h.BaseOffset = int64(binary.BigEndian.Uint64(b))
	h.Attributes = int16(binary.BigEndian.Uint16(b[21:]))
	h.FirstTimestamp = int64(binary.BigEndian.Uint64(b[27:]))
	h.MaxTimestamp = int64(binary.BigEndian.Uint64(b[35:]))
	h.NumRecords = int32(binary.BigEndian.Uint32(b[57:]))
	if h.NumRecords < 0 {
		return h, nil, fmt.Errorf("%w: negative record count %d", ErrCorrupt, h.NumRecords)
	}
	return h, b[HeaderSize:size], nil
}

// Record is what Each reports of one record.
type Record struct {
	Offset    int64 // absolute offset (base offset + offset delta)
	Timestamp int64 // CreateTime, or the batch max timestamp for LogAppendTime batches
}

// Each calls fn for the records of the batch at the start of b, in order,
// until fn returns false. A batch that cannot be read (bad header, bad
// compression, truncated record) is an error wrapping ErrCorrupt; records
// already passed to fn stay valid.
func Each(b []byte, fn func(Record) bool) error {
	h, body, err := ParseHeader(b)
	if err != nil {
		return err
	}
	src, done, err := open(int(h.Attributes&AttrCompressionMask), body)
	if err != nil {
		return err
	}
	defer done()
	r := readerPool.Get().(*bufio.Reader)
	r.Reset(&io.LimitedReader{R: src, N: MaxDecompressedBytes})
	defer func() { r.Reset(nil); readerPool.Put(r) }()
	appendTime := h.Attributes&AttrLogAppendTime != 0
	for i := int32(0); i < h.NumRecords; i++ {
		rec, err := next(r, &h)
		if err != nil {
			return fmt.Errorf("%w: record %d of %d: %v", ErrCorrupt, i, h.NumRecords, err)
		}
		if appendTime {
			rec.Timestamp = h.MaxTimestamp
		}
		if !fn(rec) {
			return nil
		}
	}
	return nil
}

// FirstAtOrAfter returns the first record of the batch whose timestamp is
// at least ts and whose offset is at least minOffset (Kafka's
// LogSegment.findOffsetByTimestamp on one batch).
func FirstAtOrAfter(b []byte, ts, minOffset int64) (rec Record, found bool, err error) {
	err = Each(b, func(r Record) bool {
		if r.Timestamp >= ts && r.Offset >= minOffset {
			rec, found = r, true
			return false
		}
		return true
	})
	return rec, found, err
}

var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

// next reads one record's length, attributes, timestamp and offset deltas
// and discards the rest of it.
func next(r *bufio.Reader, h *Header) (Record, error) {
	length, _, err := varint(r)
	if err != nil {
		return Record{}, fmt.Errorf("length: %w", err)
	}
	if length < 3 || length > MaxDecompressedBytes {
		return Record{}, fmt.Errorf("record length %d", length)
	}
	if _, err := r.ReadByte(); err != nil { // record attributes (unused)
		return Record{}, fmt.Errorf("attributes: %w", unexpected(err))
	}
	tsDelta, n1, err := varint(r)
	if err != nil {
		return Record{}, fmt.Errorf("timestamp delta: %w", err)
	}
	offDelta, n2, err := varint(r)
	if err != nil {
		return Record{}, fmt.Errorf("offset delta: %w", err)
	}
	rest := length - 1 - int64(n1) - int64(n2)
	if rest < 0 {
		return Record{}, fmt.Errorf("record length %d shorter than its fields", length)
	}
	if _, err := r.Discard(int(rest)); err != nil {
		return Record{}, fmt.Errorf("record body: %w", unexpected(err))
	}
	return Record{Offset: h.BaseOffset + offDelta, Timestamp: h.FirstTimestamp + tsDelta}, nil
}

// varint reads a zig-zag varint and the number of bytes it took.
func varint(r *bufio.Reader) (int64, int, error) {
	var ux uint64
	for i := 0; i < binary.MaxVarintLen64; i++ {
		c, err := r.ReadByte()
		if err != nil {
			return 0, i, unexpected(err)
		}
		ux |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			x := int64(ux >> 1)
			if ux&1 != 0 {
				x = ^x
			}
			return x, i + 1, nil
		}
	}
	return 0, binary.MaxVarintLen64, errors.New("varint overflows 64 bits")
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// open returns a reader of the decompressed records section and a
// function releasing it.
func open(codec int, body []byte) (io.Reader, func(), error) {
	nop := func() {}
	switch codec {
	case CodecNone:
		return bytes.NewReader(body), nop, nil
	case CodecGzip:
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, nil, fmt.Errorf("%w: gzip: %v", ErrCorrupt, err)
		}
		return zr, func() { _ = zr.Close() }, nil
	case CodecSnappy:
		return &snappyReader{src: body}, nop, nil
	case CodecLZ4:
		return lz4.NewReader(bytes.NewReader(body)), nop, nil
	case CodecZstd:
		d := zstdPool.Get().(*zstd.Decoder)
		if err := d.Reset(bytes.NewReader(body)); err != nil {
			zstdPool.Put(d)
			return nil, nil, fmt.Errorf("%w: zstd: %v", ErrCorrupt, err)
		}
		return d, func() { _ = d.Reset(nil); zstdPool.Put(d) }, nil
	}
	return nil, nil, fmt.Errorf("%w: unknown compression codec %d", ErrCorrupt, codec)
}

var zstdPool = sync.Pool{New: func() any {
	d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxMemory(MaxDecompressedBytes))
	if err != nil { // only for invalid options, which these are not
		panic(fmt.Sprintf("recordbatch: zstd decoder: %v", err))
	}
	return d
}}

// xerialMagic opens the framing the Java client's snappy stream uses: a
// 16-byte header, then blocks each prefixed by a big-endian int32 length.
var xerialMagic = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

// snappyReader decodes raw snappy (one block) or xerial-framed snappy one
// block at a time, so only one decoded block is held.
type snappyReader struct {
	src    []byte
	buf    []byte
	xerial bool
	begun  bool
}

func (s *snappyReader) Read(p []byte) (int, error) {
	for len(s.buf) == 0 {
		if err := s.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

func (s *snappyReader) fill() error {
	if !s.begun {
		s.begun = true
		if bytes.HasPrefix(s.src, xerialMagic) {
			if len(s.src) < 16 {
				return fmt.Errorf("snappy: xerial header of %d bytes", len(s.src))
			}
			s.xerial = true
			s.src = s.src[16:]
		} else {
			return s.decode(s.src, true)
		}
	}
	if !s.xerial || len(s.src) == 0 {
		return io.EOF
	}
	if len(s.src) < 4 {
		return errors.New("snappy: truncated xerial block length")
	}
	n := int64(binary.BigEndian.Uint32(s.src))
	if n > int64(len(s.src)-4) {
		return fmt.Errorf("snappy: xerial block of %d bytes beyond the batch", n)
	}
	block := s.src[4 : 4+n]
	s.src = s.src[4+n:]
	return s.decode(block, false)
}

func (s *snappyReader) decode(block []byte, last bool) error {
	n, err := snappy.DecodedLen(block)
	if err != nil {
		return fmt.Errorf("snappy: %v", err)
	}
	if n > MaxDecompressedBytes {
		return fmt.Errorf("snappy: block inflates to %d bytes", n)
	}
	out, err := snappy.Decode(s.buf[:0:cap(s.buf)], block)
	if err != nil {
		return fmt.Errorf("snappy: %v", err)
	}
	s.buf = out
	if last {
		s.src = nil
	}
	if len(out) == 0 && last {
		return io.EOF
	}
	return nil
}
