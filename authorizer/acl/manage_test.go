package acl_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/authorizer/acl"
	"github.com/minikafka/minikafka/storage/bolt"
	"github.com/minikafka/minikafka/storage/mem"
)

func sp(s string) *string { return &s }

var anyFilter = az.ACLFilter{ResourceType: az.ResourceAny, PatternType: az.PatternAny, Operation: az.OpAny, Permission: az.PermAny}

func TestCreateValidation(t *testing.T) {
	good := mk(T, "t", L, "User:a", "*", az.OpRead, OK)
	with := func(f func(a *az.ACL)) az.ACL { a := good; f(&a); return a }
	cases := map[string]struct {
		acl      az.ACL
		code     int16
		msg      string
		wholeReq bool
	}{
		"valid":                             {acl: good},
		"cluster name":                      {acl: with(func(a *az.ACL) { a.ResourceType = C; a.ResourceName = "c" }), code: 42, msg: "The only valid name for the CLUSTER resource is kafka-cluster"},
		"cluster name checked before empty": {acl: with(func(a *az.ACL) { a.ResourceType = C; a.ResourceName = "" }), code: 42, msg: "The only valid name for the CLUSTER resource is kafka-cluster"},
		"empty name":                        {acl: with(func(a *az.ACL) { a.ResourceName = "" }), code: 42, msg: "Invalid empty resource name"},
		"unknown type":                      {acl: with(func(a *az.ACL) { a.ResourceType = az.ResourceUnknown }), code: 42, msg: "Invalid resourceType UNKNOWN"},
		"unknown pattern":                   {acl: with(func(a *az.ACL) { a.PatternType = az.PatternUnknown }), code: 42, msg: "Invalid patternType UNKNOWN"},
		"unknown operation":                 {acl: with(func(a *az.ACL) { a.Operation = az.OpUnknown }), code: 42, msg: "Invalid operation UNKNOWN"},
		"unknown permission":                {acl: with(func(a *az.ACL) { a.Permission = az.PermUnknown }), code: 42, msg: "Invalid permissionType UNKNOWN"},
		"no colon":                          {acl: with(func(a *az.ACL) { a.Principal = "bob" }), code: 42, msg: "Could not parse principal from `bob` (no colon is present separating the principal type from the principal name)"},
		"empty principal":                   {acl: with(func(a *az.ACL) { a.Principal = "" }), code: 42, msg: "Could not parse principal from `` (no colon is present separating the principal type from the principal name)"},
		"any principal type":                {acl: with(func(a *az.ACL) { a.Principal = "Foo:bar" })},
		"empty type and name":               {acl: with(func(a *az.ACL) { a.Principal = ":" })},
		"any host":                          {acl: with(func(a *az.ACL) { a.Host = "not an ip" })},
		"op unsupported by type is stored":  {acl: with(func(a *az.ACL) { a.Operation = az.OpIdempotentWrite })},
		"type ANY fails the request":        {acl: with(func(a *az.ACL) { a.ResourceType = az.ResourceAny }), code: -1, wholeReq: true},
		"pattern MATCH fails the request":   {acl: with(func(a *az.ACL) { a.PatternType = az.PatternMatch }), code: -1, wholeReq: true},
		"pattern ANY fails the request":     {acl: with(func(a *az.ACL) { a.PatternType = az.PatternAny }), code: -1, wholeReq: true},
		"op ANY fails the request":          {acl: with(func(a *az.ACL) { a.Operation = az.OpAny }), code: -1, wholeReq: true},
		"perm ANY fails the request":        {acl: with(func(a *az.ACL) { a.Permission = az.PermAny }), code: -1, wholeReq: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			z, _ := acl.NewMemory()
			res, err := z.CreateACLs(context.Background(), []az.ACL{good2(), tc.acl})
			if tc.wholeReq {
				var ae *az.ACLError
				if !errors.As(err, &ae) || ae.Code != tc.code {
					t.Fatalf("CreateACLs error = %v, want an ACLError with code %d", err, tc.code)
				}
				if z.Len() != 0 {
					t.Fatalf("%d ACLs stored after a failed request", z.Len())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res[0] != nil {
				t.Fatalf("the valid ACL failed: %v", res[0])
			}
			if tc.code == 0 {
				if res[1] != nil {
					t.Fatalf("result = %v, want success", res[1])
				}
				if z.Len() != 2 {
					t.Fatalf("%d ACLs stored, want 2", z.Len())
				}
				return
			}
			var ae *az.ACLError
			if !errors.As(res[1], &ae) || ae.Code != tc.code || ae.Message != tc.msg {
				t.Fatalf("result = %#v, want code %d %q", res[1], tc.code, tc.msg)
			}
			if z.Len() != 1 {
				t.Fatalf("%d ACLs stored, want only the valid one", z.Len())
			}
		})
	}
}

func good2() az.ACL { return mk(T, "other", P, "User:b", "*", az.OpWrite, OK) }

func TestCreateDedupe(t *testing.T) {
	z, _ := acl.NewMemory()
	a, b := mk(T, "t", L, "User:a", "*", az.OpRead, OK), mk(T, "t", L, "User:a", "*", az.OpRead, NO)
	for i := 0; i < 2; i++ {
		res, err := z.CreateACLs(context.Background(), []az.ACL{a, b, a})
		if err != nil || res[0] != nil || res[1] != nil || res[2] != nil {
			t.Fatalf("CreateACLs = %v, %v", res, err)
		}
	}
	if z.Len() != 2 {
		t.Fatalf("%d ACLs, want 2", z.Len())
	}
}

func TestDescribeAndDeleteFilters(t *testing.T) {
	acls := []az.ACL{
		mk(T, "foo", L, "User:a", "*", az.OpRead, OK),           // 0
		mk(T, "foo", P, "User:a", "*", az.OpRead, OK),           // 1
		mk(T, "fo", P, "User:b", "*", az.OpAll, OK),             // 2
		mk(T, "*", L, "User:*", "*", az.OpDescribe, OK),         // 3
		mk(T, "foobar", L, "User:a", "1.2.3.4", az.OpWrite, NO), // 4
		mk(G, "foo", L, "User:a", "*", az.OpRead, OK),           // 5
	}
	z, err := acl.NewMemory(acls...)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		f    az.ACLFilter
		want []int
	}{
		"any":                       {anyFilter, []int{0, 1, 2, 3, 4, 5}},
		"type":                      {az.ACLFilter{ResourceType: G, PatternType: az.PatternAny, Operation: az.OpAny, Permission: az.PermAny}, []int{5}},
		"ANY pattern name is exact": {az.ACLFilter{ResourceType: T, ResourceName: sp("foo"), PatternType: az.PatternAny, Operation: az.OpAny, Permission: az.PermAny}, []int{0, 1}},
		"LITERAL name":              {az.ACLFilter{ResourceType: T, ResourceName: sp("foo"), PatternType: L, Operation: az.OpAny, Permission: az.PermAny}, []int{0}},
		"MATCH":                     {az.ACLFilter{ResourceType: T, ResourceName: sp("foo"), PatternType: az.PatternMatch, Operation: az.OpAny, Permission: az.PermAny}, []int{0, 1, 2, 3}},
		"MATCH longer name":         {az.ACLFilter{ResourceType: T, ResourceName: sp("foobar"), PatternType: az.PatternMatch, Operation: az.OpAny, Permission: az.PermAny}, []int{1, 2, 3, 4}},
		"principal User:* is exact": {az.ACLFilter{ResourceType: az.ResourceAny, PatternType: az.PatternAny, Principal: sp("User:*"), Operation: az.OpAny, Permission: az.PermAny}, []int{3}},
		"host exact":                {az.ACLFilter{ResourceType: az.ResourceAny, PatternType: az.PatternAny, Host: sp("1.2.3.4"), Operation: az.OpAny, Permission: az.PermAny}, []int{4}},
		"ALL op is exact":           {az.ACLFilter{ResourceType: az.ResourceAny, PatternType: az.PatternAny, Operation: az.OpAll, Permission: az.PermAny}, []int{2}},
		"permission":                {az.ACLFilter{ResourceType: az.ResourceAny, PatternType: az.PatternAny, Operation: az.OpAny, Permission: NO}, []int{4}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := z.DescribeACLs(context.Background(), tc.f)
			if err != nil {
				t.Fatal(err)
			}
			assertSet(t, got, pick(acls, tc.want))
		})
	}
	if _, err := z.DescribeACLs(context.Background(), az.ACLFilter{ResourceType: az.ResourceUnknown, PatternType: az.PatternAny, Operation: az.OpAny, Permission: az.PermAny}); err == nil || err.Error() != "Unknown patternFilter." {
		t.Fatalf("unknown filter: %v", err)
	}
	if _, err := z.DescribeACLs(context.Background(), az.ACLFilter{ResourceType: T, PatternType: az.PatternAny, Operation: az.OpUnknown, Permission: az.PermAny}); err == nil || err.Error() != "Unknown entryFilter." {
		t.Fatalf("unknown entry filter: %v", err)
	}

	// Delete: both filters see the state before the call; acl 1 matches
	// both and is listed under both.
	res, err := z.DeleteACLs(context.Background(), []az.ACLFilter{
		{ResourceType: T, ResourceName: sp("foo"), PatternType: az.PatternAny, Operation: az.OpAny, Permission: az.PermAny},
		{ResourceType: T, PatternType: P, Operation: az.OpAny, Permission: az.PermAny},
		{ResourceType: T, ResourceName: sp("nothing"), PatternType: L, Operation: az.OpAny, Permission: az.PermAny},
	})
	if err != nil {
		t.Fatal(err)
	}
	assertSet(t, res[0], pick(acls, []int{0, 1}))
	assertSet(t, res[1], pick(acls, []int{1, 2}))
	if len(res[2]) != 0 {
		t.Fatalf("filter matching nothing returned %v", res[2])
	}
	left, _ := z.DescribeACLs(context.Background(), anyFilter)
	assertSet(t, left, pick(acls, []int{3, 4, 5}))
	// The index follows the deletes.
	ctx := &az.RequestContext{Subject: subject("User:a", nil), Host: "9.9.9.9"}
	if d := z.Authorize(ctx, az.NewAction(az.OpRead, T, "foo")); d.Result != az.Deny {
		t.Fatalf("READ foo after delete = %v %s", d.Result, d.RuleString())
	}
}

func TestDeleteCap(t *testing.T) {
	var acls []az.ACL
	for i := 0; i < acl.MaxRecordsPerOp+1; i++ {
		acls = append(acls, mk(T, fmt.Sprintf("t%d", i), L, "User:a", "*", az.OpRead, OK))
	}
	z, err := acl.NewMemory(acls...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = z.DeleteACLs(context.Background(), []az.ACLFilter{anyFilter})
	var ae *az.ACLError
	if !errors.As(err, &ae) || ae.Code != -1 || ae.Message != "Cannot remove more than 10000 acls in a single delete operation." {
		t.Fatalf("DeleteACLs = %v, want the 10000 cap", err)
	}
	if z.Len() != len(acls) {
		t.Fatalf("%d ACLs left, want all %d (atomic)", z.Len(), len(acls))
	}
	// Exactly 10000 is allowed.
	res, err := z.DeleteACLs(context.Background(), []az.ACLFilter{{ResourceType: T, PatternType: L, Principal: sp("User:a"), Operation: az.OpAny, Permission: az.PermAny, ResourceName: sp("t0")},
		{ResourceType: T, PatternType: az.PatternAny, Operation: az.OpAny, Permission: az.PermAny, Host: sp("nope")}})
	if err != nil || len(res[0]) != 1 {
		t.Fatalf("small delete = %v, %v", res, err)
	}
	res, err = z.DeleteACLs(context.Background(), []az.ACLFilter{anyFilter})
	if err != nil || len(res[0]) != acl.MaxRecordsPerOp {
		t.Fatalf("delete of exactly 10000 = %d, %v", len(res[0]), err)
	}
	if _, err := z.CreateACLs(context.Background(), acls); err == nil {
		t.Fatal("creating 10001 ACLs in one call succeeded")
	}
}

func TestPersistenceAcrossReload(t *testing.T) {
	dir := t.TempDir()
	open := func() (*bolt.DB, *acl.Authorizer) {
		db, err := bolt.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		st, err := bolt.NewACLStore(db)
		if err != nil {
			t.Fatal(err)
		}
		z := acl.New(st)
		if err := z.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		return db, z
	}
	db, z := open()
	a := mk(T, "orders", P, "Group:writers", "*", az.OpWrite, OK)
	b := mk(T, "orders", L, "User:x", "*", az.OpWrite, NO)
	if _, err := z.CreateACLs(context.Background(), []az.ACL{a, b}); err != nil {
		t.Fatal(err)
	}
	if _, err := z.DeleteACLs(context.Background(), []az.ACLFilter{{ResourceType: T, PatternType: L, Operation: az.OpAny, Permission: az.PermAny}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, z = open()
	defer db.Close()
	got, _ := z.DescribeACLs(context.Background(), anyFilter)
	assertSet(t, got, []az.ACL{a})
	d := z.Authorize(&az.RequestContext{Subject: subject("User:alice", []string{"Group:writers"}), Host: "1.1.1.1"}, az.NewAction(az.OpWrite, T, "orders-eu"))
	if !d.Allowed() {
		t.Fatalf("after reload: %v %s", d.Result, d.RuleString())
	}
}

// A store failure is returned and nothing changes.
func TestStoreFailureChangesNothing(t *testing.T) {
	st := &failingStore{ACLStore: mem.NewACLStore()}
	z := acl.New(st)
	if err := z.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.fail = true
	if _, err := z.CreateACLs(context.Background(), []az.ACL{mk(T, "t", L, "User:a", "*", az.OpRead, OK)}); err == nil {
		t.Fatal("CreateACLs succeeded on a failing store")
	}
	if z.Len() != 0 {
		t.Fatal("an ACL was published although the store failed")
	}
}

type failingStore struct {
	*mem.ACLStore
	fail bool
}

func (s *failingStore) AddACLs(ctx context.Context, acls []az.ACL) error {
	if s.fail {
		return errors.New("disk full")
	}
	return s.ACLStore.AddACLs(ctx, acls)
}

func pick(acls []az.ACL, idx []int) []az.ACL {
	var out []az.ACL
	for _, i := range idx {
		out = append(out, acls[i])
	}
	return out
}

func assertSet(t *testing.T, got, want []az.ACL) {
	t.Helper()
	g := map[az.ACL]bool{}
	for _, a := range got {
		g[a] = true
	}
	w := map[az.ACL]bool{}
	for _, a := range want {
		w[a] = true
	}
	if len(g) != len(got) || len(g) != len(w) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for a := range w {
		if !g[a] {
			t.Fatalf("got %v, want %v (missing %v)", got, want, a)
		}
	}
}
