package broker

// AddPartitionsToTxn (24), v0–3 (client versions; v4+ is broker to
// broker and not served). ACL: TransactionalId WRITE (denied: 53 on every
// partition), then Topic WRITE per topic, internal topics always being
// unauthorized. Any failing partition fails the whole request: unauthorized
// ones get 29, missing ones 3, and the others OPERATION_NOT_ATTEMPTED (55).
// Then the coordinator adds the partitions to the ongoing transaction
// (starting one), with one code for all: INVALID_PRODUCER_ID_MAPPING,
// PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2),
// CONCURRENT_TRANSACTIONS while an EndTxn is writing markers.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(24, handleAddPartitionsToTxn) }

func handleAddPartitionsToTxn(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.AddPartitionsToTxnRequest)
	resp := req.ResponseKind().(*kmsg.AddPartitionsToTxnResponse)
	codes := make([][]int16, len(req.Topics))
	for i, t := range req.Topics {
		codes[i] = make([]int16, len(t.Partitions))
	}
	fill := func(code int16) {
		for i := range codes {
			for j := range codes[i] {
				if codes[i][j] == 0 {
					codes[i][j] = code
				}
			}
		}
	}
	if !c.authorizeOp(az.OpWrite, az.ResourceTransactionalID, req.TransactionalID) {
		fill(kerr.TransactionalIDAuthorizationFailed.Code)
	} else if parts, failed := c.txnPartitions(req, codes); failed {
		fill(kerr.OperationNotAttempted.Code)
	} else {
		code := c.b.txns.addPartitions(req.TransactionalID, req.ProducerID, req.ProducerEpoch, parts)
		if code == kerr.ProducerFenced.Code && r.Version < 2 {
			code = kerr.InvalidProducerEpoch.Code
		}
		fill(code)
	}
	for i, t := range req.Topics {
		rt := kmsg.NewAddPartitionsToTxnResponseTopic()
		rt.Topic = t.Topic
		for j, p := range t.Partitions {
			rp := kmsg.NewAddPartitionsToTxnResponseTopicPartition()
			rp.Partition = p
			rp.ErrorCode = codes[i][j]
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil
}

// txnPartitions authorizes Topic WRITE per distinct topic and resolves the
// partitions; failed reports whether any partition got an error in codes.
func (c *conn) txnPartitions(req *kmsg.AddPartitionsToTxnRequest, codes [][]int16) ([]*partition, bool) {
	refs := map[string]int{}
	for _, t := range req.Topics {
		refs[t.Topic] += len(t.Partitions)
	}
	allowed := make(map[string]bool, len(refs))
	for _, name := range sortedKeys(refs) {
		if name == "__consumer_offsets" || name == "__transaction_state" {
			continue // internal topics are never writable by clients
		}
		a := az.NewAction(az.OpWrite, az.ResourceTopic, name)
		a.RefCount = refs[name]
		allowed[name] = c.authorize(a)
	}
	var parts []*partition
	failed := false
	for i, t := range req.Topics {
		for j, pi := range t.Partitions {
			if !allowed[t.Topic] {
				codes[i][j], failed = kerr.TopicAuthorizationFailed.Code, true
				continue
			}
			p := c.b.topics.partition(t.Topic, pi)
			if p == nil {
				codes[i][j], failed = kerr.UnknownTopicOrPartition.Code, true
				continue
			}
			parts = append(parts, p)
		}
	}
	return parts, failed
}
