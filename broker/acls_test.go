package broker

import (
	"errors"
	"io"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/authorizer/acl"
	"github.com/minikafka/minikafka/principal"
)

// withACLs wires the real ACL authorizer behind the default chain, with
// the PLAINTEXT principal (User:ANONYMOUS) as super user when super is set.
func withACLs(t *testing.T, super bool, acls ...az.ACL) func(*Config) {
	z, err := acl.NewMemory(acls...)
	if err != nil {
		t.Fatal(err)
	}
	chain := &az.Chain{Authorizers: []az.Authorizer{z}}
	if super {
		chain.SuperUsers = []principal.Principal{principal.Anonymous}
	}
	return func(c *Config) { c.Authorizer, c.ACLs = chain, z }
}

func aclCreation(name string, pt kmsg.ACLResourcePatternType, principal string, op kmsg.ACLOperation) kmsg.CreateACLsRequestCreation {
	c := kmsg.NewCreateACLsRequestCreation()
	c.ResourceType, c.ResourceName, c.ResourcePatternType = kmsg.ACLResourceTypeTopic, name, pt
	c.Principal, c.Host, c.Operation, c.PermissionType = principal, "*", op, kmsg.ACLPermissionTypeAllow
	return c
}

func anyACLFilter() kmsg.DeleteACLsRequestFilter {
	f := kmsg.NewDeleteACLsRequestFilter()
	f.ResourceType, f.ResourcePatternType, f.Operation, f.PermissionType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny, kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	return f
}

// TestACLAPIs drives CreateAcls, DescribeAcls and DeleteAcls over a socket
// at every served version, then the parse failure that closes the
// connection.
func TestACLAPIs(t *testing.T) {
	_, addr := startBroker(t, withACLs(t, true))
	raw := dialRaw(t, addr)
	for v := int16(0); v <= 3; v++ {
		cr := kmsg.NewPtrCreateACLsRequest()
		cr.SetVersion(v)
		cr.Creations = []kmsg.CreateACLsRequestCreation{
			aclCreation("orders", kmsg.ACLResourcePatternTypeLiteral, "User:alice", kmsg.ACLOperationWrite),
			aclCreation("", kmsg.ACLResourcePatternTypeLiteral, "User:alice", kmsg.ACLOperationWrite),
		}
		cresp := raw.do(cr).(*kmsg.CreateACLsResponse)
		if len(cresp.Results) != 2 || cresp.Results[0].ErrorCode != 0 || cresp.Results[1].ErrorCode != kerr.InvalidRequest.Code ||
			cresp.Results[1].ErrorMessage == nil || *cresp.Results[1].ErrorMessage != "Invalid empty resource name" {
			t.Fatalf("v%d CreateAcls = %+v", v, cresp.Results)
		}
		dr := kmsg.NewPtrDescribeACLsRequest()
		dr.SetVersion(v)
		dr.ResourceType, dr.ResourceName, dr.Operation, dr.PermissionType = kmsg.ACLResourceTypeTopic, strp("orders"), kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
		if v > 0 {
			dr.ResourcePatternType = kmsg.ACLResourcePatternTypeMatch
		}
		dresp := raw.do(dr).(*kmsg.DescribeACLsResponse)
		if dresp.ErrorCode != 0 || len(dresp.Resources) != 1 || len(dresp.Resources[0].ACLs) != 1 || dresp.Resources[0].ACLs[0].Principal != "User:alice" {
			t.Fatalf("v%d DescribeAcls = %+v", v, dresp)
		}
		del := kmsg.NewPtrDeleteACLsRequest()
		del.SetVersion(v)
		f := anyACLFilter()
		if v == 0 { // v0 filters are LITERAL
			f.ResourcePatternType = kmsg.ACLResourcePatternTypeLiteral
		}
		del.Filters = []kmsg.DeleteACLsRequestFilter{f, f}
		delresp := raw.do(del).(*kmsg.DeleteACLsResponse)
		if len(delresp.Results) != 2 || len(delresp.Results[0].MatchingACLs) != 1 || len(delresp.Results[1].MatchingACLs) != 1 {
			t.Fatalf("v%d DeleteAcls = %+v", v, delresp.Results)
		}
	}
	// An UNKNOWN permission fails parsing: no response, the connection is
	// closed.
	bad := kmsg.NewPtrCreateACLsRequest()
	c := aclCreation("t", kmsg.ACLResourcePatternTypeLiteral, "User:a", kmsg.ACLOperationRead)
	c.PermissionType = kmsg.ACLPermissionTypeUnknown
	bad.Creations = []kmsg.CreateACLsRequestCreation{c}
	bad.SetVersion(3)
	conn := dialRaw(t, addr)
	conn.on(t).write(conn.f.AppendRequest(nil, bad, 1))
	if _, err := conn.readFrame(); !errors.Is(err, io.EOF) {
		t.Fatalf("after an UNKNOWN permission: %v, want the connection closed", err)
	}
}

// TestACLAPIsAuthorization: without Cluster ALTER / DESCRIBE the ACL APIs
// answer 31; without an ACL manager, 54.
func TestACLAPIsAuthorization(t *testing.T) {
	_, addr := startBroker(t, withACLs(t, false))
	raw := dialRaw(t, addr)
	cr := kmsg.NewPtrCreateACLsRequest()
	cr.Creations = []kmsg.CreateACLsRequestCreation{aclCreation("t", kmsg.ACLResourcePatternTypeLiteral, "User:a", kmsg.ACLOperationRead)}
	if r := rawRequest[*kmsg.CreateACLsResponse](raw, cr); r.Results[0].ErrorCode != kerr.ClusterAuthorizationFailed.Code {
		t.Fatalf("CreateAcls = %+v", r.Results)
	}
	dr := kmsg.NewPtrDescribeACLsRequest()
	dr.ResourceType, dr.ResourcePatternType, dr.Operation, dr.PermissionType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny, kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	if r := rawRequest[*kmsg.DescribeACLsResponse](raw, dr); r.ErrorCode != kerr.ClusterAuthorizationFailed.Code || r.ErrorMessage == nil || *r.ErrorMessage != "Request DescribeAcls is not authorized." {
		t.Fatalf("DescribeAcls = %+v", r)
	}
	del := kmsg.NewPtrDeleteACLsRequest()
	del.Filters = []kmsg.DeleteACLsRequestFilter{anyACLFilter()}
	if r := rawRequest[*kmsg.DeleteACLsResponse](raw, del); r.Results[0].ErrorCode != kerr.ClusterAuthorizationFailed.Code {
		t.Fatalf("DeleteAcls = %+v", r.Results)
	}

	_, addr = startBroker(t) // no authorizer
	raw = dialRaw(t, addr)
	if r := rawRequest[*kmsg.CreateACLsResponse](raw, cr); r.Results[0].ErrorCode != kerr.SecurityDisabled.Code || *r.Results[0].ErrorMessage != "No Authorizer is configured." {
		t.Fatalf("CreateAcls without authorizer = %+v", r.Results)
	}
	if r := rawRequest[*kmsg.DescribeACLsResponse](raw, dr); r.ErrorCode != kerr.SecurityDisabled.Code || *r.ErrorMessage != "No Authorizer is configured on the broker" {
		t.Fatalf("DescribeAcls without authorizer = %+v", r)
	}
	if r := rawRequest[*kmsg.DeleteACLsResponse](raw, del); r.Results[0].ErrorCode != kerr.SecurityDisabled.Code || *r.Results[0].ErrorMessage != "No Authorizer is configured." {
		t.Fatalf("DeleteAcls without authorizer = %+v", r.Results)
	}
}

// TestAuditLine checks the audit message byte for byte against Kafka's
// StandardAuthorizerTest strings and the Kafka API names.
func TestAuditLine(t *testing.T) {
	rc := &az.RequestContext{Subject: &principal.Subject{User: principal.User("bob")}, Host: "127.0.0.1", APIKey: 1}
	deny := az.ACL{ResourceType: az.ResourceTopic, ResourceName: "alp", PatternType: az.PatternPrefixed, Principal: "User:bob", Host: "*", Operation: az.OpRead, Permission: az.PermDeny}
	got := auditMessage(rc, az.NewAction(az.OpRead, az.ResourceTopic, "alpha"), az.Decision{Result: az.Deny, Rule: az.RuleMatchingACL, ACL: &deny})
	want := "Principal = User:bob is Denied operation = READ from host = 127.0.0.1 on resource = Topic:LITERAL:alpha for request = Fetch with resourceRefCount = 1 based on rule MatchingAcl(acl=StandardAcl(resourceType=TOPIC, resourceName=alp, patternType=PREFIXED, principal=User:bob, host=*, operation=READ, permissionType=DENY))"
	if got != want {
		t.Fatalf("audit line:\n got %s\nwant %s", got, want)
	}
	allow := az.ACL{ResourceType: az.ResourceTopic, ResourceName: "green", PatternType: az.PatternPrefixed, Principal: "User:bob", Host: "*", Operation: az.OpRead, Permission: az.PermAllow}
	got = auditMessage(rc, az.NewAction(az.OpRead, az.ResourceTopic, "green1"), az.Decision{Result: az.Allow, Rule: az.RuleMatchingACL, ACL: &allow})
	want = "Principal = User:bob is Allowed operation = READ from host = 127.0.0.1 on resource = Topic:LITERAL:green1 for request = Fetch with resourceRefCount = 1 based on rule MatchingAcl(acl=StandardAcl(resourceType=TOPIC, resourceName=green, patternType=PREFIXED, principal=User:bob, host=*, operation=READ, permissionType=ALLOW))"
	if got != want {
		t.Fatalf("audit line:\n got %s\nwant %s", got, want)
	}
	names := map[int16]string{0: "Produce", 1: "Fetch", 3: "Metadata", 8: "OffsetCommit", 17: "SaslHandshake", 22: "InitProducerId", 29: "DescribeAcls",
		30: "CreateAcls", 31: "DeleteAcls", 36: "SaslAuthenticate", 45: "AlterPartitionReassignments", 50: "DescribeUserScramCredentials",
		51: "AlterUserScramCredentials", 60: "DescribeCluster", 67: "AllocateProducerIds", 75: "DescribeTopicPartitions"}
	for k, n := range names {
		if got := apiName(k); got != n {
			t.Errorf("apiName(%d) = %s, want Kafka's %s", k, got, n)
		}
	}
	rc.Subject.User = principal.Group("ops")
	rc.APIKey = 22
	got = auditMessage(rc, az.ProbeAction(az.OpWrite, az.ResourceTransactionalID), az.Decision{Result: az.Allow, Rule: az.RuleSuperUser})
	want = "Principal = Group:ops is Allowed operation = WRITE from host = 127.0.0.1 on resource = TransactionalId:LITERAL:hardcode for request = InitProducerId with resourceRefCount = 0 based on rule SuperUser"
	if got != want {
		t.Fatalf("audit line:\n got %s\nwant %s", got, want)
	}
}
