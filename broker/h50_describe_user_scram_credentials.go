package broker

// DescribeUserScramCredentials (50), v0 (flexible). KIP-554. ACL: Cluster
// DESCRIBE, else a top-level CLUSTER_AUTHORIZATION_FAILED (31) and one
// result per requested user carrying 31 (with an empty user name, as
// Kafka's getErrorResponse builds it). Null or empty users describe every
// user with a credential. Per user: RESOURCE_NOT_FOUND (91) "Attempt to
// describe a user credential that does not exist: <user>", or
// DUPLICATE_RESOURCE (92) "Cannot describe SCRAM credentials for the same
// user twice in a single request: <user>". Salts and keys are never
// returned, only mechanism and iterations.

import (
	"context"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(50, handleDescribeUserScramCredentials) }

// scramMechanisms maps KIP-554's mechanism codes to names.
var scramMechanisms = map[int8]string{1: "SCRAM-SHA-256", 2: "SCRAM-SHA-512"}

func scramMechanismCode(name string) int8 {
	for code, n := range scramMechanisms {
		if n == name {
			return code
		}
	}
	return 0
}

const msgClusterAuthorizationFailed = "Cluster authorization failed."

// scramStoreTimeout bounds one SCRAM API request's store calls.
const scramStoreTimeout = 10 * time.Second

func handleDescribeUserScramCredentials(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.DescribeUserSCRAMCredentialsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeUserSCRAMCredentialsResponse)
	if !c.authorizeOp(az.OpDescribe, az.ResourceCluster, az.ClusterName) {
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
		resp.ErrorMessage = strp(msgClusterAuthorizationFailed)
		for range req.Users {
			res := kmsg.NewDescribeUserSCRAMCredentialsResponseResult()
			res.ErrorCode = resp.ErrorCode
			res.ErrorMessage = resp.ErrorMessage
			resp.Results = append(resp.Results, res)
		}
		return resp, nil
	}
	sm := c.b.cfg.Scram
	if sm == nil {
		resp.ErrorCode = kerr.UnsupportedVersion.Code
		resp.ErrorMessage = strp("SCRAM credentials are not managed by this broker")
		return resp, nil
	}
	ctx, cancel := context.WithTimeout(c.b.ctx, scramStoreTimeout)
	defer cancel()
	users, dup, err := describeScramTargets(ctx, sm, req.Users)
	if err != nil {
		c.b.log.Error("describing SCRAM users", "err", err)
		resp.ErrorCode = kerr.UnknownServerError.Code
		resp.ErrorMessage = strp("Error processing describe user SCRAM credential configs request")
		return resp, nil
	}
	for _, u := range users {
		res := kmsg.NewDescribeUserSCRAMCredentialsResponseResult()
		res.User = u
		if dup[u] {
			res.ErrorCode = kerr.DuplicateResource.Code
			res.ErrorMessage = strp("Cannot describe SCRAM credentials for the same user twice in a single request: " + u)
			resp.Results = append(resp.Results, res)
			continue
		}
		iters, ok, err := sm.Describe(ctx, u)
		switch {
		case err != nil:
			c.b.log.Error("describing SCRAM user", "user", u, "err", err)
			res.ErrorCode = kerr.UnknownServerError.Code
			res.ErrorMessage = strp("Error processing describe user SCRAM credential configs request")
		case !ok || len(iters) == 0:
			res.ErrorCode = kerr.ResourceNotFound.Code
			res.ErrorMessage = strp("Attempt to describe a user credential that does not exist: " + u)
		default:
			for _, mech := range sortedKeys(iters) {
				ci := kmsg.NewDescribeUserSCRAMCredentialsResponseResultCredentialInfo()
				ci.Mechanism = scramMechanismCode(mech)
				ci.Iterations = iters[mech]
				res.CredentialInfos = append(res.CredentialInfos, ci)
			}
		}
		resp.Results = append(resp.Results, res)
	}
	return resp, nil
}

// describeScramTargets returns the users to describe in a stable order
// (request order, or sorted when describing all) and which were requested
// more than once.
func describeScramTargets(ctx context.Context, sm ScramManager, req []kmsg.DescribeUserSCRAMCredentialsRequestUser) ([]string, map[string]bool, error) {
	if len(req) == 0 {
		all, err := sm.List(ctx)
		if err != nil {
			return nil, nil, err
		}
		sort.Strings(all)
		return all, nil, nil
	}
	var users []string
	dup := map[string]bool{}
	seen := map[string]bool{}
	for _, u := range req {
		if seen[u.Name] {
			dup[u.Name] = true
			continue
		}
		seen[u.Name] = true
		users = append(users, u.Name)
	}
	return users, dup, nil
}
