package broker

// ListGroups (16), v0–4. ACL: Cluster DESCRIBE (not logged when denied)
// lists every group; otherwise only groups with Group DESCRIBE (checked
// quietly) are listed. Never an error: no visible group is an empty list.
// v4 filters by state (case-insensitive).

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(16, handleListGroups) }

func handleListGroups(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.ListGroupsRequest)
	resp := req.ResponseKind().(*kmsg.ListGroupsResponse)
	var states []string
	if r.Version >= 4 {
		states = req.StatesFilter
	}
	all := c.b.groups.list(states)
	if c.authorizeQuiet(az.OpDescribe, az.ResourceCluster, az.ClusterName) {
		resp.Groups = all
		return resp, nil
	}
	resp.Groups = all[:0]
	for _, g := range all {
		if c.authorizeQuiet(az.OpDescribe, az.ResourceGroup, g.Group) {
			resp.Groups = append(resp.Groups, g)
		}
	}
	return resp, nil
}
