package protocol

import (
	"encoding/binary"
	"net"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// InlineMax is the size under which a referenced byte range is copied into
// a VectorFrame rather than referenced: a vector element costs more than
// copying a few kilobytes.
const InlineMax = 4 << 10

// VectorFrame is a response frame assembled from bytes written into its own
// buffer and large byte ranges it only references (record batches as
// stored), so that they reach the socket with one writev and are never
// copied. The referenced ranges must not change until the frame is
// written. The zero value is an empty frame; Reset makes a frame reusable.
type VectorFrame struct {
	buf  []byte    // copied bytes, starting with the 4-byte size prefix
	segs []segment // the frame in order: ranges of buf and references
	mark int       // buf[:mark] is already in segs
	bufs net.Buffers
	refs int // bytes referenced
}

// segment is either buf[off:end] (ref == nil) or ref.
type segment struct {
	off, end int
	ref      []byte
}

// Reset empties f, keeping its memory but no reference to other bytes.
func (f *VectorFrame) Reset() {
	f.buf = f.buf[:0]
	clear(f.segs)
	f.segs = f.segs[:0]
	clear(f.bufs)
	f.bufs = f.bufs[:0]
	f.mark, f.refs = 0, 0
}

// BufCap is the capacity of f's own buffer, for pools that drop frames
// grown unusually large.
func (f *VectorFrame) BufCap() int { return cap(f.buf) }

// ref appends b by reference, or by copy when it is small.
func (f *VectorFrame) ref(b []byte) {
	if len(b) < InlineMax {
		f.buf = append(f.buf, b...)
		return
	}
	f.cut()
	f.segs = append(f.segs, segment{ref: b})
	f.refs += len(b)
}

// cut closes the run of copied bytes since the last cut into a segment.
func (f *VectorFrame) cut() {
	if f.mark < len(f.buf) {
		f.segs = append(f.segs, segment{off: f.mark, end: len(f.buf)})
		f.mark = len(f.buf)
	}
}

// Buffers finishes f, writing its size prefix, and returns the frame as
// net.Buffers, valid until Reset. Writing them (which consumes the
// returned slice) does not change f.
func (f *VectorFrame) Buffers() net.Buffers {
	f.cut()
	binary.BigEndian.PutUint32(f.buf, uint32(f.Len()-4))
	f.bufs = f.bufs[:0]
	for _, s := range f.segs {
		if s.ref != nil {
			f.bufs = append(f.bufs, s.ref)
		} else {
			f.bufs = append(f.bufs, f.buf[s.off:s.end])
		}
	}
	return f.bufs
}

// SetBytes makes f the already encoded frame b (size prefix included),
// which f then owns.
func (f *VectorFrame) SetBytes(b []byte) {
	f.Reset()
	f.buf = b
}

// Len is the frame length, size prefix included.
func (f *VectorFrame) Len() int { return len(f.buf) + f.refs }

// FetchRecords are the record batches of one partition of a fetch
// response, in order, by reference. Nil and empty both encode as zero
// bytes: Kafka never sends null records, and clients such as kafka-python
// 2.0.2 and librdkafka fail on them.
type FetchRecords [][]byte

// AppendFetch encodes a Fetch response of resp.Version (with header h)
// into f (emptied first) exactly as kmsg's AppendTo would, except that
// partition i (counting partitions of all topics in order) carries recs[i]
// instead of its RecordBatches, by reference. It reports false, leaving f
// to be Reset, when resp uses a field this encoder does not write (versions
// outside 4–12, tagged fields, a partition count not matching recs): the
// caller then encodes with kmsg.
func (f *VectorFrame) AppendFetch(h Header, resp *kmsg.FetchResponse, recs []FetchRecords) bool {
	v := resp.Version
	if v < 4 || v > 12 || resp.UnknownTags.Len() > 0 || len(resp.Brokers) > 0 {
		return false
	}
	flex := v >= 12
	f.Reset()
	f.buf = append(f.buf, 0, 0, 0, 0)
	f.buf = binary.BigEndian.AppendUint32(f.buf, uint32(h.CorrelationID))
	if h.Flexible {
		f.buf = append(f.buf, 0)
	}
	f.buf = kbin.AppendInt32(f.buf, resp.ThrottleMillis)
	if v >= 7 {
		f.buf = kbin.AppendInt16(f.buf, resp.ErrorCode)
		f.buf = kbin.AppendInt32(f.buf, resp.SessionID)
	}
	f.buf = appendLen(f.buf, len(resp.Topics), flex)
	i := 0
	for ti := range resp.Topics {
		t := &resp.Topics[ti]
		if t.UnknownTags.Len() > 0 {
			return false
		}
		if flex {
			f.buf = kbin.AppendUvarint(f.buf, uint32(len(t.Topic))+1)
		} else {
			f.buf = kbin.AppendInt16(f.buf, int16(len(t.Topic)))
		}
		f.buf = append(f.buf, t.Topic...)
		f.buf = appendLen(f.buf, len(t.Partitions), flex)
		for pi := range t.Partitions {
			p := &t.Partitions[pi]
			if i >= len(recs) || !fetchPartitionPlain(p) {
				return false
			}
			f.buf = kbin.AppendInt32(f.buf, p.Partition)
			f.buf = kbin.AppendInt16(f.buf, p.ErrorCode)
			f.buf = kbin.AppendInt64(f.buf, p.HighWatermark)
			f.buf = kbin.AppendInt64(f.buf, p.LastStableOffset)
			if v >= 5 {
				f.buf = kbin.AppendInt64(f.buf, p.LogStartOffset)
			}
			at := p.AbortedTransactions
			if flex {
				f.buf = kbin.AppendCompactNullableArrayLen(f.buf, len(at), at == nil)
			} else {
				f.buf = kbin.AppendNullableArrayLen(f.buf, len(at), at == nil)
			}
			for ai := range at {
				if at[ai].UnknownTags.Len() > 0 {
					return false
				}
				f.buf = kbin.AppendInt64(f.buf, at[ai].ProducerID)
				f.buf = kbin.AppendInt64(f.buf, at[ai].FirstOffset)
				if flex {
					f.buf = append(f.buf, 0)
				}
			}
			if v >= 11 {
				f.buf = kbin.AppendInt32(f.buf, p.PreferredReadReplica)
			}
			f.appendRecords(recs[i], flex)
			if flex {
				f.buf = append(f.buf, 0) // no tagged fields
			}
			i++
		}
		if flex {
			f.buf = append(f.buf, 0)
		}
	}
	if i != len(recs) {
		return false
	}
	if flex {
		f.buf = append(f.buf, 0)
	}
	return true
}

// fetchPartitionPlain reports whether p has no tagged field set, which is
// what AppendFetch can encode.
func fetchPartitionPlain(p *kmsg.FetchResponseTopicPartition) bool {
	return p.UnknownTags.Len() == 0 &&
		p.DivergingEpoch.Epoch == -1 && p.DivergingEpoch.EndOffset == -1 && p.DivergingEpoch.UnknownTags.Len() == 0 &&
		p.CurrentLeader.LeaderID == -1 && p.CurrentLeader.LeaderEpoch == -1 && p.CurrentLeader.UnknownTags.Len() == 0 &&
		p.SnapshotID.EndOffset == -1 && p.SnapshotID.Epoch == -1 && p.SnapshotID.UnknownTags.Len() == 0
}

func (f *VectorFrame) appendRecords(r FetchRecords, flex bool) {
	n := 0
	for _, b := range r {
		n += len(b)
	}
	if flex {
		f.buf = kbin.AppendUvarint(f.buf, uint32(n)+1)
	} else {
		f.buf = kbin.AppendInt32(f.buf, int32(n))
	}
	for _, b := range r {
		f.ref(b)
	}
}

func appendLen(dst []byte, n int, flex bool) []byte {
	if flex {
		return kbin.AppendCompactArrayLen(dst, n)
	}
	return kbin.AppendArrayLen(dst, n)
}
