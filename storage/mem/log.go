// Package mem is the in-memory implementation of minikafka's storage
// interfaces, used when the broker is embedded without a data directory.
package mem

import (
	"encoding/binary"
	"sort"
	"sync"

	"github.com/minikafka/minikafka/storage"
	"github.com/minikafka/minikafka/storage/recordbatch"
)

// LogFactory creates in-memory logs.
type LogFactory struct{}

// NewLog returns an empty in-memory log.
func (LogFactory) NewLog(string, int32) (storage.Log, error) { return NewLog(), nil }

// Log is an in-memory partition log: a slice of batches held as wire bytes.
type Log struct {
	mu      sync.RWMutex
	batches []storage.Batch
	start   int64 // log start offset
	end     int64 // next offset
	size    int64
	// maxTS is the largest batch max timestamp held and maxTSBase the base
	// offset of the first batch carrying it (-1 when the log is empty).
	maxTS     int64
	maxTSBase int64
}

// NewLog returns an empty log.
func NewLog() *Log { return &Log{maxTS: -1, maxTSBase: -1} }

// Append implements storage.Log.
func (l *Log) Append(data []byte, lastOffsetDelta int32, maxTimestamp int64) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	base := l.end
	binary.BigEndian.PutUint64(data, uint64(base))
	last := base + int64(lastOffsetDelta)
	l.batches = append(l.batches, storage.Batch{BaseOffset: base, LastOffset: last, MaxTimestamp: maxTimestamp, Data: data})
	l.end = last + 1
	l.size += int64(len(data))
	if maxTimestamp > l.maxTS {
		l.maxTS, l.maxTSBase = maxTimestamp, base
	}
	return base, nil
}

// find returns the index of the first batch whose LastOffset ≥ offset.
func (l *Log) find(offset int64) int {
	return sort.Search(len(l.batches), func(i int) bool { return l.batches[i].LastOffset >= offset })
}

// Read implements storage.Log.
func (l *Log) Read(offset, upTo int64, maxBytes int, fn func(b *storage.Batch) bool) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if offset < l.start || offset > l.end {
		return storage.ErrOffsetOutOfRange
	}
	n := 0
	for i := l.find(offset); i < len(l.batches); i++ {
		b := &l.batches[i]
		if b.BaseOffset >= upTo {
			break
		}
		if n > 0 && n+len(b.Data) > maxBytes {
			break
		}
		n += len(b.Data)
		if !fn(b) {
			break
		}
	}
	return nil
}

// StartOffset implements storage.Log.
func (l *Log) StartOffset() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.start
}

// EndOffset implements storage.Log.
func (l *Log) EndOffset() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.end
}

// Size implements storage.Log.
func (l *Log) Size() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.size
}

// DeleteBefore implements storage.Log.
func (l *Log) DeleteBefore(offset int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if offset > l.end || offset < 0 {
		return storage.ErrOffsetOutOfRange
	}
	if offset <= l.start {
		return nil
	}
	l.start = offset
	l.dropWhile(func(b *storage.Batch) bool { return b.LastOffset < offset })
	return nil
}

func (l *Log) dropWhile(drop func(b *storage.Batch) bool) {
	i := 0
	for i < len(l.batches) && drop(&l.batches[i]) {
		l.size -= int64(len(l.batches[i].Data))
		l.batches[i] = storage.Batch{}
		i++
	}
	if i == 0 {
		return
	}
	l.batches = l.batches[i:]
	if len(l.batches) > 0 && l.batches[0].BaseOffset > l.start {
		l.start = l.batches[0].BaseOffset
	} else if len(l.batches) == 0 && l.start < l.end {
		l.start = l.end
	}
	if l.maxTSBase >= 0 && (len(l.batches) == 0 || l.maxTSBase < l.batches[0].BaseOffset) {
		// The batch with the largest timestamp is gone: find the new one.
		l.maxTS, l.maxTSBase = -1, -1
		for i := range l.batches {
			if b := &l.batches[i]; b.MaxTimestamp > l.maxTS {
				l.maxTS, l.maxTSBase = b.MaxTimestamp, b.BaseOffset
			}
		}
	}
}

// Retain implements storage.Log with Kafka's segment rules, one batch
// standing for one segment: a batch goes when its max timestamp is older
// than minTimestamp, or while the log would still hold at least maxBytes
// without it. The newest batch is not spared (Kafka rolls the active
// segment and deletes it), so an expired log ends up empty with its start
// offset at the end offset.
func (l *Log) Retain(maxBytes int64, minTimestamp int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dropWhile(func(b *storage.Batch) bool {
		if maxBytes >= 0 && l.size-int64(len(b.Data)) >= maxBytes {
			return true
		}
		return minTimestamp > 0 && b.MaxTimestamp < minTimestamp
	})
}

// OffsetForTimestamp implements storage.Log: the first record (not batch)
// whose timestamp is at least ts and whose offset is at least the log start
// offset, as Kafka's LogSegment.findOffsetByTimestamp. Only the candidate
// batches (the first whose max timestamp reaches ts, and the next ones if
// it has no such record above the log start) are decoded, outside the
// lock; appends and fetches never pay for it. A batch that cannot be
// decoded is answered at batch granularity (its base offset and max
// timestamp), so the caller always gets an offset at or before the record.
func (l *Log) OffsetForTimestamp(ts int64) (int64, int64, bool) {
	l.mu.RLock()
	start := l.start
	i := sort.Search(len(l.batches), func(i int) bool { return l.batches[i].LastOffset >= start })
	// At most two candidates: the batch straddling the log start may hold
	// its only late-enough records below it; any later batch with a max
	// timestamp ≥ ts has a matching record. Data is immutable once
	// appended, so the copies stay valid after the lock is released.
	var candidates [2]storage.Batch
	n := 0
	for ; i < len(l.batches) && n < 2; i++ {
		if b := l.batches[i]; b.MaxTimestamp >= ts {
			candidates[n] = b
			n++
			if b.BaseOffset >= start {
				break
			}
		}
	}
	l.mu.RUnlock()
	for _, b := range candidates[:n] {
		rec, found, err := recordbatch.FirstAtOrAfter(b.Data, ts, start)
		if err != nil {
			return max(b.BaseOffset, start), b.MaxTimestamp, true
		}
		if found {
			return rec.Offset, rec.Timestamp, true
		}
	}
	return 0, 0, false
}

// MaxTimestamp implements storage.Log: the first record carrying the
// largest timestamp of the log, as Kafka's RecordBatch.offsetOfMaxTimestamp
// (offset and timestamp -1 for an empty log). Like OffsetForTimestamp, it
// decodes one batch outside the lock and falls back to that batch's base
// offset if the batch cannot be decoded.
func (l *Log) MaxTimestamp() (int64, int64) {
	l.mu.RLock()
	ts, base := l.maxTS, l.maxTSBase
	var data []byte
	if base >= 0 {
		if i := l.find(base); i < len(l.batches) && l.batches[i].BaseOffset == base {
			data = l.batches[i].Data
		}
	}
	l.mu.RUnlock()
	if data == nil {
		return -1, -1
	}
	off := base
	_ = recordbatch.Each(data, func(r recordbatch.Record) bool {
		if r.Timestamp == ts {
			off = r.Offset
			return false
		}
		return true
	})
	return off, ts
}
