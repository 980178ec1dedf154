package acl_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/authorizer/acl"
	"github.com/minikafka/minikafka/principal"
)

// Readers never lock: decisions run while ACLs are created and deleted,
// and each decision sees one consistent snapshot (a DENY and its ALLOW
// twin are created in one call, so no reader may see the ALLOW alone).
func TestConcurrentDecisionsAndChanges(t *testing.T) {
	z, err := acl.NewMemory()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var stop atomic.Bool
	var wg sync.WaitGroup
	var bad atomic.Int64
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc := &az.RequestContext{Subject: &principal.Subject{User: principal.User("alice"), Groups: []principal.Principal{principal.Group("g")}}, Host: "10.0.0.1"}
			for i := 0; !stop.Load(); i++ {
				d := z.Authorize(rc, az.NewAction(az.OpWrite, T, fmt.Sprintf("t%d", i%50)))
				if d.Allowed() {
					bad.Add(1)
				}
			}
		}()
	}
	for i := 0; i < 200; i++ {
		name := fmt.Sprintf("t%d", i%50)
		pair := []az.ACL{mk(T, name, L, "User:alice", "*", az.OpWrite, OK), mk(T, name, P, "Group:g", "*", az.OpWrite, NO)}
		if _, err := z.CreateACLs(ctx, pair); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			if _, err := z.DeleteACLs(ctx, []az.ACLFilter{{ResourceType: T, ResourceName: &name, PatternType: az.PatternAny, Operation: az.OpAny, Permission: az.PermAny}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	stop.Store(true)
	wg.Wait()
	if n := bad.Load(); n > 0 {
		t.Fatalf("%d decisions saw an ALLOW without its DENY twin", n)
	}
}

// A subject changed after it was first authorized is re-read, not served
// from the key cache.
func TestSubjectChangeIsNoticed(t *testing.T) {
	z, err := acl.NewMemory(mk(T, "t", L, "Group:b", "*", az.OpRead, OK))
	if err != nil {
		t.Fatal(err)
	}
	s := &principal.Subject{User: principal.User("alice"), Groups: []principal.Principal{principal.Group("a")}}
	rc := &az.RequestContext{Subject: s, Host: "10.0.0.1"}
	if z.Authorize(rc, az.NewAction(az.OpRead, T, "t")).Allowed() {
		t.Fatal("allowed before joining Group:b")
	}
	s.Groups[0] = principal.Group("b")
	if !z.Authorize(rc, az.NewAction(az.OpRead, T, "t")).Allowed() {
		t.Fatal("not allowed after the group changed in place")
	}
	s.Groups = append(s.Groups, principal.Group("c"))
	s.Groups = s.Groups[:0]
	if z.Authorize(rc, az.NewAction(az.OpRead, T, "t")).Allowed() {
		t.Fatal("allowed after the groups were removed")
	}
	if z.Authorize(&az.RequestContext{Host: "10.0.0.1"}, az.NewAction(az.OpRead, T, "t")).Allowed() {
		t.Fatal("a nil subject was allowed")
	}
}

func TestAuthorizeDoesNotAllocate(t *testing.T) {
	z, err := acl.NewMemory(benchACLs(2000)...)
	if err != nil {
		t.Fatal(err)
	}
	chain := &az.Chain{Authorizers: []az.Authorizer{z}}
	rc := &az.RequestContext{Subject: benchSubject(), Host: "127.0.0.2"}
	actions := []az.Action{
		az.NewAction(az.OpWrite, T, "foo-bar35_resource-95"),
		az.NewAction(az.OpRead, T, "foo-bar35_resource-1"),
		az.NewAction(az.OpDescribe, G, "foo-bar35_resource-10"),
	}
	for _, a := range actions {
		if n := testing.AllocsPerRun(100, func() { sink = chain.Authorize(rc, a) }); n != 0 {
			t.Errorf("Authorize(%v) allocates %v times", a, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { sink = chain.AuthorizeByResourceType(rc, az.OpRead, T) }); n != 0 {
		t.Errorf("AuthorizeByResourceType allocates %v times", n)
	}
}
