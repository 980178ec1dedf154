package acl

import (
	"fmt"
	"strings"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/principal"
)

// ExplainOptions are the chain settings an explanation applies around the
// ACLs (they are not stored with the ACLs).
type ExplainOptions struct {
	SuperUsers           []principal.Principal
	AllowEveryoneIfNoACL bool
}

// Explanation says why an action is allowed or denied: the decision of
// the default chain and every ACL on the resource, each either matching
// or a near miss with the reasons it does not apply.
type Explanation struct {
	Subject  principal.Subject
	Host     string
	Action   az.Action
	Decision az.Decision
	// SuperUser is the super.users entry that allowed the action, if any.
	SuperUser *principal.Principal
	// ResourceHasACLs is Kafka's hasResourceAcls: some ACL pattern applies
	// to the resource name (otherwise allow.everyone.if.no.acl.found
	// decides).
	ResourceHasACLs bool
	// Matched are the ACLs that match the action, in Kafka's scan order.
	Matched []ExplainedACL
	// NearMisses are the ACLs whose pattern applies to the resource but
	// whose principal, host or operation does not match, in scan order.
	NearMisses []ExplainedACL
}

// ExplainedACL is one ACL in an explanation.
type ExplainedACL struct {
	ACL az.ACL
	// Deciding is set on the ACL the decision names.
	Deciding bool
	// Principal is the subject principal it matched (Matched only).
	Principal principal.Principal
	// Reasons say why it does not match (NearMisses only).
	Reasons []string
}

// Explain decides a as the default chain would (super users, these ACLs,
// allow.everyone.if.no.acl.found) and lists every ACL whose pattern
// applies to the resource, matched or not.
func (z *Authorizer) Explain(ctx *az.RequestContext, a az.Action, opts ExplainOptions) Explanation {
	chain := &az.Chain{SuperUsers: opts.SuperUsers, Authorizers: []az.Authorizer{z}, AllowEveryoneIfNoACL: opts.AllowEveryoneIfNoACL}
	ex := Explanation{Host: ctx.Host, Action: a, Decision: chain.Authorize(ctx, a)}
	if ctx.Subject != nil {
		ex.Subject = *ctx.Subject
	} else {
		ex.Subject = principal.Subject{User: principal.Anonymous}
	}
	if p, ok := chain.SuperUser(ctx.Subject); ok {
		ex.SuperUser = &p
	}
	s := z.snap.Load()
	if s == nil {
		return ex
	}
	ti := s.types[typeSlot(a.Resource.Type)]
	if ti == nil {
		return ex
	}
	var applying []*entry
	collect := func(g *group) {
		for i := range g.entries {
			applying = append(applying, &g.entries[i])
		}
	}
	if g := ti.literalGroup(a.Resource.Name); g != nil {
		collect(g)
	}
	for n, rest := ti.prefix, a.Resource.Name; n != nil; {
		if n.g != nil {
			collect(n.g)
		}
		c := (*rnode)(nil)
		if rest != "" {
			c = n.child(rest[0])
		}
		if c == nil || !strings.HasPrefix(rest, c.label) {
			break
		}
		rest = rest[len(c.label):]
		n = c
	}
	if ti.wildcard != nil {
		collect(ti.wildcard)
	}
	ex.ResourceHasACLs = len(applying) > 0
	wild := func(e *entry) bool {
		return a.Resource.Name != "*" && e.acl.PatternType == az.PatternLiteral && e.acl.ResourceName == "*"
	}
	sortEntries(applying, wild)
	keys := newSubjectKeys(ctx.Subject)
	for _, e := range applying {
		reasons := e.mismatch(keys, ctx.Host, a.Operation)
		x := ExplainedACL{ACL: *e.acl, Deciding: ex.Decision.ACL == e.acl}
		if len(reasons) == 0 {
			x.Principal = e.p
			ex.Matched = append(ex.Matched, x)
		} else {
			x.Reasons = reasons
			ex.NearMisses = append(ex.NearMisses, x)
		}
	}
	return ex
}

// sortEntries sorts into Kafka's scan order (insertion sort: explanations
// are small).
func sortEntries(es []*entry, wild func(*entry) bool) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && scanBefore(es[j], wild(es[j]), es[j-1], wild(es[j-1])); j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// mismatch returns why e does not match the subject, host and operation
// (nil when it matches).
func (e *entry) mismatch(k *subjectKeys, host string, op az.Operation) []string {
	var r []string
	if !k.has(e.p, e.hash) {
		names := []string{k.user.String()}
		for _, g := range k.groups {
			names = append(names, g.String())
		}
		r = append(r, fmt.Sprintf("principal %s is not the subject (%s) or User:*", e.acl.Principal, strings.Join(names, ", ")))
	}
	if e.host != "*" && e.host != host {
		r = append(r, fmt.Sprintf("host %s is not * or the client address %s", e.acl.Host, host))
	}
	if op < 0 || op >= 32 || e.ops&(1<<uint(op)) == 0 {
		if e.deny {
			r = append(r, fmt.Sprintf("DENY %s does not deny %s (a DENY applies only to its own operation or ALL)", e.acl.Operation, op))
		} else {
			r = append(r, fmt.Sprintf("ALLOW %s does not grant %s", e.acl.Operation, op))
		}
	}
	return r
}

// String renders the explanation for people, one line per fact.
func (ex *Explanation) String() string {
	var sb strings.Builder
	verdict := "DENIED"
	if ex.Decision.Allowed() {
		verdict = "ALLOWED"
	}
	fmt.Fprintf(&sb, "%s: %s %s on %s:%s from %s\n", verdict, ex.Subject.User, ex.Action.Operation, ex.Action.Resource.Type.PascalName(), ex.Action.Resource.Name, ex.Host)
	if len(ex.Subject.Groups) > 0 {
		gs := make([]string, len(ex.Subject.Groups))
		for i, g := range ex.Subject.Groups {
			gs[i] = g.String()
		}
		fmt.Fprintf(&sb, "  groups: %s\n", strings.Join(gs, ", "))
	}
	fmt.Fprintf(&sb, "  rule: %s\n", ex.Decision.RuleString())
	switch {
	case ex.SuperUser != nil:
		fmt.Fprintf(&sb, "  why: %s is listed in super.users\n", ex.SuperUser)
	case ex.Decision.Rule == az.RuleMatchingACL && !ex.Decision.Allowed():
		fmt.Fprintf(&sb, "  why: a DENY ACL matches %s (a DENY beats every ALLOW)\n", ex.Decision.Principal)
	case ex.Decision.Rule == az.RuleMatchingACL:
		fmt.Fprintf(&sb, "  why: an ALLOW ACL matches %s and no DENY does\n", ex.Decision.Principal)
	case ex.Decision.Rule == az.RuleNotReady:
		sb.WriteString("  why: the ACLs are not loaded yet\n")
	case !ex.ResourceHasACLs && ex.Decision.Allowed():
		sb.WriteString("  why: no ACL applies to the resource and allow.everyone.if.no.acl.found=true\n")
	case !ex.ResourceHasACLs:
		sb.WriteString("  why: no ACL applies to the resource (allow.everyone.if.no.acl.found=false)\n")
	default:
		sb.WriteString("  why: ACLs apply to the resource but none allows this action\n")
	}
	if len(ex.Matched) > 0 {
		sb.WriteString("matching ACLs:\n")
		for _, m := range ex.Matched {
			mark := " "
			if m.Deciding {
				mark = "*"
			}
			fmt.Fprintf(&sb, " %s %s (via %s)\n", mark, describeACL(&m.ACL), m.Principal)
		}
	}
	if len(ex.NearMisses) > 0 {
		sb.WriteString("ACLs on the resource that do not match:\n")
		for _, m := range ex.NearMisses {
			fmt.Fprintf(&sb, "   %s\n", describeACL(&m.ACL))
			for _, r := range m.Reasons {
				fmt.Fprintf(&sb, "       - %s\n", r)
			}
		}
	}
	return sb.String()
}

func describeACL(a *az.ACL) string {
	return fmt.Sprintf("%s %s %s on %s:%s:%s from host %s", a.Permission, a.Principal, a.Operation, a.ResourceType.PascalName(), a.PatternType, a.ResourceName, a.Host)
}
