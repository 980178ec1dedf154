// Package acl is minikafka's ACL authorizer: Apache Kafka's
// StandardAuthorizer semantics (spec/authorization.md §1.3–1.9), extended
// to Group: principals.
//
// # Matching
//
// An action (operation on a LITERAL resource name) is decided by the ACLs
// of the same resource type whose pattern applies to the name: LITERAL
// equal (case-sensitive), PREFIXED with the name starting with the
// pattern (including equal), and LITERAL "*" (PREFIXED "*" is not a
// wildcard). Of those, an ACL matches when
//
//   - its principal is the subject's user principal, one of the subject's
//     Group: principals (principal.Subject.Groups), or User:* (which
//     matches subjects of any type; Group:* is not a wildcard);
//   - its host is "*" or the client address (see CanonicalHost for IPv6);
//   - its operation is ALL, or the action's operation, or — for ALLOW
//     only — implies it (READ, WRITE, DELETE, ALTER imply DESCRIBE;
//     ALTER_CONFIGS implies DESCRIBE_CONFIGS).
//
// A matching DENY for any of the subject's principals beats every ALLOW,
// whatever the pattern or principal. With no matching DENY a matching
// ALLOW allows. When ACLs apply to the resource but none matches, the
// result is Deny (Kafka's DefaultDeny); when no ACL applies to the
// resource at all, the result is NoOpinion so that the Chain can apply
// allow.everyone.if.no.acl.found. Decisions name the deciding ACL and the
// principal it matched, choosing among several matching ACLs the one
// Kafka's audit log would print (the first DENY and the last ALLOW in
// StandardAuthorizer's scan order).
//
// The Group: extension is minikafka's (Kafka matches only the session
// principal and User:*); a subject without groups gets exactly Kafka's
// behaviour.
//
// # Performance
//
// ACLs are indexed per resource type: a map for LITERAL names, a radix
// tree for PREFIXED names, the wildcard group, and per-(principal,
// operation) buckets for AuthorizeByResourceType. Within a pattern, ACLs
// are sorted by principal hash behind a 256-bit filter, so a subject's
// principals are found without scanning; the hashes of a subject's
// principals are computed once per subject (a small lock-free cache keyed
// by the *principal.Subject, checked against its current user and
// groups). The index is an immutable snapshot behind an atomic pointer:
// Authorize never locks and does not allocate. A change publishes a new
// snapshot that copies only what it touches (one shard of 256 of the name
// maps, the radix path to a name, the keys of the principals involved), so
// one CreateAcls costs about the same with 200,000 ACLs as with 10.
// BENCHMARKS.md has the figures.
package acl

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/storage"
)

// Authorizer is the ACL authorizer. It implements authorizer.Authorizer,
// authorizer.ByResourceTypeAuthorizer and authorizer.ACLManager. Create it
// with New and Load it before use: until Load succeeds every decision is
// Deny with RuleNotReady (Kafka's AuthorizerNotReadyException).
type Authorizer struct {
	store storage.ACLStore // nil: memory only
	keys  keyCache

	mu   sync.Mutex // serializes changes
	snap atomic.Pointer[snapshot]
}

// ErrNotReady is returned by ACL management calls before Load.
var ErrNotReady = errors.New("the ACL authorizer has not loaded its ACLs yet")

// New returns an authorizer persisting through store (nil: ACLs live in
// memory only). It is not ready until Load.
func New(store storage.ACLStore) *Authorizer { return &Authorizer{store: store} }

// NewMemory returns a ready in-memory authorizer holding acls, which must
// pass CreateAcls validation.
func NewMemory(acls ...az.ACL) (*Authorizer, error) {
	z := New(nil)
	if err := z.Load(context.Background()); err != nil {
		return nil, err
	}
	if err := z.Seed(context.Background(), acls); err != nil {
		return nil, err
	}
	return z, nil
}

// Load reads every ACL from the store and makes the authorizer ready. It
// may be called again to reload.
func (z *Authorizer) Load(ctx context.Context) error {
	z.mu.Lock()
	defer z.mu.Unlock()
	var acls []az.ACL
	if z.store != nil {
		var err error
		if acls, err = z.store.LoadACLs(ctx); err != nil {
			return err
		}
	}
	z.snap.Store(newSnapshot(acls))
	return nil
}

// Ready reports whether Load has completed.
func (z *Authorizer) Ready() bool { return z.snap.Load() != nil }

// Len returns the number of ACLs.
func (z *Authorizer) Len() int {
	if s := z.snap.Load(); s != nil {
		return s.count()
	}
	return 0
}

// Authorize decides one action (see the package doc). It never locks and
// does not allocate.
func (z *Authorizer) Authorize(ctx *az.RequestContext, a az.Action) az.Decision {
	s := z.snap.Load()
	if s == nil {
		return az.Decision{Result: az.Deny, Rule: az.RuleNotReady}
	}
	ti := s.types[typeSlot(a.Resource.Type)]
	if ti == nil {
		return az.Decision{Result: az.NoOpinion, Rule: az.RuleDefaultDeny}
	}
	var m matcher
	m.init(z.keys.get(ctx.Subject), ctx.Host, a.Operation)
	m.decide(ti, a.Resource.Name)
	return m.decision()
}

// AuthorizeByResourceType answers Kafka's authorizeByResourceType (spec
// §1.8) for the ACLs alone: Allow when the probe action on "hardcode" is
// allowed by an ACL, or when some ALLOW of op (or ALL) on a resource of
// type rt, for one of the subject's principals and a matching host, is
// not cancelled by a matching DENY (a wildcard DENY cancels everything, a
// LITERAL DENY the LITERAL ALLOW of the same name, a PREFIXED DENY every
// ALLOW under it); Deny otherwise. Operation implication does not apply.
// Super users and allow.everyone.if.no.acl.found are the Chain's.
func (z *Authorizer) AuthorizeByResourceType(ctx *az.RequestContext, op az.Operation, rt az.ResourceType) az.Decision {
	s := z.snap.Load()
	if s == nil {
		return az.Decision{Result: az.Deny, Rule: az.RuleNotReady}
	}
	if op <= az.OpAny || rt <= az.ResourceAny {
		return az.Decision{Result: az.Deny, Rule: az.RuleDefaultDeny}
	}
	if d := z.Authorize(ctx, az.ProbeAction(op, rt)); d.Allowed() {
		return d
	}
	return s.byResourceType(z.keys.get(ctx.Subject), ctx.Host, op, rt)
}
