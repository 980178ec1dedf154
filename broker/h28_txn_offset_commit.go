package broker

// TxnOffsetCommit (28), v0–3. ACL: TransactionalId WRITE (denied: 53 on
// every partition), Group READ (denied: 30 on every partition), then Topic
// READ per topic (denied: 29 per partition; a missing topic or partition
// of an authorized topic is 3). The group validates the member as for
// OffsetCommit (v3 carries generation, member and instance id, KIP-447;
// generation -1 is accepted even in a non-empty group); then the
// transaction must be ongoing with the group added by AddOffsetsToTxn
// (else INVALID_TXN_STATE; unknown producer id: INVALID_PRODUCER_ID_MAPPING;
// stale epoch: INVALID_PRODUCER_EPOCH). The offsets stay pending —
// invisible, and UNSTABLE_OFFSET_COMMIT to require_stable fetches — until
// EndTxn commits (applied) or aborts (dropped) the transaction.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(28, handleTxnOffsetCommit) }

func handleTxnOffsetCommit(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.TxnOffsetCommitRequest)
	resp := req.ResponseKind().(*kmsg.TxnOffsetCommitResponse)
	var commits []offsetCommit
	refs := map[string]int{}
	for _, t := range req.Topics {
		refs[t.Topic] += len(t.Partitions)
		for _, p := range t.Partitions {
			commits = append(commits, offsetCommit{topic: t.Topic, partition: p.Partition, offset: p.Offset, leaderEpoch: p.LeaderEpoch, metadata: p.Metadata})
		}
	}
	setAll := func(code int16) {
		for i := range commits {
			if commits[i].code == 0 {
				commits[i].code = code
			}
		}
	}
	switch {
	case !c.authorizeOp(az.OpWrite, az.ResourceTransactionalID, req.TransactionalID):
		setAll(kerr.TransactionalIDAuthorizationFailed.Code)
	case !c.authorizeOp(az.OpRead, az.ResourceGroup, req.Group):
		setAll(kerr.GroupAuthorizationFailed.Code)
	default:
		c.checkCommitTopics(commits, refs)
		if !anyPending(commits) {
			break
		}
		code := c.b.txns.txnOffsetCommit(req.TransactionalID, req.Group, req.MemberID, deref(req.InstanceID), req.Generation, req.ProducerID, req.ProducerEpoch, commits)
		if code == kerr.ProducerFenced.Code && r.Version < 2 {
			code = kerr.InvalidProducerEpoch.Code
		}
		setAll(code)
	}
	i := 0
	for _, t := range req.Topics {
		rt := kmsg.NewTxnOffsetCommitResponseTopic()
		rt.Topic = t.Topic
		for range t.Partitions {
			rp := kmsg.NewTxnOffsetCommitResponseTopicPartition()
			rp.Partition = commits[i].partition
			rp.ErrorCode = commits[i].code
			rt.Partitions = append(rt.Partitions, rp)
			i++
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil
}
