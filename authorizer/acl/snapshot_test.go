package acl

import (
	"context"
	"fmt"
	"math/rand"
	"testing"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/principal"
)

// decideAll records the decisions of a snapshot for a fixed set of
// queries, with the ACL each names, as text.
func decideAll(s *snapshot, queries []az.Action, subjects []*principal.Subject, hosts []string) []string {
	var out []string
	for _, subj := range subjects {
		k := newSubjectKeys(subj)
		for _, host := range hosts {
			for _, a := range queries {
				ti := s.types[typeSlot(a.Resource.Type)]
				var d az.Decision
				if ti == nil {
					d = az.Decision{Result: az.NoOpinion}
				} else {
					var m matcher
					m.init(k, host, a.Operation)
					m.decide(ti, a.Resource.Name)
					d = m.decision()
				}
				brt := s.byResourceType(k, host, a.Operation, a.Resource.Type)
				acl := ""
				if d.ACL != nil {
					acl = d.ACL.String()
				}
				out = append(out, fmt.Sprintf("%v %s | %v", d.Result, acl, brt.Result))
			}
		}
	}
	return out
}

// Incremental updates (sharded maps copied on write, path-copied radix
// nodes, rebuilt byResourceType keys) must give the same answers as a
// snapshot built in one go, and must never change a published snapshot.
func TestIncrementalSnapshotsMatchBulkAndStayImmutable(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	names := []string{"a", "ab", "abc", "abd", "b", "ba", "*", "x", "xy", "xyz", "hardcode", "h"}
	principals := []string{"User:alice", "User:bob", "User:*", "Group:g1", "Group:g2"}
	hosts := []string{"*", "10.0.0.1", "10.0.0.2"}
	randACL := func() az.ACL {
		return az.ACL{
			ResourceType: []az.ResourceType{az.ResourceTopic, az.ResourceGroup}[r.Intn(2)],
			ResourceName: names[r.Intn(len(names))],
			PatternType:  []az.PatternType{az.PatternLiteral, az.PatternPrefixed}[r.Intn(2)],
			Principal:    principals[r.Intn(len(principals))],
			Host:         hosts[r.Intn(len(hosts))],
			Operation:    az.Operation(2 + r.Intn(13)),
			Permission:   []az.Permission{az.PermAllow, az.PermDeny}[r.Intn(2)],
		}
	}
	var queries []az.Action
	for _, n := range append(names, "abcd", "xyzz", "c", "hardcoded") {
		for _, op := range []az.Operation{az.OpRead, az.OpWrite, az.OpDescribe, az.OpAll} {
			queries = append(queries, az.NewAction(op, az.ResourceTopic, n), az.NewAction(op, az.ResourceGroup, n))
		}
	}
	subjects := []*principal.Subject{
		{User: principal.User("alice"), Groups: []principal.Principal{principal.Group("g1")}},
		{User: principal.User("bob"), Groups: []principal.Principal{principal.Group("g2"), principal.Group("g1")}},
		{User: principal.User("carol")},
	}
	qhosts := []string{"10.0.0.1", "10.0.0.3"}

	cur := newSnapshot(nil)
	present := map[az.ACL]bool{}
	type frozen struct {
		s    *snapshot
		want []string
	}
	var history []frozen
	for step := 0; step < 80; step++ {
		var add, del []az.ACL
		for i := r.Intn(4); i >= 0; i-- {
			add = append(add, randACL())
		}
		if step%3 == 2 {
			for a := range present {
				if r.Intn(3) == 0 {
					del = append(del, a)
				}
			}
		}
		for _, a := range del {
			delete(present, a)
		}
		for _, a := range add {
			present[a] = true
		}
		cur = cur.with(add, del)
		var all []az.ACL
		for a := range present {
			all = append(all, a)
		}
		bulk := newSnapshot(all)
		if cur.count() != len(all) || bulk.count() != len(all) {
			t.Fatalf("step %d: count incremental %d, bulk %d, want %d", step, cur.count(), bulk.count(), len(all))
		}
		got, want := decideAll(cur, queries, subjects, qhosts), decideAll(bulk, queries, subjects, qhosts)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("step %d: query %d: incremental %q, bulk %q", step, i, got[i], want[i])
			}
		}
		for a := range present {
			if !cur.contains(a) {
				t.Fatalf("step %d: incremental snapshot lost %v", step, a)
			}
		}
		history = append(history, frozen{cur, got})
	}
	for i, h := range history {
		got := decideAll(h.s, queries, subjects, qhosts)
		for j := range got {
			if got[j] != h.want[j] {
				t.Fatalf("snapshot %d changed after later updates: query %d %q, was %q", i, j, got[j], h.want[j])
			}
		}
	}
}

// Seeding in one call and creating one by one reach the same state.
func TestCreateOneByOneEqualsSeed(t *testing.T) {
	var acls []az.ACL
	for i := 0; i < 300; i++ {
		acls = append(acls, az.ACL{ResourceType: az.ResourceTopic, ResourceName: fmt.Sprintf("t%d", i%37), PatternType: []az.PatternType{az.PatternLiteral, az.PatternPrefixed}[i%2],
			Principal: fmt.Sprintf("User:u%d", i%11), Host: "*", Operation: az.Operation(3 + i%5), Permission: []az.Permission{az.PermAllow, az.PermDeny}[i%7/6]})
	}
	one, _ := NewMemory()
	for _, a := range acls {
		if _, err := one.CreateACLs(context.Background(), []az.ACL{a}); err != nil {
			t.Fatal(err)
		}
	}
	bulk, _ := NewMemory(acls...)
	if one.Len() != bulk.Len() {
		t.Fatalf("one by one %d, bulk %d", one.Len(), bulk.Len())
	}
}

// Filters naming a resource read only the groups that can match; the
// result must equal a plain scan with ACLFilter.Matches.
func TestDescribeUsesIndexLikeAScan(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	names := []string{"a", "ab", "abc", "b", "*", "*a", "x"}
	var acls []az.ACL
	for i := 0; i < 300; i++ {
		acls = append(acls, az.ACL{
			ResourceType: []az.ResourceType{az.ResourceTopic, az.ResourceGroup}[r.Intn(2)],
			ResourceName: names[r.Intn(len(names))],
			PatternType:  []az.PatternType{az.PatternLiteral, az.PatternPrefixed}[r.Intn(2)],
			Principal:    []string{"User:a", "User:*", "Group:g"}[r.Intn(3)],
			Host:         []string{"*", "10.0.0.1"}[r.Intn(2)],
			Operation:    az.Operation(2 + r.Intn(13)),
			Permission:   []az.Permission{az.PermAllow, az.PermDeny}[r.Intn(2)],
		})
	}
	z, err := NewMemory(acls...)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := z.DescribeACLs(context.Background(), az.ACLFilter{ResourceType: az.ResourceAny, PatternType: az.PatternAny, Operation: az.OpAny, Permission: az.PermAny})
	for q := 0; q < 400; q++ {
		f := az.ACLFilter{
			ResourceType: []az.ResourceType{az.ResourceAny, az.ResourceTopic, az.ResourceGroup}[r.Intn(3)],
			PatternType:  []az.PatternType{az.PatternAny, az.PatternMatch, az.PatternLiteral, az.PatternPrefixed}[r.Intn(4)],
			Operation:    az.OpAny,
			Permission:   az.PermAny,
		}
		if r.Intn(5) > 0 {
			n := append(names, "abcd", "zz", "")[r.Intn(len(names)+3)]
			f.ResourceName = &n
		}
		if r.Intn(3) == 0 {
			p := "User:*"
			f.Principal = &p
		}
		got, err := z.DescribeACLs(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		var want []az.ACL
		for i := range all {
			if f.Matches(&all[i]) {
				want = append(want, all[i])
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("filter %+v (name %v): index gave %d ACLs, scan %d", f, f.ResourceName, len(got), len(want))
		}
	}
}
