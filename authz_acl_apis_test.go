package minikafka_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/minikafka/minikafka"
)

func creation(rt kmsg.ACLResourceType, name string, pt kmsg.ACLResourcePatternType, principal string, op kmsg.ACLOperation, perm kmsg.ACLPermissionType) kmsg.CreateACLsRequestCreation {
	c := kmsg.NewCreateACLsRequestCreation()
	c.ResourceType, c.ResourceName, c.ResourcePatternType = rt, name, pt
	c.Principal, c.Host, c.Operation, c.PermissionType = principal, "*", op, perm
	return c
}

func str(s string) *string { return &s }

func msgOf(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

// TestACLAPIsWithoutAuthorizer: Kafka without authorizer.class.name
// answers SECURITY_DISABLED with its messages.
func TestACLAPIsWithoutAuthorizer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, addr := minikafka.Start(t)
	cl := client(t, addr)
	cr := kmsg.NewPtrCreateACLsRequest()
	cr.Creations = []kmsg.CreateACLsRequestCreation{
		creation(kmsg.ACLResourceTypeTopic, "t", kmsg.ACLResourcePatternTypeLiteral, "User:a", kmsg.ACLOperationRead, kmsg.ACLPermissionTypeAllow),
		creation(kmsg.ACLResourceTypeTopic, "u", kmsg.ACLResourcePatternTypeLiteral, "User:a", kmsg.ACLOperationRead, kmsg.ACLPermissionTypeAllow),
	}
	cresp, err := cr.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range cresp.Results {
		if r.ErrorCode != kerr.SecurityDisabled.Code || msgOf(r.ErrorMessage) != "No Authorizer is configured." {
			t.Fatalf("CreateAcls result = %d %q", r.ErrorCode, msgOf(r.ErrorMessage))
		}
	}
	dr := kmsg.NewPtrDescribeACLsRequest()
	dr.ResourceType, dr.ResourcePatternType, dr.Operation, dr.PermissionType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny, kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	dresp, err := dr.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if dresp.ErrorCode != kerr.SecurityDisabled.Code || msgOf(dresp.ErrorMessage) != "No Authorizer is configured on the broker" {
		t.Fatalf("DescribeAcls = %d %q", dresp.ErrorCode, msgOf(dresp.ErrorMessage))
	}
	del := kmsg.NewPtrDeleteACLsRequest()
	f := kmsg.NewDeleteACLsRequestFilter()
	f.ResourceType, f.ResourcePatternType, f.Operation, f.PermissionType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny, kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	del.Filters = []kmsg.DeleteACLsRequestFilter{f, f}
	delresp, err := del.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if len(delresp.Results) != 2 {
		t.Fatalf("%d delete results", len(delresp.Results))
	}
	for _, r := range delresp.Results {
		if r.ErrorCode != kerr.SecurityDisabled.Code || msgOf(r.ErrorMessage) != "No Authorizer is configured." {
			t.Fatalf("DeleteAcls result = %d %q", r.ErrorCode, msgOf(r.ErrorMessage))
		}
	}
}

// TestACLAPIsWireSemantics checks spec §1.10 on the wire, with raw
// requests so that codes, messages and order are visible.
func TestACLAPIsWireSemantics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, _ := minikafka.Start(t,
		minikafka.WithConfig(minikafka.Config{Listeners: plaintext("ADMIN", "ALICE")}),
		minikafka.WithPrincipalBuilder(listenerSubjects{"ADMIN": subj("admin"), "ALICE": subj("alice")}),
		minikafka.WithSuperUsers("User:admin"),
	)
	admin := client(t, b.Addr("ADMIN"))
	alice := client(t, b.Addr("ALICE"))
	T, L, P := kmsg.ACLResourceTypeTopic, kmsg.ACLResourcePatternTypeLiteral, kmsg.ACLResourcePatternTypePrefixed
	read, allow, deny := kmsg.ACLOperationRead, kmsg.ACLPermissionTypeAllow, kmsg.ACLPermissionTypeDeny

	t.Run("per-binding validation in order", func(t *testing.T) {
		req := kmsg.NewPtrCreateACLsRequest()
		req.Creations = []kmsg.CreateACLsRequestCreation{
			creation(T, "ok", L, "User:a", read, allow),
			creation(kmsg.ACLResourceTypeCluster, "c", L, "User:a", kmsg.ACLOperationAlter, allow),
			creation(T, "", L, "User:a", read, allow),
			creation(T, "x", L, "bob", read, allow),
			creation(T, "ok", L, "User:a", read, allow), // duplicate: success, stored once
			creation(T, "pre", P, "Group:ops", kmsg.ACLOperationIdempotentWrite, deny),
		}
		resp, err := req.RequestWith(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			code int16
			msg  string
		}{
			{0, "<null>"},
			{42, "The only valid name for the CLUSTER resource is kafka-cluster"},
			{42, "Invalid empty resource name"},
			{42, "Could not parse principal from `bob` (no colon is present separating the principal type from the principal name)"},
			{0, "<null>"},
			{0, "<null>"},
		}
		if len(resp.Results) != len(want) {
			t.Fatalf("%d results for %d creations", len(resp.Results), len(want))
		}
		for i, w := range want {
			if r := resp.Results[i]; r.ErrorCode != w.code || msgOf(r.ErrorMessage) != w.msg {
				t.Errorf("result %d = %d %q, want %d %q", i, r.ErrorCode, msgOf(r.ErrorMessage), w.code, w.msg)
			}
		}
		if got := describeAll(ctx, t, admin); len(got) != 2 {
			t.Fatalf("stored %v, want the 2 valid ACLs once each", got)
		}
	})

	t.Run("MATCH pattern fails the whole request", func(t *testing.T) {
		req := kmsg.NewPtrCreateACLsRequest()
		req.Creations = []kmsg.CreateACLsRequestCreation{
			creation(T, "fine", L, "User:a", read, allow),
			creation(T, "m", kmsg.ACLResourcePatternTypeMatch, "User:a", read, allow),
		}
		resp, err := req.RequestWith(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range resp.Results {
			if r.ErrorCode != kerr.UnknownServerError.Code || r.ErrorMessage != nil {
				t.Errorf("result %d = %d %q, want -1 without message", i, r.ErrorCode, msgOf(r.ErrorMessage))
			}
		}
		if got := describeAll(ctx, t, admin); len(got) != 2 {
			t.Fatalf("stored %v after a failed request", got)
		}
	})

	t.Run("unauthorized: 31 everywhere", func(t *testing.T) {
		req := kmsg.NewPtrCreateACLsRequest()
		req.Creations = []kmsg.CreateACLsRequestCreation{creation(T, "a", L, "User:a", read, allow), creation(T, "", L, "bob", read, allow)}
		resp, err := req.RequestWith(ctx, alice)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range resp.Results {
			if r.ErrorCode != kerr.ClusterAuthorizationFailed.Code || msgOf(r.ErrorMessage) != "Request CreateAcls is not authorized." {
				t.Fatalf("CreateAcls as alice = %d %q", r.ErrorCode, msgOf(r.ErrorMessage))
			}
		}
		del := kmsg.NewPtrDeleteACLsRequest()
		del.Filters = []kmsg.DeleteACLsRequestFilter{anyDeleteFilter(), anyDeleteFilter()}
		dresp, err := del.RequestWith(ctx, alice)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range dresp.Results {
			if r.ErrorCode != kerr.ClusterAuthorizationFailed.Code || len(r.MatchingACLs) != 0 {
				t.Fatalf("DeleteAcls as alice = %d %v", r.ErrorCode, r.MatchingACLs)
			}
		}
		if got := describeAll(ctx, t, admin); len(got) != 2 {
			t.Fatalf("an unauthorized request changed the ACLs: %v", got)
		}
	})

	t.Run("UNKNOWN elements close the connection", func(t *testing.T) {
		bad := kmsg.NewPtrCreateACLsRequest()
		bad.Creations = []kmsg.CreateACLsRequestCreation{creation(T, "a", L, "User:a", kmsg.ACLOperationUnknown, allow)}
		c := client(t, b.Addr("ADMIN"))
		if _, err := bad.RequestWith(ctx, c); err == nil {
			t.Fatal("CreateAcls with an UNKNOWN operation got a response")
		}
		badF := kmsg.NewPtrDescribeACLsRequest()
		badF.ResourceType, badF.ResourcePatternType, badF.Operation, badF.PermissionType = kmsg.ACLResourceType(42), kmsg.ACLResourcePatternTypeAny, kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
		if _, err := badF.RequestWith(ctx, client(t, b.Addr("ADMIN"))); err == nil {
			t.Fatal("DescribeAcls with an unrecognised resource type got a response")
		}
		if got := describeAll(ctx, t, admin); len(got) != 2 {
			t.Fatalf("ACLs after the bad requests: %v", got)
		}
	})

	t.Run("delete: state before, overlapping filters, results in order", func(t *testing.T) {
		del := kmsg.NewPtrDeleteACLsRequest()
		f1 := anyDeleteFilter()
		f1.ResourceType, f1.ResourceName = T, str("ok")
		f2 := anyDeleteFilter()
		f2.Principal = str("User:a")
		f3 := anyDeleteFilter()
		f3.Host = str("10.9.9.9")
		del.Filters = []kmsg.DeleteACLsRequestFilter{f1, f2, f3}
		resp, err := del.RequestWith(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Results) != 3 || len(resp.Results[0].MatchingACLs) != 1 || len(resp.Results[1].MatchingACLs) != 1 ||
			len(resp.Results[2].MatchingACLs) != 0 || resp.Results[2].ErrorCode != 0 {
			t.Fatalf("delete results = %+v", resp.Results)
		}
		if m := resp.Results[1].MatchingACLs[0]; m.ResourceName != "ok" || m.Principal != "User:a" || m.ErrorCode != 0 {
			t.Fatalf("the ACL matching both filters = %+v", m)
		}
		if got := describeAll(ctx, t, admin); len(got) != 1 || got[0] != "Group:ops pre PREFIXED IDEMPOTENT_WRITE DENY" {
			t.Fatalf("left: %v", got)
		}
	})

	t.Run("version 0", func(t *testing.T) {
		vs := kversion.Stable()
		for _, k := range []int16{29, 30, 31} {
			vs.SetMaxKeyVersion(k, 0)
		}
		v0 := client(t, b.Addr("ADMIN"), kgo.MaxVersions(vs))
		req := kmsg.NewPtrCreateACLsRequest()
		req.Creations = []kmsg.CreateACLsRequestCreation{creation(T, "v0", L, "User:v0", read, allow)}
		resp, err := req.RequestWith(ctx, v0)
		if err != nil || resp.GetVersion() != 0 || resp.Results[0].ErrorCode != 0 {
			t.Fatalf("v0 CreateAcls = %+v, %v", resp, err)
		}
		d := kmsg.NewPtrDescribeACLsRequest()
		d.ResourceType, d.ResourceName, d.Operation, d.PermissionType = T, str("v0"), kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
		dresp, err := d.RequestWith(ctx, v0)
		if err != nil || dresp.ErrorCode != 0 || len(dresp.Resources) != 1 || dresp.Resources[0].ACLs[0].Principal != "User:v0" {
			t.Fatalf("v0 DescribeAcls = %+v, %v", dresp, err)
		}
	})
}

func anyDeleteFilter() kmsg.DeleteACLsRequestFilter {
	f := kmsg.NewDeleteACLsRequestFilter()
	f.ResourceType, f.ResourcePatternType, f.Operation, f.PermissionType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny, kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	return f
}

// describeAll lists every ACL as "principal name pattern op perm", sorted.
func describeAll(ctx context.Context, t *testing.T, cl *kgo.Client) []string {
	t.Helper()
	d := kmsg.NewPtrDescribeACLsRequest()
	d.ResourceType, d.ResourcePatternType, d.Operation, d.PermissionType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny, kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	resp, err := d.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ErrorCode != 0 {
		t.Fatalf("DescribeAcls: %d %q", resp.ErrorCode, msgOf(resp.ErrorMessage))
	}
	var out []string
	for _, r := range resp.Resources {
		for _, a := range r.ACLs {
			out = append(out, fmt.Sprintf("%s %s %s %s %s", a.Principal, r.ResourceName, r.ResourcePatternType, a.Operation, a.PermissionType))
		}
	}
	sort.Strings(out)
	return out
}
