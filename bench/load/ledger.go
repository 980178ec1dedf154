package main

import (
	"fmt"
	"math/bits"
	"sync"
)

// ledger holds what every harness producer sent and had acknowledged, per
// (producer, partition) stream.
type ledger struct {
	partitions int
	streams    [][]*stream // [producer][partition], nil when unused
}

type stream struct {
	mu    sync.Mutex
	sent  uint64 // sequences below sent were sent (at least once)
	acked bitset
}

func newLedger(producers, partitions int) *ledger {
	l := &ledger{partitions: partitions, streams: make([][]*stream, producers)}
	for i := range l.streams {
		l.streams[i] = make([]*stream, partitions)
	}
	return l
}

// stream returns the (producer, partition) stream, creating it. Each
// producer creates its own streams before it starts, so no lock is needed.
func (l *ledger) stream(producer int, partition int32) *stream {
	s := l.streams[producer][partition]
	if s == nil {
		s = &stream{}
		l.streams[producer][partition] = s
	}
	return s
}

func (s *stream) markSent(end uint64) {
	s.mu.Lock()
	s.sent = max(s.sent, end)
	s.mu.Unlock()
}

// ack records that sequences [first, first+n) were acknowledged.
func (s *stream) ack(first uint64, n int) {
	s.mu.Lock()
	for i := 0; i < n; i++ {
		s.acked.set(first + uint64(i))
	}
	s.mu.Unlock()
}

// totals returns the records sent and acknowledged over all streams.
func (l *ledger) totals() (sent, acked int64) {
	for _, ps := range l.streams {
		for _, s := range ps {
			if s != nil {
				s.mu.Lock()
				sent += int64(s.sent)
				acked += int64(s.acked.count())
				s.mu.Unlock()
			}
		}
	}
	return sent, acked
}

// scope is one full read of some partitions: a lean consumer's scan, or
// one consumer group (the union of its members).
type scope struct {
	name      string
	parts     []int32
	producers int
	seen      map[int]*bitset // key producer*partitions+partition
	records   int64
	dups      int64
	invalid   int64 // records whose stamp names no stream, or another partition
	firstBad  string
}

func newScope(name string, parts []int32, producers int) *scope {
	return &scope{name: name, parts: parts, producers: producers, seen: map[int]*bitset{}}
}

// observe counts one record read from partition.
func (sc *scope) observe(partitions int, partition int32, value []byte) {
	sc.records++
	producer, p, seq, ok := readStamp(value)
	if !ok || producer >= sc.producers || p != partition {
		sc.invalid++
		if sc.firstBad == "" {
			sc.firstBad = fmt.Sprintf("record of %d bytes in partition %d stamped producer %d partition %d", len(value), partition, producer, p)
		}
		return
	}
	k := producer*partitions + int(p)
	b := sc.seen[k]
	if b == nil {
		b = &bitset{}
		sc.seen[k] = b
	}
	if b.set(seq) {
		sc.dups++
		if sc.firstBad == "" {
			sc.firstBad = fmt.Sprintf("duplicate: producer %d partition %d sequence %d", producer, p, seq)
		}
	}
}

// merge folds a group member's reads into the group's scope: a record
// read by two members is a duplicate.
func (sc *scope) merge(o *scope) {
	sc.records += o.records
	sc.dups += o.dups
	sc.invalid += o.invalid
	if sc.firstBad == "" {
		sc.firstBad = o.firstBad
	}
	for k, b := range o.seen {
		dst := sc.seen[k]
		if dst == nil {
			dst = &bitset{}
			sc.seen[k] = dst
		}
		for w, word := range *b {
			for word != 0 {
				seq := uint64(w*64 + bits.TrailingZeros64(word))
				word &= word - 1
				if dst.set(seq) {
					sc.dups++
					if sc.firstBad == "" {
						sc.firstBad = fmt.Sprintf("duplicate across group members: stream %d sequence %d", k, seq)
					}
				}
			}
		}
	}
}

// verdict is the outcome of checking one scope against the ledger.
type verdict struct {
	lost        int64 // acknowledged but not read
	unackedRead int64 // read but never acknowledged (allowed: outcome unknown to the producer)
	phantom     int64 // read but never sent
	firstLost   string
}

func (l *ledger) check(sc *scope) verdict {
	var v verdict
	for _, p := range sc.parts {
		for prod := range l.streams {
			s := l.streams[prod][p]
			if s == nil {
				continue
			}
			seen := sc.seen[prod*l.partitions+int(p)]
			var empty bitset
			if seen == nil {
				seen = &empty
			}
			s.mu.Lock()
			n := s.acked.andNotCount(*seen)
			if n > 0 && v.firstLost == "" {
				v.firstLost = fmt.Sprintf("producer %d partition %d sequence %d", prod, p, s.acked.firstAndNot(*seen))
			}
			s.mu.Unlock()
			v.lost += int64(n)
		}
	}
	for k, seen := range sc.seen {
		prod, p := k/l.partitions, k%l.partitions
		s := l.streams[prod][p]
		if s == nil {
			v.phantom += int64(seen.count())
			continue
		}
		s.mu.Lock()
		v.unackedRead += int64(seen.andNotCount(s.acked))
		for w := len(*seen) - 1; w >= 0 && uint64(w*64+63) >= s.sent; w-- {
			for b := 0; b < 64; b++ {
				if seq := uint64(w*64 + b); seq >= s.sent && seen.has(seq) {
					v.phantom++
				}
			}
		}
		s.mu.Unlock()
	}
	v.unackedRead -= v.phantom
	return v
}
