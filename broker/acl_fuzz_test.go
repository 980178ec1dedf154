package broker

// FuzzACLRequests fuzzes the conversion of the ACL APIs' wire fields
// (DescribeAcls and DeleteAcls filters, CreateAcls creations) into package
// authorizer, from request bodies decoded by kmsg at every served version.
// The committed seeds (testdata/fuzz/FuzzACLRequests) are real requests as
// an admin client encodes them; regenerate them with
//
//	go test ./broker -run TestACLRequestsSeedCorpus -update

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/internal/fuzzseed"
)

// aclFuzzKeys are the API keys FuzzACLRequests decodes, by selector.
var aclFuzzKeys = [3]int16{29, 30, 31}

// sampleACLs are matched against every filter that converts.
var sampleACLs = []az.ACL{
	{ResourceType: az.ResourceTopic, ResourceName: "orders", PatternType: az.PatternLiteral, Principal: "User:alice", Host: "*", Operation: az.OpRead, Permission: az.PermAllow},
	{ResourceType: az.ResourceTopic, ResourceName: "ord", PatternType: az.PatternPrefixed, Principal: "Group:ops", Host: "10.0.0.1", Operation: az.OpWrite, Permission: az.PermDeny},
	{ResourceType: az.ResourceGroup, ResourceName: "*", PatternType: az.PatternLiteral, Principal: "User:*", Host: "*", Operation: az.OpAll, Permission: az.PermAllow},
	{ResourceType: az.ResourceCluster, ResourceName: az.ClusterName, PatternType: az.PatternLiteral, Principal: "User:admin", Host: "*", Operation: az.OpAlter, Permission: az.PermAllow},
}

func FuzzACLRequests(f *testing.F) {
	f.Fuzz(func(t *testing.T, selector, version byte, body []byte) {
		key := aclFuzzKeys[int(selector)%len(aclFuzzKeys)]
		v := int16(version % 4)
		req := kmsg.RequestForKey(key)
		req.SetVersion(v)
		if err := req.ReadFrom(body); err != nil {
			return // kmsg rejects it: protocol.Decode closes the connection
		}
		switch r := req.(type) {
		case *kmsg.DescribeACLsRequest:
			checkACLFilter(t, v, r.ResourceType, r.ResourceName, r.ResourcePatternType, r.Principal, r.Host, r.Operation, r.PermissionType)
		case *kmsg.DeleteACLsRequest:
			for _, x := range r.Filters {
				checkACLFilter(t, v, x.ResourceType, x.ResourceName, x.ResourcePatternType, x.Principal, x.Host, x.Operation, x.PermissionType)
			}
		case *kmsg.CreateACLsRequest:
			for i := range r.Creations {
				checkACLCreation(t, v, &r.Creations[i])
			}
		}
	})
}

// parseFailure reports whether err is one of the typed parse failures
// that close the connection.
func parseFailure(err error) bool {
	return errors.Is(err, errUnknownACLElement) || errors.Is(err, errV0Pattern)
}

func checkACLFilter(t *testing.T, v int16, rt kmsg.ACLResourceType, name *string, pt kmsg.ACLResourcePatternType, principal, host *string, op kmsg.ACLOperation, perm kmsg.ACLPermissionType) {
	t.Helper()
	fl, err := wireACLFilter(v, rt, name, pt, principal, host, op, perm)
	if err != nil {
		if !parseFailure(err) {
			t.Fatalf("filter conversion error %v is not a typed parse failure", err)
		}
		return
	}
	if v == 0 && fl.PatternType != az.PatternLiteral {
		t.Fatalf("v0 filter converted with pattern type %s", fl.PatternType)
	}
	if verr := az.ValidateFilter(&fl); verr != nil {
		t.Fatalf("converted filter %s fails validation: %v", filterString(&fl), verr)
	}
	for i := range sampleACLs {
		a := &sampleACLs[i]
		matched := fl.Matches(a)
		// A filter naming exactly this ACL's fields always matches it.
		if fl.ResourceType == a.ResourceType && fl.PatternType == a.PatternType && name != nil && *name == a.ResourceName &&
			principal != nil && *principal == a.Principal && host != nil && *host == a.Host && fl.Operation == a.Operation && fl.Permission == a.Permission && !matched {
			t.Fatalf("filter %s does not match the ACL it names exactly (%s)", filterString(&fl), a)
		}
	}
}

func checkACLCreation(t *testing.T, v int16, cr *kmsg.CreateACLsRequestCreation) {
	t.Helper()
	a, err := wireACLCreation(v, cr)
	if err != nil {
		if !parseFailure(err) {
			t.Fatalf("creation conversion error %v is not a typed parse failure", err)
		}
		return
	}
	if v == 0 && a.PatternType != az.PatternLiteral {
		t.Fatalf("v0 creation converted with pattern type %s", a.PatternType)
	}
	if az.ValidateBinding(&a) != nil {
		return // the whole request fails with UNKNOWN_SERVER_ERROR
	}
	if verr := az.ValidateNewACL(&a); verr != nil {
		if verr.Code != 42 {
			t.Fatalf("ValidateNewACL code %d, want 42", verr.Code)
		}
		return
	}
	// A valid new ACL is matched by the filter that names it exactly.
	name, principal, host := a.ResourceName, a.Principal, a.Host
	exact := az.ACLFilter{ResourceType: a.ResourceType, ResourceName: &name, PatternType: a.PatternType, Principal: &principal, Host: &host, Operation: a.Operation, Permission: a.Permission}
	if !exact.Matches(&a) || a.String() == "" {
		t.Fatalf("ACL %s is not matched by its own exact filter", a)
	}
}

// aclSeedRequests are real ACL requests, as kadm builds them.
func aclSeedRequests() map[string]kmsg.Request {
	s := func(v string) *string { return &v }
	out := map[string]kmsg.Request{}
	describe := func(rt kmsg.ACLResourceType, name *string, pt kmsg.ACLResourcePatternType, principal *string, op kmsg.ACLOperation) *kmsg.DescribeACLsRequest {
		r := kmsg.NewPtrDescribeACLsRequest()
		r.ResourceType, r.ResourceName, r.ResourcePatternType, r.Principal, r.Operation, r.PermissionType = rt, name, pt, principal, op, kmsg.ACLPermissionTypeAny
		return r
	}
	out["describe-any"] = describe(kmsg.ACLResourceTypeAny, nil, kmsg.ACLResourcePatternTypeAny, nil, kmsg.ACLOperationAny)
	out["describe-match-topic"] = describe(kmsg.ACLResourceTypeTopic, s("orders"), kmsg.ACLResourcePatternTypeMatch, s("User:alice"), kmsg.ACLOperationRead)
	out["describe-literal-group"] = describe(kmsg.ACLResourceTypeGroup, s("g1"), kmsg.ACLResourcePatternTypeLiteral, nil, kmsg.ACLOperationAny)
	out["describe-unknown-op"] = describe(kmsg.ACLResourceTypeTopic, nil, kmsg.ACLResourcePatternTypeAny, nil, kmsg.ACLOperationUnknown)
	create := kmsg.NewPtrCreateACLsRequest()
	create.Creations = []kmsg.CreateACLsRequestCreation{
		{ResourceType: kmsg.ACLResourceTypeTopic, ResourceName: "orders", ResourcePatternType: kmsg.ACLResourcePatternTypeLiteral, Principal: "User:alice", Host: "*", Operation: kmsg.ACLOperationRead, PermissionType: kmsg.ACLPermissionTypeAllow},
		{ResourceType: kmsg.ACLResourceTypeTopic, ResourceName: "ord", ResourcePatternType: kmsg.ACLResourcePatternTypePrefixed, Principal: "Group:ops", Host: "10.0.0.1", Operation: kmsg.ACLOperationWrite, PermissionType: kmsg.ACLPermissionTypeDeny},
		{ResourceType: kmsg.ACLResourceTypeCluster, ResourceName: "kafka-cluster", ResourcePatternType: kmsg.ACLResourcePatternTypeLiteral, Principal: "User:admin", Host: "*", Operation: kmsg.ACLOperationAlter, PermissionType: kmsg.ACLPermissionTypeAllow},
	}
	out["create-three"] = create
	bad := kmsg.NewPtrCreateACLsRequest()
	bad.Creations = []kmsg.CreateACLsRequestCreation{{ResourceType: kmsg.ACLResourceTypeAny, ResourceName: "", ResourcePatternType: kmsg.ACLResourcePatternTypeMatch, Principal: "alice", Host: "", Operation: kmsg.ACLOperationAny, PermissionType: kmsg.ACLPermissionTypeAny}}
	out["create-invalid"] = bad
	del := kmsg.NewPtrDeleteACLsRequest()
	del.Filters = []kmsg.DeleteACLsRequestFilter{
		{ResourceType: kmsg.ACLResourceTypeAny, ResourcePatternType: kmsg.ACLResourcePatternTypeAny, Operation: kmsg.ACLOperationAny, PermissionType: kmsg.ACLPermissionTypeAny},
		{ResourceType: kmsg.ACLResourceTypeTopic, ResourceName: s("orders"), ResourcePatternType: kmsg.ACLResourcePatternTypeLiteral, Principal: s("User:alice"), Host: s("*"), Operation: kmsg.ACLOperationRead, PermissionType: kmsg.ACLPermissionTypeAllow},
	}
	out["delete-two"] = del
	return out
}

func aclRequestSeeds() map[string][]byte {
	seeds := map[string][]byte{}
	for name, req := range aclSeedRequests() {
		sel := byte(0)
		for i, k := range aclFuzzKeys {
			if k == req.Key() {
				sel = byte(i)
			}
		}
		for v := int16(0); v <= 3; v++ {
			req.SetVersion(v)
			seeds[fmt.Sprintf("seed-%s-v%d", name, v)] = fuzzseed.File(sel, byte(v), req.AppendTo(nil))
		}
	}
	return seeds
}

// TestACLRequestsSeedCorpus keeps testdata/fuzz/FuzzACLRequests/seed-*
// equal to aclRequestSeeds, and checks that the seeds convert as expected.
func TestACLRequestsSeedCorpus(t *testing.T) {
	fuzzseed.Sync(t, filepath.Join("testdata", "fuzz", "FuzzACLRequests"), aclRequestSeeds(), *update,
		"go test ./broker -run TestACLRequestsSeedCorpus -update")
	for name, req := range aclSeedRequests() {
		d, ok := req.(*kmsg.DescribeACLsRequest)
		if !ok {
			continue
		}
		_, err := wireACLFilter(1, d.ResourceType, d.ResourceName, d.ResourcePatternType, d.Principal, d.Host, d.Operation, d.PermissionType)
		if (name == "describe-unknown-op") != (err != nil) {
			t.Errorf("seed %s: conversion error %v", name, err)
		}
	}
}
