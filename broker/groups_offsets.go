package broker

// Committed offsets, transactional offsets pending their EndTxn, and the
// group administration calls (describe, list, delete). All in memory.

import (
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// offsetCommit is one partition of an OffsetCommit or TxnOffsetCommit;
// code receives the partition's result.
type offsetCommit struct {
	topic       string
	partition   int32
	offset      int64
	leaderEpoch int32
	metadata    *string
	code        int16
}

// validateCommit is ClassicGroup.validateOffsetCommit (Kafka 4.0): a
// simple consumer or admin client (generation -1, no member) may commit
// to an empty group; members must be current and of this generation.
// Called with gc.mu held.
func (g *group) validateCommit(memberID, instanceID string, generation int32, txn bool) int16 {
	if g.state == groupDead {
		return kerr.CoordinatorNotAvailable.Code
	}
	if generation < 0 && g.state == groupEmpty {
		return 0
	}
	if generation >= 0 || memberID != "" || instanceID != "" {
		if code := g.validateMember(memberID, instanceID); code != 0 {
			return code
		}
		if generation != g.generation {
			return kerr.IllegalGeneration.Code
		}
	} else if !txn && g.state != groupEmpty {
		return kerr.UnknownMemberID.Code
	}
	if !txn && g.state == groupCompletingRebalance {
		return kerr.RebalanceInProgress.Code
	}
	return 0
}

// commitGroup finds the group a commit goes to. A commit with generation
// -1 creates a simple (Empty) group; with a generation, a missing group is
// ILLEGAL_GENERATION (OffsetCommit < v9). Called with gc.mu held.
func (gc *groupCoordinator) commitGroup(groupID string, generation int32) (*group, int16) {
	g := gc.groups[groupID]
	if g == nil {
		if generation >= 0 {
			return nil, kerr.IllegalGeneration.Code
		}
		g = gc.getOrCreate(groupID, true)
	}
	return g, 0
}

// commit stores offsets for an OffsetCommit. It returns a group-level
// error (for every partition); per-partition results go to commits[i].code.
func (gc *groupCoordinator) commit(groupID, memberID, instanceID string, generation int32, commits []offsetCommit) int16 {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	g, code := gc.commitGroup(groupID, generation)
	if code != 0 {
		return code
	}
	if code := g.validateCommit(memberID, instanceID, generation, false); code != 0 {
		return code
	}
	if m := g.members[memberID]; m != nil && (g.state == groupStable || g.state == groupPreparingRebalance) {
		m.hbDeadline = gc.b.now().Add(m.sessionTimeout)
	}
	gc.b.m.offsetsCommitted(gc.store(g.offsets, commits))
	return 0
}

// store stores the commits without an error code yet; it returns how many
// it stored.
func (gc *groupCoordinator) store(dst map[string]map[int32]offsetEntry, commits []offsetCommit) int {
	n := 0
	for i := range commits {
		c := &commits[i]
		if c.code != 0 {
			continue
		}
		if c.metadata != nil && len(*c.metadata) > offsetMetadataMaxBytes {
			c.code = kerr.OffsetMetadataTooLarge.Code
			continue
		}
		ps := dst[c.topic]
		if ps == nil {
			ps = map[int32]offsetEntry{}
			dst[c.topic] = ps
		}
		ps[c.partition] = offsetEntry{offset: c.offset, leaderEpoch: c.leaderEpoch, metadata: deref(c.metadata), seq: gc.nextSeq()}
		n++
	}
	return n
}

// txnCommit stores offsets of a TxnOffsetCommit as pending for producer
// pid. Group validation comes first; txnErr (the transaction coordinator's
// verdict) is returned when the group accepts the member.
func (gc *groupCoordinator) txnCommit(groupID, memberID, instanceID string, generation int32, pid int64, txnErr int16, commits []offsetCommit) int16 {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	g, code := gc.commitGroup(groupID, generation)
	if code != 0 {
		return code
	}
	if code := g.validateCommit(memberID, instanceID, generation, true); code != 0 {
		return code
	}
	if txnErr != 0 {
		return txnErr
	}
	if g.txnOffsets == nil {
		g.txnOffsets = map[int64]map[string]map[int32]offsetEntry{}
	}
	pending := g.txnOffsets[pid]
	if pending == nil {
		pending = map[string]map[int32]offsetEntry{}
		g.txnOffsets[pid] = pending
	}
	gc.store(pending, commits)
	return 0
}

// completeTxn applies (commit) or drops (abort) the offsets producer pid
// left pending in groups. A pending offset only replaces a committed one
// that is older (Kafka compares positions in __consumer_offsets).
func (gc *groupCoordinator) completeTxn(pid int64, groups []string, commit bool) {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	for _, id := range groups {
		g := gc.groups[id]
		if g == nil {
			continue
		}
		pending := g.txnOffsets[pid]
		delete(g.txnOffsets, pid)
		if !commit {
			continue
		}
		for topic, ps := range pending {
			dst := g.offsets[topic]
			if dst == nil {
				dst = map[int32]offsetEntry{}
				g.offsets[topic] = dst
			}
			for p, e := range ps {
				if cur, ok := dst[p]; !ok || cur.seq < e.seq {
					dst[p] = e
				}
			}
			gc.b.m.offsetsCommitted(len(ps))
		}
	}
}

func (g *group) hasPendingTxnOffset(topic string, partition int32) bool {
	for _, pending := range g.txnOffsets {
		if _, ok := pending[topic][partition]; ok {
			return true
		}
	}
	return false
}

// fetchTopic is one topic of an OffsetFetch.
type fetchTopic struct {
	topic      string
	partitions []int32
}

func offsetFetchPartition(g *group, topic string, p int32, requireStable bool) kmsg.OffsetFetchResponseGroupTopicPartition {
	rp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
	rp.Partition = p
	rp.Offset, rp.LeaderEpoch, rp.Metadata = -1, -1, strp("")
	if g == nil {
		return rp
	}
	if requireStable && g.hasPendingTxnOffset(topic, p) {
		rp.ErrorCode = kerr.UnstableOffsetCommit.Code
		return rp
	}
	if e, ok := g.offsets[topic][p]; ok {
		rp.Offset, rp.LeaderEpoch, rp.Metadata = e.offset, e.leaderEpoch, strp(e.metadata)
	}
	return rp
}

// fetchOffsets answers an OffsetFetch for one group. topics nil asks for
// every committed partition (the caller filters them by authorization).
func (gc *groupCoordinator) fetchOffsets(groupID string, topics []fetchTopic, requireStable bool) []kmsg.OffsetFetchResponseGroupTopic {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	g := gc.groups[groupID]
	if topics == nil {
		if g == nil {
			return nil
		}
		for _, t := range sortedKeys(g.offsets) {
			ft := fetchTopic{topic: t}
			for p := range g.offsets[t] {
				ft.partitions = append(ft.partitions, p)
			}
			sort.Slice(ft.partitions, func(i, j int) bool { return ft.partitions[i] < ft.partitions[j] })
			topics = append(topics, ft)
		}
	}
	out := make([]kmsg.OffsetFetchResponseGroupTopic, 0, len(topics))
	for _, ft := range topics {
		rt := kmsg.NewOffsetFetchResponseGroupTopic()
		rt.Topic = ft.topic
		for _, p := range ft.partitions {
			rt.Partitions = append(rt.Partitions, offsetFetchPartition(g, ft.topic, p, requireStable))
		}
		out = append(out, rt)
	}
	return out
}

// describe summarizes a group as DescribeGroups does: metadata and
// assignments only when Stable; a missing group is "Dead" with no error.
func (gc *groupCoordinator) describe(groupID string) kmsg.DescribeGroupsResponseGroup {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	d := kmsg.NewDescribeGroupsResponseGroup()
	d.Group = groupID
	d.AuthorizedOperations = int32Min
	g := gc.groups[groupID]
	if g == nil {
		d.State = groupDead.String()
		d.Members = []kmsg.DescribeGroupsResponseGroupMember{}
		return d
	}
	d.State = g.state.String()
	d.ProtocolType = g.protocolType
	stable := g.state == groupStable
	if stable {
		d.Protocol = g.protocol
	}
	d.Members = []kmsg.DescribeGroupsResponseGroupMember{}
	for _, m := range g.sortedMembers() {
		dm := kmsg.NewDescribeGroupsResponseGroupMember()
		dm.MemberID = m.id
		if m.instanceID != "" {
			dm.InstanceID = strp(m.instanceID)
		}
		dm.ClientID = m.clientID
		dm.ClientHost = m.clientHost
		dm.ProtocolMetadata, dm.MemberAssignment = []byte{}, []byte{}
		if stable {
			dm.ProtocolMetadata = m.metadata(g.protocol)
			dm.MemberAssignment = m.assignment
		}
		d.Members = append(d.Members, dm)
	}
	return d
}

// list returns every group (sorted by id) whose state passes states
// (case-insensitive; empty = all).
func (gc *groupCoordinator) list(states []string) []kmsg.ListGroupsResponseGroup {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	out := []kmsg.ListGroupsResponseGroup{}
	for _, id := range sortedKeys(gc.groups) {
		g := gc.groups[id]
		if len(states) > 0 {
			keep := false
			for _, s := range states {
				keep = keep || strings.EqualFold(s, g.state.String())
			}
			if !keep {
				continue
			}
		}
		lg := kmsg.NewListGroupsResponseGroup()
		lg.Group = id
		lg.ProtocolType = g.protocolType
		lg.GroupState = g.state.String()
		lg.GroupType = "classic"
		out = append(out, lg)
	}
	return out
}

// deleteGroup removes an empty group and its offsets.
func (gc *groupCoordinator) deleteGroup(groupID string) int16 {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	g := gc.groups[groupID]
	switch {
	case g == nil:
		return kerr.GroupIDNotFound.Code
	case g.state != groupEmpty && g.state != groupDead:
		return kerr.NonEmptyGroup.Code
	}
	g.setState(groupDead, gc.b.now())
	delete(gc.groups, groupID)
	gc.b.log.Info("deleted group", "group", groupID)
	return 0
}

// subscribedTopics parses the consumer-protocol subscriptions of the
// members; ok=false when they cannot be known (not a consumer group, or an
// unreadable subscription), in which case nothing counts as subscribed.
func (g *group) subscribedTopics() (map[string]bool, bool) {
	if g.protocolType != "consumer" || g.protocol == "" {
		return nil, false
	}
	out := map[string]bool{}
	for _, m := range g.members {
		var md kmsg.ConsumerMemberMetadata
		if err := md.ReadFrom(m.metadata(g.protocol)); err != nil {
			return nil, false
		}
		for _, t := range md.Topics {
			out[t] = true
		}
	}
	return out, true
}

// deleteOffsets runs an OffsetDelete for partitions whose code is still 0:
// a group-level error, or per-partition GROUP_SUBSCRIBED_TO_TOPIC for topics
// a live consumer group still reads.
func (gc *groupCoordinator) deleteOffsets(groupID string, commits []offsetCommit) int16 {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	g := gc.groups[groupID]
	if g == nil || g.state == groupDead {
		return kerr.GroupIDNotFound.Code
	}
	var subscribed map[string]bool
	if g.state != groupEmpty {
		if g.protocolType != "consumer" {
			return kerr.NonEmptyGroup.Code
		}
		subscribed, _ = g.subscribedTopics()
	}
	for i := range commits {
		c := &commits[i]
		if c.code != 0 {
			continue
		}
		if subscribed[c.topic] {
			c.code = kerr.GroupSubscribedToTopic.Code
			continue
		}
		if ps := g.offsets[c.topic]; ps != nil {
			delete(ps, c.partition)
			if len(ps) == 0 {
				delete(g.offsets, c.topic)
			}
		}
	}
	return 0
}

// topicDeleted drops committed and pending offsets of a deleted topic.
func (gc *groupCoordinator) topicDeleted(topic string) {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	for _, g := range gc.groups {
		delete(g.offsets, topic)
		for _, pending := range g.txnOffsets {
			delete(pending, topic)
		}
	}
}
