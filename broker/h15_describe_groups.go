package broker

// DescribeGroups (15), v0–5. ACL: Group DESCRIBE per group (denied: 30 on
// that group, other fields empty). A group that does not exist is
// described as "Dead" without error; member metadata and assignments are
// filled only when the group is Stable. v3+ include_authorized_operations:
// the GROUP operations bitfield, for groups whose result has no error
// (otherwise INT32_MIN).

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(15, handleDescribeGroups) }

func handleDescribeGroups(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.DescribeGroupsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeGroupsResponse)
	for _, id := range req.Groups {
		if !c.authorizeOp(az.OpDescribe, az.ResourceGroup, id) {
			d := kmsg.NewDescribeGroupsResponseGroup()
			d.Group = id
			d.ErrorCode = kerr.GroupAuthorizationFailed.Code
			d.AuthorizedOperations = int32Min
			d.Members = []kmsg.DescribeGroupsResponseGroupMember{}
			resp.Groups = append(resp.Groups, d)
			continue
		}
		d := c.b.groups.describe(id)
		if req.IncludeAuthorizedOperations && r.Version >= 3 {
			d.AuthorizedOperations = c.authorizedOps(az.ResourceGroup, id)
		}
		resp.Groups = append(resp.Groups, d)
	}
	return resp, nil
}
