package broker

// CreateAcls (30), v0–3. ACL: Cluster ALTER; denied: 31 on every result.
// Without an ACL manager: 54 "No Authorizer is configured." on every
// result. Parsing fails (connection closed, no response) on an UNKNOWN
// resource type, pattern type, operation or permission, and on a v0
// creation whose pattern type is not LITERAL. A creation with resource
// type ANY, pattern type MATCH/ANY, operation ANY or permission ANY fails
// the whole request (every result UNKNOWN_SERVER_ERROR). Otherwise each
// creation gets 0 or 42 INVALID_REQUEST with Kafka's message, in request
// order; valid ACLs are durable before the response is sent. When the
// data directory's disk refuses the write (full, read-only) every result
// is KAFKA_STORAGE_ERROR (56) with the reason and nothing is added
// (storage_errors.go).

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(30, handleCreateACLs) }

func handleCreateACLs(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.CreateACLsRequest)
	resp := req.ResponseKind().(*kmsg.CreateACLsResponse)
	acls := make([]az.ACL, len(req.Creations))
	for i := range req.Creations {
		a, err := wireACLCreation(r.Version, &req.Creations[i])
		if err != nil {
			return nil, err
		}
		acls[i] = a
	}
	resp.Results = make([]kmsg.CreateACLsResponseResult, len(acls))
	setAll := func(code int16, msg *string) {
		for i := range resp.Results {
			resp.Results[i] = kmsg.NewCreateACLsResponseResult()
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
	results, err := c.b.cfg.ACLs.CreateACLs(c.b.ctx, acls)
	if err != nil {
		c.b.log.Log(c.b.ctx, storeFailureLevel(err), "CreateAcls failed", "client", c.host, "principal", c.subject.User.String(), "acls", len(acls), "err", err)
		setAll(aclResultCode(err))
		return resp, nil
	}
	created := 0
	for i := range resp.Results {
		resp.Results[i] = kmsg.NewCreateACLsResponseResult()
		resp.Results[i].ErrorCode, resp.Results[i].ErrorMessage = aclResultCode(results[i])
		if results[i] == nil {
			created++
		} else {
			c.b.log.Info("CreateAcls: ACL rejected", "client", c.host, "principal", c.subject.User.String(), "acl", acls[i].String(), "err", results[i])
		}
	}
	c.b.log.Info("ACLs created", "client", c.host, "principal", c.subject.User.String(), "accepted", created, "rejected", len(acls)-created)
	return resp, nil
}
