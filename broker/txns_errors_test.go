package broker

import (
	"hash/crc32"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// rawTxn drives the transaction APIs with raw requests.
type rawTxn struct {
	t     *testing.T
	cl    *kgo.Client
	id    string
	pid   int64
	epoch int16
	seq   int32
}

func (r *rawTxn) init(timeoutMs int32, pid int64, epoch int16, v int16) *kmsg.InitProducerIDResponse {
	req := kmsg.NewPtrInitProducerIDRequest()
	req.TransactionalID = &r.id
	req.TransactionTimeoutMillis = timeoutMs
	req.ProducerID, req.ProducerEpoch = pid, epoch
	resp := send[*kmsg.InitProducerIDResponse](r.t, r.cl, req, v)
	if resp.ErrorCode == 0 {
		r.pid, r.epoch, r.seq = resp.ProducerID, resp.ProducerEpoch, 0
	}
	return resp
}

func (r *rawTxn) addPartitions(v int16, topics map[string][]int32) map[string]map[int32]int16 {
	req := kmsg.NewPtrAddPartitionsToTxnRequest()
	req.TransactionalID, req.ProducerID, req.ProducerEpoch = r.id, r.pid, r.epoch
	for topic, ps := range topics {
		req.Topics = append(req.Topics, kmsg.AddPartitionsToTxnRequestTopic{Topic: topic, Partitions: ps})
	}
	resp := send[*kmsg.AddPartitionsToTxnResponse](r.t, r.cl, req, v)
	out := map[string]map[int32]int16{}
	for _, t := range resp.Topics {
		out[t.Topic] = map[int32]int16{}
		for _, p := range t.Partitions {
			out[t.Topic][p.Partition] = p.ErrorCode
		}
	}
	return out
}

func (r *rawTxn) addOffsets(group string) int16 {
	req := kmsg.NewPtrAddOffsetsToTxnRequest()
	req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Group = r.id, r.pid, r.epoch, group
	return send[*kmsg.AddOffsetsToTxnResponse](r.t, r.cl, req, 3).ErrorCode
}

func (r *rawTxn) end(commit bool, v int16) int16 {
	req := kmsg.NewPtrEndTxnRequest()
	req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit = r.id, r.pid, r.epoch, commit
	return send[*kmsg.EndTxnResponse](r.t, r.cl, req, v).ErrorCode
}

func (r *rawTxn) commitOffset(group, topic string, offset int64) int16 {
	req := kmsg.NewPtrTxnOffsetCommitRequest()
	req.TransactionalID, req.Group, req.ProducerID, req.ProducerEpoch = r.id, group, r.pid, r.epoch
	p := kmsg.NewTxnOffsetCommitRequestTopicPartition()
	p.Partition, p.Offset = 0, offset
	req.Topics = []kmsg.TxnOffsetCommitRequestTopic{{Topic: topic, Partitions: []kmsg.TxnOffsetCommitRequestTopicPartition{p}}}
	return send[*kmsg.TxnOffsetCommitResponse](r.t, r.cl, req, 3).Topics[0].Partitions[0].ErrorCode
}

// produce sends one record in a batch of this producer.
func (r *rawTxn) produce(topic string, partition int32, transactional bool) int16 {
	req := kmsg.NewPtrProduceRequest()
	if transactional {
		req.TransactionID = &r.id
	}
	req.Acks, req.TimeoutMillis = -1, 5000
	req.Topics = []kmsg.ProduceRequestTopic{{Topic: topic, Partitions: []kmsg.ProduceRequestTopicPartition{{
		Partition: partition, Records: recordBatch(r.pid, r.epoch, r.seq, transactional, "v"),
	}}}}
	resp := send[*kmsg.ProduceResponse](r.t, r.cl, req, 9)
	code := resp.Topics[0].Partitions[0].ErrorCode
	if code == 0 {
		r.seq++
	}
	return code
}

// recordBatch encodes a one-record magic-v2 batch with a valid CRC32C.
func recordBatch(pid int64, epoch int16, seq int32, transactional bool, value string) []byte {
	rec := kmsg.NewRecord()
	rec.Value = []byte(value)
	rec.Length = int32(len(rec.AppendTo(nil)) - 1)
	b := kmsg.RecordBatch{
		Magic: 2, ProducerID: pid, ProducerEpoch: epoch, FirstSequence: seq, NumRecords: 1,
		FirstTimestamp: time.Now().UnixMilli(), MaxTimestamp: time.Now().UnixMilli(), Records: rec.AppendTo(nil),
	}
	if transactional {
		b.Attributes = attrTransactional
	}
	raw := b.AppendTo(nil)
	b.Length = int32(len(raw) - 12)
	raw = b.AppendTo(nil)
	b.CRC = int32(crc32.Checksum(raw[21:], crc32c))
	return b.AppendTo(nil)
}

func newRawTxn(t *testing.T, cl *kgo.Client, id string) *rawTxn {
	r := &rawTxn{t: t, cl: cl, id: id}
	if resp := r.init(60000, -1, -1, 4); resp.ErrorCode != 0 {
		t.Fatalf("init %s: %v", id, kerr.ErrorForCode(resp.ErrorCode))
	}
	return r
}

func TestInitProducerIDTransactional(t *testing.T) {
	f := newGroupFixture(t, nil)
	r := &rawTxn{t: t, cl: f.cl, id: "k"}
	check := func(name string, resp *kmsg.InitProducerIDResponse, want int16, wantEpoch int16) {
		t.Helper()
		if resp.ErrorCode != want {
			t.Fatalf("%s: got %v, want %v", name, kerr.ErrorForCode(resp.ErrorCode), kerr.ErrorForCode(want))
		}
		if want == 0 && resp.ProducerEpoch != wantEpoch {
			t.Fatalf("%s: epoch %d, want %d", name, resp.ProducerEpoch, wantEpoch)
		}
		if want != 0 && (resp.ProducerID != -1 || resp.ProducerEpoch != -1) {
			t.Fatalf("%s: error with producer %d/%d", name, resp.ProducerID, resp.ProducerEpoch)
		}
	}
	check("zero timeout", r.init(0, -1, -1, 4), kerr.InvalidTransactionTimeout.Code, 0)
	check("timeout over transaction.max.timeout.ms", r.init(16*60*1000, -1, -1, 4), kerr.InvalidTransactionTimeout.Code, 0)
	check("producer id without epoch", r.init(60000, 5, -1, 4), kerr.InvalidRequest.Code, 0)
	check("first init", r.init(60000, -1, -1, 4), 0, 0)
	pid := r.pid
	check("second init bumps the epoch", r.init(60000, -1, -1, 4), 0, 1)
	check("KIP-360 bump from the current epoch", r.init(60000, pid, 1, 4), 0, 2)
	check("KIP-360 retry of that bump", r.init(60000, pid, 1, 4), 0, 2)
	check("KIP-360 from a stale epoch", r.init(60000, pid, 0, 4), kerr.ProducerFenced.Code, 0)
	check("stale epoch, v3", r.init(60000, pid, 0, 3), kerr.InvalidProducerEpoch.Code, 0)
	check("another producer id", r.init(60000, pid+100, 2, 4), kerr.ProducerFenced.Code, 0)
	if r.pid != pid {
		t.Fatalf("producer id changed from %d to %d", pid, r.pid)
	}
	empty := &rawTxn{t: t, cl: f.cl, id: ""}
	check("empty transactional id", empty.init(60000, -1, -1, 4), kerr.InvalidRequest.Code, 0)
}

func TestTransactionErrors(t *testing.T) {
	f := newGroupFixture(t, nil)
	r := newRawTxn(t, f.cl, "tx")
	other := newRawTxn(t, f.cl, "tx-other")
	code := func(name string, got, want int16) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: got %v, want %v", name, kerr.ErrorForCode(got), kerr.ErrorForCode(want))
		}
	}
	code("EndTxn with no transaction", r.end(true, 3), kerr.InvalidTxnState.Code)
	code("transactional produce to a partition not added", r.produce("t", 0, true), kerr.InvalidTxnState.Code)

	res := r.addPartitions(3, map[string][]int32{"t": {0, 7}})
	code("AddPartitionsToTxn: missing partition", res["t"][7], kerr.UnknownTopicOrPartition.Code)
	code("AddPartitionsToTxn: the valid one is not attempted", res["t"][0], kerr.OperationNotAttempted.Code)
	code("AddPartitionsToTxn", r.addPartitions(3, map[string][]int32{"t": {0}})["t"][0], 0)

	wrong := *r
	wrong.epoch = r.epoch - 1
	code("AddPartitionsToTxn with a stale epoch", wrong.addPartitions(3, map[string][]int32{"t": {1}})["t"][1], kerr.ProducerFenced.Code)
	code("AddPartitionsToTxn with a stale epoch, v1", wrong.addPartitions(1, map[string][]int32{"t": {1}})["t"][1], kerr.InvalidProducerEpoch.Code)
	unknown := rawTxn{t: t, cl: f.cl, id: "never-initialized", pid: r.pid, epoch: r.epoch}
	code("AddPartitionsToTxn of an unknown transactional id", unknown.addPartitions(3, map[string][]int32{"t": {0}})["t"][0], kerr.InvalidProducerIDMapping.Code)

	code("transactional produce", r.produce("t", 0, true), 0)
	code("non-transactional produce inside the transaction", r.produce("t", 0, false), kerr.InvalidTxnState.Code)
	mismatch := *r
	mismatch.id = "tx-other"
	code("transactional produce with another id's producer", mismatch.produce("t", 0, true), kerr.InvalidProducerIDMapping.Code)
	code("TxnOffsetCommit before AddOffsetsToTxn", r.commitOffset("txg", "t", 3), kerr.InvalidTxnState.Code)
	code("AddOffsetsToTxn", r.addOffsets("txg"), 0)
	code("TxnOffsetCommit", r.commitOffset("txg", "t", 3), 0)
	foreign := *r
	foreign.pid = other.pid
	code("TxnOffsetCommit with another producer id", foreign.commitOffset("txg", "t", 4), kerr.InvalidProducerIDMapping.Code)

	fetch := func(stable bool) kmsg.OffsetFetchResponseTopicPartition {
		req := kmsg.NewPtrOffsetFetchRequest()
		req.Group, req.RequireStable = "txg", stable
		req.Topics = []kmsg.OffsetFetchRequestTopic{{Topic: "t", Partitions: []int32{0}}}
		return send[*kmsg.OffsetFetchResponse](t, f.cl, req, 7).Topics[0].Partitions[0]
	}
	code("require_stable fetch of a pending offset", fetch(true).ErrorCode, kerr.UnstableOffsetCommit.Code)
	if p := fetch(false); p.ErrorCode != 0 || p.Offset != -1 {
		t.Fatalf("pending offset visible before the commit: %+v", p)
	}
	code("EndTxn with a stale epoch", wrong.end(true, 3), kerr.ProducerFenced.Code)
	code("EndTxn commit", r.end(true, 3), 0)
	code("EndTxn commit retried", r.end(true, 3), 0)
	code("EndTxn abort after a commit", r.end(false, 3), kerr.InvalidTxnState.Code)
	if p := fetch(true); p.ErrorCode != 0 || p.Offset != 3 {
		t.Fatalf("offset after the commit: %+v", p)
	}

	// Aborted offsets are dropped.
	code("AddOffsetsToTxn again", r.addOffsets("txg"), 0)
	code("TxnOffsetCommit to abort", r.commitOffset("txg", "t", 9), 0)
	code("EndTxn abort", r.end(false, 3), 0)
	if p := fetch(true); p.ErrorCode != 0 || p.Offset != 3 {
		t.Fatalf("offset after the abort: %+v", p)
	}
	// The partition's log holds data, a commit marker; the LSO caught up.
	part := f.b.topics.partition("t", 0)
	if lso, hwm := part.lastStableOffset(), part.log.EndOffset(); lso != hwm || hwm != 2 {
		t.Fatalf("lso %d hwm %d, want 2 and 2", lso, hwm)
	}
}

func TestIdleTransactionalIDExpires(t *testing.T) {
	f := newGroupFixture(t, nil)
	r := newRawTxn(t, f.cl, "idle-id")
	first := r.pid
	f.clock.Advance(6 * 24 * time.Hour)
	f.b.txns.expire()
	if resp := r.init(60000, -1, -1, 4); resp.ProducerID != first || resp.ProducerEpoch != 1 {
		t.Fatalf("re-init within the expiration: %+v", resp)
	}
	f.clock.Advance(8 * 24 * time.Hour)
	f.b.txns.expire()
	if resp := r.init(60000, -1, -1, 4); resp.ProducerID == first || resp.ProducerEpoch != 0 {
		t.Fatalf("re-init after transactional.id.expiration.ms: %+v, want a new producer id at epoch 0", resp)
	}
}
