package broker

// JoinGroup (11), v0–9. ACL: Group READ (denied: 30 on the whole
// response; DESCRIBE is not enough). The classic rebalance protocol:
// v4+ new members first get MEMBER_ID_REQUIRED with their id (KIP-394);
// v5+ static members (group.instance.id, KIP-345) replace their previous
// member id without a rebalance when nothing changed, and v9+ tells a
// rejoining static leader to skip the assignment (KIP-814). The request
// waits — outside any lock — until the join phase ends (every member
// rejoined, or the rebalance timeout), the broker closes or the
// connection does.

import (
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(11, handleJoinGroup) }

func handleJoinGroup(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.JoinGroupRequest)
	resp := req.ResponseKind().(*kmsg.JoinGroupResponse)
	if !c.authorizeOp(az.OpRead, az.ResourceGroup, req.Group) {
		renderJoin(resp, r.Version, joinResult{err: kerr.GroupAuthorizationFailed.Code, generation: -1})
		return resp, nil
	}
	rebalance := req.RebalanceTimeoutMillis
	if r.Version == 0 {
		rebalance = req.SessionTimeoutMillis
	}
	jr := &joinRequest{
		group: req.Group, memberID: req.MemberID, instanceID: deref(req.InstanceID),
		clientID: c.clientID, clientHost: "/" + c.host,
		protocolType: req.ProtocolType, protocols: req.Protocols,
		sessionTimeout:         time.Duration(req.SessionTimeoutMillis) * time.Millisecond,
		rebalanceTimeout:       time.Duration(rebalance) * time.Millisecond,
		requireKnownMemberID:   r.Version >= 4,
		supportsSkipAssignment: r.Version >= 9,
		reason:                 deref(req.Reason),
	}
	res, wait := c.b.groups.join(jr)
	if wait != nil {
		select {
		case res = <-wait:
		case <-c.b.ctx.Done():
			res = joinResult{err: kerr.CoordinatorNotAvailable.Code, memberID: req.MemberID, generation: -1}
		case <-c.done:
			return nil, errConnClosed
		}
	}
	renderJoin(resp, r.Version, res)
	return resp, nil
}

func renderJoin(resp *kmsg.JoinGroupResponse, version int16, res joinResult) {
	resp.ErrorCode = res.err
	resp.Generation = res.generation
	resp.MemberID = res.memberID
	resp.LeaderID = res.leader
	resp.Members = res.members
	if resp.Members == nil {
		resp.Members = []kmsg.JoinGroupResponseMember{}
	}
	resp.SkipAssignment = res.skipAssignment
	// Before v7 the protocol name is a non-null string; from v7 "" is null.
	switch {
	case res.protocol != "":
		resp.Protocol = strp(res.protocol)
	case version < 7:
		resp.Protocol = strp("")
	}
	if res.protocolType != "" {
		resp.ProtocolType = strp(res.protocolType)
	}
}
