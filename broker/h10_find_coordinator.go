package broker

// FindCoordinator (10), v0–4. ACL: key type GROUP needs Group DESCRIBE on
// the key (denied: 30), TRANSACTION needs TransactionalId DESCRIBE
// (denied: 53); READ on a group or WRITE on a transactional id imply
// DESCRIBE. v0–3 carry one key and a top-level error (node -1 on error);
// v4 answers per key. This node coordinates everything; like Kafka it
// creates __consumer_offsets / __transaction_state (internal, 50
// partitions) on first use. Unknown key types: INVALID_REQUEST.

import (
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(10, handleFindCoordinator) }

const internalTopicPartitions = 50 // offsets.topic.num.partitions, transaction.state.log.num.partitions

func handleFindCoordinator(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.FindCoordinatorRequest)
	resp := req.ResponseKind().(*kmsg.FindCoordinatorResponse)
	keys := req.CoordinatorKeys
	if r.Version < 4 {
		keys = []string{req.CoordinatorKey}
	}
	host, portS, _ := net.SplitHostPort(c.l.advertised)
	port, _ := strconv.Atoi(portS)
	for _, key := range keys {
		co := kmsg.NewFindCoordinatorResponseCoordinator()
		co.Key = key
		co.NodeID, co.Host, co.Port = -1, "", -1
		co.ErrorCode = c.findCoordinator(req.CoordinatorType, key)
		if co.ErrorCode == 0 {
			co.NodeID, co.Host, co.Port = c.b.cfg.NodeID, host, int32(port)
		}
		co.ErrorMessage = strp(coordinatorMessage(co.ErrorCode))
		resp.Coordinators = append(resp.Coordinators, co)
	}
	if r.Version < 4 {
		co := resp.Coordinators[0]
		resp.Coordinators = nil
		resp.ErrorCode, resp.ErrorMessage = co.ErrorCode, co.ErrorMessage
		resp.NodeID, resp.Host, resp.Port = co.NodeID, co.Host, co.Port
	}
	return resp, nil
}

func (c *conn) findCoordinator(keyType int8, key string) int16 {
	switch keyType {
	case 0: // GROUP
		if !c.authorizeOp(az.OpDescribe, az.ResourceGroup, key) {
			return kerr.GroupAuthorizationFailed.Code
		}
		c.b.ensureInternalTopic("__consumer_offsets")
	case 1: // TRANSACTION
		if !c.authorizeOp(az.OpDescribe, az.ResourceTransactionalID, key) {
			return kerr.TransactionalIDAuthorizationFailed.Code
		}
		c.b.ensureInternalTopic("__transaction_state")
	default:
		return kerr.InvalidRequest.Code
	}
	return 0
}

// coordinatorMessage is Errors.message() as Kafka puts it in the response
// ("NONE" on success).
func coordinatorMessage(code int16) string {
	switch code {
	case 0:
		return "NONE"
	case kerr.GroupAuthorizationFailed.Code:
		return "Group authorization failed."
	case kerr.TransactionalIDAuthorizationFailed.Code:
		return "Transactional Id authorization failed."
	case kerr.InvalidRequest.Code:
		return "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details."
	}
	return kerr.ErrorForCode(code).Error()
}

// ensureInternalTopic creates an internal topic the coordinators announce.
func (b *Broker) ensureInternalTopic(name string) {
	if b.topics.get(name) != nil {
		return
	}
	cfg := map[string]string{"cleanup.policy": "compact"}
	if _, created, err := b.topics.create(name, internalTopicPartitions, cfg); err != nil {
		b.log.Error("creating internal topic", "topic", name, "err", err)
	} else if created {
		b.log.Info("created internal topic", "topic", name, "partitions", internalTopicPartitions)
	}
}
