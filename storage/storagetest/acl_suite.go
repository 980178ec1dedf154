// Package storagetest holds the conformance suites every implementation of
// the storage interfaces must pass (one suite per store, run by the test
// of each backend).
package storagetest

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/storage"
)

// ACLStoreHarness opens stores for the ACL conformance suite.
type ACLStoreHarness struct {
	// New returns an empty store; it is cleaned up by the test.
	New func(t *testing.T) storage.ACLStore
	// Reopen closes s and opens the same storage again, as a broker
	// restart would. Nil for stores that do not persist.
	Reopen func(t *testing.T, s storage.ACLStore) storage.ACLStore
}

// RunACLStoreSuite runs the ACL store conformance suite.
func RunACLStoreSuite(t *testing.T, h ACLStoreHarness) {
	t.Run("EmptyLoad", func(t *testing.T) { aclEmptyLoad(t, h) })
	t.Run("AddLoadRoundTrip", func(t *testing.T) { aclRoundTrip(t, h) })
	t.Run("AddIsIdempotent", func(t *testing.T) { aclAddIdempotent(t, h) })
	t.Run("EqualityIsExact", func(t *testing.T) { aclExactEquality(t, h) })
	t.Run("Delete", func(t *testing.T) { aclDelete(t, h) })
	t.Run("CanceledContext", func(t *testing.T) { aclCanceled(t, h) })
	t.Run("Concurrent", func(t *testing.T) { aclConcurrent(t, h) })
	if h.Reopen != nil {
		t.Run("SurvivesReopen", func(t *testing.T) { aclReopen(t, h) })
	}
}

// SampleACLs returns ACLs exercising every enum value a store must keep
// and awkward strings (empty host parts, colons, commas, unicode, long
// names).
func SampleACLs() []authorizer.ACL {
	long := make([]byte, 300)
	for i := range long {
		long[i] = 'a' + byte(i%26)
	}
	return []authorizer.ACL{
		{ResourceType: authorizer.ResourceTopic, ResourceName: "orders", PatternType: authorizer.PatternLiteral, Principal: "User:alice", Host: "*", Operation: authorizer.OpWrite, Permission: authorizer.PermAllow},
		{ResourceType: authorizer.ResourceTopic, ResourceName: "orders", PatternType: authorizer.PatternPrefixed, Principal: "Group:ops", Host: "10.0.0.9", Operation: authorizer.OpRead, Permission: authorizer.PermDeny},
		{ResourceType: authorizer.ResourceGroup, ResourceName: "*", PatternType: authorizer.PatternLiteral, Principal: "User:*", Host: "::1", Operation: authorizer.OpAll, Permission: authorizer.PermAllow},
		{ResourceType: authorizer.ResourceCluster, ResourceName: authorizer.ClusterName, PatternType: authorizer.PatternLiteral, Principal: "User:CN=a,O=b:c", Host: "*", Operation: authorizer.OpIdempotentWrite, Permission: authorizer.PermAllow},
		{ResourceType: authorizer.ResourceTransactionalID, ResourceName: "tx-ü-✓", PatternType: authorizer.PatternPrefixed, Principal: "Foo:", Host: "", Operation: authorizer.OpDescribe, Permission: authorizer.PermAllow},
		{ResourceType: authorizer.ResourceDelegationToken, ResourceName: string(long), PatternType: authorizer.PatternLiteral, Principal: ":bob", Host: "0:0:0:0:0:0:0:1", Operation: authorizer.OpDescribeTokens, Permission: authorizer.PermDeny},
		{ResourceType: authorizer.ResourceUser, ResourceName: "alice", PatternType: authorizer.PatternLiteral, Principal: "User:admin", Host: "*", Operation: authorizer.OpCreateTokens, Permission: authorizer.PermAllow},
	}
}

func sortACLs(acls []authorizer.ACL) {
	sort.Slice(acls, func(i, j int) bool { return fmt.Sprintf("%#v", acls[i]) < fmt.Sprintf("%#v", acls[j]) })
}

func wantACLs(t *testing.T, s storage.ACLStore, want []authorizer.ACL) {
	t.Helper()
	got, err := s.LoadACLs(context.Background())
	if err != nil {
		t.Fatalf("LoadACLs: %v", err)
	}
	want = append([]authorizer.ACL(nil), want...)
	sortACLs(got)
	sortACLs(want)
	if len(got) != len(want) {
		t.Fatalf("LoadACLs returned %d ACLs, want %d:\n got %v\nwant %v", len(got), len(want), got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("LoadACLs[%d] = %#v, want %#v", i, got[i], want[i])
		}
	}
}

func aclEmptyLoad(t *testing.T, h ACLStoreHarness) {
	wantACLs(t, h.New(t), nil)
}

func aclRoundTrip(t *testing.T, h ACLStoreHarness) {
	s := h.New(t)
	acls := SampleACLs()
	if err := s.AddACLs(context.Background(), acls); err != nil {
		t.Fatalf("AddACLs: %v", err)
	}
	wantACLs(t, s, acls)
}

func aclAddIdempotent(t *testing.T, h ACLStoreHarness) {
	s := h.New(t)
	acls := SampleACLs()
	ctx := context.Background()
	if err := s.AddACLs(ctx, append(acls[:2:2], acls[0], acls[1])); err != nil {
		t.Fatalf("AddACLs with duplicates: %v", err)
	}
	if err := s.AddACLs(ctx, acls); err != nil {
		t.Fatalf("AddACLs again: %v", err)
	}
	wantACLs(t, s, acls)
	if err := s.AddACLs(ctx, nil); err != nil {
		t.Fatalf("AddACLs(nil): %v", err)
	}
	wantACLs(t, s, acls)
}

func aclExactEquality(t *testing.T, h ACLStoreHarness) {
	s := h.New(t)
	base := SampleACLs()[0]
	variants := []authorizer.ACL{base}
	for _, f := range []func(a *authorizer.ACL){
		func(a *authorizer.ACL) { a.ResourceType = authorizer.ResourceGroup },
		func(a *authorizer.ACL) { a.ResourceName = "Orders" },
		func(a *authorizer.ACL) { a.PatternType = authorizer.PatternPrefixed },
		func(a *authorizer.ACL) { a.Principal = "user:alice" },
		func(a *authorizer.ACL) { a.Host = "127.0.0.1" },
		func(a *authorizer.ACL) { a.Operation = authorizer.OpAll },
		func(a *authorizer.ACL) { a.Permission = authorizer.PermDeny },
	} {
		v := base
		f(&v)
		variants = append(variants, v)
	}
	if err := s.AddACLs(context.Background(), variants); err != nil {
		t.Fatalf("AddACLs: %v", err)
	}
	wantACLs(t, s, variants)
}

func aclDelete(t *testing.T, h ACLStoreHarness) {
	s := h.New(t)
	ctx := context.Background()
	acls := SampleACLs()
	if err := s.AddACLs(ctx, acls); err != nil {
		t.Fatalf("AddACLs: %v", err)
	}
	missing := acls[0]
	missing.ResourceName = "not-stored"
	if err := s.DeleteACLs(ctx, []authorizer.ACL{acls[1], acls[3], missing}); err != nil {
		t.Fatalf("DeleteACLs: %v", err)
	}
	wantACLs(t, s, []authorizer.ACL{acls[0], acls[2], acls[4], acls[5], acls[6]})
	if err := s.DeleteACLs(ctx, acls); err != nil {
		t.Fatalf("DeleteACLs all: %v", err)
	}
	wantACLs(t, s, nil)
	if err := s.AddACLs(ctx, acls[:1]); err != nil {
		t.Fatalf("AddACLs after delete: %v", err)
	}
	wantACLs(t, s, acls[:1])
}

func aclCanceled(t *testing.T, h ACLStoreHarness) {
	s := h.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.AddACLs(ctx, SampleACLs()); err == nil {
		t.Fatal("AddACLs with a canceled context succeeded")
	}
	wantACLs(t, s, nil)
}

func aclConcurrent(t *testing.T, h ACLStoreHarness) {
	s := h.New(t)
	ctx := context.Background()
	const writers, each = 4, 25
	var wg sync.WaitGroup
	var want []authorizer.ACL
	var mu sync.Mutex
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				a := authorizer.ACL{ResourceType: authorizer.ResourceTopic, ResourceName: fmt.Sprintf("t-%d-%d", w, i), PatternType: authorizer.PatternLiteral,
					Principal: "User:u", Host: "*", Operation: authorizer.OpRead, Permission: authorizer.PermAllow}
				if err := s.AddACLs(ctx, []authorizer.ACL{a}); err != nil {
					t.Errorf("AddACLs: %v", err)
					return
				}
				if _, err := s.LoadACLs(ctx); err != nil {
					t.Errorf("LoadACLs: %v", err)
					return
				}
				mu.Lock()
				want = append(want, a)
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	wantACLs(t, s, want)
}

func aclReopen(t *testing.T, h ACLStoreHarness) {
	s := h.New(t)
	ctx := context.Background()
	acls := SampleACLs()
	if err := s.AddACLs(ctx, acls); err != nil {
		t.Fatalf("AddACLs: %v", err)
	}
	if err := s.DeleteACLs(ctx, acls[:1]); err != nil {
		t.Fatalf("DeleteACLs: %v", err)
	}
	s = h.Reopen(t, s)
	wantACLs(t, s, acls[1:])
}
