package broker

// DescribeAcls (29), v0–3. ACL: Cluster DESCRIBE (ALTER implies it);
// denied: top-level 31. Without an ACL manager (no authorizer configured):
// 54 SECURITY_DISABLED "No Authorizer is configured on the broker". A
// filter with an UNKNOWN element, or a v0 filter whose pattern type is not
// LITERAL (ANY is read as LITERAL), fails parsing: the connection is
// closed without a response. Matching ACLs are grouped by resource
// pattern (Kafka's order is unspecified).

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(29, handleDescribeACLs) }

func handleDescribeACLs(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.DescribeACLsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeACLsResponse)
	f, err := wireACLFilter(r.Version, req.ResourceType, req.ResourceName, req.ResourcePatternType, req.Principal, req.Host, req.Operation, req.PermissionType)
	if err != nil {
		return nil, err
	}
	if !c.authorizeOp(az.OpDescribe, az.ResourceCluster, az.ClusterName) {
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
		resp.ErrorMessage = clusterDenied(r.Key)
		return resp, nil
	}
	if c.b.cfg.ACLs == nil {
		resp.ErrorCode = kerr.SecurityDisabled.Code
		resp.ErrorMessage = strp(noAuthorizerDescribe)
		return resp, nil
	}
	acls, err := c.b.cfg.ACLs.DescribeACLs(c.b.ctx, f)
	if err != nil {
		c.b.log.Info("DescribeAcls failed", "client", c.host, "principal", c.subject.User.String(), "filter", filterString(&f), "err", err)
		resp.ErrorCode, resp.ErrorMessage = aclResultCode(err)
		return resp, nil
	}
	type patternKey struct {
		rt      az.ResourceType
		name    string
		pattern az.PatternType
	}
	index := map[patternKey]int{}
	for i := range acls {
		a := &acls[i]
		k := patternKey{a.ResourceType, a.ResourceName, a.PatternType}
		j, ok := index[k]
		if !ok {
			res := kmsg.NewDescribeACLsResponseResource()
			res.ResourceType = kmsg.ACLResourceType(a.ResourceType)
			res.ResourceName = a.ResourceName
			res.ResourcePatternType = kmsg.ACLResourcePatternType(a.PatternType)
			resp.Resources = append(resp.Resources, res)
			j = len(resp.Resources) - 1
			index[k] = j
		}
		e := kmsg.NewDescribeACLsResponseResourceACL()
		e.Principal, e.Host = a.Principal, a.Host
		e.Operation, e.PermissionType = kmsg.ACLOperation(a.Operation), kmsg.ACLPermissionType(a.Permission)
		resp.Resources[j].ACLs = append(resp.Resources[j].ACLs, e)
	}
	return resp, nil
}
