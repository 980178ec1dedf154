package broker

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka/authorizer/acl"
)

// TestACLAPIsRoundTrip drives CreateAcls, DescribeAcls and DeleteAcls over
// the wire against the ACL manager (authorization itself off, so the
// anonymous client may manage ACLs).
func TestACLAPIsRoundTrip(t *testing.T) {
	mgr, err := acl.NewMemory()
	if err != nil {
		t.Fatal(err)
	}
	_, addr := startBroker(t, func(c *Config) { c.ACLs = mgr })
	cl := newClient(t, addr)

	cr := kmsg.NewPtrCreateACLsRequest()
	for _, name := range []string{"orders", "payments"} {
		c := kmsg.NewCreateACLsRequestCreation()
		c.ResourceType, c.ResourceName, c.ResourcePatternType = kmsg.ACLResourceTypeTopic, name, kmsg.ACLResourcePatternTypeLiteral
		c.Principal, c.Host, c.Operation, c.PermissionType = "Group:ops", "*", kmsg.ACLOperationWrite, kmsg.ACLPermissionTypeAllow
		cr.Creations = append(cr.Creations, c)
	}
	bad := kmsg.NewCreateACLsRequestCreation()
	bad.ResourceType, bad.ResourceName, bad.ResourcePatternType = kmsg.ACLResourceTypeCluster, "not-the-cluster", kmsg.ACLResourcePatternTypeLiteral
	bad.Principal, bad.Host, bad.Operation, bad.PermissionType = "User:a", "*", kmsg.ACLOperationAlter, kmsg.ACLPermissionTypeAllow
	cr.Creations = append(cr.Creations, bad)
	cresp := request[*kmsg.CreateACLsResponse](t, cl, cr)
	if len(cresp.Results) != 3 || cresp.Results[0].ErrorCode != 0 || cresp.Results[1].ErrorCode != 0 || cresp.Results[2].ErrorCode != kerr.InvalidRequest.Code {
		t.Fatalf("CreateAcls results = %+v", cresp.Results)
	}

	dr := kmsg.NewPtrDescribeACLsRequest()
	dr.ResourceType, dr.ResourcePatternType = kmsg.ACLResourceTypeTopic, kmsg.ACLResourcePatternTypeMatch
	dr.ResourceName = strp("orders")
	dr.Operation, dr.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	dresp := request[*kmsg.DescribeACLsResponse](t, cl, dr)
	if dresp.ErrorCode != 0 || len(dresp.Resources) != 1 || dresp.Resources[0].ResourceName != "orders" || len(dresp.Resources[0].ACLs) != 1 || dresp.Resources[0].ACLs[0].Principal != "Group:ops" {
		t.Fatalf("DescribeAcls = %+v", dresp)
	}

	del := kmsg.NewPtrDeleteACLsRequest()
	f := kmsg.NewDeleteACLsRequestFilter()
	f.ResourceType, f.ResourcePatternType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny
	f.Principal = strp("Group:ops")
	f.Operation, f.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	del.Filters = append(del.Filters, f)
	delResp := request[*kmsg.DeleteACLsResponse](t, cl, del)
	if len(delResp.Results) != 1 || delResp.Results[0].ErrorCode != 0 || len(delResp.Results[0].MatchingACLs) != 2 {
		t.Fatalf("DeleteAcls = %+v", delResp.Results)
	}
	dr.ResourceType, dr.ResourceName, dr.ResourcePatternType = kmsg.ACLResourceTypeAny, nil, kmsg.ACLResourcePatternTypeAny
	if dresp := request[*kmsg.DescribeACLsResponse](t, cl, dr); len(dresp.Resources) != 0 {
		t.Fatalf("ACLs left after delete: %+v", dresp.Resources)
	}
}
