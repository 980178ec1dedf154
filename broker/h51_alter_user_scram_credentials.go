package broker

// AlterUserScramCredentials (51), v0 (flexible). KIP-554, with the
// controller-side semantics of Kafka's ScramControlManager. ACL: Cluster
// ALTER, else every named user (deduplicated, sorted) gets
// CLUSTER_AUTHORIZATION_FAILED (31). A user may be altered once per
// request: a second deletion or upsertion of the same name turns its entry
// into DUPLICATE_RESOURCE (92) "A user credential cannot be altered twice
// in the same request". Validation: empty name → UNACCEPTABLE_CREDENTIAL
// (93) "Username must not be empty"; unknown mechanism →
// UNSUPPORTED_SASL_MECHANISM (33) "Unknown SCRAM mechanism"; deleting a
// missing credential → RESOURCE_NOT_FOUND (91) "Attempt to delete a user
// credential that does not exist"; iterations below 4096 / above 16384 →
// 93 "Too few iterations" / "Too many iterations". The client sends salt
// and SaltedPassword; the ScramManager derives StoredKey and ServerKey.
// Results: deletions, then upsertions, then errors, each in request order.
// A change the data directory's disk refuses is KAFKA_STORAGE_ERROR (56)
// with the reason (storage_errors.go); nothing is changed for that user.

import (
	"context"
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(51, handleAlterUserScramCredentials) }

const (
	scramMinIterations = 4096
	scramMaxIterations = 16384
)

type scramAlterError struct {
	code int16
	msg  string
}

// scramAlter is one accepted alteration.
type scramAlter struct {
	user   string
	delete *kmsg.AlterUserSCRAMCredentialsRequestDeletion
	upsert *kmsg.AlterUserSCRAMCredentialsRequestUpsertion
}

func handleAlterUserScramCredentials(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.AlterUserSCRAMCredentialsRequest)
	resp := req.ResponseKind().(*kmsg.AlterUserSCRAMCredentialsResponse)
	if !c.authorizeOp(az.OpAlter, az.ResourceCluster, az.ClusterName) {
		scramAlterFailAll(req, resp, kerr.ClusterAuthorizationFailed.Code, msgClusterAuthorizationFailed)
		return resp, nil
	}
	sm := c.b.cfg.Scram
	if sm == nil {
		scramAlterFailAll(req, resp, kerr.UnsupportedVersion.Code, "The current metadata.version does not support SCRAM")
		return resp, nil
	}
	ctx, cancel := context.WithTimeout(c.b.ctx, scramStoreTimeout)
	defer cancel()
	alters, errs, errOrder := validateScramAlters(ctx, c, sm, req)
	for _, a := range alters { // deletions come first
		res := kmsg.NewAlterUserSCRAMCredentialsResponseResult()
		res.User = a.user
		var err error
		if a.delete != nil {
			var ok bool
			ok, err = sm.Delete(ctx, a.user, scramMechanisms[a.delete.Mechanism])
			if err == nil && !ok {
				res.ErrorCode = kerr.ResourceNotFound.Code
				res.ErrorMessage = strp("Attempt to delete a user credential that does not exist")
			}
		} else {
			u := a.upsert
			err = sm.Upsert(ctx, a.user, scramMechanisms[u.Mechanism], u.Iterations, u.Salt, u.SaltedPassword)
		}
		if err != nil {
			c.b.log.Error("altering SCRAM credential", "user", a.user, "err", err)
			if code, msg, ok := storageFailure(err, "The SCRAM credential of "+a.user); ok {
				res.ErrorCode, res.ErrorMessage = code, &msg
			} else {
				res.ErrorCode = kerr.UnknownServerError.Code
				res.ErrorMessage = strp(err.Error())
			}
		} else if res.ErrorCode == 0 {
			c.b.log.Info("altered SCRAM credential", "user", a.user, "deleted", a.delete != nil, "principal", c.subject.User.String())
		}
		resp.Results = append(resp.Results, res)
	}
	for _, u := range errOrder {
		res := kmsg.NewAlterUserSCRAMCredentialsResponseResult()
		res.User = u
		res.ErrorCode = errs[u].code
		res.ErrorMessage = strp(errs[u].msg)
		resp.Results = append(resp.Results, res)
	}
	return resp, nil
}

// validateScramAlters applies Kafka's per-user rules; it returns the
// accepted alterations (deletions first) and the rejected users.
func validateScramAlters(ctx context.Context, c *conn, sm ScramManager, req *kmsg.AlterUserSCRAMCredentialsRequest) ([]scramAlter, map[string]scramAlterError, []string) {
	errs := map[string]scramAlterError{}
	var errOrder []string
	fail := func(user string, code int16, msg string) {
		if _, ok := errs[user]; !ok {
			errOrder = append(errOrder, user)
		}
		errs[user] = scramAlterError{code, msg}
	}
	var dels, ups []scramAlter
	remove := func(list *[]scramAlter, user string) bool {
		for i, a := range *list {
			if a.user == user {
				*list = append((*list)[:i], (*list)[i+1:]...)
				return true
			}
		}
		return false
	}
	const dupMsg = "A user credential cannot be altered twice in the same request"
	for i := range req.Deletions {
		d := &req.Deletions[i]
		if _, bad := errs[d.Name]; bad {
			continue
		}
		if remove(&dels, d.Name) {
			fail(d.Name, kerr.DuplicateResource.Code, dupMsg)
			continue
		}
		if code, msg := validateScramName(d.Name, d.Mechanism); code != 0 {
			fail(d.Name, code, msg)
			continue
		}
		iters, ok, err := sm.Describe(ctx, d.Name)
		if err != nil {
			c.b.log.Error("describing SCRAM user", "user", d.Name, "err", err)
			fail(d.Name, kerr.UnknownServerError.Code, err.Error())
			continue
		}
		if _, has := iters[scramMechanisms[d.Mechanism]]; !ok || !has {
			fail(d.Name, kerr.ResourceNotFound.Code, "Attempt to delete a user credential that does not exist")
			continue
		}
		dels = append(dels, scramAlter{user: d.Name, delete: d})
	}
	for i := range req.Upsertions {
		u := &req.Upsertions[i]
		if _, bad := errs[u.Name]; bad {
			continue
		}
		if remove(&dels, u.Name) || remove(&ups, u.Name) {
			fail(u.Name, kerr.DuplicateResource.Code, dupMsg)
			continue
		}
		code, msg := validateScramName(u.Name, u.Mechanism)
		switch {
		case code != 0:
		case u.Iterations < scramMinIterations:
			code, msg = kerr.UnacceptableCredential.Code, "Too few iterations"
		case u.Iterations > scramMaxIterations:
			code, msg = kerr.UnacceptableCredential.Code, "Too many iterations"
		}
		if code != 0 {
			fail(u.Name, code, msg)
			continue
		}
		ups = append(ups, scramAlter{user: u.Name, upsert: u})
	}
	return append(dels, ups...), errs, errOrder
}

func validateScramName(name string, mech int8) (int16, string) {
	if name == "" {
		return kerr.UnacceptableCredential.Code, "Username must not be empty"
	}
	if _, ok := scramMechanisms[mech]; !ok {
		return kerr.UnsupportedSaslMechanism.Code, "Unknown SCRAM mechanism"
	}
	return 0, ""
}

// scramAlterFailAll answers every named user (deduplicated, sorted) with
// one error, as Kafka's AlterUserScramCredentialsRequest.getErrorResponse.
func scramAlterFailAll(req *kmsg.AlterUserSCRAMCredentialsRequest, resp *kmsg.AlterUserSCRAMCredentialsResponse, code int16, msg string) {
	users := map[string]bool{}
	for _, d := range req.Deletions {
		users[d.Name] = true
	}
	for _, u := range req.Upsertions {
		users[u.Name] = true
	}
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	sort.Strings(names)
	for _, u := range names {
		res := kmsg.NewAlterUserSCRAMCredentialsResponseResult()
		res.User = u
		res.ErrorCode = code
		res.ErrorMessage = strp(msg)
		resp.Results = append(resp.Results, res)
	}
}
