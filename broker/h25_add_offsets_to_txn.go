package broker

// AddOffsetsToTxn (25), v0–3. ACL: TransactionalId WRITE (denied: 53),
// then Group READ (denied: 30). Adds the group's offsets to the ongoing
// transaction (starting one), so that a TxnOffsetCommit may follow; errors
// as AddPartitionsToTxn (PRODUCER_FENCED is INVALID_PRODUCER_EPOCH before
// v2).

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(25, handleAddOffsetsToTxn) }

func handleAddOffsetsToTxn(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.AddOffsetsToTxnRequest)
	resp := req.ResponseKind().(*kmsg.AddOffsetsToTxnResponse)
	switch {
	case !c.authorizeOp(az.OpWrite, az.ResourceTransactionalID, req.TransactionalID):
		resp.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
	case !c.authorizeOp(az.OpRead, az.ResourceGroup, req.Group):
		resp.ErrorCode = kerr.GroupAuthorizationFailed.Code
	default:
		resp.ErrorCode = c.b.txns.addGroup(req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Group)
		if resp.ErrorCode == kerr.ProducerFenced.Code && r.Version < 2 {
			resp.ErrorCode = kerr.InvalidProducerEpoch.Code
		}
	}
	return resp, nil
}
