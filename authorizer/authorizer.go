// Package authorizer defines what minikafka asks before every side effect:
// an Action (operation on a resource), the RequestContext it is asked for,
// and the Decision, whose zero value is Deny. Implementations live in
// subpackages (acl: Kafka's StandardAuthorizer semantics extended to
// Group: principals); Chain composes them as Kafka does.
package authorizer

import (
	"context"

	"github.com/minikafka/minikafka/principal"
)

// Result is the outcome of a decision. The zero value is Deny.
type Result int8

const (
	Deny Result = iota
	Allow
	NoOpinion
)

func (r Result) String() string {
	switch r {
	case Allow:
		return "Allow"
	case NoOpinion:
		return "NoOpinion"
	default:
		return "Deny"
	}
}

// Rule names what decided, in the words of Kafka's audit log.
type Rule int8

const (
	RuleDefaultDeny  Rule = iota // no ACL allowed it (or none matched and allow.everyone is off)
	RuleDefaultAllow             // allow.everyone.if.no.acl.found
	RuleSuperUser                // super.users
	RuleMatchingACL              // an ACL decided; Decision.ACL names it
	RuleNoAuthorizer             // authorization is off
	// RuleNotReady: the ACL authorizer has not loaded its ACLs yet (Kafka's
	// AuthorizerNotReadyException); only super users are allowed.
	RuleNotReady
)

// Decision is an authorization outcome with the rule that produced it.
// The zero value denies.
type Decision struct {
	Result Result
	Rule   Rule
	// ACL is the deciding ACL when Rule is RuleMatchingACL.
	ACL *ACL
	// Principal is the principal (user, one of its groups or User:*) the
	// deciding ACL or super-user entry matched.
	Principal principal.Principal
}

// Allowed reports whether the decision allows the action.
func (d Decision) Allowed() bool { return d.Result == Allow }

// RuleString renders the rule as Kafka's audit log does: SuperUser,
// DefaultAllow, DefaultDeny or MatchingAcl(acl=StandardAcl(...)).
func (d Decision) RuleString() string {
	switch d.Rule {
	case RuleSuperUser:
		return "SuperUser"
	case RuleDefaultAllow:
		return "DefaultAllow"
	case RuleNoAuthorizer:
		return "NoAuthorizer"
	case RuleNotReady:
		return "NotReady"
	case RuleMatchingACL:
		if d.ACL != nil {
			return "MatchingAcl(acl=" + d.ACL.StandardString() + ")"
		}
	}
	return "DefaultDeny"
}

// Resource is a concrete resource an action is on (always a literal name).
type Resource struct {
	Type ResourceType
	Name string
}

// ClusterName is the only name of the cluster resource.
const ClusterName = "kafka-cluster"

// Action is one operation on one resource. LogIfAllowed/LogIfDenied follow
// Kafka's Action: false means the check only describes access or filters a
// listing, so its audit line drops to TRACE.
type Action struct {
	Operation    Operation
	Resource     Resource
	RefCount     int
	LogIfAllowed bool
	LogIfDenied  bool
}

// NewAction returns an action logged both when allowed and denied.
func NewAction(op Operation, rt ResourceType, name string) Action {
	return Action{Operation: op, Resource: Resource{Type: rt, Name: name}, RefCount: 1, LogIfAllowed: true, LogIfDenied: true}
}

// RequestContext is who asks, from where, with which request.
type RequestContext struct {
	Subject  *principal.Subject
	Host     string // client IP in canonical text form
	APIKey   int16
	Listener string
}

// Authorizer decides one action. Implementations must be safe for
// concurrent use and should not allocate on the hot path.
type Authorizer interface {
	Authorize(ctx *RequestContext, a Action) Decision
}

// AuthorizerFunc adapts a function to Authorizer.
type AuthorizerFunc func(ctx *RequestContext, a Action) Decision

// Authorize calls f.
func (f AuthorizerFunc) Authorize(ctx *RequestContext, a Action) Decision { return f(ctx, a) }

// ByResourceTypeAuthorizer is optionally implemented by authorizers that can
// answer Kafka's authorizeByResourceType: may the caller perform op on at
// least one resource of this type? (Used by idempotent InitProducerId.)
type ByResourceTypeAuthorizer interface {
	AuthorizeByResourceType(ctx *RequestContext, op Operation, rt ResourceType) Decision
}

// ACLManager is optionally implemented by authorizers that store ACLs and
// can manage them through CreateAcls / DescribeAcls / DeleteAcls.
type ACLManager interface {
	// CreateACLs stores the ACLs; the result has one error (nil on success)
	// per input, in order. An error return means nothing was stored.
	CreateACLs(ctx context.Context, acls []ACL) ([]error, error)
	// DescribeACLs returns the ACLs matching the filter.
	DescribeACLs(ctx context.Context, f ACLFilter) ([]ACL, error)
	// DeleteACLs removes every ACL matching any filter, atomically, and
	// returns for each filter the ACLs it matched (state before the call).
	DeleteACLs(ctx context.Context, fs []ACLFilter) ([][]ACL, error)
}
