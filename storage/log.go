// Package storage holds minikafka's persistence seams: the partition log
// (record batches kept as wire bytes), and the stores for ACLs and SCRAM
// credentials. Implementations live in subpackages (mem, bolt); a
// conformance suite in storagetest runs against each.
package storage

import "errors"

// ErrOffsetOutOfRange is returned by Log.Read for an offset outside
// [StartOffset, EndOffset].
var ErrOffsetOutOfRange = errors.New("offset out of range")

// Batch is one stored record batch and the facts about it the broker needs
// without decoding it.
type Batch struct {
	BaseOffset   int64
	LastOffset   int64
	MaxTimestamp int64
	// Data is the whole batch in wire form (magic v2), baseOffset included.
	Data []byte
}

// Log is one partition's log. Implementations must be safe for concurrent
// use by one writer and many readers.
type Log interface {
	// Append assigns the next offset to the batch in data (rewriting its
	// baseOffset field in place) and stores it. lastOffsetDelta and
	// maxTimestamp are read by the caller from the batch header.
	Append(data []byte, lastOffsetDelta int32, maxTimestamp int64) (baseOffset int64, err error)
	// Read calls fn for the batches holding offsets from offset up to (not
	// including) upTo, in order, until fn returns false or maxBytes have been
	// passed (at least one batch is always passed if any exists).
	// fn may keep b.Data after Read returns (the broker writes fetch
	// responses from it): implementations never modify or reuse the bytes
	// of a batch once it is appended.
	Read(offset, upTo int64, maxBytes int, fn func(b *Batch) bool) error
	// StartOffset is the log start offset; EndOffset the next offset to be
	// assigned (the high watermark of a single-replica log).
	StartOffset() int64
	EndOffset() int64
	// DeleteBefore advances the log start offset to offset (DeleteRecords),
	// dropping whole batches that end before it.
	DeleteBefore(offset int64) error
	// OffsetForTimestamp returns the offset and timestamp of the first
	// record at or above the log start whose timestamp is ≥ ts (record
	// granularity, as Kafka); found=false when there is none.
	OffsetForTimestamp(ts int64) (offset, timestamp int64, found bool)
	// MaxTimestamp returns the offset of the first record carrying the
	// largest timestamp, and that timestamp (-1, -1 for an empty log).
	MaxTimestamp() (offset, timestamp int64)
	// Size is the number of bytes held.
	Size() int64
	// Retain applies retention to the oldest batches, each standing for a
	// Kafka segment: a batch is dropped while the log would still hold at
	// least maxBytes without it (if maxBytes ≥ 0), or when its max
	// timestamp is older than minTimestamp (if minTimestamp > 0). The log
	// start offset moves past dropped batches; the newest batch may go too.
	Retain(maxBytes int64, minTimestamp int64)
}

// LogFactory creates partition logs.
type LogFactory interface {
	NewLog(topic string, partition int32) (Log, error)
}
