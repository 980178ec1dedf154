package broker

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// batchHeader is the fixed 61-byte header of a magic-v2 record batch, read
// without decoding any record.
type batchHeader struct {
	BaseOffset      int64
	Length          int32
	Magic           int8
	CRC             uint32
	Attributes      int16
	LastOffsetDelta int32
	FirstTimestamp  int64
	MaxTimestamp    int64
	ProducerID      int64
	ProducerEpoch   int16
	BaseSequence    int32
	NumRecords      int32
}

const batchHeaderSize = 61

const (
	attrTransactional = 0x10
	attrControl       = 0x20
)

func (h *batchHeader) transactional() bool { return h.Attributes&attrTransactional != 0 }
func (h *batchHeader) control() bool       { return h.Attributes&attrControl != 0 }

var crc32c = crc32.MakeTable(crc32.Castagnoli)

var errCorrupt = errors.New("corrupt record batch")

// parseBatch reads the header of the batch at the start of b and returns
// it with the batch's total size. It validates length, magic and CRC.
func parseBatch(b []byte) (batchHeader, int, error) {
	var h batchHeader
	if len(b) < batchHeaderSize {
		return h, 0, fmt.Errorf("%w: %d bytes is shorter than a batch header", errCorrupt, len(b))
	}
	h.BaseOffset = int64(binary.BigEndian.Uint64(b))
	h.Length = int32(binary.BigEndian.Uint32(b[8:]))
	size := int(h.Length) + 12
	if h.Length < batchHeaderSize-12 || size > len(b) {
		return h, 0, fmt.Errorf("%w: batch length %d does not fit %d bytes", errCorrupt, h.Length, len(b))
	}
	h.Magic = int8(b[16])
	if h.Magic != 2 {
		return h, 0, fmt.Errorf("%w: unsupported magic %d", errCorrupt, h.Magic)
	}
	h.CRC = binary.BigEndian.Uint32(b[17:])
	if crc32.Checksum(b[21:size], crc32c) != h.CRC {
		return h, 0, fmt.Errorf("%w: CRC mismatch", errCorrupt)
	}
	h.Attributes = int16(binary.BigEndian.Uint16(b[21:]))
	h.LastOffsetDelta = int32(binary.BigEndian.Uint32(b[23:]))
	h.FirstTimestamp = int64(binary.BigEndian.Uint64(b[27:]))
	h.MaxTimestamp = int64(binary.BigEndian.Uint64(b[35:]))
	h.ProducerID = int64(binary.BigEndian.Uint64(b[43:]))
	h.ProducerEpoch = int16(binary.BigEndian.Uint16(b[51:]))
	h.BaseSequence = int32(binary.BigEndian.Uint32(b[53:]))
	h.NumRecords = int32(binary.BigEndian.Uint32(b[57:]))
	if h.NumRecords < 0 || h.LastOffsetDelta < 0 || (h.NumRecords > 0 && h.LastOffsetDelta < h.NumRecords-1) {
		return h, 0, fmt.Errorf("%w: %d records with last offset delta %d", errCorrupt, h.NumRecords, h.LastOffsetDelta)
	}
	return h, size, nil
}

const attrLogAppendTime = 0x08

// stampLogAppendTime turns a (validated) batch into a LogAppendTime batch
// at ts: the timestamp-type attribute, the max timestamp and the CRC are
// rewritten, as Kafka's DefaultRecordBatch.setMaxTimestamp.
func stampLogAppendTime(b []byte, ts int64) {
	attrs := binary.BigEndian.Uint16(b[21:]) | attrLogAppendTime
	binary.BigEndian.PutUint16(b[21:], attrs)
	binary.BigEndian.PutUint64(b[35:], uint64(ts))
	size := int(int32(binary.BigEndian.Uint32(b[8:]))) + 12
	binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:size], crc32c))
}

// logAppendTime is the produce response's log_append_time of a stored
// batch: its max timestamp when the broker stamped it, else -1.
func logAppendTime(b []byte) int64 {
	if len(b) < batchHeaderSize || binary.BigEndian.Uint16(b[21:])&attrLogAppendTime == 0 {
		return -1
	}
	return int64(binary.BigEndian.Uint64(b[35:]))
}
