package broker

// DeleteAcls (31), v0–3. ACL: Cluster ALTER; denied: 31 on every filter
// result. Without an ACL manager: 54 "No Authorizer is configured." on
// every filter result. Filters with an UNKNOWN element, or v0 filters whose
// pattern type is not LITERAL (ANY is read as LITERAL), fail parsing: the
// connection is closed. Every filter is matched against the ACLs as they
// were before the request (an ACL matching two filters is listed under
// both), the removals are atomic and durable before the response, and more
// than 10000 matches fail every filter with UNKNOWN_SERVER_ERROR. A removal
// the data directory's disk refuses fails every filter with
// KAFKA_STORAGE_ERROR (56) and the reason; nothing is removed.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(31, handleDeleteACLs) }

func handleDeleteACLs(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.DeleteACLsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteACLsResponse)
	filters := make([]az.ACLFilter, len(req.Filters))
	for i, f := range req.Filters {
		af, err := wireACLFilter(r.Version, f.ResourceType, f.ResourceName, f.ResourcePatternType, f.Principal, f.Host, f.Operation, f.PermissionType)
		if err != nil {
			return nil, err
		}
		filters[i] = af
	}
	resp.Results = make([]kmsg.DeleteACLsResponseResult, len(filters))
	for i := range resp.Results {
		resp.Results[i] = kmsg.NewDeleteACLsResponseResult()
	}
	setAll := func(code int16, msg *string) {
		for i := range resp.Results {
			resp.Results[i].ErrorCode, resp.Results[i].ErrorMessage = code, msg
		}
	}
	if !c.authorizeOp(az.OpAlter, az.ResourceCluster, az.ClusterName) {
		setAll(kerr.ClusterAuthorizationFailed.Code, clusterDenied(r.Key))
		return resp, nil
	}
	if c.b.cfg.ACLs == nil {
		setAll(kerr.SecurityDisabled.Code, strp(noAuthorizerChange))
		return resp, nil
	}
	matched, err := c.b.cfg.ACLs.DeleteACLs(c.b.ctx, filters)
	if err != nil {
		c.b.log.Log(c.b.ctx, storeFailureLevel(err), "DeleteAcls failed", "client", c.host, "principal", c.subject.User.String(), "filters", len(filters), "err", err)
		setAll(aclResultCode(err))
		return resp, nil
	}
	deleted := 0
	for i, acls := range matched {
		for _, a := range acls {
			m := kmsg.NewDeleteACLsResponseResultMatchingACL()
			m.ResourceType = kmsg.ACLResourceType(a.ResourceType)
			m.ResourceName = a.ResourceName
			m.ResourcePatternType = kmsg.ACLResourcePatternType(a.PatternType)
			m.Principal, m.Host = a.Principal, a.Host
			m.Operation, m.PermissionType = kmsg.ACLOperation(a.Operation), kmsg.ACLPermissionType(a.Permission)
			resp.Results[i].MatchingACLs = append(resp.Results[i].MatchingACLs, m)
		}
		deleted += len(acls)
	}
	c.b.log.Info("ACLs deleted", "client", c.host, "principal", c.subject.User.String(), "filters", len(filters), "matched", deleted)
	return resp, nil
}
