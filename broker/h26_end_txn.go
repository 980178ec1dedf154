package broker

// EndTxn (26), v0–3. ACL: TransactionalId WRITE (denied: 53). Commits or
// aborts the ongoing transaction: a control batch (commit or abort marker)
// is appended to every partition of the transaction, which advances their
// last stable offset (and records aborted transactions for read_committed
// fetches), and the group offsets of TxnOffsetCommit are applied (commit)
// or dropped (abort). Repeating a completed EndTxn is accepted; ending in
// another state is INVALID_TXN_STATE; a stale epoch is PRODUCER_FENCED
// (INVALID_PRODUCER_EPOCH before v2).

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(26, handleEndTxn) }

func handleEndTxn(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.EndTxnRequest)
	resp := req.ResponseKind().(*kmsg.EndTxnResponse)
	if !c.authorizeOp(az.OpWrite, az.ResourceTransactionalID, req.TransactionalID) {
		resp.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
		return resp, nil
	}
	resp.ErrorCode = c.b.txns.endTxn(req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit)
	if resp.ErrorCode == kerr.ProducerFenced.Code && r.Version < 2 {
		resp.ErrorCode = kerr.InvalidProducerEpoch.Code
	}
	return resp, nil
}
