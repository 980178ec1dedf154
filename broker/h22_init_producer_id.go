package broker

// InitProducerId (22), v0–4. ACL: with a transactional id, TransactionalId
// WRITE (denied: 53); without one, Cluster IDEMPOTENT_WRITE (not logged when
// denied) or WRITE on at least one topic (authorizeByResourceType, KIP-679);
// denied: 31. Idempotent producers get a fresh id at epoch 0; transactional
// ones go through the transaction coordinator (epoch bump per init, KIP-360
// bump with producer id and epoch, fencing of an ongoing transaction which
// is aborted first: CONCURRENT_TRANSACTIONS, the client retries). A
// producer id without epoch or the reverse: INVALID_REQUEST. Before v4,
// PRODUCER_FENCED is answered as INVALID_PRODUCER_EPOCH.

import (
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(22, handleInitProducerID) }

type producerIDs struct {
	mu   sync.Mutex
	next int64
}

func newProducerIDs() *producerIDs { return &producerIDs{next: 1000} }

func (p *producerIDs) alloc() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	id := p.next
	p.next++
	return id
}

func handleInitProducerID(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.InitProducerIDRequest)
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	badPair := (req.ProducerID == -1) != (req.ProducerEpoch == -1)
	if req.TransactionalID != nil {
		if !c.authorizeOp(az.OpWrite, az.ResourceTransactionalID, *req.TransactionalID) {
			resp.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
			return resp, nil
		}
		if badPair {
			resp.ErrorCode = kerr.InvalidRequest.Code
			return resp, nil
		}
		resp.ProducerID, resp.ProducerEpoch, resp.ErrorCode = c.b.txns.initProducer(*req.TransactionalID, req.TransactionTimeoutMillis, req.ProducerID, req.ProducerEpoch)
		if resp.ErrorCode == kerr.ProducerFenced.Code && r.Version < 4 {
			resp.ErrorCode = kerr.InvalidProducerEpoch.Code
		}
		return resp, nil
	}
	if !c.authorizeQuiet(az.OpIdempotentWrite, az.ResourceCluster, az.ClusterName) &&
		!c.authorizeByResourceType(az.OpWrite, az.ResourceTopic) {
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
		return resp, nil
	}
	if badPair {
		resp.ErrorCode = kerr.InvalidRequest.Code
		return resp, nil
	}
	resp.ProducerID = c.b.pids.alloc()
	resp.ProducerEpoch = 0
	return resp, nil
}
