package broker

// Heartbeat (12), v0–4. ACL: Group READ (denied: 30). Keeps a member's
// session alive; answers REBALANCE_IN_PROGRESS while the group prepares a
// rebalance, ILLEGAL_GENERATION for an old generation, UNKNOWN_MEMBER_ID
// for a member the group does not know (or a missing group), and
// FENCED_INSTANCE_ID when a static member's instance id now maps to
// another member id.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(12, handleHeartbeat) }

func handleHeartbeat(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.HeartbeatRequest)
	resp := req.ResponseKind().(*kmsg.HeartbeatResponse)
	if !c.authorizeOp(az.OpRead, az.ResourceGroup, req.Group) {
		resp.ErrorCode = kerr.GroupAuthorizationFailed.Code
		return resp, nil
	}
	resp.ErrorCode = c.b.groups.heartbeat(req)
	return resp, nil
}
