package broker

// DeleteGroups (42), v0–2. ACL: Group DELETE per group, each distinct
// group checked once (denied: 30 on it). A missing group is
// GROUP_ID_NOT_FOUND; a group with members NON_EMPTY_GROUP; an empty group
// is deleted with its committed offsets.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(42, handleDeleteGroups) }

func handleDeleteGroups(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.DeleteGroupsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteGroupsResponse)
	seen := map[string]bool{}
	for _, id := range req.Groups {
		if seen[id] {
			continue
		}
		seen[id] = true
		g := kmsg.NewDeleteGroupsResponseGroup()
		g.Group = id
		if !c.authorizeOp(az.OpDelete, az.ResourceGroup, id) {
			g.ErrorCode = kerr.GroupAuthorizationFailed.Code
		} else {
			g.ErrorCode = c.b.groups.deleteGroup(id)
		}
		resp.Groups = append(resp.Groups, g)
	}
	return resp, nil
}
