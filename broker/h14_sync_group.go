package broker

// SyncGroup (14), v0–5. ACL: Group READ (denied: 30 on the whole
// response). The leader's assignment completes the rebalance (the group
// becomes Stable) and is handed to every member; followers wait for it
// outside any lock, until it arrives, the group rebalances again
// (REBALANCE_IN_PROGRESS), the broker closes or the connection does. In a
// Stable group the member's current assignment is returned at once. v5
// validates and echoes the protocol type and name.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(14, handleSyncGroup) }

func handleSyncGroup(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.SyncGroupRequest)
	resp := req.ResponseKind().(*kmsg.SyncGroupResponse)
	resp.MemberAssignment = []byte{}
	if !c.authorizeOp(az.OpRead, az.ResourceGroup, req.Group) {
		resp.ErrorCode = kerr.GroupAuthorizationFailed.Code
		return resp, nil
	}
	res, wait := c.b.groups.sync(req)
	if wait != nil {
		select {
		case res = <-wait:
		case <-c.b.ctx.Done():
			res = syncResult{err: kerr.CoordinatorNotAvailable.Code}
		case <-c.done:
			return nil, errConnClosed
		}
	}
	resp.ErrorCode = res.err
	if res.err == 0 {
		resp.MemberAssignment = res.assignment
		if resp.MemberAssignment == nil {
			resp.MemberAssignment = []byte{}
		}
		resp.ProtocolType = strp(res.protocolType)
		resp.Protocol = strp(res.protocol)
	}
	return resp, nil
}
