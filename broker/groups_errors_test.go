package broker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// groupFixture drives the group protocol with raw requests over a real
// connection.
type groupFixture struct {
	t     *testing.T
	b     *Broker
	cl    *kgo.Client
	clock *testClock
}

func newGroupFixture(t *testing.T, mod func(*Config)) *groupFixture {
	clock := newTestClock()
	b, addr := startGroupBroker(t, func(c *Config) {
		c.Now = clock.Now
		if mod != nil {
			mod(c)
		}
	})
	f := &groupFixture{t: t, b: b, cl: newClient(t, addr), clock: clock}
	createGroupTopic(t, testContext(t, 10*time.Second), f.cl, "t", 2)
	return f
}

func consumerMeta(topics ...string) []byte {
	m := kmsg.NewConsumerMemberMetadata()
	m.Topics = topics
	return m.AppendTo(nil)
}

func joinReq(group, member string) *kmsg.JoinGroupRequest {
	r := kmsg.NewPtrJoinGroupRequest()
	r.Group, r.MemberID = group, member
	r.SessionTimeoutMillis, r.RebalanceTimeoutMillis = 10000, 10000
	r.ProtocolType = "consumer"
	r.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: consumerMeta("t")}}
	return r
}

func (f *groupFixture) join(r *kmsg.JoinGroupRequest, v int16) *kmsg.JoinGroupResponse {
	return send[*kmsg.JoinGroupResponse](f.t, f.cl, r, v)
}

func (f *groupFixture) syncGroup(group, member string, gen int32, assign map[string][]byte) *kmsg.SyncGroupResponse {
	r := kmsg.NewPtrSyncGroupRequest()
	r.Group, r.MemberID, r.Generation = group, member, gen
	for m, a := range assign {
		r.GroupAssignment = append(r.GroupAssignment, kmsg.SyncGroupRequestGroupAssignment{MemberID: m, MemberAssignment: a})
	}
	return send[*kmsg.SyncGroupResponse](f.t, f.cl, r, 4)
}

func (f *groupFixture) heartbeat(group, member string, gen int32, instance *string) int16 {
	r := kmsg.NewPtrHeartbeatRequest()
	r.Group, r.MemberID, r.Generation, r.InstanceID = group, member, gen, instance
	return send[*kmsg.HeartbeatResponse](f.t, f.cl, r, 4).ErrorCode
}

// stable makes a Stable one-member group and returns the member id and
// generation; instance sets a group instance id.
func (f *groupFixture) stable(group string, instance *string) (string, int32) {
	r := joinReq(group, "")
	r.InstanceID = instance
	v := int16(3) // before v4, no MEMBER_ID_REQUIRED round
	if instance != nil {
		v = 5 // static members skip it too
	}
	jr := f.join(r, v)
	if jr.ErrorCode != 0 || jr.LeaderID != jr.MemberID {
		f.t.Fatalf("join: %v, leader %q member %q", kerr.ErrorForCode(jr.ErrorCode), jr.LeaderID, jr.MemberID)
	}
	sr := f.syncGroup(group, jr.MemberID, jr.Generation, map[string][]byte{jr.MemberID: []byte("assignment")})
	if sr.ErrorCode != 0 || string(sr.MemberAssignment) != "assignment" {
		f.t.Fatalf("sync: %v %q", kerr.ErrorForCode(sr.ErrorCode), sr.MemberAssignment)
	}
	return jr.MemberID, jr.Generation
}

func (f *groupFixture) state(group string) groupState {
	s, _, _ := f.b.groups.snapshot(group)
	return s
}

func (f *groupFixture) commit(group, member string, gen int32, topic string, metadata string, v int16) int16 {
	r := kmsg.NewPtrOffsetCommitRequest()
	r.Group, r.MemberID, r.Generation = group, member, gen
	p := kmsg.NewOffsetCommitRequestTopicPartition()
	p.Partition, p.Offset, p.Metadata = 0, 5, &metadata
	r.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: topic, Partitions: []kmsg.OffsetCommitRequestTopicPartition{p}}}
	return send[*kmsg.OffsetCommitResponse](f.t, f.cl, r, v).Topics[0].Partitions[0].ErrorCode
}

func sp(s string) *string { return &s }

func TestJoinGroupErrors(t *testing.T) {
	f := newGroupFixture(t, nil)
	f.stable("busy", nil)
	staticID, _ := f.stable("statics", sp("i1"))
	for name, tc := range map[string]struct {
		req     func() *kmsg.JoinGroupRequest
		version int16
		want    int16
	}{
		"empty group id": {func() *kmsg.JoinGroupRequest { return joinReq("", "") }, 9, kerr.InvalidGroupID.Code},
		"session timeout below group.min.session.timeout.ms": {func() *kmsg.JoinGroupRequest {
			r := joinReq("g", "")
			r.SessionTimeoutMillis = 1000
			return r
		}, 9, kerr.InvalidSessionTimeout.Code},
		"session timeout above the maximum": {func() *kmsg.JoinGroupRequest {
			r := joinReq("g", "")
			r.SessionTimeoutMillis = 31 * 60 * 1000
			return r
		}, 9, kerr.InvalidSessionTimeout.Code},
		"member id for a group that does not exist": {func() *kmsg.JoinGroupRequest { return joinReq("nope", "ghost") }, 9, kerr.UnknownMemberID.Code},
		"unknown member id in an existing group":    {func() *kmsg.JoinGroupRequest { return joinReq("busy", "ghost") }, 9, kerr.UnknownMemberID.Code},
		"new group without protocols": {func() *kmsg.JoinGroupRequest {
			r := joinReq("g2", "")
			r.Protocols = nil
			return r
		}, 9, kerr.InconsistentGroupProtocol.Code},
		"protocol type differing from the group's": {func() *kmsg.JoinGroupRequest {
			r := joinReq("busy", "")
			r.ProtocolType = "connect"
			return r
		}, 9, kerr.InconsistentGroupProtocol.Code},
		"no protocol in common with the group": {func() *kmsg.JoinGroupRequest {
			r := joinReq("busy", "")
			r.Protocols[0].Name = "roundrobin"
			return r
		}, 9, kerr.InconsistentGroupProtocol.Code},
		"v4+ new member must come back with its id": {func() *kmsg.JoinGroupRequest { return joinReq("fresh", "") }, 4, kerr.MemberIDRequired.Code},
		"static member id not the instance's": {func() *kmsg.JoinGroupRequest {
			r := joinReq("statics", "other-id")
			r.InstanceID = sp("i1")
			return r
		}, 9, kerr.FencedInstanceID.Code},
		"unknown instance id with a member id": {func() *kmsg.JoinGroupRequest {
			r := joinReq("statics", staticID)
			r.InstanceID = sp("i2")
			return r
		}, 9, kerr.UnknownMemberID.Code},
	} {
		t.Run(name, func(t *testing.T) {
			resp := f.join(tc.req(), tc.version)
			if resp.ErrorCode != tc.want {
				t.Fatalf("got %v, want %v", kerr.ErrorForCode(resp.ErrorCode), kerr.ErrorForCode(tc.want))
			}
			if resp.Generation != -1 {
				t.Fatalf("generation %d on an error, want -1", resp.Generation)
			}
			if tc.want == kerr.MemberIDRequired.Code && !strings.HasPrefix(resp.MemberID, "kgo-") {
				t.Fatalf("MEMBER_ID_REQUIRED carries member id %q, want client id + uuid", resp.MemberID)
			}
		})
	}
	if _, ok := f.b.groups.groups["g2"]; ok {
		t.Fatal("a join that failed left a group behind")
	}
}

func TestMemberIDRequiredThenJoin(t *testing.T) {
	f := newGroupFixture(t, nil)
	first := f.join(joinReq("two-step", ""), 9)
	if first.ErrorCode != kerr.MemberIDRequired.Code {
		t.Fatalf("first join: %v", kerr.ErrorForCode(first.ErrorCode))
	}
	second := f.join(joinReq("two-step", first.MemberID), 9)
	if second.ErrorCode != 0 || second.MemberID != first.MemberID || second.LeaderID != first.MemberID ||
		second.Generation != 1 || len(second.Members) != 1 || second.Protocol == nil || *second.Protocol != "range" ||
		second.ProtocolType == nil || *second.ProtocolType != "consumer" {
		t.Fatalf("second join: %+v", second)
	}
	if string(second.Members[0].ProtocolMetadata) != string(consumerMeta("t")) {
		t.Fatal("the leader did not get the member metadata")
	}
}

func TestHeartbeatSyncLeaveErrors(t *testing.T) {
	f := newGroupFixture(t, nil)
	m, gen := f.stable("hb", nil)
	sm, sgen := f.stable("hb-static", sp("inst"))
	for name, tc := range map[string]struct {
		code int16
		want int16
	}{
		"heartbeat of a current member":      {f.heartbeat("hb", m, gen, nil), 0},
		"heartbeat for a missing group":      {f.heartbeat("none", m, gen, nil), kerr.UnknownMemberID.Code},
		"heartbeat of an unknown member":     {f.heartbeat("hb", "ghost", gen, nil), kerr.UnknownMemberID.Code},
		"heartbeat of an old generation":     {f.heartbeat("hb", m, gen-1, nil), kerr.IllegalGeneration.Code},
		"heartbeat with an empty group id":   {f.heartbeat("", m, gen, nil), kerr.InvalidGroupID.Code},
		"heartbeat of a fenced instance":     {f.heartbeat("hb-static", "old-id", sgen, sp("inst")), kerr.FencedInstanceID.Code},
		"heartbeat of a static member":       {f.heartbeat("hb-static", sm, sgen, sp("inst")), 0},
		"sync for a missing group":           {f.syncGroup("none", m, gen, nil).ErrorCode, kerr.UnknownMemberID.Code},
		"sync of an old generation":          {f.syncGroup("hb", m, gen+1, nil).ErrorCode, kerr.IllegalGeneration.Code},
		"sync of an unknown member":          {f.syncGroup("hb", "ghost", gen, nil).ErrorCode, kerr.UnknownMemberID.Code},
		"commit for a missing group, gen 1":  {f.commit("none", m, 1, "t", "", 8), kerr.IllegalGeneration.Code},
		"commit from an old generation":      {f.commit("hb", m, gen-1, "t", "", 8), kerr.IllegalGeneration.Code},
		"simple commit to a non-empty group": {f.commit("hb", "", -1, "t", "", 8), kerr.UnknownMemberID.Code},
		"commit to a missing topic":          {f.commit("hb", m, gen, "missing", "", 8), kerr.UnknownTopicOrPartition.Code},
		"commit with oversized metadata":     {f.commit("hb", m, gen, "t", strings.Repeat("x", 4097), 8), kerr.OffsetMetadataTooLarge.Code},
		"commit from the current generation": {f.commit("hb", m, gen, "t", "meta", 8), 0},
		"simple commit creates a group":      {f.commit("simple", "", -1, "t", "", 2), 0},
	} {
		t.Run(name, func(t *testing.T) {
			if tc.code != tc.want {
				t.Fatalf("got %v, want %v", kerr.ErrorForCode(tc.code), kerr.ErrorForCode(tc.want))
			}
		})
	}
	if f.state("simple") != groupEmpty {
		t.Fatalf("simple group is %v, want Empty", f.state("simple"))
	}

	// v5 checks the protocol name and type.
	r := kmsg.NewPtrSyncGroupRequest()
	r.Group, r.MemberID, r.Generation, r.Protocol, r.ProtocolType = "hb", m, gen, sp("roundrobin"), sp("consumer")
	if code := send[*kmsg.SyncGroupResponse](t, f.cl, r, 5).ErrorCode; code != kerr.InconsistentGroupProtocol.Code {
		t.Fatalf("sync with another protocol: %v", kerr.ErrorForCode(code))
	}
	r.Protocol = sp("range")
	if sr := send[*kmsg.SyncGroupResponse](t, f.cl, r, 5); sr.ErrorCode != 0 || deref(sr.Protocol) != "range" || string(sr.MemberAssignment) != "assignment" {
		t.Fatalf("sync in a stable group: %+v", sr)
	}

	// LeaveGroup v0 carries the member's error top-level; v3+ per member.
	lv := kmsg.NewPtrLeaveGroupRequest()
	lv.Group, lv.MemberID = "hb", "ghost"
	if code := send[*kmsg.LeaveGroupResponse](t, f.cl, lv, 0).ErrorCode; code != kerr.UnknownMemberID.Code {
		t.Fatalf("v0 leave of an unknown member: %v", kerr.ErrorForCode(code))
	}
	lv = kmsg.NewPtrLeaveGroupRequest()
	lv.Group = "hb-static"
	lv.Members = []kmsg.LeaveGroupRequestMember{{InstanceID: sp("inst")}, {MemberID: "ghost"}}
	lr := send[*kmsg.LeaveGroupResponse](t, f.cl, lv, 5)
	if lr.ErrorCode != 0 || len(lr.Members) != 2 || lr.Members[0].ErrorCode != 0 || lr.Members[1].ErrorCode != kerr.UnknownMemberID.Code {
		t.Fatalf("v5 leave: %+v", lr)
	}
	if f.state("hb-static") != groupEmpty {
		t.Fatalf("after removing its static member the group is %v", f.state("hb-static"))
	}
	lv.Group = "none"
	if code := send[*kmsg.LeaveGroupResponse](t, f.cl, lv, 5).ErrorCode; code != kerr.UnknownMemberID.Code {
		t.Fatalf("leave of a missing group: %v", kerr.ErrorForCode(code))
	}
}

func TestGroupAdminAPIs(t *testing.T) {
	f := newGroupFixture(t, nil)
	m, gen := f.stable("live", nil)
	if code := f.commit("live", m, gen, "t", "m", 8); code != 0 {
		t.Fatal(kerr.ErrorForCode(code))
	}
	if code := f.commit("idle", "", -1, "t", "", 8); code != 0 {
		t.Fatal(kerr.ErrorForCode(code))
	}

	dg := kmsg.NewPtrDescribeGroupsRequest()
	dg.Groups = []string{"live", "idle", "none"}
	dr := send[*kmsg.DescribeGroupsResponse](t, f.cl, dg, 5)
	if g := dr.Groups[0]; g.State != "Stable" || g.Protocol != "range" || len(g.Members) != 1 ||
		string(g.Members[0].MemberAssignment) != "assignment" || g.Members[0].ClientHost != "/127.0.0.1" {
		t.Fatalf("describe live: %+v", g)
	}
	if g := dr.Groups[1]; g.State != "Empty" || len(g.Members) != 0 {
		t.Fatalf("describe idle: %+v", g)
	}
	if g := dr.Groups[2]; g.State != "Dead" || g.ErrorCode != 0 {
		t.Fatalf("describe missing: %+v", g)
	}

	lg := kmsg.NewPtrListGroupsRequest()
	lg.StatesFilter = []string{"empty"}
	lr := send[*kmsg.ListGroupsResponse](t, f.cl, lg, 4)
	if len(lr.Groups) != 1 || lr.Groups[0].Group != "idle" || lr.Groups[0].GroupState != "Empty" {
		t.Fatalf("list empty groups: %+v", lr.Groups)
	}

	// OffsetFetch: all partitions (v8, topics null), named, and missing.
	of := kmsg.NewPtrOffsetFetchRequest()
	of.Groups = []kmsg.OffsetFetchRequestGroup{{Group: "live"}, {Group: "none", Topics: []kmsg.OffsetFetchRequestGroupTopic{{Topic: "t", Partitions: []int32{0}}}}}
	ofr := send[*kmsg.OffsetFetchResponse](t, f.cl, of, 8)
	if g := ofr.Groups[0]; len(g.Topics) != 1 || g.Topics[0].Partitions[0].Offset != 5 || deref(g.Topics[0].Partitions[0].Metadata) != "m" {
		t.Fatalf("fetch all of live: %+v", g)
	}
	if p := ofr.Groups[1].Topics[0].Partitions[0]; p.Offset != -1 || p.ErrorCode != 0 {
		t.Fatalf("fetch of a missing group: %+v", p)
	}

	// OffsetDelete: subscribed topics of a live consumer group are kept.
	od := kmsg.NewPtrOffsetDeleteRequest()
	od.Group = "live"
	od.Topics = []kmsg.OffsetDeleteRequestTopic{{Topic: "t", Partitions: []kmsg.OffsetDeleteRequestTopicPartition{{Partition: 0}}}}
	if odr := send[*kmsg.OffsetDeleteResponse](t, f.cl, od, 0); odr.Topics[0].Partitions[0].ErrorCode != kerr.GroupSubscribedToTopic.Code {
		t.Fatalf("delete subscribed offsets: %+v", odr)
	}
	od.Group = "none"
	if odr := send[*kmsg.OffsetDeleteResponse](t, f.cl, od, 0); odr.ErrorCode != kerr.GroupIDNotFound.Code {
		t.Fatalf("delete offsets of a missing group: %+v", odr)
	}
	od.Group = "idle"
	if odr := send[*kmsg.OffsetDeleteResponse](t, f.cl, od, 0); odr.ErrorCode != 0 || odr.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("delete offsets of an empty group: %+v", odr)
	}
	if got := f.b.groups.fetchOffsets("idle", []fetchTopic{{topic: "t", partitions: []int32{0}}}, false); got[0].Partitions[0].Offset != -1 {
		t.Fatal("offset still there after OffsetDelete")
	}

	del := kmsg.NewPtrDeleteGroupsRequest()
	del.Groups = []string{"live", "idle", "none", "idle"}
	delr := send[*kmsg.DeleteGroupsResponse](t, f.cl, del, 2)
	if len(delr.Groups) != 3 || delr.Groups[0].ErrorCode != kerr.NonEmptyGroup.Code || delr.Groups[1].ErrorCode != 0 ||
		delr.Groups[2].ErrorCode != kerr.GroupIDNotFound.Code {
		t.Fatalf("delete groups: %+v", delr.Groups)
	}
	if f.state("idle") != groupDead {
		t.Fatal("deleted group still exists")
	}

	// Deleting a topic drops its committed offsets.
	if _, err := kadmDeleteTopic(f.cl, "t"); err != nil {
		t.Fatal(err)
	}
	if got := f.b.groups.fetchOffsets("live", nil, false); len(got) != 0 {
		t.Fatalf("offsets of a deleted topic remain: %+v", got)
	}
}

func kadmDeleteTopic(cl *kgo.Client, topic string) (*kmsg.DeleteTopicsResponse, error) {
	r := kmsg.NewPtrDeleteTopicsRequest()
	r.TopicNames = []string{topic}
	r.Topics = []kmsg.DeleteTopicsRequestTopic{{Topic: sp(topic)}}
	return r.RequestWith(context.Background(), cl)
}
