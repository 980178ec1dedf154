package broker

// The transaction coordinator: transactional ids mapped to producer ids and
// epochs (Kafka's TransactionMetadata state machine for clients up to
// EndTxn v3), fencing, KIP-360 epoch bumps, the partitions and groups of
// the ongoing transaction, timeouts, and the commit/abort markers written
// into the partition logs. Markers are written synchronously by EndTxn,
// so Prepare* states last only while EndTxn runs.

import (
	"encoding/binary"
	"hash/crc32"
	"sort"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

type txnState int8

const (
	txnEmpty txnState = iota
	txnOngoing
	txnPrepareCommit
	txnPrepareAbort
	txnCompleteCommit
	txnCompleteAbort
)

var txnStateNames = [...]string{"Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort"}

func (s txnState) String() string { return txnStateNames[s] }

// transactionalIDExpiration is transactional.id.expiration.ms: an id
// without a transaction for that long is forgotten.
const transactionalIDExpiration = 7 * 24 * time.Hour

// epochExhausted is TransactionMetadata.isEpochExhausted.
func epochExhausted(e int16) bool { return e >= 32767-1 }

type txnMeta struct {
	id        string
	pid       int64
	lastPid   int64
	epoch     int16
	lastEpoch int16
	timeout   time.Duration
	state     txnState
	parts     map[*partition]struct{}
	groups    map[string]struct{}
	started   time.Time
	updated   time.Time // last state change, for transactional.id.expiration.ms
}

// txnCoordinator owns transactional ids and their state.
type txnCoordinator struct {
	b    *Broker
	mu   sync.Mutex
	txns map[string]*txnMeta
}

func newTxnCoordinator(b *Broker) *txnCoordinator {
	return &txnCoordinator{b: b, txns: map[string]*txnMeta{}}
}

// initProducer serves InitProducerId for a transactional id. pid/epoch are
// the producer's current ones (KIP-360) or -1/-1. It returns the producer
// id and epoch, or an error code. An ongoing transaction is fenced and
// aborted first, and CONCURRENT_TRANSACTIONS tells the client to retry.
func (tc *txnCoordinator) initProducer(txnID string, timeoutMs int32, pid int64, epoch int16) (int64, int16, int16) {
	if txnID == "" {
		return -1, -1, kerr.InvalidRequest.Code
	}
	if timeoutMs <= 0 || time.Duration(timeoutMs)*time.Millisecond > tc.b.cfg.TransactionTimeoutMax {
		return -1, -1, kerr.InvalidTransactionTimeout.Code
	}
	expected := pid >= 0
	tc.mu.Lock()
	t := tc.txns[txnID]
	if t == nil {
		t = &txnMeta{id: txnID, pid: tc.b.pids.alloc(), lastPid: -1, epoch: -1, lastEpoch: -1}
		tc.txns[txnID] = t
	}
	if expected && !(t.epoch == -1 || pid == t.pid || (pid == t.lastPid && epochExhausted(epoch))) {
		tc.mu.Unlock()
		return -1, -1, kerr.ProducerFenced.Code
	}
	switch t.state {
	case txnPrepareCommit, txnPrepareAbort:
		tc.mu.Unlock()
		return -1, -1, kerr.ConcurrentTransactions.Code
	case txnOngoing:
		// Fence the current producer and abort its transaction; the epoch
		// bumped here is never handed out: the client retries.
		end := tc.prepareEnd(t, false, true)
		tc.mu.Unlock()
		tc.b.log.Info("fencing producer and aborting its ongoing transaction", "transactional_id", txnID, "producer_id", end.pid, "epoch", end.epoch)
		tc.finishEnd(end)
		return -1, -1, kerr.ConcurrentTransactions.Code
	}
	defer tc.mu.Unlock()
	switch {
	case epochExhausted(t.epoch) && (!expected || epoch == t.epoch):
		t.lastPid, t.pid = t.pid, tc.b.pids.alloc()
		t.lastEpoch = -1
		if expected {
			t.lastEpoch = t.epoch
		}
		t.epoch = 0
	case !expected:
		t.epoch, t.lastEpoch = t.epoch+1, -1
	case t.epoch == -1 || epoch == t.epoch:
		t.epoch, t.lastEpoch = t.epoch+1, t.epoch
	case epoch == t.lastEpoch:
		// A retry of a bump whose answer was lost: same epoch again.
	default:
		return -1, -1, kerr.ProducerFenced.Code
	}
	t.timeout = time.Duration(timeoutMs) * time.Millisecond
	t.state = txnEmpty
	t.updated = tc.b.now()
	t.parts, t.groups = nil, nil
	return t.pid, t.epoch, 0
}

// check is the common validation of AddPartitionsToTxn, AddOffsetsToTxn
// and EndTxn. Called with tc.mu held.
func (tc *txnCoordinator) check(txnID string, pid int64, epoch int16) (*txnMeta, int16) {
	if txnID == "" {
		return nil, kerr.InvalidRequest.Code
	}
	t := tc.txns[txnID]
	switch {
	case t == nil || t.pid != pid:
		return nil, kerr.InvalidProducerIDMapping.Code
	case t.epoch != epoch:
		return nil, kerr.ProducerFenced.Code
	case t.state == txnPrepareCommit || t.state == txnPrepareAbort:
		return nil, kerr.ConcurrentTransactions.Code
	}
	return t, 0
}

// begin moves t to Ongoing (a new transaction starts with its first
// partition or group). Called with tc.mu held.
func (tc *txnCoordinator) begin(t *txnMeta) {
	t.updated = tc.b.now()
	if t.state != txnOngoing {
		t.state = txnOngoing
		t.started = t.updated
		t.parts = map[*partition]struct{}{}
		t.groups = map[string]struct{}{}
	}
}

// addPartitions adds partitions to the ongoing transaction.
func (tc *txnCoordinator) addPartitions(txnID string, pid int64, epoch int16, ps []*partition) int16 {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	t, code := tc.check(txnID, pid, epoch)
	if code != 0 {
		return code
	}
	tc.begin(t)
	for _, p := range ps {
		t.parts[p] = struct{}{}
	}
	return 0
}

// addGroup adds a group's offsets to the ongoing transaction
// (AddOffsetsToTxn).
func (tc *txnCoordinator) addGroup(txnID string, pid int64, epoch int16, groupID string) int16 {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	t, code := tc.check(txnID, pid, epoch)
	if code != 0 {
		return code
	}
	tc.begin(t)
	t.groups[groupID] = struct{}{}
	return 0
}

// txnOffsetCommit checks a TxnOffsetCommit against the transaction and
// has the group coordinator store the offsets as pending.
func (tc *txnCoordinator) txnOffsetCommit(txnID, groupID, memberID, instanceID string, generation int32, pid int64, epoch int16, commits []offsetCommit) int16 {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	var txnErr int16
	t := tc.txns[txnID]
	switch {
	case t == nil || t.pid != pid:
		txnErr = kerr.InvalidProducerIDMapping.Code
	case epoch != t.epoch:
		txnErr = kerr.InvalidProducerEpoch.Code
	case t.state != txnOngoing:
		txnErr = kerr.InvalidTxnState.Code
	default:
		if _, ok := t.groups[groupID]; !ok {
			txnErr = kerr.InvalidTxnState.Code
		}
	}
	return tc.b.groups.txnCommit(groupID, memberID, instanceID, generation, pid, txnErr, commits)
}

// endTxn commits or aborts the ongoing transaction (EndTxn).
func (tc *txnCoordinator) endTxn(txnID string, pid int64, epoch int16, commit bool) int16 {
	tc.mu.Lock()
	t, code := tc.check(txnID, pid, epoch)
	if code != 0 {
		tc.mu.Unlock()
		return code
	}
	switch {
	case t.state == txnOngoing:
	case t.state == txnCompleteCommit && commit, t.state == txnCompleteAbort && !commit:
		tc.mu.Unlock()
		return 0 // a retry of an EndTxn that succeeded
	default:
		tc.mu.Unlock()
		tc.b.log.Info("EndTxn in an invalid transaction state", "transactional_id", txnID, "state", t.state.String(), "commit", commit)
		return kerr.InvalidTxnState.Code
	}
	end := tc.prepareEnd(t, commit, false)
	tc.mu.Unlock()
	tc.finishEnd(end)
	return 0
}

// txnEnd is a commit or abort between its prepare and complete steps.
type txnEnd struct {
	t      *txnMeta
	pid    int64
	epoch  int16
	commit bool
	parts  []*partition
	groups []string
}

// prepareEnd moves t to PrepareCommit/PrepareAbort (fence: after bumping
// the epoch) and snapshots what the markers go to. Called with tc.mu held.
func (tc *txnCoordinator) prepareEnd(t *txnMeta, commit, fence bool) txnEnd {
	if fence {
		t.epoch++
		t.lastEpoch = -1
	}
	t.state = txnPrepareAbort
	if commit {
		t.state = txnPrepareCommit
	}
	end := txnEnd{t: t, pid: t.pid, epoch: t.epoch, commit: commit}
	for p := range t.parts {
		end.parts = append(end.parts, p)
	}
	sort.Slice(end.parts, func(i, j int) bool {
		a, b := end.parts[i], end.parts[j]
		return a.topic.name < b.topic.name || (a.topic.name == b.topic.name && a.index < b.index)
	})
	end.groups = sortedKeys(t.groups)
	return end
}

// finishEnd writes the markers, settles the group offsets and completes
// the transaction. Called without tc.mu.
func (tc *txnCoordinator) finishEnd(end txnEnd) {
	now := tc.b.now()
	for _, p := range end.parts {
		if err := tc.b.writeMarker(p, end.pid, end.epoch, end.commit, now); err != nil {
			tc.b.log.Error("writing transaction marker", "transactional_id", end.t.id, "topic", p.topic.name, "partition", p.index, "err", err)
		}
	}
	tc.b.groups.completeTxn(end.pid, end.groups, end.commit)
	tc.mu.Lock()
	end.t.state = txnCompleteAbort
	if end.commit {
		end.t.state = txnCompleteCommit
	}
	end.t.parts, end.t.groups = nil, nil
	end.t.updated = tc.b.now()
	tc.mu.Unlock()
}

// expire aborts transactions past their timeout, fencing their producer,
// and forgets transactional ids idle for transactional.id.expiration.ms.
func (tc *txnCoordinator) expire() {
	now := tc.b.now()
	tc.mu.Lock()
	var ends []txnEnd
	for _, id := range sortedKeys(tc.txns) {
		t := tc.txns[id]
		switch t.state {
		case txnOngoing:
			if now.Sub(t.started) > t.timeout {
				ends = append(ends, tc.prepareEnd(t, false, true))
			}
		case txnEmpty, txnCompleteCommit, txnCompleteAbort:
			if now.Sub(t.updated) > transactionalIDExpiration {
				delete(tc.txns, id)
			}
		}
	}
	tc.mu.Unlock()
	for _, end := range ends {
		tc.b.log.Info("aborting transaction past its timeout", "transactional_id", end.t.id, "producer_id", end.pid, "timeout", end.t.timeout)
		tc.finishEnd(end)
	}
}

// checkProduce verifies a transactional batch belongs to an ongoing
// transaction that includes p. Called with p.mu held.
func (tc *txnCoordinator) checkProduce(txnID *string, h *batchHeader, p *partition) int16 {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	t := tc.txns[*txnID]
	switch {
	case t == nil || t.pid != h.ProducerID:
		return kerr.InvalidProducerIDMapping.Code
	case h.ProducerEpoch < t.epoch:
		return kerr.InvalidProducerEpoch.Code
	case t.state != txnOngoing:
		return kerr.InvalidTxnState.Code
	}
	if _, ok := t.parts[p]; !ok {
		return kerr.InvalidTxnState.Code
	}
	return 0
}

// writeMarker appends a commit or abort control batch for producer pid to
// p, closes its open transaction there (advancing the last stable offset)
// and, on abort, records it in the aborted-transactions index.
func (b *Broker) writeMarker(p *partition, pid int64, epoch int16, commit bool, now time.Time) error {
	batch := controlBatch(pid, epoch, commit, now.UnixMilli())
	p.mu.Lock()
	defer p.mu.Unlock()
	base, err := p.log.Append(batch, 0, now.UnixMilli())
	if err != nil {
		return err
	}
	first, open := p.openTxns[pid]
	delete(p.openTxns, pid)
	if !commit && open {
		start := p.log.StartOffset()
		kept := p.aborted[:0]
		for _, a := range p.aborted {
			if a.lastOffset >= start {
				kept = append(kept, a)
			}
		}
		p.aborted = append(kept, abortedTxn{producerID: pid, firstOffset: first, lastOffset: base})
	}
	switch ps := p.producers[pid]; {
	case ps == nil:
		p.producers[pid] = &producerState{epoch: epoch}
	case epoch > ps.epoch:
		ps.epoch, ps.n = epoch, 0
	}
	ws := p.waiters
	p.waiters = nil
	for _, w := range ws {
		select {
		case w <- struct{}{}:
		default:
		}
	}
	return nil
}

// controlBatch encodes a magic-v2 control batch holding one end-transaction
// marker: key = version 0 + type (0 abort, 1 commit), value = version 0 +
// coordinator epoch 0. The base offset is assigned by the log.
func controlBatch(pid int64, epoch int16, commit bool, ts int64) []byte {
	const recordLen = 16 // attributes, 3 one-byte varints, key, value, headers
	b := make([]byte, batchHeaderSize+1+recordLen)
	be := binary.BigEndian
	be.PutUint32(b[8:], uint32(len(b)-12)) // batch length
	b[16] = 2                              // magic
	be.PutUint16(b[21:], attrTransactional|attrControl)
	be.PutUint64(b[27:], uint64(ts)) // first timestamp
	be.PutUint64(b[35:], uint64(ts)) // max timestamp
	be.PutUint64(b[43:], uint64(pid))
	be.PutUint16(b[51:], uint16(epoch))
	be.PutUint32(b[53:], 0xffffffff) // base sequence -1
	be.PutUint32(b[57:], 1)          // one record
	r := b[batchHeaderSize:]
	r[0] = recordLen << 1 // zig-zag varint length
	// r[1] attributes, r[2] timestamp delta, r[3] offset delta: all 0
	r[4] = 4 << 1 // key length
	typ := uint16(0)
	if commit {
		typ = 1
	}
	be.PutUint16(r[5:], 0) // key version
	be.PutUint16(r[7:], typ)
	r[9] = 6 << 1           // value length
	be.PutUint16(r[10:], 0) // value version
	be.PutUint32(r[12:], 0) // coordinator epoch
	// r[16] headers count: 0
	be.PutUint32(b[17:], crc32.Checksum(b[21:], crc32c))
	return b
}
