package acl

import (
	"context"
	"fmt"
	"sort"

	az "github.com/minikafka/minikafka/authorizer"
)

// MaxRecordsPerOp is Kafka's MAX_RECORDS_PER_USER_OP: one CreateAcls may
// add, and one DeleteAcls may remove, at most this many ACLs.
const MaxRecordsPerOp = 10000

// CreateACLs implements authorizer.ACLManager with Kafka's CreateAcls
// semantics (spec §1.10):
//
//   - an ACL with resource type ANY, pattern type MATCH or ANY, operation
//     ANY or permission ANY fails the whole call (Kafka fails building the
//     AclBinding; every result becomes UNKNOWN_SERVER_ERROR): the error
//     return is an *authorizer.ACLError with code -1 and nothing is stored;
//   - otherwise each ACL is validated in Kafka's order and gets a nil
//     result or an *authorizer.ACLError (42 INVALID_REQUEST with Kafka's
//     message); the valid ones are stored, an ACL already present or
//     repeated in the call is stored once and still succeeds;
//   - more than MaxRecordsPerOp new ACLs fail the whole call (-1).
//
// The valid ACLs are durable in the store before CreateACLs returns; a
// store failure is returned as the error and nothing is added.
func (z *Authorizer) CreateACLs(ctx context.Context, acls []az.ACL) ([]error, error) {
	for i := range acls {
		if err := az.ValidateBinding(&acls[i]); err != nil {
			return nil, err
		}
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	s := z.snap.Load()
	if s == nil {
		return nil, ErrNotReady
	}
	results := make([]error, len(acls))
	var add []az.ACL
	seen := make(map[az.ACL]struct{})
	for i := range acls {
		if e := az.ValidateNewACL(&acls[i]); e != nil {
			results[i] = e
			continue
		}
		a := acls[i]
		if _, dup := seen[a]; dup || s.contains(a) {
			continue
		}
		seen[a] = struct{}{}
		add = append(add, a)
	}
	if len(add) > MaxRecordsPerOp {
		return nil, &az.ACLError{Code: az.CodeUnknownServerError,
			Message: fmt.Sprintf("Cannot add more than %d acls in a single create operation (got %d new ones).", MaxRecordsPerOp, len(add))}
	}
	if err := z.commit(ctx, s, add, nil); err != nil {
		return nil, err
	}
	return results, nil
}

// Seed adds acls at startup (from configuration): every ACL must pass
// CreateAcls validation (the first failure is returned, naming the ACL,
// and nothing is added); ACLs already present are kept once, so seeding
// is idempotent across restarts. Unlike CreateACLs it has no size cap.
func (z *Authorizer) Seed(ctx context.Context, acls []az.ACL) error {
	for i := range acls {
		if err := az.ValidateBinding(&acls[i]); err != nil {
			return fmt.Errorf("ACL %v: %w", acls[i], err)
		}
		if e := az.ValidateNewACL(&acls[i]); e != nil {
			return fmt.Errorf("ACL %v: %w", acls[i], e)
		}
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	s := z.snap.Load()
	if s == nil {
		return ErrNotReady
	}
	var add []az.ACL
	seen := make(map[az.ACL]struct{})
	for _, a := range acls {
		if _, dup := seen[a]; dup || s.contains(a) {
			continue
		}
		seen[a] = struct{}{}
		add = append(add, a)
	}
	return z.commit(ctx, s, add, nil)
}

// commit persists the change and publishes the new snapshot. z.mu must be
// held.
func (z *Authorizer) commit(ctx context.Context, s *snapshot, add, del []az.ACL) error {
	if len(add) == 0 && len(del) == 0 {
		return nil
	}
	if z.store != nil {
		if len(add) > 0 {
			if err := z.store.AddACLs(ctx, add); err != nil {
				return err
			}
		}
		if len(del) > 0 {
			if err := z.store.DeleteACLs(ctx, del); err != nil {
				return err
			}
		}
	}
	z.snap.Store(s.with(add, del))
	return nil
}

// DescribeACLs implements authorizer.ACLManager: the ACLs matching f
// (Kafka's AclBindingFilter semantics), sorted by resource type, name,
// pattern type, principal, host, operation and permission. (Kafka's order
// is unspecified; compare as sets.) A filter with UNKNOWN elements is a
// 42 *authorizer.ACLError.
func (z *Authorizer) DescribeACLs(_ context.Context, f az.ACLFilter) ([]az.ACL, error) {
	if e := az.ValidateFilter(&f); e != nil {
		return nil, e
	}
	s := z.snap.Load()
	if s == nil {
		return nil, ErrNotReady
	}
	var out []az.ACL
	s.eachMatching(&f, func(a *az.ACL) { out = append(out, *a) })
	SortACLs(out)
	return out, nil
}

// DeleteACLs implements authorizer.ACLManager with Kafka's semantics:
// every filter is matched against the state before the call (an ACL
// matching two filters is listed under both), and the removals are applied
// atomically and durably. A filter with UNKNOWN elements fails the call
// with a 42 *authorizer.ACLError; more than MaxRecordsPerOp distinct
// matches fail it with -1 ("Cannot remove more than 10000 acls in a single
// delete operation."), removing nothing.
func (z *Authorizer) DeleteACLs(ctx context.Context, fs []az.ACLFilter) ([][]az.ACL, error) {
	for i := range fs {
		if e := az.ValidateFilter(&fs[i]); e != nil {
			return nil, e
		}
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	s := z.snap.Load()
	if s == nil {
		return nil, ErrNotReady
	}
	out := make([][]az.ACL, len(fs))
	del := make(map[az.ACL]struct{})
	for i := range fs {
		f := &fs[i]
		s.eachMatching(f, func(a *az.ACL) {
			out[i] = append(out[i], *a)
			del[*a] = struct{}{}
		})
		if len(del) > MaxRecordsPerOp {
			return nil, &az.ACLError{Code: az.CodeUnknownServerError,
				Message: fmt.Sprintf("Cannot remove more than %d acls in a single delete operation.", MaxRecordsPerOp)}
		}
		SortACLs(out[i])
	}
	list := make([]az.ACL, 0, len(del))
	for a := range del {
		list = append(list, a)
	}
	if err := z.commit(ctx, s, nil, list); err != nil {
		return nil, err
	}
	return out, nil
}

// SortACLs sorts ACLs by resource type, name, pattern type, principal,
// host, operation and permission.
func SortACLs(acls []az.ACL) {
	sort.Slice(acls, func(i, j int) bool { return lessACL(&acls[i], &acls[j]) })
}

func lessACL(a, b *az.ACL) bool {
	switch {
	case a.ResourceType != b.ResourceType:
		return a.ResourceType < b.ResourceType
	case a.ResourceName != b.ResourceName:
		return a.ResourceName < b.ResourceName
	case a.PatternType != b.PatternType:
		return a.PatternType < b.PatternType
	case a.Principal != b.Principal:
		return a.Principal < b.Principal
	case a.Host != b.Host:
		return a.Host < b.Host
	case a.Operation != b.Operation:
		return a.Operation < b.Operation
	}
	return a.Permission < b.Permission
}
