package broker

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// joinAsync sends a JoinGroup on its own connection and delivers the
// answer on the returned channel.
func (f *groupFixture) joinAsync(r *kmsg.JoinGroupRequest, v int16) <-chan *kmsg.JoinGroupResponse {
	cl := newClient(f.t, f.b.Listeners()[0].Addr)
	ch := make(chan *kmsg.JoinGroupResponse, 1)
	go func() {
		r.SetVersion(v)
		resp, err := cl.Request(testContext(f.t, 60*time.Second), pinned{r})
		if err != nil {
			ch <- nil
			return
		}
		ch <- resp.(*kmsg.JoinGroupResponse)
	}()
	return ch
}

func (f *groupFixture) awaitJoin(ch <-chan *kmsg.JoinGroupResponse) *kmsg.JoinGroupResponse {
	f.t.Helper()
	select {
	case r := <-ch:
		if r == nil {
			f.t.Fatal("join request failed")
		}
		return r
	case <-time.After(30 * time.Second):
		f.t.Fatal("join not answered")
		return nil
	}
}

// waitMembers waits until the group has n members awaiting the join.
func (f *groupFixture) waitJoining(group string, n int) {
	f.t.Helper()
	eventually(f.t, 10*time.Second, func() error {
		f.b.groups.mu.Lock()
		defer f.b.groups.mu.Unlock()
		g := f.b.groups.groups[group]
		waiting := 0
		if g != nil {
			for _, m := range g.members {
				if m.join != nil {
					waiting++
				}
			}
		}
		if waiting != n {
			return fmt.Errorf("%d members awaiting the join, want %d", waiting, n)
		}
		return nil
	})
}

func notAnswered(t *testing.T, ch <-chan *kmsg.JoinGroupResponse) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("join answered early: %+v", r)
	default:
	}
}

func TestSessionTimeoutExpiresMember(t *testing.T) {
	f := newGroupFixture(t, nil)
	m, gen := f.stable("expiring", nil)
	f.clock.Advance(9 * time.Second)
	if code := f.heartbeat("expiring", m, gen, nil); code != 0 {
		t.Fatalf("heartbeat within the session: %v", kerr.ErrorForCode(code))
	}
	f.clock.Advance(9 * time.Second) // 9s after the heartbeat: still alive
	f.b.groups.tick()
	if s := f.state("expiring"); s != groupStable {
		t.Fatalf("group %v before the session timeout", s)
	}
	f.clock.Advance(2 * time.Second)
	eventually(t, 10*time.Second, func() error {
		if s := f.state("expiring"); s != groupEmpty {
			return fmt.Errorf("group %v", s)
		}
		return nil
	})
	if _, g2, _ := f.b.groups.snapshot("expiring"); g2 != gen+1 {
		t.Fatalf("generation %d after the member expired, want %d", g2, gen+1)
	}
	if code := f.heartbeat("expiring", m, gen, nil); code != kerr.UnknownMemberID.Code {
		t.Fatalf("heartbeat of the expired member: %v", kerr.ErrorForCode(code))
	}
}

func TestRebalanceTimeoutDropsMembersThatDoNotRejoin(t *testing.T) {
	f := newGroupFixture(t, nil)
	a, _ := f.stable("slow-rejoin", nil)
	bReq := joinReq("slow-rejoin", "")
	bReq.SessionTimeoutMillis = 30000
	bCh := f.joinAsync(bReq, 3)
	f.waitJoining("slow-rejoin", 1)
	// A learns of the rebalance from its heartbeat and rejoins: gen 2.
	if code := f.heartbeat("slow-rejoin", a, 1, nil); code != kerr.RebalanceInProgress.Code {
		t.Fatalf("heartbeat during the rebalance: %v", kerr.ErrorForCode(code))
	}
	aResp := f.join(joinReq("slow-rejoin", a), 3)
	bResp := f.awaitJoin(bCh)
	if aResp.Generation != 2 || bResp.Generation != 2 || aResp.LeaderID != a || len(aResp.Members) != 2 || len(bResp.Members) != 0 {
		t.Fatalf("gen 2 joins: a %+v b %+v", aResp, bResp)
	}
	f.syncGroup("slow-rejoin", a, 2, map[string][]byte{a: []byte("x"), bResp.MemberID: []byte("y")})
	if sr := f.syncGroup("slow-rejoin", bResp.MemberID, 2, nil); string(sr.MemberAssignment) != "y" {
		t.Fatalf("follower assignment %q", sr.MemberAssignment)
	}

	// The leader rejoins (forcing a rebalance); B stays silent past the
	// 10s rebalance timeout but within its 30s session.
	aCh := f.joinAsync(joinReq("slow-rejoin", a), 3)
	f.waitJoining("slow-rejoin", 1)
	f.clock.Advance(5 * time.Second)
	f.b.groups.tick()
	notAnswered(t, aCh)
	f.clock.Advance(6 * time.Second)
	aResp = f.awaitJoin(aCh)
	if aResp.ErrorCode != 0 || aResp.Generation != 3 || len(aResp.Members) != 1 {
		t.Fatalf("after the rebalance timeout: %+v", aResp)
	}
	if code := f.heartbeat("slow-rejoin", bResp.MemberID, 2, nil); code != kerr.UnknownMemberID.Code {
		t.Fatalf("the dropped member's heartbeat: %v", kerr.ErrorForCode(code))
	}
}

func TestInitialRebalanceDelayGathersMembers(t *testing.T) {
	f := newGroupFixture(t, func(c *Config) { c.GroupInitialRebalance = 3 * time.Second })
	first := f.joinAsync(joinReq("delayed", ""), 3)
	f.waitJoining("delayed", 1)
	second := f.joinAsync(joinReq("delayed", ""), 3)
	f.waitJoining("delayed", 2)
	f.b.groups.tick()
	notAnswered(t, first)
	notAnswered(t, second)
	// A member arrived during the delay: it is extended once more.
	f.clock.Advance(3 * time.Second)
	f.b.groups.tick()
	notAnswered(t, first)
	f.clock.Advance(3 * time.Second)
	r1, r2 := f.awaitJoin(first), f.awaitJoin(second)
	if r1.Generation != 1 || r2.Generation != 1 || r1.LeaderID != r2.LeaderID || len(r1.Members)+len(r2.Members) != 2 {
		t.Fatalf("joins after the initial delay: %+v / %+v", r1, r2)
	}
}

func TestPendingSyncExpiryRemovesMembers(t *testing.T) {
	f := newGroupFixture(t, nil)
	jr := f.join(joinReq("no-sync", ""), 3)
	if jr.ErrorCode != 0 {
		t.Fatal(kerr.ErrorForCode(jr.ErrorCode))
	}
	f.clock.Advance(11 * time.Second)
	eventually(t, 10*time.Second, func() error {
		if s := f.state("no-sync"); s != groupEmpty {
			return fmt.Errorf("group %v", s)
		}
		return nil
	})
}

func TestStaticRejoinFencesWaitingJoin(t *testing.T) {
	f := newGroupFixture(t, nil)
	old, _ := f.stable("fence", sp("pod-1"))
	// A second, dynamic member: generation 2 with both.
	m2Ch := f.joinAsync(joinReq("fence", ""), 3)
	f.waitJoining("fence", 1)
	r := joinReq("fence", old)
	r.InstanceID = sp("pod-1")
	if got := f.join(r, 5); got.Generation != 2 {
		t.Fatalf("static rejoin: %+v", got)
	}
	m2 := f.awaitJoin(m2Ch).MemberID
	f.syncGroup("fence", old, 2, map[string][]byte{old: []byte("a"), m2: []byte("b")})

	// A third member starts a rebalance; the static member rejoins with
	// its id and waits for m2.
	thirdCh := f.joinAsync(joinReq("fence", ""), 3)
	f.waitJoining("fence", 1)
	oldCh := f.joinAsync(r, 5)
	f.waitJoining("fence", 2)
	// The same instance restarts with no member id: the old id is fenced.
	r2 := joinReq("fence", "")
	r2.InstanceID = sp("pod-1")
	newCh := f.joinAsync(r2, 5)
	if got := f.awaitJoin(oldCh); got.ErrorCode != kerr.FencedInstanceID.Code {
		t.Fatalf("the replaced member's join: %v", kerr.ErrorForCode(got.ErrorCode))
	}
	f.waitJoining("fence", 2)
	if got := f.join(joinReq("fence", m2), 3); got.ErrorCode != 0 || got.Generation != 3 {
		t.Fatalf("m2 rejoin: %+v", got)
	}
	n, third := f.awaitJoin(newCh), f.awaitJoin(thirdCh)
	if n.ErrorCode != 0 || third.ErrorCode != 0 || n.Generation != 3 || n.MemberID == old {
		t.Fatalf("joins after the replacement: %+v / %+v", n, third)
	}
	if !strings.HasPrefix(n.MemberID, "pod-1-") {
		t.Fatalf("static member id %q does not start with its instance id", n.MemberID)
	}
	if n.LeaderID != n.MemberID || len(n.Members) != 3 {
		t.Fatalf("the replaced leader keeps leadership under its new id: %+v", n)
	}
	if code := f.heartbeat("fence", old, 3, sp("pod-1")); code != kerr.FencedInstanceID.Code {
		t.Fatalf("heartbeat with the old id: %v", kerr.ErrorForCode(code))
	}
}

func TestJoinWaitEndsWhenBrokerCloses(t *testing.T) {
	f := newGroupFixture(t, nil)
	a, _ := f.stable("closing", nil)
	_ = a
	waiting := f.joinAsync(joinReq("closing", ""), 3)
	f.waitJoining("closing", 1)
	closed := make(chan error, 1)
	go func() { closed <- f.b.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Close hangs on a waiting JoinGroup")
	}
	select {
	case <-waiting:
	case <-time.After(20 * time.Second):
		t.Fatal("the waiting JoinGroup never ended")
	}
}

func TestEmptyGroupsAndExpiredOffsetsAreCleanedUp(t *testing.T) {
	f := newGroupFixture(t, nil)
	m, _ := f.stable("left", nil)
	lv := kmsg.NewPtrLeaveGroupRequest()
	lv.Group, lv.MemberID = "left", m
	if code := send[*kmsg.LeaveGroupResponse](t, f.cl, lv, 0).ErrorCode; code != 0 {
		t.Fatal(kerr.ErrorForCode(code))
	}
	if code := f.commit("kept", "", -1, "t", "", 8); code != 0 {
		t.Fatal(kerr.ErrorForCode(code))
	}
	if f.state("left") != groupEmpty || f.state("kept") != groupEmpty {
		t.Fatalf("states %v %v, want Empty", f.state("left"), f.state("kept"))
	}
	f.clock.Advance(offsetsCleanupInterval)
	f.b.groups.tick()
	if f.state("left") != groupDead {
		t.Fatal("an empty group without offsets survived the cleanup")
	}
	if f.state("kept") != groupEmpty {
		t.Fatal("a group with offsets was deleted before the retention")
	}
	f.clock.Advance(7 * 24 * time.Hour)
	f.b.groups.tick()
	if f.state("kept") != groupDead {
		t.Fatal("offsets of a group empty for offsets.retention did not expire")
	}
}
