package acl_test

import (
	"context"
	"math/rand"
	"sort"
	"strings"
	"testing"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/authorizer/acl"
	"github.com/minikafka/minikafka/principal"
)

// refAuthorize is a direct, unindexed transcription of Kafka's
// StandardAuthorizerData.authorize (spec §1.4–1.6) with the Group:
// extension: the indexed authorizer must agree with it on the result, the
// reported ACL and the matched principal.
func refAuthorize(acls []az.ACL, s *principal.Subject, host string, op az.Operation, rt az.ResourceType, name string) (az.Result, *az.ACL) {
	principals := []string{s.User.String(), "User:*"}
	for _, g := range s.Groups {
		principals = append(principals, g.String())
	}
	var sec0, sec1 []*az.ACL
	for i := range acls {
		a := &acls[i]
		if a.ResourceType != rt {
			continue
		}
		if (a.PatternType == az.PatternLiteral && a.ResourceName == name) || (a.PatternType == az.PatternPrefixed && strings.HasPrefix(name, a.ResourceName)) {
			sec0 = append(sec0, a)
		}
		if a.PatternType == az.PatternLiteral && a.ResourceName == "*" {
			sec1 = append(sec1, a)
		}
	}
	less := func(xs []*az.ACL) func(i, j int) bool {
		return func(i, j int) bool {
			a, b := xs[i], xs[j]
			if a.ResourceName != b.ResourceName {
				return a.ResourceName > b.ResourceName
			}
			if a.PatternType != b.PatternType {
				return a.PatternType < b.PatternType
			}
			if a.Operation != b.Operation {
				return a.Operation < b.Operation
			}
			if a.Principal != b.Principal {
				return a.Principal < b.Principal
			}
			if a.Host != b.Host {
				return a.Host < b.Host
			}
			return a.Permission < b.Permission
		}
	}
	sort.Slice(sec0, less(sec0))
	sort.Slice(sec1, less(sec1))
	var allow *az.ACL
	has := false
	for _, sec := range [][]*az.ACL{sec0, sec1} {
		for _, a := range sec {
			has = true
			if !contains(principals, a.Principal) {
				continue
			}
			if a.Host != "*" && acl.CanonicalHost(a.Host) != host {
				continue
			}
			if a.Operation != az.OpAll {
				if a.Permission == az.PermAllow {
					switch op {
					case az.OpDescribe:
						if !(a.Operation == az.OpDescribe || a.Operation == az.OpRead || a.Operation == az.OpWrite || a.Operation == az.OpDelete || a.Operation == az.OpAlter) {
							continue
						}
					case az.OpDescribeConfigs:
						if !(a.Operation == az.OpDescribeConfigs || a.Operation == az.OpAlterConfigs) {
							continue
						}
					default:
						if a.Operation != op {
							continue
						}
					}
				} else if a.Operation != op {
					continue
				}
			}
			if a.Permission == az.PermDeny {
				return az.Deny, a
			}
			allow = a
		}
	}
	switch {
	case allow != nil:
		return az.Allow, allow
	case has:
		return az.Deny, nil
	}
	return az.NoOpinion, nil
}

// refByResourceType is spec §1.8 transcribed, with groups.
func refByResourceType(acls []az.ACL, s *principal.Subject, host string, op az.Operation, rt az.ResourceType) az.Result {
	if r, _ := refAuthorize(acls, s, host, op, rt, "hardcode"); r == az.Allow {
		return az.Allow
	}
	principals := []string{s.User.String(), "User:*"}
	for _, g := range s.Groups {
		principals = append(principals, g.String())
	}
	denyLit, denyPre := map[string]bool{}, map[string]bool{}
	var allowLit, allowPre []string
	wildAllow := false
	for _, a := range acls {
		if a.ResourceType != rt || (a.Host != "*" && acl.CanonicalHost(a.Host) != host) || !contains(principals, a.Principal) ||
			(a.Operation != op && a.Operation != az.OpAll) {
			continue
		}
		switch {
		case a.Permission == az.PermDeny && a.PatternType == az.PatternLiteral && a.ResourceName == "*":
			return az.Deny
		case a.Permission == az.PermDeny && a.PatternType == az.PatternLiteral:
			denyLit[a.ResourceName] = true
		case a.Permission == az.PermDeny:
			denyPre[a.ResourceName] = true
		case a.PatternType == az.PatternLiteral && a.ResourceName == "*":
			wildAllow = true
		case a.PatternType == az.PatternLiteral:
			allowLit = append(allowLit, a.ResourceName)
		default:
			allowPre = append(allowPre, a.ResourceName)
		}
	}
	if wildAllow {
		return az.Allow
	}
	cancelledByPrefix := func(n string) bool {
		for i := 1; i <= len(n); i++ {
			if denyPre[n[:i]] {
				return true
			}
		}
		return false
	}
	for _, n := range allowLit {
		if !denyLit[n] && !cancelledByPrefix(n) {
			return az.Allow
		}
	}
	for _, n := range allowPre {
		if !cancelledByPrefix(n) {
			return az.Allow
		}
	}
	return az.Deny
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestAgainstReference(t *testing.T) {
	names := []string{"a", "ab", "abc", "b", "ba", "*", "*a", "hardcode", "hard"}
	queryNames := append([]string{"abcd", "c", "", "hardcoded"}, names...)
	hosts := []string{"*", "10.0.0.1", "10.0.0.2", "::1", "0:0:0:0:0:0:0:1"}
	queryHosts := []string{"10.0.0.1", "10.0.0.2", "::1"}
	types := []az.ResourceType{az.ResourceTopic, az.ResourceGroup}
	perms := []az.Permission{az.PermAllow, az.PermDeny}
	for trial := 0; trial < 300; trial++ {
		r := rand.New(rand.NewSource(int64(trial)))
		pool := []string{"User:alice", "User:bob", "User:*", "Group:g1", "Group:g2", "Group:*", "Group:alice"}
		if trial%3 == 0 { // large groups: many principals on one pattern
			for i := 0; i < 30; i++ {
				pool = append(pool, "User:u"+itoa(i), "Group:x"+itoa(i))
			}
		}
		n := 1 + r.Intn(40)
		acls := make([]az.ACL, 0, n)
		for i := 0; i < n; i++ {
			acls = append(acls, az.ACL{
				ResourceType: types[r.Intn(len(types))],
				ResourceName: names[r.Intn(len(names))],
				PatternType:  []az.PatternType{az.PatternLiteral, az.PatternPrefixed}[r.Intn(2)],
				Principal:    pool[r.Intn(len(pool))],
				Host:         hosts[r.Intn(len(hosts))],
				Operation:    az.Operation(2 + r.Intn(13)),
				Permission:   perms[r.Intn(2)],
			})
		}
		z, err := acl.NewMemory(acls...)
		if err != nil {
			t.Fatal(err)
		}
		stored, _ := z.DescribeACLs(context.Background(), az.ACLFilter{ResourceType: az.ResourceAny, PatternType: az.PatternAny, Operation: az.OpAny, Permission: az.PermAny})
		for q := 0; q < 60; q++ {
			s := &principal.Subject{User: principal.User([]string{"alice", "bob", "carol"}[r.Intn(3)])}
			if r.Intn(5) == 0 {
				s.User = principal.Group("g1")
			}
			for _, g := range []string{"g1", "g2", "*", "x3"} {
				if r.Intn(2) == 0 {
					s.Groups = append(s.Groups, principal.Group(g))
				}
			}
			host := queryHosts[r.Intn(len(queryHosts))]
			op := az.Operation(2 + r.Intn(13))
			rt := types[r.Intn(len(types))]
			name := queryNames[r.Intn(len(queryNames))]
			ctx := &az.RequestContext{Subject: s, Host: host}
			d := z.Authorize(ctx, az.NewAction(op, rt, name))
			want, wantACL := refAuthorize(stored, s, host, op, rt, name)
			if d.Result != want || (wantACL == nil) != (d.ACL == nil) || (wantACL != nil && *wantACL != *d.ACL) {
				t.Fatalf("trial %d: %v %v %v %q from %s: got %v %s, reference %v %v\nACLs: %v", trial, s, op, rt, name, host, d.Result, d.RuleString(), want, wantACL, stored)
			}
			if d.ACL != nil && d.Principal.String() != d.ACL.Principal {
				t.Fatalf("matched principal %v, ACL principal %s", d.Principal, d.ACL.Principal)
			}
			got := z.AuthorizeByResourceType(ctx, op, rt).Result
			if got == az.NoOpinion {
				got = az.Deny
			}
			if wantBRT := refByResourceType(stored, s, host, op, rt); got != wantBRT {
				t.Fatalf("trial %d: byResourceType %v %v %v from %s: got %v, reference %v\nACLs: %v", trial, s, op, rt, host, got, wantBRT, stored)
			}
		}
	}
}
