package protocol

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// noise is random bytes that record batches are cut from.
var noise = func() []byte {
	r := rand.New(rand.NewPCG(3, 4))
	b := make([]byte, 128<<10)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}()

// randomFetch builds a fetch response of version v with random contents
// and the record batches of each partition, both as kmsg would carry them
// (RecordBatches) and by reference (recs).
func randomFetch(r *rand.Rand, v int16) (*kmsg.FetchResponse, []FetchRecords) {
	resp := kmsg.NewPtrFetchResponse()
	resp.Version = v
	resp.ThrottleMillis = r.Int32()
	resp.ErrorCode = int16(r.IntN(100))
	resp.SessionID = r.Int32()
	var recs []FetchRecords
	for range r.IntN(4) {
		t := kmsg.NewFetchResponseTopic()
		t.Topic = string(bytes.Repeat([]byte{'a' + byte(r.IntN(26))}, r.IntN(300)))
		for range r.IntN(5) {
			p := kmsg.NewFetchResponseTopicPartition()
			p.Partition = r.Int32()
			p.ErrorCode = int16(r.IntN(100))
			p.HighWatermark, p.LastStableOffset, p.LogStartOffset = r.Int64(), r.Int64(), r.Int64()
			switch r.IntN(3) {
			case 0: // nil: null array
			case 1:
				p.AbortedTransactions = []kmsg.FetchResponseTopicPartitionAbortedTransaction{}
			default:
				for range 1 + r.IntN(3) {
					a := kmsg.NewFetchResponseTopicPartitionAbortedTransaction()
					a.ProducerID, a.FirstOffset = r.Int64(), r.Int64()
					p.AbortedTransactions = append(p.AbortedTransactions, a)
				}
			}
			p.PreferredReadReplica = r.Int32()
			var rec FetchRecords
			switch r.IntN(4) {
			case 0: // nil
			case 1:
				rec = FetchRecords{}
			default:
				for range 1 + r.IntN(4) {
					// sizes on both sides of InlineMax
					n := []int{1, 61, InlineMax - 1, InlineMax, 20 << 10}[r.IntN(5)]
					off := r.IntN(len(noise) - n + 1)
					rec = append(rec, noise[off:off+n])
				}
			}
			// AppendFetch writes nil records as empty, never null
			// (Kafka's behaviour): so does kmsg for a non-nil empty slice.
			p.RecordBatches = bytes.Join(rec, nil)
			recs = append(recs, rec)
			t.Partitions = append(t.Partitions, p)
		}
		resp.Topics = append(resp.Topics, t)
	}
	return resp, recs
}

func TestAppendFetchMatchesKmsg(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var f VectorFrame
	for v := int16(4); v <= 12; v++ {
		for i := range 30 {
			resp, recs := randomFetch(r, v)
			h := Header{Key: 1, Version: v, CorrelationID: r.Int32(), Flexible: v >= 12}
			want := AppendResponse(nil, h, resp)
			if !f.AppendFetch(h, resp, recs) {
				t.Fatalf("v%d #%d: AppendFetch refused a plain response", v, i)
			}
			bufs := f.Buffers()
			if f.Len() != len(want) {
				t.Fatalf("v%d #%d: Len %d, want %d", v, i, f.Len(), len(want))
			}
			var got bytes.Buffer
			if _, err := bufs.WriteTo(&got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				at := 0
				for at < len(want) && at < got.Len() && got.Bytes()[at] == want[at] {
					at++
				}
				t.Fatalf("v%d #%d: encoding differs from kmsg at byte %d of %d (got %d):\n got % x\nwant % x", v, i, at, len(want), got.Len(), got.Bytes()[max(0, at-16):min(got.Len(), at+16)], want[max(0, at-16):min(len(want), at+16)])
			}
			// The frame decodes back with kmsg.
			back := kmsg.NewPtrFetchResponse()
			back.Version = v
			off := 8
			if h.Flexible {
				off++
			}
			if err := back.ReadFrom(got.Bytes()[off:]); err != nil {
				t.Fatalf("v%d #%d: kmsg cannot read it back: %v", v, i, err)
			}
		}
	}
}

func TestAppendFetchReferencesLargeBatches(t *testing.T) {
	big := bytes.Repeat([]byte{7}, InlineMax)
	small := []byte{1, 2, 3}
	resp := kmsg.NewPtrFetchResponse()
	resp.Version = 12
	tp := kmsg.NewFetchResponseTopic()
	tp.Topic = "t"
	tp.Partitions = append(tp.Partitions, kmsg.NewFetchResponseTopicPartition())
	resp.Topics = append(resp.Topics, tp)
	var f VectorFrame
	if !f.AppendFetch(Header{Key: 1, Version: 12, Flexible: true}, resp, []FetchRecords{{small, big, small}}) {
		t.Fatal("refused")
	}
	bufs := f.Buffers()
	refs := 0
	for _, b := range bufs {
		if len(b) > 0 && &b[0] == &big[0] {
			refs++
		}
	}
	if refs != 1 || len(bufs) != 3 {
		t.Fatalf("want the large batch referenced once between two copied runs, got %d references in %d buffers", refs, len(bufs))
	}
	// Reset drops every reference so a pooled frame keeps nothing alive.
	f.Reset()
	for _, s := range f.segs[:cap(f.segs)] {
		if s.ref != nil {
			t.Fatal("Reset kept a reference")
		}
	}
}

func TestAppendFetchRefusesWhatItCannotEncode(t *testing.T) {
	cases := map[string]func(*kmsg.FetchResponse) ([]FetchRecords, int16){
		"version 13": func(r *kmsg.FetchResponse) ([]FetchRecords, int16) { return nil, 13 },
		"version 3":  func(r *kmsg.FetchResponse) ([]FetchRecords, int16) { return nil, 3 },
		"diverging epoch": func(r *kmsg.FetchResponse) ([]FetchRecords, int16) {
			r.Topics[0].Partitions[0].DivergingEpoch.Epoch = 3
			return []FetchRecords{nil}, 12
		},
		"current leader": func(r *kmsg.FetchResponse) ([]FetchRecords, int16) {
			r.Topics[0].Partitions[0].CurrentLeader.LeaderID = 1
			return []FetchRecords{nil}, 12
		},
		"node endpoints": func(r *kmsg.FetchResponse) ([]FetchRecords, int16) {
			r.Brokers = append(r.Brokers, kmsg.NewFetchResponseBroker())
			return []FetchRecords{nil}, 12
		},
		"too few recs":  func(r *kmsg.FetchResponse) ([]FetchRecords, int16) { return nil, 12 },
		"too many recs": func(r *kmsg.FetchResponse) ([]FetchRecords, int16) { return []FetchRecords{nil, nil}, 12 },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			resp := kmsg.NewPtrFetchResponse()
			tp := kmsg.NewFetchResponseTopic()
			tp.Partitions = append(tp.Partitions, kmsg.NewFetchResponseTopicPartition())
			resp.Topics = append(resp.Topics, tp)
			recs, v := mod(resp)
			resp.Version = v
			var f VectorFrame
			if f.AppendFetch(Header{Key: 1, Version: v, Flexible: v >= 12}, resp, recs) {
				t.Fatal("AppendFetch accepted a response it does not fully encode")
			}
		})
	}
}
