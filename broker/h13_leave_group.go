package broker

// LeaveGroup (13), v0–5. ACL: Group READ (denied: 30 top-level, no
// members). v0–2 name one member and carry its error top-level; v3+ name
// several, each answered on its own, and a member may be named by group
// instance id alone (administrative removal of a static member). A
// missing group: UNKNOWN_MEMBER_ID top-level (Kafka 4.0).

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(13, handleLeaveGroup) }

func handleLeaveGroup(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.LeaveGroupRequest)
	resp := req.ResponseKind().(*kmsg.LeaveGroupResponse)
	if !c.authorizeOp(az.OpRead, az.ResourceGroup, req.Group) {
		resp.ErrorCode = kerr.GroupAuthorizationFailed.Code
		return resp, nil
	}
	var who []leaveIdentity
	if r.Version < 3 {
		who = []leaveIdentity{{memberID: req.MemberID}}
	} else {
		for _, m := range req.Members {
			who = append(who, leaveIdentity{memberID: m.MemberID, instanceID: deref(m.InstanceID)})
			if m.Reason != nil {
				c.b.log.Debug("leave group", "group", req.Group, "member_id", m.MemberID, "reason", *m.Reason)
			}
		}
	}
	top, codes := c.b.groups.leave(req.Group, who)
	resp.ErrorCode = top
	if r.Version < 3 {
		if top == 0 && len(codes) == 1 {
			resp.ErrorCode = codes[0]
		}
		return resp, nil
	}
	if top != 0 {
		return resp, nil
	}
	for i, m := range req.Members {
		rm := kmsg.NewLeaveGroupResponseMember()
		rm.MemberID = m.MemberID
		rm.InstanceID = m.InstanceID
		rm.ErrorCode = codes[i]
		resp.Members = append(resp.Members, rm)
	}
	return resp, nil
}
