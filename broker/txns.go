package broker

// txnCoordinator owns transactional ids and their state.
type txnCoordinator struct {
	b *Broker
}

func newTxnCoordinator(b *Broker) *txnCoordinator { return &txnCoordinator{b: b} }

// expire aborts transactions past their timeout.
func (tc *txnCoordinator) expire() {}

// checkProduce verifies a transactional batch belongs to an ongoing
// transaction that includes p. Called with p.mu held.
func (tc *txnCoordinator) checkProduce(txnID *string, h *batchHeader, p *partition) int16 { return 0 }

// initProducer returns the producer id and epoch of a transactional id.
func (tc *txnCoordinator) initProducer(txnID string, timeoutMs int32, pid int64, epoch int16) (int64, int16, int16) {
	return -1, -1, 48 // INVALID_TXN_STATE until transactions are implemented
}
