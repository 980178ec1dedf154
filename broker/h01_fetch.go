package broker

// Fetch (1), v4–12. ACL: Topic READ per topic (denied: 29 per partition);
// a follower fetch (replica id ≥ 0) needs Cluster CLUSTER_ACTION. Batches
// are returned exactly as stored (compression untouched), by reference:
// the response is written with writev from the stored bytes, never copied
// (fetchResponse, protocol.VectorFrame). Long poll: the
// request waits up to MaxWait for MinBytes, woken by appends. Fetch
// sessions (KIP-227) are not kept: the response carries session id 0, so
// clients send full fetches. read_committed stops at the last stable offset
// and lists aborted transactions.

import (
	"bytes"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
	"github.com/minikafka/minikafka/storage"
)

func init() { register(1, handleFetch) }

// fetchResponse is a Fetch response whose record batches are held by
// reference in recs (one entry per partition, topics in order) rather than
// in RecordBatches; conn writes it with writeVectored.
type fetchResponse struct {
	*kmsg.FetchResponse
	recs []protocol.FetchRecords

	// Reading one partition: batches backs every recs entry; n, limit
	// and lastOff are the state of the read in progress (kept here so
	// that reading a partition allocates nothing).
	batches [][]byte
	n       int
	limit   int
	lastOff int64
}

// addBatch is the storage.Log.Read callback: it takes the stored batch by
// reference (stored bytes never change, see storage.Log.Read).
func (r *fetchResponse) addBatch(bt *storage.Batch) bool {
	r.batches = append(r.batches, bt.Data)
	r.n += len(bt.Data)
	r.lastOff = bt.LastOffset
	return r.n < r.limit
}

// encode writes the response into f by reference; if the encoder cannot
// express it, the batches are copied into RecordBatches and the frame is
// encoded by kmsg into f's buffer.
func (r *fetchResponse) encode(f *protocol.VectorFrame, h protocol.Header) {
	if f.AppendFetch(h, r.FetchResponse, r.recs) {
		return
	}
	i := 0
	for ti := range r.Topics {
		for pi := range r.Topics[ti].Partitions {
			if i < len(r.recs) && r.recs[i] != nil {
				r.Topics[ti].Partitions[pi].RecordBatches = bytes.Join(r.recs[i], nil)
			}
			i++
		}
	}
	f.SetBytes(protocol.AppendResponse(nil, h, r.FetchResponse))
}

func handleFetch(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.FetchRequest)
	resp := &fetchResponse{FetchResponse: req.ResponseKind().(*kmsg.FetchResponse)}
	if req.SessionID != 0 || req.SessionEpoch > 0 {
		resp.ErrorCode = kerr.FetchSessionIDNotFound.Code
		return resp, nil
	}
	follower := req.ReplicaID >= 0
	clusterOK := !follower || c.authorizeOp(az.OpClusterAction, az.ResourceCluster, az.ClusterName)
	// Authorize once per topic, before anything is read.
	allowed := make([]bool, len(req.Topics))
	for i := range req.Topics {
		rt := &req.Topics[i]
		if follower {
			allowed[i] = clusterOK
			continue
		}
		a := az.NewAction(az.OpRead, az.ResourceTopic, rt.Topic)
		a.RefCount = len(rt.Partitions)
		allowed[i] = c.authorize(a)
	}
	deadline := time.Now().Add(time.Duration(req.MaxWaitMillis) * time.Millisecond)
	var wake chan struct{}
	for {
		n, hasErr := c.b.fillFetch(req, resp, allowed)
		if n >= int(req.MinBytes) || hasErr || req.MaxWaitMillis <= 0 {
			return resp, nil
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return resp, nil
		}
		if wake == nil {
			wake = make(chan struct{}, 1)
			// However the wait ends, the channel must leave every
			// partition it waits on: an idle partition is not woken
			// (which clears its waiters), so a timed-out long poll
			// would stay registered there until the next append.
			defer c.b.unregisterFetchWaiter(req, allowed, wake)
		}
		// Register, then re-check, so an append between the fill and the
		// registration is not missed.
		c.b.registerFetchWaiter(req, allowed, wake)
		if n2, _ := c.b.fillFetch(req, resp, allowed); n2 >= int(req.MinBytes) {
			return resp, nil
		}
		t := time.NewTimer(remaining)
		select {
		case <-wake:
			t.Stop()
		case <-t.C:
			n, _ := c.b.fillFetch(req, resp, allowed)
			_ = n
			return resp, nil
		case <-c.b.ctx.Done():
			t.Stop()
			return resp, nil
		case <-c.done:
			t.Stop()
			return nil, errConnClosed
		}
	}
}

func (b *Broker) registerFetchWaiter(req *kmsg.FetchRequest, allowed []bool, wake chan struct{}) {
	for i := range req.Topics {
		if !allowed[i] {
			continue
		}
		t := b.topics.get(req.Topics[i].Topic)
		if t == nil {
			continue
		}
		for _, rp := range req.Topics[i].Partitions {
			if rp.Partition >= 0 && int(rp.Partition) < len(t.partitions) {
				t.partitions[rp.Partition].wait(wake)
			}
		}
	}
}

// unregisterFetchWaiter removes wake from the partitions that
// registerFetchWaiter added it to.
func (b *Broker) unregisterFetchWaiter(req *kmsg.FetchRequest, allowed []bool, wake chan struct{}) {
	for i := range req.Topics {
		if !allowed[i] {
			continue
		}
		t := b.topics.get(req.Topics[i].Topic)
		if t == nil {
			continue
		}
		for _, rp := range req.Topics[i].Partitions {
			if rp.Partition >= 0 && int(rp.Partition) < len(t.partitions) {
				t.partitions[rp.Partition].unwait(wake)
			}
		}
	}
}

// fillFetch (re)builds the response from the logs; it returns the number
// of record bytes included and whether any partition carries an error.
func (b *Broker) fillFetch(req *kmsg.FetchRequest, resp *fetchResponse, allowed []bool) (int, bool) {
	resp.Topics = resp.Topics[:0]
	resp.recs = resp.recs[:0]
	clear(resp.batches)
	resp.batches = resp.batches[:0]
	addBatch := resp.addBatch
	total := 0
	hasErr := false
	maxBytes := int(req.MaxBytes)
	if maxBytes <= 0 {
		maxBytes = int(^uint(0) >> 1)
	}
	committed := req.IsolationLevel == 1
	for i := range req.Topics {
		rt := &req.Topics[i]
		st := kmsg.NewFetchResponseTopic()
		st.Topic = rt.Topic
		st.TopicID = rt.TopicID
		st.Partitions = make([]kmsg.FetchResponseTopicPartition, len(rt.Partitions))
		t := b.topics.get(rt.Topic)
		for j := range rt.Partitions {
			rp := &rt.Partitions[j]
			sp := &st.Partitions[j]
			sp.Default()
			resp.recs = append(resp.recs, nil)
			sp.Partition = rp.Partition
			sp.HighWatermark, sp.LastStableOffset, sp.LogStartOffset = -1, -1, -1
			// Kafka sends empty records, never null: kafka-python 2.0.2
			// fails on null (len(None)).
			sp.RecordBatches = []byte{}
			switch {
			case !allowed[i]:
				sp.ErrorCode = kerr.TopicAuthorizationFailed.Code
				hasErr = true
				continue
			case t == nil || rp.Partition < 0 || int(rp.Partition) >= len(t.partitions):
				sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
				hasErr = true
				continue
			}
			p := t.partitions[rp.Partition]
			hwm := p.log.EndOffset()
			lso := p.lastStableOffset()
			sp.HighWatermark = hwm
			sp.LastStableOffset = lso
			sp.LogStartOffset = p.log.StartOffset()
			upTo := hwm
			if committed {
				upTo = lso
			}
			if rp.FetchOffset > hwm || rp.FetchOffset < sp.LogStartOffset {
				sp.ErrorCode = kerr.OffsetOutOfRange.Code
				hasErr = true
				continue
			}
			limit := int(rp.PartitionMaxBytes)
			if rem := maxBytes - total; rem < limit {
				limit = rem
			}
			if limit <= 0 && total > 0 {
				continue
			}
			first := len(resp.batches)
			resp.n, resp.limit, resp.lastOff = 0, limit, -1
			if err := p.log.Read(rp.FetchOffset, upTo, limit, addBatch); err != nil {
				resp.batches = resp.batches[:first]
				sp.ErrorCode = kerr.OffsetOutOfRange.Code
				hasErr = true
				continue
			}
			if len(resp.batches) > first {
				resp.recs[len(resp.recs)-1] = resp.batches[first:len(resp.batches):len(resp.batches)]
			}
			total += resp.n
			lastOff := resp.lastOff
			if committed && lastOff >= 0 {
				sp.AbortedTransactions = p.abortedIn(rp.FetchOffset, lastOff)
			}
		}
		resp.Topics = append(resp.Topics, st)
	}
	return total, hasErr
}

// abortedIn lists the aborted transactions overlapping [from, to].
func (p *partition) abortedIn(from, to int64) []kmsg.FetchResponseTopicPartitionAbortedTransaction {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []kmsg.FetchResponseTopicPartitionAbortedTransaction
	for _, a := range p.aborted {
		if a.lastOffset >= from && a.firstOffset <= to {
			at := kmsg.NewFetchResponseTopicPartitionAbortedTransaction()
			at.ProducerID = a.producerID
			at.FirstOffset = a.firstOffset
			out = append(out, at)
		}
	}
	if out == nil {
		out = []kmsg.FetchResponseTopicPartitionAbortedTransaction{}
	}
	return out
}
