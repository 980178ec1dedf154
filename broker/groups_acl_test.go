package broker

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
)

func (g *grantAuthorizer) set(keys ...grantKey) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.grants = map[grantKey]bool{}
	for _, k := range keys {
		g.grants[k] = true
	}
}

var allGrants = []grantKey{
	{az.OpAll, az.ResourceTopic, "*"}, {az.OpAll, az.ResourceGroup, "*"},
	{az.OpAll, az.ResourceCluster, "*"}, {az.OpAll, az.ResourceTransactionalID, "*"},
}

func gk(op az.Operation, rt az.ResourceType, name string) grantKey { return grantKey{op, rt, name} }

// TestGroupAndTxnACLs checks each API's checks against authorization.md
// §2: the operation asked, and the error code and place of a denial.
func TestGroupAndTxnACLs(t *testing.T) {
	grants := newGrants(allGrants...)
	f := newGroupFixture(t, func(c *Config) { c.Authorizer = grants })
	member, gen := f.stable("g", nil)
	f.stable("other", nil)
	if code := f.commit("g", member, gen, "t", "", 8); code != 0 {
		t.Fatal(kerr.ErrorForCode(code))
	}
	x := newRawTxn(t, f.cl, "x")

	G, T, C, X := az.ResourceGroup, az.ResourceTopic, az.ResourceCluster, az.ResourceTransactionalID
	for name, tc := range map[string]struct {
		grants []grantKey
		run    func(t *testing.T) int16
		want   int16
	}{
		"FindCoordinator group without DESCRIBE (v3: top-level)": {nil, func(t *testing.T) int16 {
			r := kmsg.NewPtrFindCoordinatorRequest()
			r.CoordinatorKey = "g"
			resp := send[*kmsg.FindCoordinatorResponse](t, f.cl, r, 3)
			if resp.NodeID != -1 || deref(resp.ErrorMessage) != "Group authorization failed." {
				t.Errorf("denied coordinator: node %d message %q", resp.NodeID, deref(resp.ErrorMessage))
			}
			return resp.ErrorCode
		}, kerr.GroupAuthorizationFailed.Code},
		"FindCoordinator group with READ (implies DESCRIBE)": {[]grantKey{gk(az.OpRead, G, "g")}, func(t *testing.T) int16 {
			r := kmsg.NewPtrFindCoordinatorRequest()
			r.CoordinatorKeys = []string{"g"}
			resp := send[*kmsg.FindCoordinatorResponse](t, f.cl, r, 4)
			if resp.Coordinators[0].NodeID != 1 || resp.Coordinators[0].Port == -1 { // startBroker uses node id 1
				t.Errorf("coordinator %+v", resp.Coordinators[0])
			}
			return resp.Coordinators[0].ErrorCode
		}, 0},
		"FindCoordinator transaction without DESCRIBE (v4: per key)": {[]grantKey{gk(az.OpRead, G, "*")}, func(t *testing.T) int16 {
			r := kmsg.NewPtrFindCoordinatorRequest()
			r.CoordinatorType = 1
			r.CoordinatorKeys = []string{"x"}
			return send[*kmsg.FindCoordinatorResponse](t, f.cl, r, 4).Coordinators[0].ErrorCode
		}, kerr.TransactionalIDAuthorizationFailed.Code},
		"JoinGroup with DESCRIBE only": {[]grantKey{gk(az.OpDescribe, G, "g")}, func(t *testing.T) int16 {
			return f.join(joinReq("g", ""), 9).ErrorCode
		}, kerr.GroupAuthorizationFailed.Code},
		"Heartbeat with DESCRIBE only": {[]grantKey{gk(az.OpDescribe, G, "g")}, func(t *testing.T) int16 {
			return f.heartbeat("g", member, gen, nil)
		}, kerr.GroupAuthorizationFailed.Code},
		"SyncGroup with DESCRIBE only": {[]grantKey{gk(az.OpDescribe, G, "g")}, func(t *testing.T) int16 {
			return f.syncGroup("g", member, gen, nil).ErrorCode
		}, kerr.GroupAuthorizationFailed.Code},
		"LeaveGroup with DESCRIBE only": {[]grantKey{gk(az.OpDescribe, G, "g")}, func(t *testing.T) int16 {
			r := kmsg.NewPtrLeaveGroupRequest()
			r.Group = "g"
			r.Members = []kmsg.LeaveGroupRequestMember{{MemberID: member}}
			resp := send[*kmsg.LeaveGroupResponse](t, f.cl, r, 5)
			if len(resp.Members) != 0 {
				t.Errorf("denied leave lists members: %+v", resp.Members)
			}
			return resp.ErrorCode
		}, kerr.GroupAuthorizationFailed.Code},
		"OffsetCommit without group READ": {[]grantKey{gk(az.OpRead, T, "t")}, func(t *testing.T) int16 {
			return f.commit("g", member, gen, "t", "", 8)
		}, kerr.GroupAuthorizationFailed.Code},
		"OffsetCommit with topic DESCRIBE only": {[]grantKey{gk(az.OpRead, G, "g"), gk(az.OpDescribe, T, "t")}, func(t *testing.T) int16 {
			return f.commit("g", member, gen, "t", "", 8)
		}, kerr.TopicAuthorizationFailed.Code},
		"OffsetCommit to a missing topic, unauthorized": {[]grantKey{gk(az.OpRead, G, "g")}, func(t *testing.T) int16 {
			return f.commit("g", member, gen, "missing", "", 8)
		}, kerr.TopicAuthorizationFailed.Code},
		"OffsetCommit to a missing topic, authorized": {[]grantKey{gk(az.OpRead, G, "g"), gk(az.OpRead, T, "missing")}, func(t *testing.T) int16 {
			return f.commit("g", member, gen, "missing", "", 8)
		}, kerr.UnknownTopicOrPartition.Code},
		"OffsetFetch v7 without group DESCRIBE: top-level": {nil, func(t *testing.T) int16 {
			r := kmsg.NewPtrOffsetFetchRequest()
			r.Group = "g"
			resp := send[*kmsg.OffsetFetchResponse](t, f.cl, r, 7)
			if len(resp.Topics) != 0 {
				t.Errorf("denied fetch lists topics")
			}
			return resp.ErrorCode
		}, kerr.GroupAuthorizationFailed.Code},
		"OffsetFetch v1 without group DESCRIBE: per partition": {nil, func(t *testing.T) int16 {
			r := kmsg.NewPtrOffsetFetchRequest()
			r.Group = "g"
			r.Topics = []kmsg.OffsetFetchRequestTopic{{Topic: "t", Partitions: []int32{0}}}
			p := send[*kmsg.OffsetFetchResponse](t, f.cl, r, 1).Topics[0].Partitions[0]
			if p.Offset != -1 {
				t.Errorf("offset %d leaked", p.Offset)
			}
			return p.ErrorCode
		}, kerr.GroupAuthorizationFailed.Code},
		"OffsetFetch v8 named topic without topic DESCRIBE": {[]grantKey{gk(az.OpDescribe, G, "g")}, func(t *testing.T) int16 {
			r := kmsg.NewPtrOffsetFetchRequest()
			r.Groups = []kmsg.OffsetFetchRequestGroup{{Group: "g", Topics: []kmsg.OffsetFetchRequestGroupTopic{{Topic: "t", Partitions: []int32{0}}}}}
			p := send[*kmsg.OffsetFetchResponse](t, f.cl, r, 8).Groups[0].Topics[0].Partitions[0]
			if p.Offset != -1 {
				t.Errorf("offset %d leaked", p.Offset)
			}
			return p.ErrorCode
		}, kerr.TopicAuthorizationFailed.Code},
		"OffsetFetch v8 all partitions drops unauthorized topics": {[]grantKey{gk(az.OpDescribe, G, "g")}, func(t *testing.T) int16 {
			r := kmsg.NewPtrOffsetFetchRequest()
			r.Groups = []kmsg.OffsetFetchRequestGroup{{Group: "g"}, {Group: "other"}}
			resp := send[*kmsg.OffsetFetchResponse](t, f.cl, r, 8)
			if len(resp.Groups[0].Topics) != 0 {
				t.Errorf("unauthorized topic listed: %+v", resp.Groups[0].Topics)
			}
			return resp.Groups[1].ErrorCode
		}, kerr.GroupAuthorizationFailed.Code},
		"ListGroups without cluster DESCRIBE filters quietly": {[]grantKey{gk(az.OpDescribe, G, "other")}, func(t *testing.T) int16 {
			resp := send[*kmsg.ListGroupsResponse](t, f.cl, kmsg.NewPtrListGroupsRequest(), 4)
			if len(resp.Groups) != 1 || resp.Groups[0].Group != "other" {
				t.Errorf("listed %+v, want only other", resp.Groups)
			}
			return resp.ErrorCode
		}, 0},
		"ListGroups with cluster DESCRIBE lists all": {[]grantKey{gk(az.OpDescribe, C, "kafka-cluster")}, func(t *testing.T) int16 {
			resp := send[*kmsg.ListGroupsResponse](t, f.cl, kmsg.NewPtrListGroupsRequest(), 4)
			if len(resp.Groups) != 2 {
				t.Errorf("listed %+v, want both groups", resp.Groups)
			}
			return resp.ErrorCode
		}, 0},
		"DescribeGroups without DESCRIBE": {[]grantKey{gk(az.OpDescribe, G, "other")}, func(t *testing.T) int16 {
			r := kmsg.NewPtrDescribeGroupsRequest()
			r.Groups = []string{"g", "other"}
			r.IncludeAuthorizedOperations = true
			resp := send[*kmsg.DescribeGroupsResponse](t, f.cl, r, 5)
			if g := resp.Groups[0]; g.State != "" || len(g.Members) != 0 || g.AuthorizedOperations != int32Min {
				t.Errorf("denied group described: %+v", g)
			}
			if ops := resp.Groups[1].AuthorizedOperations; ops != 1<<az.OpDescribe {
				t.Errorf("authorized operations %d, want DESCRIBE only", ops)
			}
			return resp.Groups[0].ErrorCode
		}, kerr.GroupAuthorizationFailed.Code},
		"DescribeGroups authorized operations of group ALL": {[]grantKey{gk(az.OpAll, G, "g")}, func(t *testing.T) int16 {
			r := kmsg.NewPtrDescribeGroupsRequest()
			r.Groups = []string{"g"}
			r.IncludeAuthorizedOperations = true
			if ops := send[*kmsg.DescribeGroupsResponse](t, f.cl, r, 5).Groups[0].AuthorizedOperations; ops != 3400 {
				t.Errorf("authorized operations %d, want 3400", ops)
			}
			r.IncludeAuthorizedOperations = false
			if ops := send[*kmsg.DescribeGroupsResponse](t, f.cl, r, 5).Groups[0].AuthorizedOperations; ops != int32Min {
				t.Errorf("authorized operations %d when not asked", ops)
			}
			return 0
		}, 0},
		"DeleteGroups with DESCRIBE only": {[]grantKey{gk(az.OpDescribe, G, "*")}, func(t *testing.T) int16 {
			r := kmsg.NewPtrDeleteGroupsRequest()
			r.Groups = []string{"g"}
			return send[*kmsg.DeleteGroupsResponse](t, f.cl, r, 2).Groups[0].ErrorCode
		}, kerr.GroupAuthorizationFailed.Code},
		"OffsetDelete without group DELETE": {[]grantKey{gk(az.OpRead, G, "g"), gk(az.OpRead, T, "t")}, func(t *testing.T) int16 {
			r := kmsg.NewPtrOffsetDeleteRequest()
			r.Group = "g"
			r.Topics = []kmsg.OffsetDeleteRequestTopic{{Topic: "t", Partitions: []kmsg.OffsetDeleteRequestTopicPartition{{Partition: 0}}}}
			return send[*kmsg.OffsetDeleteResponse](t, f.cl, r, 0).ErrorCode
		}, kerr.GroupAuthorizationFailed.Code},
		"OffsetDelete without topic READ": {[]grantKey{gk(az.OpDelete, G, "g"), gk(az.OpDescribe, T, "t")}, func(t *testing.T) int16 {
			r := kmsg.NewPtrOffsetDeleteRequest()
			r.Group = "g"
			r.Topics = []kmsg.OffsetDeleteRequestTopic{{Topic: "t", Partitions: []kmsg.OffsetDeleteRequestTopicPartition{{Partition: 0}}}}
			return send[*kmsg.OffsetDeleteResponse](t, f.cl, r, 0).Topics[0].Partitions[0].ErrorCode
		}, kerr.TopicAuthorizationFailed.Code},
		"InitProducerId without transactional id WRITE": {[]grantKey{gk(az.OpDescribe, X, "x")}, func(t *testing.T) int16 {
			r := &rawTxn{t: t, cl: f.cl, id: "x"}
			return r.init(60000, -1, -1, 4).ErrorCode
		}, kerr.TransactionalIDAuthorizationFailed.Code},
		"AddPartitionsToTxn without transactional id WRITE": {[]grantKey{gk(az.OpWrite, T, "t")}, func(t *testing.T) int16 {
			return x.addPartitions(3, map[string][]int32{"t": {0}})["t"][0]
		}, kerr.TransactionalIDAuthorizationFailed.Code},
		"AddPartitionsToTxn: one topic unauthorized fails all": {[]grantKey{gk(az.OpWrite, X, "x"), gk(az.OpWrite, T, "t")}, func(t *testing.T) int16 {
			res := x.addPartitions(3, map[string][]int32{"t": {0}, "u": {0}})
			if res["t"][0] != kerr.OperationNotAttempted.Code {
				t.Errorf("authorized partition: %v", kerr.ErrorForCode(res["t"][0]))
			}
			return res["u"][0]
		}, kerr.TopicAuthorizationFailed.Code},
		"AddPartitionsToTxn to an internal topic": {[]grantKey{gk(az.OpWrite, X, "x"), gk(az.OpAll, T, "*")}, func(t *testing.T) int16 {
			return x.addPartitions(3, map[string][]int32{"__consumer_offsets": {0}})["__consumer_offsets"][0]
		}, kerr.TopicAuthorizationFailed.Code},
		"Produce of a transactional batch without transactional id WRITE": {[]grantKey{gk(az.OpWrite, T, "t")}, func(t *testing.T) int16 {
			return produceRaw(t, f, sp("x"), true)
		}, kerr.TransactionalIDAuthorizationFailed.Code},
		"Produce of a transactional batch with a null transactional id": {[]grantKey{gk(az.OpAll, X, "*"), gk(az.OpWrite, T, "t")}, func(t *testing.T) int16 {
			return produceRaw(t, f, nil, true)
		}, kerr.TransactionalIDAuthorizationFailed.Code},
		"Produce of a plain batch checks no transactional id": {[]grantKey{gk(az.OpWrite, T, "t")}, func(t *testing.T) int16 {
			return produceRaw(t, f, sp("x"), false)
		}, 0},
		"AddOffsetsToTxn without group READ": {[]grantKey{gk(az.OpWrite, X, "x"), gk(az.OpDescribe, G, "g")}, func(t *testing.T) int16 {
			return x.addOffsets("g")
		}, kerr.GroupAuthorizationFailed.Code},
		"AddOffsetsToTxn without transactional id WRITE": {[]grantKey{gk(az.OpRead, G, "g")}, func(t *testing.T) int16 {
			return x.addOffsets("g")
		}, kerr.TransactionalIDAuthorizationFailed.Code},
		"EndTxn without transactional id WRITE": {[]grantKey{gk(az.OpDescribe, X, "x")}, func(t *testing.T) int16 {
			return x.end(true, 3)
		}, kerr.TransactionalIDAuthorizationFailed.Code},
		"TxnOffsetCommit without transactional id WRITE": {[]grantKey{gk(az.OpRead, G, "g"), gk(az.OpRead, T, "t")}, func(t *testing.T) int16 {
			return x.commitOffset("g", "t", 1)
		}, kerr.TransactionalIDAuthorizationFailed.Code},
		"TxnOffsetCommit without group READ": {[]grantKey{gk(az.OpWrite, X, "x"), gk(az.OpRead, T, "t")}, func(t *testing.T) int16 {
			return x.commitOffset("g", "t", 1)
		}, kerr.GroupAuthorizationFailed.Code},
		"TxnOffsetCommit without topic READ": {[]grantKey{gk(az.OpWrite, X, "x"), gk(az.OpRead, G, "g"), gk(az.OpWrite, T, "t")}, func(t *testing.T) int16 {
			return x.commitOffset("g", "t", 1)
		}, kerr.TopicAuthorizationFailed.Code},
	} {
		t.Run(name, func(t *testing.T) {
			grants.set(tc.grants...)
			defer grants.set(allGrants...)
			if got := tc.run(t); got != tc.want {
				t.Fatalf("got %v, want %v", kerr.ErrorForCode(got), kerr.ErrorForCode(tc.want))
			}
		})
	}
}

// produceRaw sends one batch of a fresh producer id to t-1.
func produceRaw(t *testing.T, f *groupFixture, txnID *string, transactional bool) int16 {
	req := kmsg.NewPtrProduceRequest()
	req.TransactionID = txnID
	req.Acks, req.TimeoutMillis = -1, 5000
	req.Topics = []kmsg.ProduceRequestTopic{{Topic: "t", Partitions: []kmsg.ProduceRequestTopicPartition{{
		Partition: 1, Records: recordBatch(-1, -1, -1, transactional, "v"),
	}}}}
	return send[*kmsg.ProduceResponse](t, f.cl, req, 9).Topics[0].Partitions[0].ErrorCode
}
