package broker

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka/protocol"
)

// groupMember starts a kgo consumer-group member that polls in the
// background and reports what it consumed.
type groupMember struct {
	cl   *kgo.Client
	mu   sync.Mutex
	seen []string
	done chan struct{}
}

func startMember(t *testing.T, addr, group, topic string, opts ...kgo.Opt) *groupMember {
	t.Helper()
	base := []kgo.Opt{
		kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.HeartbeatInterval(100 * time.Millisecond),
		kgo.FetchMaxWait(200 * time.Millisecond),
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt{kgo.SeedBrokers(addr)}, base...), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	m := &groupMember{cl: cl, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		for {
			fs := cl.PollFetches(context.Background())
			if fs.IsClientClosed() {
				return
			}
			fs.EachRecord(func(r *kgo.Record) {
				m.mu.Lock()
				m.seen = append(m.seen, string(r.Value))
				m.mu.Unlock()
			})
		}
	}()
	t.Cleanup(m.close)
	return m
}

func (m *groupMember) close() {
	m.cl.Close()
	<-m.done
}

func (m *groupMember) consumed() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.seen...)
}

// waitStable waits until the group is Stable with n members whose
// assignments split all partitions of topic without overlap.
func waitStable(t *testing.T, adm *kadm.Client, group, topic string, members, partitions int) kadm.DescribedGroup {
	t.Helper()
	var last kadm.DescribedGroup
	eventually(t, 30*time.Second, func() error {
		gs, err := adm.DescribeGroups(context.Background(), group)
		if err != nil {
			return err
		}
		last = gs[group]
		if last.State != "Stable" || len(last.Members) != members {
			return fmt.Errorf("group %s is %s with %d members", group, last.State, len(last.Members))
		}
		owner := map[int32]string{}
		for _, m := range last.Members {
			c, ok := m.Assigned.AsConsumer()
			if !ok {
				return fmt.Errorf("member %s has no consumer assignment", m.MemberID)
			}
			n := 0
			for _, at := range c.Topics {
				for _, p := range at.Partitions {
					if prev, dup := owner[p]; dup {
						return fmt.Errorf("partition %d assigned to %s and %s", p, prev, m.MemberID)
					}
					owner[p] = m.MemberID
					n++
				}
			}
			if n == 0 {
				return fmt.Errorf("member %s has no partition", m.MemberID)
			}
		}
		if len(owner) != partitions {
			return fmt.Errorf("%d of %d partitions assigned", len(owner), partitions)
		}
		return nil
	})
	return last
}

func TestGroupMembersSharePartitionsAndRebalance(t *testing.T) {
	b, addr := startGroupBroker(t, nil)
	ctx := testContext(t, 60*time.Second)
	admCl := newClient(t, addr)
	adm := kadm.NewClient(admCl)
	createGroupTopic(t, ctx, admCl, "shared", 6)

	m1 := startMember(t, addr, "sharing", "shared")
	m2 := startMember(t, addr, "sharing", "shared")
	m3 := startMember(t, addr, "sharing", "shared")
	g := waitStable(t, adm, "sharing", "shared", 3, 6)
	_, gen1, _ := b.groups.snapshot("sharing")
	if g.Protocol == "" || g.ProtocolType != "consumer" {
		t.Fatalf("described protocol %q type %q", g.Protocol, g.ProtocolType)
	}

	// Records produced now are consumed once across the three members.
	p := newClient(t, addr, kgo.DefaultProduceTopic("shared"), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	const n = 60
	for i := 0; i < n; i++ {
		if err := p.ProduceSync(ctx, kgo.StringRecord(strconv.Itoa(i))).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 30*time.Second, func() error {
		total := len(m1.consumed()) + len(m2.consumed()) + len(m3.consumed())
		if total < n {
			return fmt.Errorf("consumed %d of %d", total, n)
		}
		return nil
	})
	for i, m := range []*groupMember{m1, m2, m3} {
		if len(m.consumed()) == 0 {
			t.Errorf("member %d consumed nothing: partitions were not shared", i+1)
		}
	}

	// A member leaving triggers a rebalance over the two that remain.
	m3.close()
	waitStable(t, adm, "sharing", "shared", 2, 6)
	if _, gen2, _ := b.groups.snapshot("sharing"); gen2 <= gen1 {
		t.Fatalf("generation %d after the rebalance, was %d", gen2, gen1)
	}
}

func TestGroupCommittedOffsetsResumeInNewMember(t *testing.T) {
	_, addr := startGroupBroker(t, nil)
	ctx := testContext(t, 60*time.Second)
	admCl := newClient(t, addr)
	createGroupTopic(t, ctx, admCl, "resume", 2)
	p := newClient(t, addr, kgo.DefaultProduceTopic("resume"))
	produce := func(from, to int) {
		for i := from; i < to; i++ {
			if err := p.ProduceSync(ctx, kgo.StringRecord(strconv.Itoa(i))).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	produce(0, 20)

	first := newClient(t, addr, kgo.ConsumerGroup("resumers"), kgo.ConsumeTopics("resume"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
	got := map[string]bool{}
	for len(got) < 20 {
		fs := first.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("first member consumed %d of 20: %v", len(got), err)
		}
		fs.EachRecord(func(r *kgo.Record) { got[string(r.Value)] = true })
	}
	if err := first.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatalf("commit: %v", err)
	}
	first.Close()

	offs, err := kadm.NewClient(admCl).FetchOffsets(ctx, "resumers")
	if err != nil {
		t.Fatal(err)
	}
	var committed int64
	offs.Each(func(o kadm.OffsetResponse) { committed += o.At })
	if committed != 20 {
		t.Fatalf("committed offsets sum to %d, want 20", committed)
	}

	produce(20, 30)
	second := newClient(t, addr, kgo.ConsumerGroup("resumers"), kgo.ConsumeTopics("resume"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var rest []string
	for len(rest) < 10 {
		fs := second.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("second member consumed %v: %v", rest, err)
		}
		fs.EachRecord(func(r *kgo.Record) { rest = append(rest, string(r.Value)) })
	}
	sort.Slice(rest, func(i, j int) bool { a, _ := strconv.Atoi(rest[i]); b, _ := strconv.Atoi(rest[j]); return a < b })
	if rest[0] != "20" || len(rest) != 10 {
		t.Fatalf("the new member consumed %v, want 20..29 only", rest)
	}
}

func TestGroupStaticMemberRejoinsWithoutRebalance(t *testing.T) {
	b, addr := startGroupBroker(t, nil)
	ctx := testContext(t, 60*time.Second)
	admCl := newClient(t, addr)
	adm := kadm.NewClient(admCl)
	createGroupTopic(t, ctx, admCl, "statics", 4)
	opts := func(id string) []kgo.Opt {
		return []kgo.Opt{kgo.InstanceID(id), kgo.SessionTimeout(10 * time.Second)}
	}
	a := startMember(t, addr, "static-group", "statics", opts("a")...)
	startMember(t, addr, "static-group", "statics", opts("b")...)
	waitStable(t, adm, "static-group", "statics", 2, 4)
	_, gen, _ := b.groups.snapshot("static-group")

	// A static member that restarts keeps its partitions: same generation.
	a.close()
	startMember(t, addr, "static-group", "statics", opts("a")...)
	eventually(t, 30*time.Second, func() error {
		gs, err := adm.DescribeGroups(ctx, "static-group")
		if err != nil {
			return err
		}
		g := gs["static-group"]
		for _, m := range g.Members {
			if m.InstanceID == nil {
				return errors.New("member without instance id")
			}
		}
		if _, _, members := b.groups.snapshot("static-group"); members != 2 || g.State != "Stable" || len(g.Members) != 2 {
			return fmt.Errorf("group %s with %d members", g.State, len(g.Members))
		}
		return nil
	})
	if _, got, _ := b.groups.snapshot("static-group"); got != gen {
		t.Fatalf("generation moved from %d to %d on a static rejoin", gen, got)
	}
}

// TestGroupAndTxnAPIsAdvertised checks the ApiVersions table lists the
// group and transaction APIs at the versions their handlers serve.
func TestGroupAndTxnAPIsAdvertised(t *testing.T) {
	want := map[int16]protocol.VersionRange{
		8: {Min: 2, Max: 8}, 9: {Min: 1, Max: 8}, 10: {Min: 0, Max: 4}, 11: {Min: 0, Max: 9}, 12: {Min: 0, Max: 4},
		13: {Min: 0, Max: 5}, 14: {Min: 0, Max: 5}, 15: {Min: 0, Max: 5}, 16: {Min: 0, Max: 4}, 22: {Min: 0, Max: 4},
		24: {Min: 0, Max: 3}, 25: {Min: 0, Max: 3}, 26: {Min: 0, Max: 3}, 28: {Min: 0, Max: 3}, 42: {Min: 0, Max: 2}, 47: {Min: 0, Max: 0},
	}
	for key, r := range want {
		if got, ok := protocol.Versions[key]; !ok || got != r {
			t.Errorf("%s: advertised %+v (%v), want %+v", kmsg.NameForKey(key), got, ok, r)
		}
		if handlers[key] == nil {
			t.Errorf("%s: no handler", kmsg.NameForKey(key))
		}
	}
}
