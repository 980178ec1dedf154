package acl_test

import (
	"context"
	"strings"
	"testing"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/authorizer/acl"
	"github.com/minikafka/minikafka/principal"
)

// The conformance table of spec/authorization.md §4 (cases 1–39) plus the
// Group: extension, at the authorizer level: an acl.Authorizer inside the
// default Chain (super users → ACLs → allow.everyone.if.no.acl.found).

const (
	T  = az.ResourceTopic
	G  = az.ResourceGroup
	C  = az.ResourceCluster
	L  = az.PatternLiteral
	P  = az.PatternPrefixed
	A  = az.Allow
	D  = az.Deny
	OK = az.PermAllow
	NO = az.PermDeny
)

func mk(rt az.ResourceType, name string, pt az.PatternType, principal, host string, op az.Operation, perm az.Permission) az.ACL {
	return az.ACL{ResourceType: rt, ResourceName: name, PatternType: pt, Principal: principal, Host: host, Operation: op, Permission: perm}
}

// check is one authorization: who (user principal and groups) from host
// does op on (rt, name); byType asks authorizeByResourceType instead.
type check struct {
	who    string
	groups []string
	host   string
	op     az.Operation
	rt     az.ResourceType
	name   string
	byType bool
	want   az.Result
	// rule, when set, is the expected Decision.RuleString().
	rule string
	// matched, when set, is the expected Decision.Principal.
	matched string
}

type step struct {
	add    []az.ACL
	checks []check
}

type confCase struct {
	superUsers    string
	allowEveryone bool
	notReady      bool
	steps         []step
}

func subject(who string, groups []string) *principal.Subject {
	p, err := principal.Parse(who)
	if err != nil {
		panic(err)
	}
	s := &principal.Subject{User: p}
	for _, g := range groups {
		gp, err := principal.Parse(g)
		if err != nil {
			panic(err)
		}
		s.Groups = append(s.Groups, gp)
	}
	return s
}

func rc(who string, groups []string, host string) *az.RequestContext {
	if host == "" {
		host = "192.168.0.1"
	}
	return &az.RequestContext{Subject: subject(who, groups), Host: host, APIKey: 1}
}

var concreteOps = []az.Operation{az.OpRead, az.OpWrite, az.OpCreate, az.OpDelete, az.OpAlter, az.OpDescribe, az.OpClusterAction,
	az.OpDescribeConfigs, az.OpAlterConfigs, az.OpIdempotentWrite, az.OpCreateTokens, az.OpDescribeTokens}

func conformanceCases() map[string]confCase {
	alice, bob := "User:alice", "User:bob"
	rd := func(who, name string, want az.Result) check {
		return check{who: who, op: az.OpRead, rt: T, name: name, want: want}
	}
	op := func(who string, o az.Operation, name string, want az.Result) check {
		return check{who: who, op: o, rt: T, name: name, want: want}
	}
	hostTable := []az.ACL{
		mk(T, "foo", L, alice, "192.168.1.1", az.OpRead, NO),
		mk(T, "foo", L, alice, "*", az.OpRead, OK),
		mk(T, "bar", L, bob, "192.168.1.2", az.OpRead, OK),
		mk(T, "bar", L, "User:*", "127.0.0.1", az.OpDescribe, OK),
	}
	hostRow := func(who, host string, want ...az.Result) []check {
		return []check{
			{who: who, host: host, op: az.OpRead, rt: T, name: "foo", want: want[0]},
			{who: who, host: host, op: az.OpRead, rt: T, name: "bar", want: want[1]},
			{who: who, host: host, op: az.OpDescribe, rt: T, name: "bar", want: want[2]},
		}
	}
	clusterAll := []check{}
	for _, o := range concreteOps {
		clusterAll = append(clusterAll, check{who: alice, op: o, rt: C, name: az.ClusterName, want: A})
	}
	clusterDenyDescribe := []check{}
	for _, o := range concreteOps {
		want := A
		if o == az.OpDescribe {
			want = D
		}
		clusterDenyDescribe = append(clusterDenyDescribe, check{who: alice, op: o, rt: C, name: az.ClusterName, want: want})
	}
	brt := func(who, host string, o az.Operation, rt az.ResourceType, want az.Result) check {
		return check{who: who, host: host, op: o, rt: rt, byType: true, want: want}
	}
	return map[string]confCase{
		"01 no ACLs denies": {steps: []step{{checks: []check{{who: alice, op: az.OpRead, rt: T, name: "foo", want: D, rule: "DefaultDeny"}}}}},
		"02 no ACLs with allow.everyone allows": {allowEveryone: true, steps: []step{{checks: []check{
			{who: alice, op: az.OpRead, rt: T, name: "foo", want: A, rule: "DefaultAllow"}}}}},
		"03 allow.everyone applies only without resource ACLs": {allowEveryone: true, steps: []step{{
			add: []az.ACL{mk(T, "topic1", L, "User:Alice", "*", az.OpRead, OK)},
			checks: []check{
				{who: "User:Bob", op: az.OpRead, rt: T, name: "topic1", want: D, rule: "DefaultDeny"},
				{who: "User:Bob", op: az.OpRead, rt: T, name: "topic2", want: A, rule: "DefaultAllow"},
			}}}},
		"04 a wildcard ACL counts as a resource ACL, per type": {allowEveryone: true, steps: []step{{
			add: []az.ACL{mk(T, "*", L, "User:x", "*", az.OpRead, OK)},
			checks: []check{
				{who: bob, op: az.OpRead, rt: T, name: "any", want: D},
				{who: bob, op: az.OpRead, rt: G, name: "g", want: A},
			}}}},
		"05 a prefixed ACL counts as a resource ACL": {allowEveryone: true, steps: []step{{
			add:    []az.ACL{mk(T, "fo", P, "User:x", "*", az.OpRead, OK)},
			checks: []check{rd(bob, "foo", D), rd(bob, "bar", A)}}}},
		"06 deny takes precedence, per host": {steps: []step{{
			add: []az.ACL{mk(T, "t", L, "User:*", "*", az.OpAll, OK), mk(T, "t", L, alice, "192.168.2.1", az.OpAll, NO)},
			checks: []check{
				{who: alice, host: "192.168.2.1", op: az.OpRead, rt: T, name: "t", want: D, matched: alice},
				{who: alice, host: "10.0.0.1", op: az.OpRead, rt: T, name: "t", want: A, matched: "User:*"},
			}}}},
		"07 deny precedence with operation ALL": {steps: []step{{
			add: []az.ACL{
				mk(T, "foo", L, alice, "*", az.OpAll, NO),
				mk(T, "foo", P, alice, "*", az.OpRead, OK),
				mk(T, "foo", L, "User:*", "*", az.OpAll, NO),
				mk(T, "foo", P, "User:*", "*", az.OpDescribe, OK),
			},
			checks: []check{
				op(alice, az.OpWrite, "foo", D), op(alice, az.OpRead, "foo", D), op(alice, az.OpDescribe, "foo", D),
				op(alice, az.OpRead, "foobar", A), op(bob, az.OpDescribe, "foobaz", A), op(bob, az.OpRead, "foobaz", D),
			}}}},
		"08 prefixed ACLs": {steps: []step{{
			add: []az.ACL{
				mk(T, "fooa", P, alice, "*", az.OpAll, OK),
				mk(T, "foobar", L, bob, "*", az.OpAll, OK),
				mk(T, "f", P, bob, "*", az.OpAll, OK),
			},
			checks: []check{
				op(bob, az.OpWrite, "foobarr", A), op(bob, az.OpRead, "goobar", D), op(bob, az.OpRead, "fooa", A),
				op(alice, az.OpDescribe, "fooa", A), op(alice, az.OpWrite, "bar", D),
			}}}},
		"09 many ACLs, with Kafka's audit rules": {steps: []step{{
			add: []az.ACL{
				mk(T, "green2", L, "User:*", "*", az.OpRead, OK),
				mk(T, "green", P, bob, "*", az.OpRead, OK),
				mk(T, "alpha", P, "User:*", "*", az.OpRead, OK),
				mk(T, "alp", P, bob, "*", az.OpRead, NO),
				mk(G, "*", L, bob, "*", az.OpWrite, OK),
				mk(G, "wheel", L, "User:*", "*", az.OpWrite, NO),
			},
			checks: []check{
				{who: bob, host: "127.0.0.1", op: az.OpRead, rt: T, name: "green1", want: A,
					rule: "MatchingAcl(acl=StandardAcl(resourceType=TOPIC, resourceName=green, patternType=PREFIXED, principal=User:bob, host=*, operation=READ, permissionType=ALLOW))"},
				{who: bob, op: az.OpWrite, rt: G, name: "wheel", want: D},
				{who: bob, host: "127.0.0.1", op: az.OpRead, rt: T, name: "alpha", want: D,
					rule: "MatchingAcl(acl=StandardAcl(resourceType=TOPIC, resourceName=alp, patternType=PREFIXED, principal=User:bob, host=*, operation=READ, permissionType=DENY))"},
				{who: bob, op: az.OpWrite, rt: G, name: "arbitrary", want: A},
				rd(bob, "ala", D),
			}}}},
		"10 a literal name that is only a prefix does not match": {steps: []step{{
			add: []az.ACL{mk(T, "foobar", L, alice, "*", az.OpRead, OK)}, checks: []check{rd(alice, "foobarbaz", D)}}}},
		"11 a prefix matches its own name": {steps: []step{{
			add: []az.ACL{mk(T, "foo", P, alice, "*", az.OpRead, OK)}, checks: []check{rd(alice, "foo", A)}}}},
		"12 single-character resource ACLs": {steps: []step{{
			add: []az.ACL{mk(T, "f", L, "User:*", "*", az.OpRead, OK), mk(T, "_", P, "User:*", "*", az.OpRead, OK)},
			checks: []check{rd(alice, "f", A), rd(alice, "foo", D), rd(alice, "_foo", A), rd(alice, "_", A), rd(alice, "foo_", D)}}}},
		"13 PREFIXED * is not a wildcard": {steps: []step{{
			add: []az.ACL{mk(T, "*", P, alice, "*", az.OpRead, OK)}, checks: []check{rd(alice, "foo", D), rd(alice, "*x", A)}}}},
		"14 wildcard ACLs": {steps: []step{
			{add: []az.ACL{mk(T, "*", L, "User:u1", "10.0.0.1", az.OpRead, OK)},
				checks: []check{{who: "User:u1", host: "10.0.0.1", op: az.OpRead, rt: T, name: "t", want: A}}},
			{add: []az.ACL{mk(T, "t", L, "User:u1", "10.0.0.1", az.OpWrite, OK), mk(T, "*", L, "User:u1", "10.0.0.1", az.OpWrite, NO)},
				checks: []check{{who: "User:u1", host: "10.0.0.1", op: az.OpWrite, rt: T, name: "t", want: D}}},
		}},
		"15 wildcards are per resource type": {steps: []step{{
			add: []az.ACL{mk(T, "*", L, alice, "*", az.OpRead, OK)}, checks: []check{{who: alice, op: az.OpRead, rt: G, name: "g", want: D}}}}},
		"16 empty resource name": {steps: []step{
			{checks: []check{{who: alice, op: az.OpRead, rt: G, name: "", want: D}}},
			{add: []az.ACL{mk(G, "*", L, "User:*", "*", az.OpRead, OK)}, checks: []check{{who: alice, op: az.OpRead, rt: G, name: "", want: A}}},
		}},
		"17 names are case-sensitive": {steps: []step{{
			add: []az.ACL{mk(T, "foo", L, alice, "*", az.OpRead, OK)}, checks: []check{rd(alice, "Foo", D)}}}},
		"18 principal types are case-sensitive": {steps: []step{{
			add: []az.ACL{mk(T, "t", L, "user:alice", "*", az.OpRead, OK)}, checks: []check{rd(alice, "t", D)}}}},
		"19 User:* matches a session principal of any type": {steps: []step{{
			add: []az.ACL{mk(T, "t", L, "User:*", "*", az.OpRead, OK)}, checks: []check{rd("Group:devs", "t", A)}}}},
		"20 Group:* is not a wildcard": {steps: []step{{
			add: []az.ACL{mk(T, "t", L, "Group:*", "*", az.OpRead, OK)}, checks: []check{rd("Group:devs", "t", D)}}}},
		"21 a Group session principal matches its ACL": {steps: []step{{
			add: []az.ACL{mk(T, "t", L, "Group:devs", "*", az.OpRead, OK)}, checks: []check{rd("Group:devs", "t", A)}}}},
		"22 host address table": {steps: []step{{
			add: hostTable,
			checks: concat(
				hostRow(alice, "127.0.0.1", A, D, A), hostRow(alice, "192.168.1.1", D, D, D), hostRow(alice, "192.168.1.2", A, D, D),
				hostRow(bob, "127.0.0.1", D, D, A), hostRow(bob, "192.168.1.1", D, D, D), hostRow(bob, "192.168.1.2", D, A, A),
			)}}},
		"23 a deny on the wildcard host wins": {steps: []step{{
			add:    []az.ACL{mk(T, "t", L, alice, "*", az.OpRead, NO), mk(T, "t", L, alice, "10.0.0.5", az.OpRead, OK)},
			checks: []check{{who: alice, host: "10.0.0.5", op: az.OpRead, rt: T, name: "t", want: D}}}}},
		"24 no host name resolution": {steps: []step{{
			add:    []az.ACL{mk(T, "t", L, alice, "localhost", az.OpRead, OK)},
			checks: []check{{who: alice, host: "127.0.0.1", op: az.OpRead, rt: T, name: "t", want: D}}}}},
		"25 READ WRITE DELETE ALTER imply DESCRIBE, CREATE does not": {steps: []step{{
			add: []az.ACL{
				mk(T, "r", L, alice, "*", az.OpRead, OK), mk(T, "w", L, alice, "*", az.OpWrite, OK),
				mk(T, "d", L, alice, "*", az.OpDelete, OK), mk(T, "a", L, alice, "*", az.OpAlter, OK),
				mk(T, "c", L, alice, "*", az.OpCreate, OK),
			},
			checks: []check{
				op(alice, az.OpDescribe, "r", A), op(alice, az.OpDescribe, "w", A), op(alice, az.OpDescribe, "d", A),
				op(alice, az.OpDescribe, "a", A), op(alice, az.OpDescribe, "c", D),
			}}}},
		"26 ALTER_CONFIGS implies DESCRIBE_CONFIGS only": {steps: []step{{
			add: []az.ACL{mk(T, "ac", L, alice, "*", az.OpAlterConfigs, OK), mk(T, "dc", L, alice, "*", az.OpDescribeConfigs, OK)},
			checks: []check{op(alice, az.OpDescribeConfigs, "ac", A), op(alice, az.OpAlterConfigs, "dc", D)}}}},
		"27 deny does not imply": {steps: []step{{
			add:    []az.ACL{mk(T, "t", L, alice, "*", az.OpRead, NO), mk(T, "t", L, alice, "*", az.OpAll, OK)},
			checks: []check{op(alice, az.OpRead, "t", D), op(alice, az.OpDescribe, "t", A), op(alice, az.OpWrite, "t", A)}}}},
		"28 deny DESCRIBE plus allow ALL on the cluster": {steps: []step{{
			add:    []az.ACL{mk(C, az.ClusterName, L, alice, "*", az.OpDescribe, NO), mk(C, az.ClusterName, L, alice, "*", az.OpAll, OK)},
			checks: clusterDenyDescribe}}},
		"29 allow ALL on the cluster": {steps: []step{{
			add: []az.ACL{mk(C, az.ClusterName, L, alice, "*", az.OpAll, OK)}, checks: clusterAll}}},
		"30 WRITE does not imply READ": {steps: []step{{
			add: []az.ACL{mk(T, "t", L, alice, "*", az.OpWrite, OK)}, checks: []check{op(alice, az.OpRead, "t", D), op(alice, az.OpWrite, "t", A)}}}},
		"31 topic ACLs with operation ALL": {steps: []step{{
			add: []az.ACL{
				mk(T, "foo", L, "User:*", "*", az.OpAll, OK), mk(T, "bar", P, alice, "*", az.OpAll, OK), mk(T, "baz", L, bob, "*", az.OpAll, OK),
			},
			checks: []check{
				op(alice, az.OpWrite, "foo", A), op(alice, az.OpDescribeConfigs, "bar", A), op(alice, az.OpDescribe, "baz", D),
				op(bob, az.OpWrite, "foo", A), op(bob, az.OpRead, "bar", D), op(bob, az.OpDescribe, "baz", A),
			}}}},
		"32 super users bypass DENY ALL on User:*": {superUsers: "User:superuser1; User:superuser2", steps: []step{{
			add: []az.ACL{mk(T, "t", L, "User:*", "*", az.OpAll, NO)},
			checks: []check{
				{who: "User:superuser1", op: az.OpRead, rt: T, name: "t", want: A, rule: "SuperUser", matched: "User:superuser1"},
				{who: "User:superuser2", op: az.OpRead, rt: T, name: "t", want: A, rule: "SuperUser"},
				rd(alice, "t", D),
			}}}},
		"34a super.users User:* is not a wildcard": {superUsers: "User:*", steps: []step{{checks: []check{rd(alice, "t", D)}}}},
		"34b super.users Group:admins makes that session principal super": {superUsers: "Group:admins", steps: []step{{
			add:    []az.ACL{mk(T, "t", L, "User:*", "*", az.OpAll, NO)},
			checks: []check{rd("Group:admins", "t", A), rd(alice, "t", D)}}}},
		"35 before the initial load only super users are allowed": {superUsers: "User:su", notReady: true, steps: []step{{checks: []check{
			{who: "User:su", op: az.OpRead, rt: T, name: "t", want: A, rule: "SuperUser"},
			{who: alice, op: az.OpRead, rt: T, name: "t", want: D, rule: "NotReady"},
			{who: alice, op: az.OpWrite, rt: T, byType: true, want: D},
		}}}},
		"36 byResourceType: add and remove": {steps: []step{
			{checks: []check{brt("User:u1", "", az.OpRead, T, D)}},
			{add: []az.ACL{mk(T, "t1", L, "User:u1", "*", az.OpRead, OK)}, checks: []check{brt("User:u1", "", az.OpRead, T, A)}},
			{add: []az.ACL{mk(T, "t1", L, "User:u1", "*", az.OpRead, NO)}, checks: []check{brt("User:u1", "", az.OpRead, T, D)}},
		}},
		"37 byResourceType: prefixed deny dominates": {steps: []step{
			{add: []az.ACL{mk(G, "abcde", P, "User:u1", "*", az.OpRead, OK)}, checks: []check{brt("User:u1", "", az.OpRead, G, A)}},
			{add: []az.ACL{mk(G, "abcd", P, "User:u1", "*", az.OpRead, NO)}, checks: []check{brt("User:u1", "", az.OpRead, G, D)}},
			{add: []az.ACL{mk(G, "abc", P, "User:u1", "*", az.OpRead, OK)}, checks: []check{brt("User:u1", "", az.OpRead, G, A)}},
			{add: []az.ACL{mk(G, "a", P, "User:u1", "*", az.OpRead, NO)}, checks: []check{brt("User:u1", "", az.OpRead, G, D)}},
			{add: []az.ACL{mk(G, "ab", P, "User:u1", "*", az.OpRead, OK)}, checks: []check{brt("User:u1", "", az.OpRead, G, D)}},
		}},
		"38 byResourceType: wildcard deny dominates": {steps: []step{
			{add: []az.ACL{mk(G, "hello", P, "User:u1", "*", az.OpWrite, OK)}, checks: []check{brt("User:u1", "", az.OpWrite, G, A)}},
			{add: []az.ACL{mk(G, "*", L, "User:u1", "*", az.OpWrite, NO)}, checks: []check{brt("User:u1", "", az.OpWrite, G, D)}},
			{add: []az.ACL{mk(G, "*", L, "User:u1", "*", az.OpWrite, OK)}, checks: []check{brt("User:u1", "", az.OpWrite, G, D)}},
			{add: []az.ACL{mk(G, "aloha", L, "User:u1", "*", az.OpWrite, OK)}, checks: []check{brt("User:u1", "", az.OpWrite, G, D)}},
		}},
		"39 byResourceType: unrelated denies do not dominate": {steps: []step{{
			add: []az.ACL{
				mk(T, "t1", L, "User:u1", "*", az.OpRead, OK),
				mk(T, "t1", L, "User:u1", "10.0.0.1", az.OpRead, NO),
				mk(T, "t1", L, "User:u2", "*", az.OpRead, NO),
				mk(T, "t1", L, "User:u1", "*", az.OpWrite, NO),
				mk(T, "*", L, "User:u2", "*", az.OpRead, NO),
			},
			checks: []check{brt("User:u1", "10.0.0.2", az.OpRead, T, A), brt("User:u1", "10.0.0.1", az.OpRead, T, D), brt("User:u2", "10.0.0.2", az.OpRead, T, D)}}}},

		// The Group: extension (spec §6).
		"G1 user and group ACLs both grant": {steps: []step{{
			add: []az.ACL{mk(T, "test", L, alice, "*", az.OpWrite, OK), mk(T, "test2", L, "Group:supergroup", "*", az.OpWrite, OK)},
			checks: []check{
				{who: alice, groups: []string{"Group:supergroup"}, op: az.OpWrite, rt: T, name: "test", want: A, matched: alice},
				{who: alice, groups: []string{"Group:supergroup"}, op: az.OpWrite, rt: T, name: "test2", want: A, matched: "Group:supergroup",
					rule: "MatchingAcl(acl=StandardAcl(resourceType=TOPIC, resourceName=test2, patternType=LITERAL, principal=Group:supergroup, host=*, operation=WRITE, permissionType=ALLOW))"},
				{who: alice, op: az.OpWrite, rt: T, name: "test2", want: D, rule: "DefaultDeny"},
				{who: alice, groups: []string{"Group:supergroup"}, op: az.OpDescribe, rt: T, name: "test2", want: A},
				{who: alice, groups: []string{"Group:supergroup"}, op: az.OpRead, rt: T, name: "test2", want: D},
			}}}},
		"G2 a deny on a group beats an allow on the user": {steps: []step{{
			add: []az.ACL{mk(T, "t", L, alice, "*", az.OpWrite, OK), mk(T, "t", P, "Group:blocked", "*", az.OpWrite, NO)},
			checks: []check{
				{who: alice, groups: []string{"Group:ok", "Group:blocked"}, op: az.OpWrite, rt: T, name: "t", want: D, matched: "Group:blocked"},
				{who: alice, groups: []string{"Group:ok"}, op: az.OpWrite, rt: T, name: "t", want: A, matched: alice},
			}}}},
		"G3 super.users may list groups": {superUsers: "User:su;Group:admins", steps: []step{{
			add: []az.ACL{mk(T, "t", L, "User:*", "*", az.OpAll, NO)},
			checks: []check{
				{who: alice, groups: []string{"Group:devs", "Group:admins"}, op: az.OpDelete, rt: T, name: "t", want: A, rule: "SuperUser", matched: "Group:admins"},
				{who: alice, groups: []string{"Group:devs"}, op: az.OpDelete, rt: T, name: "t", want: D},
			}}}},
		"G4 User:* applies to group members, Group:* does not": {steps: []step{{
			add: []az.ACL{mk(T, "a", L, "User:*", "*", az.OpRead, OK), mk(T, "b", L, "Group:*", "*", az.OpRead, OK)},
			checks: []check{
				{who: alice, groups: []string{"Group:devs"}, op: az.OpRead, rt: T, name: "a", want: A, matched: "User:*"},
				{who: alice, groups: []string{"Group:devs"}, op: az.OpRead, rt: T, name: "b", want: D},
			}}}},
		"G5 byResourceType through groups": {steps: []step{
			{add: []az.ACL{mk(T, "orders-", P, "Group:writers", "*", az.OpWrite, OK)}, checks: []check{
				{who: alice, groups: []string{"Group:writers"}, op: az.OpWrite, rt: T, byType: true, want: A},
				{who: alice, op: az.OpWrite, rt: T, byType: true, want: D},
			}},
			{add: []az.ACL{mk(T, "orders", P, "Group:quarantine", "*", az.OpWrite, NO)}, checks: []check{
				{who: alice, groups: []string{"Group:writers", "Group:quarantine"}, op: az.OpWrite, rt: T, byType: true, want: D},
				{who: alice, groups: []string{"Group:writers"}, op: az.OpWrite, rt: T, byType: true, want: A},
			}},
		}},
		"G6 subjects with many groups": {steps: []step{{
			add: []az.ACL{mk(T, "t", L, "Group:g99", "*", az.OpRead, OK), mk(T, "u", L, "Group:g80", "*", az.OpRead, NO), mk(T, "u", L, "User:*", "*", az.OpRead, OK)},
			checks: []check{
				{who: alice, groups: manyGroups(100), op: az.OpRead, rt: T, name: "t", want: A, matched: "Group:g99"},
				{who: alice, groups: manyGroups(100), op: az.OpRead, rt: T, name: "u", want: D, matched: "Group:g80"},
				{who: alice, groups: manyGroups(50), op: az.OpRead, rt: T, name: "u", want: A},
			}}}},
		"G7 IPv6 hosts match in any spelling": {steps: []step{{
			add: []az.ACL{mk(T, "t", L, alice, "0:0:0:0:0:0:0:1", az.OpRead, OK), mk(T, "u", L, alice, "::1", az.OpRead, OK), mk(T, "v", L, alice, "::FFFF:10.1.2.3", az.OpRead, OK)},
			checks: []check{
				{who: alice, host: "::1", op: az.OpRead, rt: T, name: "t", want: A},
				{who: alice, host: "::1", op: az.OpRead, rt: T, name: "u", want: A},
				{who: alice, host: "::2", op: az.OpRead, rt: T, name: "u", want: D},
				{who: alice, host: "10.1.2.3", op: az.OpRead, rt: T, name: "v", want: A},
			}}}},
	}
}

func manyGroups(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "Group:g" + itoa(i)
	}
	return out
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func concat(cs ...[]check) []check {
	var out []check
	for _, c := range cs {
		out = append(out, c...)
	}
	return out
}

func TestConformance(t *testing.T) {
	for name, tc := range conformanceCases() {
		t.Run(name, func(t *testing.T) {
			sus, err := az.ParseSuperUsers(tc.superUsers)
			if err != nil {
				t.Fatal(err)
			}
			z := acl.New(nil)
			if !tc.notReady {
				if err := z.Load(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			chain := &az.Chain{SuperUsers: sus, Authorizers: []az.Authorizer{z}, AllowEveryoneIfNoACL: tc.allowEveryone}
			for si, st := range tc.steps {
				if len(st.add) > 0 {
					res, err := z.CreateACLs(context.Background(), st.add)
					if err != nil {
						t.Fatalf("step %d: CreateACLs: %v", si, err)
					}
					for i, e := range res {
						if e != nil {
							t.Fatalf("step %d: ACL %v rejected: %v", si, st.add[i], e)
						}
					}
				}
				for _, c := range st.checks {
					ctx := rc(c.who, c.groups, c.host)
					var d az.Decision
					desc := c.who + " " + c.op.String() + " " + c.rt.PascalName() + ":" + c.name
					if c.byType {
						d = chain.AuthorizeByResourceType(ctx, c.op, c.rt)
						desc = c.who + " " + c.op.String() + " any " + c.rt.PascalName()
					} else {
						d = chain.Authorize(ctx, az.NewAction(c.op, c.rt, c.name))
					}
					if len(c.groups) > 0 && len(c.groups) < 5 {
						desc += " groups=" + strings.Join(c.groups, ",")
					}
					desc += " from " + ctx.Host
					if d.Result != c.want {
						t.Errorf("step %d: %s = %v (%s), want %v", si, desc, d.Result, d.RuleString(), c.want)
					}
					if c.rule != "" && d.RuleString() != c.rule {
						t.Errorf("step %d: %s rule = %s, want %s", si, desc, d.RuleString(), c.rule)
					}
					if c.matched != "" && d.Principal.String() != c.matched {
						t.Errorf("step %d: %s matched principal = %q, want %q", si, desc, d.Principal.String(), c.matched)
					}
				}
			}
		})
	}
}

// Case 33: a super.users entry without a colon is rejected with Kafka's
// message.
func TestSuperUsersParse(t *testing.T) {
	cases := map[string]struct {
		in   string
		want []string
		err  string
	}{
		"spaces and empties": {in: " User:superuser1; User:superuser2 ;; ", want: []string{"User:superuser1", "User:superuser2"}},
		"groups":             {in: "Group:admins;User:CN=a,O=b:c", want: []string{"Group:admins", "User:CN=a,O=b:c"}},
		"empty":              {in: "", want: nil},
		"no colon":           {in: "bob", err: "expected a string in format principalType:principalName but got bob"},
		"one bad entry":      {in: "User:a;bob", err: "expected a string in format principalType:principalName but got bob"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := az.ParseSuperUsers(tc.in)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("ParseSuperUsers(%q) error = %v, want %q", tc.in, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, p := range got {
				s = append(s, p.String())
			}
			if strings.Join(s, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("ParseSuperUsers(%q) = %v, want %v", tc.in, s, tc.want)
			}
		})
	}
}

func TestParseBoolean(t *testing.T) {
	for in, want := range map[string]bool{"true": true, " TRUE ": true, "True": true, "false": false, "yes": false, "1": false, "": false} {
		if got := az.ParseBoolean(in); got != want {
			t.Errorf("ParseBoolean(%q) = %v, want %v", in, got, want)
		}
	}
}
