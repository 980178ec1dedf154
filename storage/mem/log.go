// Package mem is the in-memory implementation of minikafka's storage
// interfaces, used when the broker is embedded without a data directory.
package mem

import (
	"encoding/binary"
	"sort"
	"sync"

	"github.com/minikafka/minikafka/storage"
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
	maxTS   int64
	maxTSOf int64
}

// NewLog returns an empty log.
func NewLog() *Log { return &Log{maxTS: -1, maxTSOf: -1} }

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
		l.maxTS, l.maxTSOf = maxTimestamp, last
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
}

// Retain implements storage.Log.
func (l *Log) Retain(maxBytes int64, minTimestamp int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dropWhile(func(b *storage.Batch) bool {
		if b == &l.batches[len(l.batches)-1] {
			return false
		}
		if maxBytes >= 0 && l.size > maxBytes {
			return true
		}
		return minTimestamp > 0 && b.MaxTimestamp < minTimestamp
	})
}

// OffsetForTimestamp implements storage.Log.
func (l *Log) OffsetForTimestamp(ts int64) (int64, int64, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	for i := range l.batches {
		b := &l.batches[i]
		if b.MaxTimestamp >= ts {
			off := b.BaseOffset
			if off < l.start {
				off = l.start
			}
			return off, b.MaxTimestamp, true
		}
	}
	return 0, 0, false
}

// MaxTimestamp implements storage.Log.
func (l *Log) MaxTimestamp() (int64, int64) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.maxTSOf, l.maxTS
}
