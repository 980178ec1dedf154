package authorizer

import (
	"strings"

	"github.com/minikafka/minikafka/principal"
)

// Chain is Kafka's default authorization order, extended to Group:
// principals: super users, then each authorizer in turn (the first that
// answers Allow or Deny decides), then allow.everyone.if.no.acl.found.
//
// The ACL authorizer answers NoOpinion only when no ACL matches the
// resource at all; that is the only case where AllowEveryoneIfNoACL
// applies, exactly as Kafka's StandardAuthorizer. A Chain must not be
// modified after first use; it is safe for concurrent use.
type Chain struct {
	// SuperUsers bypass every ACL (super.users). An entry matches the
	// subject's user principal or any of its groups by exact type and name;
	// User:* is not a wildcard here.
	SuperUsers []principal.Principal
	// Authorizers are asked in order; nil entries are skipped.
	Authorizers []Authorizer
	// AllowEveryoneIfNoACL is allow.everyone.if.no.acl.found.
	AllowEveryoneIfNoACL bool
}

// Authorize implements Authorizer. It does not allocate unless an
// authorizer in the chain does.
func (c *Chain) Authorize(ctx *RequestContext, a Action) Decision {
	if p, ok := c.SuperUser(ctx.Subject); ok {
		return Decision{Result: Allow, Rule: RuleSuperUser, Principal: p}
	}
	for _, z := range c.Authorizers {
		if z == nil {
			continue
		}
		if d := z.Authorize(ctx, a); d.Result != NoOpinion {
			return d
		}
	}
	return c.noACL()
}

func (c *Chain) noACL() Decision {
	if c.AllowEveryoneIfNoACL {
		return Decision{Result: Allow, Rule: RuleDefaultAllow}
	}
	return Decision{Result: Deny, Rule: RuleDefaultDeny}
}

// SuperUser reports whether the subject (its user or one of its groups)
// is listed in SuperUsers, and which entry matched.
func (c *Chain) SuperUser(s *principal.Subject) (principal.Principal, bool) {
	if s == nil || len(c.SuperUsers) == 0 {
		return principal.Principal{}, false
	}
	for _, su := range c.SuperUsers {
		if su == s.User {
			return su, true
		}
	}
	for _, g := range s.Groups {
		for _, su := range c.SuperUsers {
			if su == g {
				return su, true
			}
		}
	}
	return principal.Principal{}, false
}

// ProbeResourceName is the resource name Kafka's authorizeByResourceType
// probes before looking at ACLs of other names.
const ProbeResourceName = "hardcode"

// ProbeAction is the action authorizeByResourceType authorizes first:
// op on the literal resource "hardcode" with reference count 0, logged at
// DEBUG when allowed and at TRACE when denied.
func ProbeAction(op Operation, rt ResourceType) Action {
	return Action{Operation: op, Resource: Resource{Type: rt, Name: ProbeResourceName}, LogIfAllowed: true}
}

// AuthorizeByResourceType implements ByResourceTypeAuthorizer with Kafka's
// default Authorizer.authorizeByResourceType: Allow when the probe action
// is allowed (super users, a wildcard ACL, allow.everyone with no matching
// ACL, ...), otherwise the first authorizer implementing
// ByResourceTypeAuthorizer that answers Allow or Deny decides; Deny when
// none does. ANY and UNKNOWN operations or resource types are denied
// (Kafka throws IllegalArgumentException).
func (c *Chain) AuthorizeByResourceType(ctx *RequestContext, op Operation, rt ResourceType) Decision {
	if op <= OpAny || rt <= ResourceAny || int(op) >= len(opNames) || int(rt) >= len(resourceNames) {
		return Decision{Result: Deny, Rule: RuleDefaultDeny}
	}
	if d := c.Authorize(ctx, ProbeAction(op, rt)); d.Allowed() {
		return d
	}
	for _, z := range c.Authorizers {
		brt, ok := z.(ByResourceTypeAuthorizer)
		if !ok || z == nil {
			continue
		}
		if d := brt.AuthorizeByResourceType(ctx, op, rt); d.Result != NoOpinion {
			return d
		}
	}
	return Decision{Result: Deny, Rule: RuleDefaultDeny}
}

// ParseSuperUsers parses super.users: a ';'-separated list of Type:name
// entries, each trimmed, empties skipped. An entry without a colon is an
// error with Kafka's message ("expected a string in format
// principalType:principalName but got bob").
func ParseSuperUsers(s string) ([]principal.Principal, error) {
	var out []principal.Principal
	for _, e := range strings.Split(s, ";") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		p, err := principal.Parse(e)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// ParseBoolean is Java's Boolean.parseBoolean applied to a trimmed value,
// as Kafka reads allow.everyone.if.no.acl.found: "true" in any case is
// true, anything else (including "yes" and "1") is false.
func ParseBoolean(s string) bool { return strings.EqualFold(strings.TrimSpace(s), "true") }
