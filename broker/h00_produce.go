package broker

// Produce (0), v3–11. ACL: TransactionalId WRITE when a batch is
// transactional (a null transactional id is denied; denied: 53 on every
// partition), then Topic WRITE per topic (denied: 29 per partition),
// before any existence check. Batches are stored as received (wire bytes);
// only the 61-byte header is read, for the CRC, offsets and idempotent
// sequence checks (KIP-360: a producer the partition does not know may
// start at any sequence). A transactional batch must go to a partition of
// its transactional id's ongoing transaction (else INVALID_TXN_STATE;
// another id's producer: INVALID_PRODUCER_ID_MAPPING); a non-transactional
// batch from a producer with an open transaction there is
// INVALID_TXN_STATE. A batch is kept by reference to the request frame
// when it is at least a quarter of it, else as an exact-size copy (so no
// stored batch keeps more than four times its size alive). acks=0 with an
// error closes the connection, as Kafka does.

import (
	"encoding/binary"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(0, handleProduce) }

func handleProduce(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.ProduceRequest)
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	resp.Topics = make([]kmsg.ProduceResponseTopic, len(req.Topics))
	txnCode := int16(0)
	if hasTransactionalBatch(req) && (req.TransactionID == nil || !c.authorizeOp(az.OpWrite, az.ResourceTransactionalID, *req.TransactionID)) {
		txnCode = kerr.TransactionalIDAuthorizationFailed.Code
	}
	badAcks := req.Acks != 0 && req.Acks != 1 && req.Acks != -1
	// A batch that makes up at least a quarter of the request frame is
	// stored by reference to the frame (appendBatch's owned); a smaller one
	// is copied out, so that a stored batch never keeps alive more than
	// four times its size (other partitions' batches, a rejected batch, the
	// request header).
	anyErr := false
	for i := range req.Topics {
		rt := &req.Topics[i]
		st := &resp.Topics[i]
		st.Topic = rt.Topic
		st.Partitions = make([]kmsg.ProduceResponseTopicPartition, len(rt.Partitions))
		code := txnCode
		if code == 0 && badAcks {
			code = kerr.InvalidRequiredAcks.Code
		}
		if code == 0 {
			a := az.NewAction(az.OpWrite, az.ResourceTopic, rt.Topic)
			a.RefCount = len(rt.Partitions)
			if !c.authorize(a) {
				code = kerr.TopicAuthorizationFailed.Code
			}
		}
		var t *topic
		if code == 0 {
			if t = c.b.topics.get(rt.Topic); t == nil {
				code = kerr.UnknownTopicOrPartition.Code
			}
		}
		for j := range rt.Partitions {
			rp := &rt.Partitions[j]
			sp := &st.Partitions[j]
			// Default also leaves CurrentLeader (KIP-951, v10+) at -1/-1 so
			// that it is not sent: a zero value would tell clients that
			// node 0 leads the partition (librdkafka 2.11 warns "new
			// leader0 not found in cache" when node.id is not 0).
			sp.Default()
			sp.Partition = rp.Partition
			sp.BaseOffset = -1
			sp.ErrorCode = code
			if code != 0 {
				anyErr = true
				continue
			}
			if rp.Partition < 0 || int(rp.Partition) >= len(t.partitions) {
				sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
				anyErr = true
				continue
			}
			p := t.partitions[rp.Partition]
			base, ecode, err := c.b.appendBatch(p, rp.Records, req.TransactionID, len(rp.Records)*4 >= c.frameLen)
			if ecode != 0 {
				sp.ErrorCode = ecode
				anyErr = true
				if err != nil {
					msg := err.Error()
					sp.ErrorMessage = &msg
					c.b.log.Debug("produce rejected", "topic", t.name, "partition", p.index, "client", c.host, "err", err)
				}
				continue
			}
			sp.BaseOffset = base
			sp.LogStartOffset = p.log.StartOffset()
			sp.LogAppendTime = logAppendTime(rp.Records)
		}
	}
	if req.Acks == 0 {
		if anyErr {
			return nil, fmt.Errorf("produce with acks=0 failed on at least one partition")
		}
		return nil, nil
	}
	return resp, nil
}

// hasTransactionalBatch reports whether a partition's batch has the
// transactional attribute (Kafka's hasTransactionalRecords): only then is
// TransactionalId WRITE checked, and a null transactional id is denied.
func hasTransactionalBatch(req *kmsg.ProduceRequest) bool {
	for i := range req.Topics {
		for j := range req.Topics[i].Partitions {
			rec := req.Topics[i].Partitions[j].Records
			if len(rec) >= 23 && binary.BigEndian.Uint16(rec[21:])&attrTransactional != 0 {
				return true
			}
		}
	}
	return false
}

// appendBatch validates and appends one record batch to p. It returns the
// base offset, or a Kafka error code (and a reason for the log). With owned
// set the log keeps records itself; otherwise it keeps a copy, exactly the
// batch's size, made once the batch is validated.
func (b *Broker) appendBatch(p *partition, records []byte, txnID *string, owned bool) (int64, int16, error) {
	h, size, err := parseBatch(records)
	if err != nil {
		return -1, kerr.CorruptMessage.Code, err
	}
	if size != len(records) {
		return -1, kerr.InvalidRecord.Code, fmt.Errorf("produce v3+ must carry exactly one record batch per partition")
	}
	if max := b.maxMessageBytes(p.topic); len(records) > max {
		return -1, kerr.MessageTooLarge.Code, fmt.Errorf("batch of %d bytes exceeds max.message.bytes %d", len(records), max)
	}
	if h.control() {
		return -1, kerr.InvalidRecord.Code, fmt.Errorf("clients may not write control batches")
	}
	if h.transactional() && txnID == nil {
		return -1, kerr.InvalidRecord.Code, fmt.Errorf("transactional batch without a transactional id")
	}
	data := records
	if !owned {
		data = make([]byte, len(records))
		copy(data, records)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var ps *producerState
	fresh := false
	if h.ProducerID >= 0 {
		var code int16
		var dupOffset int64
		ps, fresh, code, dupOffset = p.checkSequence(&h)
		if code != 0 {
			return -1, code, fmt.Errorf("producer %d epoch %d sequence %d rejected", h.ProducerID, h.ProducerEpoch, h.BaseSequence)
		}
		if dupOffset >= 0 {
			return dupOffset, 0, nil
		}
		if h.transactional() {
			if code := b.txns.checkProduce(txnID, &h, p); code != 0 {
				return -1, code, fmt.Errorf("transactional produce rejected for %q: the partition is not in an ongoing transaction of producer %d epoch %d", *txnID, h.ProducerID, h.ProducerEpoch)
			}
		} else if _, open := p.openTxns[h.ProducerID]; open {
			return -1, kerr.InvalidTxnState.Code, fmt.Errorf("non-transactional batch from producer %d, which has an open transaction", h.ProducerID)
		}
	}
	if ts, _ := b.topicConfig(p.topic, "message.timestamp.type"); ts == "LogAppendTime" {
		h.MaxTimestamp = b.now().UnixMilli()
		stampLogAppendTime(data, h.MaxTimestamp)
	}
	base, err := p.log.Append(data, h.LastOffsetDelta, h.MaxTimestamp)
	if err != nil {
		return -1, kerr.KafkaStorageError.Code, fmt.Errorf("append: %w", err)
	}
	if ps != nil {
		if fresh {
			p.producers[h.ProducerID] = ps
		}
		ps.record(h.BaseSequence, h.BaseSequence+h.LastOffsetDelta, base)
		if h.transactional() {
			if _, open := p.openTxns[h.ProducerID]; !open {
				if p.openTxns == nil {
					p.openTxns = map[int64]int64{}
				}
				p.openTxns[h.ProducerID] = base
			}
		}
	}
	p.topic.m.appended(int(h.NumRecords), len(data))
	ws := p.waiters
	p.waiters = nil
	for _, w := range ws {
		select {
		case w <- struct{}{}:
		default:
		}
	}
	return base, 0, nil
}

// maxMessageBytes is the topic's max.message.bytes: its own setting, else
// the broker's message.max.bytes (read without formatting it, as this runs
// for every batch).
func (b *Broker) maxMessageBytes(t *topic) int {
	if v, ok := t.configs()["max.message.bytes"]; ok {
		return atoiDefault(v, int(b.cfg.MessageMaxBytes))
	}
	return int(b.cfg.MessageMaxBytes)
}

// checkSequence applies the idempotent producer rules. It returns the
// producer state to update (fresh: not yet installed, the caller installs
// it once the batch is appended), an error code, or the base offset of a
// duplicate of one of the last five batches (which is acknowledged again
// without being appended). A producer the partition has no state for may
// start at any sequence (KIP-360), except in a log that never held a
// record (KAFKA-15591). Called with p.mu held.
func (p *partition) checkSequence(h *batchHeader) (*producerState, bool, int16, int64) {
	ps := p.producers[h.ProducerID]
	switch {
	case ps == nil:
		if h.BaseSequence != 0 && p.log.EndOffset() == 0 {
			return nil, false, kerr.OutOfOrderSequenceNumber.Code, -1
		}
		return &producerState{epoch: h.ProducerEpoch}, true, 0, -1
	case h.ProducerEpoch > ps.epoch:
		if h.BaseSequence != 0 {
			return nil, false, kerr.OutOfOrderSequenceNumber.Code, -1
		}
		return &producerState{epoch: h.ProducerEpoch}, true, 0, -1
	case h.ProducerEpoch < ps.epoch:
		return nil, false, kerr.InvalidProducerEpoch.Code, -1
	}
	last := h.BaseSequence + h.LastOffsetDelta
	for i := 0; i < ps.n; i++ {
		e := &ps.recent[i]
		if e.firstSeq == h.BaseSequence && e.lastSeq == last {
			return nil, false, 0, e.baseOffset
		}
	}
	if ps.n > 0 {
		expect := ps.recent[ps.n-1].lastSeq + 1
		if expect < 0 { // sequence numbers wrap at MaxInt32
			expect = 0
		}
		if h.BaseSequence != expect {
			return nil, false, kerr.OutOfOrderSequenceNumber.Code, -1
		}
	}
	return ps, false, 0, -1
}

func (ps *producerState) record(first, last int32, base int64) {
	if ps.n == len(ps.recent) {
		copy(ps.recent[:], ps.recent[1:])
		ps.n--
	}
	ps.recent[ps.n] = seqEntry{firstSeq: first, lastSeq: last, baseOffset: base}
	ps.n++
}
