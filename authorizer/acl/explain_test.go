package acl_test

import (
	"strings"
	"testing"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/authorizer/acl"
	"github.com/minikafka/minikafka/principal"
)

func TestExplain(t *testing.T) {
	allowAlice := mk(T, "orders", L, "User:alice", "*", az.OpWrite, OK)
	denyGroup := mk(T, "ord", P, "Group:x", "10.0.0.9", az.OpWrite, NO)
	otherUser := mk(T, "orders", L, "User:bob", "*", az.OpWrite, OK)
	otherHost := mk(T, "orders", L, "User:alice", "10.0.0.1", az.OpWrite, OK)
	otherOp := mk(T, "*", L, "User:alice", "*", az.OpRead, OK)
	denyOtherOp := mk(T, "orders", L, "User:alice", "*", az.OpRead, NO)
	unrelated := mk(T, "payments", L, "User:alice", "*", az.OpWrite, NO)
	z, err := acl.NewMemory(allowAlice, denyGroup, otherUser, otherHost, otherOp, denyOtherOp, unrelated)
	if err != nil {
		t.Fatal(err)
	}
	ctx := &az.RequestContext{Subject: &principal.Subject{User: principal.User("alice"), Groups: []principal.Principal{principal.Group("x")}}, Host: "10.0.0.9"}
	ex := z.Explain(ctx, az.NewAction(az.OpWrite, T, "orders"), acl.ExplainOptions{})
	if ex.Decision.Allowed() || ex.Decision.ACL == nil || *ex.Decision.ACL != denyGroup {
		t.Fatalf("decision = %v %s, want the group DENY", ex.Decision.Result, ex.Decision.RuleString())
	}
	if !ex.ResourceHasACLs {
		t.Fatal("ResourceHasACLs = false")
	}
	if len(ex.Matched) != 2 || ex.Matched[0].ACL != allowAlice || ex.Matched[1].ACL != denyGroup {
		t.Fatalf("Matched = %+v, want [allowAlice denyGroup] in scan order", ex.Matched)
	}
	if ex.Matched[0].Deciding || !ex.Matched[1].Deciding || ex.Matched[1].Principal != principal.Group("x") || ex.Matched[0].Principal != principal.User("alice") {
		t.Fatalf("Matched flags = %+v", ex.Matched)
	}
	wantMiss := map[az.ACL]string{
		otherUser:   "principal User:bob is not the subject (User:alice, Group:x) or User:*",
		otherHost:   "host 10.0.0.1 is not * or the client address 10.0.0.9",
		otherOp:     "ALLOW READ does not grant WRITE",
		denyOtherOp: "DENY READ does not deny WRITE",
	}
	if len(ex.NearMisses) != len(wantMiss) {
		t.Fatalf("NearMisses = %+v, want %d", ex.NearMisses, len(wantMiss))
	}
	for _, m := range ex.NearMisses {
		want, ok := wantMiss[m.ACL]
		if !ok || len(m.Reasons) != 1 || !strings.HasPrefix(m.Reasons[0], want) {
			t.Errorf("near miss %v: reasons %q, want %q", m.ACL, m.Reasons, want)
		}
	}
	if last := ex.NearMisses[len(ex.NearMisses)-1].ACL; last != otherOp {
		t.Errorf("the wildcard ACL should come last (Kafka's scan order), got %v", last)
	}
	out := ex.String()
	for _, want := range []string{"DENIED: User:alice WRITE on Topic:orders from 10.0.0.9", "groups: Group:x",
		"rule: MatchingAcl(acl=StandardAcl(resourceType=TOPIC, resourceName=ord, patternType=PREFIXED, principal=Group:x, host=10.0.0.9, operation=WRITE, permissionType=DENY))",
		"a DENY ACL matches Group:x", " * DENY Group:x WRITE on Topic:PREFIXED:ord from host 10.0.0.9 (via Group:x)"} {
		if !strings.Contains(out, want) {
			t.Errorf("String() lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "payments") {
		t.Errorf("String() lists an ACL of another resource:\n%s", out)
	}

	// Without the group, alice's own ALLOW decides.
	ctx.Subject = &principal.Subject{User: principal.User("alice")}
	ex = z.Explain(ctx, az.NewAction(az.OpWrite, T, "orders"), acl.ExplainOptions{})
	if !ex.Decision.Allowed() || *ex.Decision.ACL != allowAlice || len(ex.Matched) != 1 || !ex.Matched[0].Deciding {
		t.Fatalf("without the group: %+v", ex)
	}

	// Super users and allow.everyone are explained too.
	ex = z.Explain(ctx, az.NewAction(az.OpWrite, T, "payments"), acl.ExplainOptions{SuperUsers: []principal.Principal{principal.User("alice")}})
	if !ex.Decision.Allowed() || ex.SuperUser == nil || !strings.Contains(ex.String(), "User:alice is listed in super.users") {
		t.Fatalf("super user: %s", ex.String())
	}
	ex = z.Explain(ctx, az.NewAction(az.OpWrite, G, "g"), acl.ExplainOptions{AllowEveryoneIfNoACL: true})
	if !ex.Decision.Allowed() || ex.ResourceHasACLs || !strings.Contains(ex.String(), "no ACL applies to the resource and allow.everyone.if.no.acl.found=true") {
		t.Fatalf("allow everyone: %s", ex.String())
	}
}
