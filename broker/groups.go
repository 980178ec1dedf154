package broker

// The classic group coordinator: the JoinGroup/SyncGroup rebalance state
// machine (Empty → PreparingRebalance → CompletingRebalance → Stable, as
// Kafka's GroupCoordinator and the 4.0 classic-group code), session and
// rebalance timeouts driven by the broker clock, committed offsets kept in
// memory, and transactional offsets that wait for their transaction's end.
//
// Concurrency: one mutex guards every group. Handlers hold it only to read
// or change state; JoinGroup and SyncGroup waits happen outside it, on a
// one-slot channel per member that the state machine fills (never blocks).
// Lock order: partition.mu → txnCoordinator.mu → groupCoordinator.mu.

import (
	"crypto/rand"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Kafka's defaults for the classic group protocol.
const (
	newMemberJoinTimeout   = 5 * time.Minute  // GroupCoordinator.NewMemberJoinTimeoutMs
	offsetMetadataMaxBytes = 4096             // offset.metadata.max.bytes
	offsetsCleanupInterval = 10 * time.Minute // offsets.retention.check.interval.ms
	groupTickInterval      = 100 * time.Millisecond
)

type groupState int8

const (
	groupEmpty groupState = iota
	groupPreparingRebalance
	groupCompletingRebalance
	groupStable
	groupDead
)

var groupStateNames = [...]string{"Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"}

func (s groupState) String() string { return groupStateNames[s] }

// joinResult is what a JoinGroup is answered with; handlers render it for
// their request version.
type joinResult struct {
	err            int16
	memberID       string
	generation     int32
	protocolType   string // "" = none
	protocol       string // "" = none
	leader         string
	members        []kmsg.JoinGroupResponseMember
	skipAssignment bool
}

type syncResult struct {
	err          int16
	protocolType string
	protocol     string
	assignment   []byte
}

type member struct {
	id, instanceID       string // instanceID "" = dynamic member
	clientID, clientHost string
	protocolType         string
	protocols            []kmsg.JoinGroupRequestProtocol
	sessionTimeout       time.Duration
	rebalanceTimeout     time.Duration
	assignment           []byte
	join                 chan joinResult // non-nil: awaiting the end of the join phase
	sync                 chan syncResult // non-nil: awaiting the leader's assignment
	isNew                bool
	hbDeadline           time.Time // zero: no expiry scheduled
	seq                  uint64    // join order, for deterministic iteration
}

func (m *member) metadata(protocol string) []byte {
	for _, p := range m.protocols {
		if p.Name == protocol {
			return p.Metadata
		}
	}
	return nil
}

// matches reports whether protocols equal the member's (names and bytes).
func (m *member) matches(protocols []kmsg.JoinGroupRequestProtocol) bool {
	if len(protocols) != len(m.protocols) {
		return false
	}
	for i := range protocols {
		if protocols[i].Name != m.protocols[i].Name || string(protocols[i].Metadata) != string(m.protocols[i].Metadata) {
			return false
		}
	}
	return true
}

type offsetEntry struct {
	offset      int64
	leaderEpoch int32
	metadata    string
	seq         uint64 // commit order: Kafka's position in __consumer_offsets
}

type group struct {
	id           string
	state        groupState
	stateSince   time.Time
	protocolType string
	protocol     string
	generation   int32
	leader       string
	members      map[string]*member
	static       map[string]string    // group.instance.id → member id
	pending      map[string]time.Time // members told MEMBER_ID_REQUIRED → expiry
	pendingSync  map[string]bool      // members that have not sent SyncGroup this generation

	joinDeadline   time.Time // PreparingRebalance: when the join phase ends anyway
	initialDelay   bool      // the join phase is group.initial.rebalance.delay.ms
	delayRemaining time.Duration
	newMemberAdded bool
	syncDeadline   time.Time // members still in pendingSync are removed then

	offsets    map[string]map[int32]offsetEntry
	txnOffsets map[int64]map[string]map[int32]offsetEntry // producer id → offsets pending its EndTxn
}

// groupCoordinator owns consumer groups and committed offsets.
type groupCoordinator struct {
	b           *Broker
	mu          sync.Mutex
	groups      map[string]*group
	seq         uint64
	started     sync.Once
	lastCleanup time.Time
}

func newGroupCoordinator(b *Broker) *groupCoordinator {
	return &groupCoordinator{b: b, groups: map[string]*group{}, lastCleanup: b.now()}
}

// startTicker starts the expiry loop the first time a group is used. A
// handler calls it, so the broker's WaitGroup is non-zero (the connection)
// and Add is safe even while Close waits.
func (gc *groupCoordinator) startTicker() {
	gc.started.Do(func() {
		gc.b.wg.Add(1)
		go gc.run()
	})
}

func (gc *groupCoordinator) run() {
	defer gc.b.wg.Done()
	t := time.NewTicker(groupTickInterval)
	defer t.Stop()
	for {
		select {
		case <-gc.b.ctx.Done():
			return
		case <-t.C:
			gc.tick()
		}
	}
}

func (gc *groupCoordinator) nextSeq() uint64 {
	gc.seq++
	return gc.seq
}

// getOrCreate returns the group; with create it makes an Empty one.
// Called with gc.mu held.
func (gc *groupCoordinator) getOrCreate(id string, create bool) *group {
	g := gc.groups[id]
	if g == nil && create {
		g = &group{
			id: id, state: groupEmpty, stateSince: gc.b.now(),
			members: map[string]*member{}, static: map[string]string{},
			pending: map[string]time.Time{}, pendingSync: map[string]bool{},
			offsets: map[string]map[int32]offsetEntry{},
		}
		gc.groups[id] = g
		gc.startTicker()
	}
	return g
}

func (g *group) setState(s groupState, now time.Time) {
	g.state = s
	g.stateSince = now
}

// sortedMembers returns the members in join order.
func (g *group) sortedMembers() []*member {
	out := make([]*member, 0, len(g.members))
	for _, m := range g.members {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

func (g *group) rebalanceTimeout() time.Duration {
	var d time.Duration
	for _, m := range g.members {
		if m.rebalanceTimeout > d {
			d = m.rebalanceTimeout
		}
	}
	return d
}

// supportsProtocols is GroupMetadata.supportsProtocols: an empty group
// takes any non-empty protocol list; otherwise the type must match and one
// protocol must be supported by every member.
func (g *group) supportsProtocols(protocolType string, protocols []kmsg.JoinGroupRequestProtocol) bool {
	if g.state == groupEmpty || len(g.members) == 0 {
		return protocolType != "" && len(protocols) > 0
	}
	if g.protocolType != protocolType {
		return false
	}
	for _, p := range protocols {
		if g.supportedByAll(p.Name) {
			return true
		}
	}
	return false
}

func (g *group) supportedByAll(name string) bool {
	for _, m := range g.members {
		if !hasProtocol(m, name) {
			return false
		}
	}
	return true
}

func hasProtocol(m *member, name string) bool {
	for _, p := range m.protocols {
		if p.Name == name {
			return true
		}
	}
	return false
}

// selectProtocol picks, among the protocols every member supports, the
// one most members list first (ties: the earliest member's preference).
func (g *group) selectProtocol() string {
	ms := g.sortedMembers()
	if len(ms) == 0 {
		return ""
	}
	var candidates []string
	for _, p := range ms[0].protocols {
		if g.supportedByAll(p.Name) {
			candidates = append(candidates, p.Name)
		}
	}
	votes := map[string]int{}
	for _, m := range ms {
		for _, p := range m.protocols {
			if g.supportedByAll(p.Name) {
				votes[p.Name]++
				break
			}
		}
	}
	best := ""
	for _, c := range candidates {
		if best == "" || votes[c] > votes[best] {
			best = c
		}
	}
	return best
}

// validateMember is Kafka's validateCurrentMember: with an instance id it
// must map to memberID (else FENCED_INSTANCE_ID, or UNKNOWN_MEMBER_ID when
// the instance is unknown); the member id must exist.
func (g *group) validateMember(memberID, instanceID string) int16 {
	if instanceID != "" {
		cur, ok := g.static[instanceID]
		if !ok {
			return kerr.UnknownMemberID.Code
		}
		if cur != memberID {
			return kerr.FencedInstanceID.Code
		}
	}
	if g.members[memberID] == nil {
		return kerr.UnknownMemberID.Code
	}
	return 0
}

func (g *group) currentMemberMetadata() []kmsg.JoinGroupResponseMember {
	ms := g.sortedMembers()
	out := make([]kmsg.JoinGroupResponseMember, 0, len(ms))
	for _, m := range ms {
		jm := kmsg.NewJoinGroupResponseMember()
		jm.MemberID = m.id
		if m.instanceID != "" {
			jm.InstanceID = strp(m.instanceID)
		}
		jm.ProtocolMetadata = m.metadata(g.protocol)
		out = append(out, jm)
	}
	return out
}

// generationResult is the join answer for the current generation.
func (g *group) generationResult(m *member) joinResult {
	res := joinResult{memberID: m.id, generation: g.generation, protocolType: g.protocolType, protocol: g.protocol, leader: g.leader}
	if g.leader == m.id {
		res.members = g.currentMemberMetadata()
	}
	return res
}

// newMemberID is GroupMetadata.generateMemberId: the group instance id
// (static members) or the client id, a dash and a random UUID.
func newMemberID(prefix string) string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%s-%x-%x-%x-%x-%x", prefix, u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// joinRequest is a JoinGroup as the state machine needs it.
type joinRequest struct {
	group, memberID, instanceID string
	clientID, clientHost        string
	protocolType                string
	protocols                   []kmsg.JoinGroupRequestProtocol
	sessionTimeout              time.Duration
	rebalanceTimeout            time.Duration
	requireKnownMemberID        bool // v4+ (KIP-394)
	supportsSkipAssignment      bool // v9+ (KIP-814)
	reason                      string
}

// join runs a JoinGroup. It returns either an immediate answer or a
// channel that the state machine fills when the join phase ends.
func (gc *groupCoordinator) join(r *joinRequest) (joinResult, <-chan joinResult) {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	fail := func(code int16) (joinResult, <-chan joinResult) {
		return joinResult{err: code, memberID: r.memberID, generation: -1}, nil
	}
	if r.group == "" {
		return fail(kerr.InvalidGroupID.Code)
	}
	if r.sessionTimeout < gc.b.cfg.GroupMinSessionTimeout || r.sessionTimeout > gc.b.cfg.GroupMaxSessionTimeout {
		return fail(kerr.InvalidSessionTimeout.Code)
	}
	unknown := r.memberID == ""
	g := gc.getOrCreate(r.group, unknown)
	if g == nil {
		return fail(kerr.UnknownMemberID.Code)
	}
	var res joinResult
	var ch <-chan joinResult
	if unknown {
		res, ch = gc.joinNewMember(g, r)
	} else {
		res, ch = gc.joinKnownMember(g, r)
	}
	if ch == nil && res.err != 0 && g.state == groupEmpty && len(g.members) == 0 && len(g.pending) == 0 && len(g.offsets) == 0 && len(g.txnOffsets) == 0 && g.generation == 0 {
		delete(gc.groups, g.id) // created by this failed join: leave no trace
	}
	return res, ch
}

func (gc *groupCoordinator) joinNewMember(g *group, r *joinRequest) (joinResult, <-chan joinResult) {
	if g.state == groupDead {
		return joinResult{err: kerr.CoordinatorNotAvailable.Code, generation: -1}, nil
	}
	if !g.supportsProtocols(r.protocolType, r.protocols) {
		return joinResult{err: kerr.InconsistentGroupProtocol.Code, generation: -1}, nil
	}
	if r.instanceID != "" {
		id := newMemberID(r.instanceID)
		if old, ok := g.static[r.instanceID]; ok {
			return gc.replaceStaticMember(g, old, id, r)
		}
		return gc.addMemberAndRebalance(g, id, r)
	}
	id := newMemberID(r.clientID)
	if r.requireKnownMemberID {
		g.pending[id] = gc.b.now().Add(r.sessionTimeout)
		return joinResult{err: kerr.MemberIDRequired.Code, memberID: id, generation: -1}, nil
	}
	return gc.addMemberAndRebalance(g, id, r)
}

func (gc *groupCoordinator) joinKnownMember(g *group, r *joinRequest) (joinResult, <-chan joinResult) {
	fail := func(code int16) (joinResult, <-chan joinResult) {
		return joinResult{err: code, memberID: r.memberID, generation: -1}, nil
	}
	if g.state == groupDead {
		return fail(kerr.CoordinatorNotAvailable.Code)
	}
	if !g.supportsProtocols(r.protocolType, r.protocols) {
		return fail(kerr.InconsistentGroupProtocol.Code)
	}
	if _, ok := g.pending[r.memberID]; ok && r.instanceID == "" {
		delete(g.pending, r.memberID)
		return gc.addMemberAndRebalance(g, r.memberID, r)
	}
	if code := g.validateMember(r.memberID, r.instanceID); code != 0 {
		return fail(code)
	}
	m := g.members[r.memberID]
	switch g.state {
	case groupPreparingRebalance:
		return gc.updateMemberAndRebalance(g, m, r)
	case groupCompletingRebalance:
		if m.matches(r.protocols) {
			// The member lost the join answer: repeat it.
			return g.generationResult(m), nil
		}
		return gc.updateMemberAndRebalance(g, m, r)
	case groupStable:
		if g.leader == m.id || !m.matches(r.protocols) {
			// A leader rejoin forces a rebalance (topic metadata changes).
			return gc.updateMemberAndRebalance(g, m, r)
		}
		res := g.generationResult(m)
		res.members = nil
		return res, nil
	default:
		return fail(kerr.UnknownMemberID.Code)
	}
}

func (gc *groupCoordinator) addMemberAndRebalance(g *group, id string, r *joinRequest) (joinResult, <-chan joinResult) {
	now := gc.b.now()
	m := &member{
		id: id, instanceID: r.instanceID, clientID: r.clientID, clientHost: r.clientHost,
		protocolType: r.protocolType, protocols: r.protocols,
		sessionTimeout: r.sessionTimeout, rebalanceTimeout: r.rebalanceTimeout,
		join: make(chan joinResult, 1), isNew: true, seq: gc.nextSeq(),
		// New members cannot heartbeat yet: they get a join timeout instead.
		hbDeadline: now.Add(newMemberJoinTimeout),
	}
	if g.state == groupPreparingRebalance && g.generation == 0 {
		g.newMemberAdded = true
	}
	if len(g.members) == 0 {
		g.protocolType = r.protocolType
	}
	g.members[id] = m
	if g.leader == "" {
		g.leader = id
	}
	if r.instanceID != "" {
		g.static[r.instanceID] = id
	}
	// The join phase may end right away (initial delay 0): keep the channel.
	ch := m.join
	gc.maybePrepareRebalance(g, fmt.Sprintf("adding new member %s with group instance id %q; client reason: %s", id, r.instanceID, r.reason))
	return joinResult{}, ch
}

func (gc *groupCoordinator) updateMemberAndRebalance(g *group, m *member, r *joinRequest) (joinResult, <-chan joinResult) {
	m.protocols = r.protocols
	m.rebalanceTimeout = r.rebalanceTimeout
	m.sessionTimeout = r.sessionTimeout
	m.replaceJoin()
	ch := m.join
	gc.maybePrepareRebalance(g, fmt.Sprintf("updating metadata for member %s during %s; client reason: %s", m.id, g.state, r.reason))
	return joinResult{}, ch
}

// replaceJoin gives the member a fresh join channel. A JoinGroup it
// superseded (sent on another connection) is answered so its handler ends.
func (m *member) replaceJoin() {
	if m.join != nil {
		m.join <- joinResult{err: kerr.RebalanceInProgress.Code, memberID: m.id, generation: -1}
	}
	m.join = make(chan joinResult, 1)
}

// replaceStaticMember handles a static member rejoining with an unknown
// member id (KIP-345): the old member id is fenced and replaced.
func (gc *groupCoordinator) replaceStaticMember(g *group, oldID, newID string, r *joinRequest) (joinResult, <-chan joinResult) {
	now := gc.b.now()
	currentLeader := g.leader
	m := g.members[oldID]
	if m.join != nil {
		m.join <- joinResult{err: kerr.FencedInstanceID.Code, memberID: oldID, generation: -1}
		m.join = nil
	}
	if m.sync != nil {
		m.sync <- syncResult{err: kerr.FencedInstanceID.Code}
		m.sync = nil
	}
	delete(g.members, oldID)
	m.id = newID
	g.members[newID] = m
	if g.leader == oldID {
		g.leader = newID
	}
	g.static[r.instanceID] = newID
	if g.pendingSync[oldID] {
		delete(g.pendingSync, oldID)
		g.pendingSync[newID] = true
	}
	m.hbDeadline = now.Add(m.sessionTimeout)
	m.protocols = r.protocols
	m.rebalanceTimeout = r.rebalanceTimeout
	m.sessionTimeout = r.sessionTimeout
	m.clientID, m.clientHost = r.clientID, r.clientHost
	gc.b.log.Info("static member rejoined with a new member id", "group", g.id, "instance_id", r.instanceID, "old_member_id", oldID, "member_id", newID, "state", g.state.String())
	switch g.state {
	case groupStable:
		if g.selectProtocol() == g.protocol {
			res := joinResult{memberID: newID, generation: g.generation, protocolType: g.protocolType, protocol: g.protocol, leader: currentLeader}
			if r.supportsSkipAssignment && g.leader == newID {
				res.leader = newID
				res.members = g.currentMemberMetadata()
				res.skipAssignment = true
			}
			return res, nil
		}
		m.join = make(chan joinResult, 1)
		ch := m.join
		gc.maybePrepareRebalance(g, "static member "+newID+" joined with a change of protocol")
		return joinResult{}, ch
	case groupCompletingRebalance:
		m.join = make(chan joinResult, 1)
		ch := m.join
		gc.prepareRebalance(g, "updating metadata for static member "+newID)
		return joinResult{}, ch
	case groupPreparingRebalance:
		m.join = make(chan joinResult, 1)
		ch := m.join
		gc.tryCompleteJoin(g)
		return joinResult{}, ch
	default:
		return joinResult{err: kerr.UnknownMemberID.Code, memberID: newID, generation: -1}, nil
	}
}

func (gc *groupCoordinator) maybePrepareRebalance(g *group, reason string) {
	switch g.state {
	case groupStable, groupCompletingRebalance, groupEmpty:
		gc.prepareRebalance(g, reason)
	case groupPreparingRebalance:
		gc.tryCompleteJoin(g)
	}
}

func (gc *groupCoordinator) prepareRebalance(g *group, reason string) {
	now := gc.b.now()
	if g.state == groupCompletingRebalance {
		gc.resetAndPropagateAssignmentError(g, kerr.RebalanceInProgress.Code)
	}
	g.syncDeadline = time.Time{}
	if g.state == groupEmpty {
		delay := gc.b.cfg.GroupInitialRebalance
		g.initialDelay = true
		g.newMemberAdded = false
		g.delayRemaining = max(g.rebalanceTimeout()-delay, 0)
		g.joinDeadline = now.Add(delay)
	} else {
		g.initialDelay = false
		g.joinDeadline = now.Add(g.rebalanceTimeout())
	}
	gc.b.log.Info("preparing to rebalance group", "group", g.id, "state", g.state.String(), "generation", g.generation, "reason", reason)
	g.setState(groupPreparingRebalance, now)
	if g.initialDelay {
		if !now.Before(g.joinDeadline) {
			gc.onJoinDeadline(g)
		}
		return
	}
	gc.tryCompleteJoin(g)
}

// tryCompleteJoin ends the join phase once every member has rejoined and
// no member id is pending (DelayedJoin.tryComplete). The initial delay
// only ends on its timer.
func (gc *groupCoordinator) tryCompleteJoin(g *group) {
	if g.state != groupPreparingRebalance || g.initialDelay {
		return
	}
	if len(g.pending) > 0 {
		return
	}
	for _, m := range g.members {
		if m.join == nil {
			return
		}
	}
	gc.completeJoin(g)
}

// onJoinDeadline runs when the join phase's timer fires.
func (gc *groupCoordinator) onJoinDeadline(g *group) {
	now := gc.b.now()
	if g.initialDelay && g.newMemberAdded && g.delayRemaining > 0 {
		// InitialDelayedJoin: new members keep arriving; wait some more.
		g.newMemberAdded = false
		d := min(gc.b.cfg.GroupInitialRebalance, g.delayRemaining)
		g.delayRemaining -= d
		g.joinDeadline = now.Add(d)
		return
	}
	g.initialDelay = false
	gc.completeJoin(g)
}

// completeJoin is onCompleteJoin: dynamic members that did not rejoin are
// dropped, a leader is chosen among the joined, the generation advances and
// every waiting member gets its answer (the leader with the metadata).
func (gc *groupCoordinator) completeJoin(g *group) {
	now := gc.b.now()
	for _, m := range g.sortedMembers() {
		if m.join == nil && m.instanceID == "" {
			gc.b.log.Info("member did not rejoin in time; removing it", "group", g.id, "member_id", m.id)
			g.remove(m.id)
		}
	}
	if !g.electJoinedLeader() && len(g.members) > 0 {
		// Only static members that have not rejoined are left: wait again.
		g.joinDeadline = now.Add(g.rebalanceTimeout())
		return
	}
	g.generation++
	g.pendingSync = map[string]bool{}
	if len(g.members) == 0 {
		g.protocol = ""
		g.setState(groupEmpty, now)
		gc.b.log.Info("group is now empty", "group", g.id, "generation", g.generation)
		return
	}
	g.protocol = g.selectProtocol()
	g.setState(groupCompletingRebalance, now)
	gc.b.log.Info("stabilized group", "group", g.id, "generation", g.generation, "protocol", g.protocol, "members", len(g.members))
	for _, m := range g.sortedMembers() {
		if m.join != nil {
			m.join <- g.generationResult(m)
			m.join = nil
		}
		m.hbDeadline = now.Add(m.sessionTimeout)
		m.isNew = false
		g.pendingSync[m.id] = true
	}
	g.syncDeadline = now.Add(g.rebalanceTimeout())
}

// electJoinedLeader keeps the leader if it rejoined, else picks the first
// member that did; false when nobody rejoined.
func (g *group) electJoinedLeader() bool {
	if g.leader == "" {
		return false
	}
	if l := g.members[g.leader]; l != nil && l.join != nil {
		return true
	}
	for _, m := range g.sortedMembers() {
		if m.join != nil {
			g.leader = m.id
			return true
		}
	}
	return false
}

// remove drops a member from the group's maps (no rebalance decision).
func (g *group) remove(id string) {
	m := g.members[id]
	if m == nil {
		return
	}
	delete(g.members, id)
	delete(g.pendingSync, id)
	if m.instanceID != "" && g.static[m.instanceID] == id {
		delete(g.static, m.instanceID)
	}
	if m.sync != nil {
		m.sync <- syncResult{err: kerr.UnknownMemberID.Code}
		m.sync = nil
	}
	if g.leader == id {
		g.leader = ""
		if ms := g.sortedMembers(); len(ms) > 0 {
			g.leader = ms[0].id
		}
	}
}

// removeMemberAndUpdateGroup removes m and lets the group react: a waiting
// JoinGroup is answered UNKNOWN_MEMBER_ID so the client rejoins.
func (gc *groupCoordinator) removeMemberAndUpdateGroup(g *group, m *member, reason string) {
	if m.join != nil {
		m.join <- joinResult{err: kerr.UnknownMemberID.Code, generation: -1}
		m.join = nil
	}
	g.remove(m.id)
	switch g.state {
	case groupStable, groupCompletingRebalance:
		gc.maybePrepareRebalance(g, reason)
	case groupPreparingRebalance:
		gc.tryCompleteJoin(g)
	}
}

func (gc *groupCoordinator) resetAndPropagateAssignmentError(g *group, code int16) {
	now := gc.b.now()
	for _, m := range g.sortedMembers() {
		m.assignment = nil
		if m.sync != nil {
			m.sync <- syncResult{err: code}
			m.sync = nil
			m.hbDeadline = now.Add(m.sessionTimeout)
		}
	}
}

// tick expires pending members, sessions, join phases and pending syncs.
func (gc *groupCoordinator) tick() {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	now := gc.b.now()
	for _, g := range gc.groups {
		gc.tickGroup(g, now)
	}
	if now.Sub(gc.lastCleanup) >= offsetsCleanupInterval {
		gc.lastCleanup = now
		gc.cleanup(now)
	}
}

// cleanup is Kafka's periodic group metadata cleanup: offsets of a group
// empty for offsets.retention.minutes expire (KIP-211), and an empty group
// left without offsets is deleted. Called with gc.mu held.
func (gc *groupCoordinator) cleanup(now time.Time) {
	for id, g := range gc.groups {
		if g.state != groupEmpty {
			continue
		}
		if len(g.offsets) > 0 && now.Sub(g.stateSince) >= gc.b.cfg.OffsetsRetention {
			gc.b.log.Info("expiring offsets of an empty group", "group", id, "topics", len(g.offsets))
			g.offsets = map[string]map[int32]offsetEntry{}
		}
		if len(g.offsets) == 0 && len(g.txnOffsets) == 0 && len(g.pending) == 0 {
			g.setState(groupDead, now)
			delete(gc.groups, id)
		}
	}
}

func (gc *groupCoordinator) tickGroup(g *group, now time.Time) {
	for id, dl := range g.pending {
		if now.After(dl) {
			gc.b.log.Info("pending member expired before rejoining", "group", g.id, "member_id", id)
			delete(g.pending, id)
			gc.tryCompleteJoin(g)
		}
	}
	for _, m := range g.sortedMembers() {
		if m.hbDeadline.IsZero() || !now.After(m.hbDeadline) || g.members[m.id] != m {
			continue
		}
		if !m.isNew && (m.join != nil || m.sync != nil) {
			m.hbDeadline = time.Time{} // a member in a rebalance satisfies its heartbeat
			continue
		}
		gc.b.log.Info("member session expired; removing it from the group", "group", g.id, "member_id", m.id, "instance_id", m.instanceID)
		gc.removeMemberAndUpdateGroup(g, m, "removing member "+m.id+" on heartbeat expiration")
	}
	if g.state == groupPreparingRebalance && !g.joinDeadline.IsZero() && !now.Before(g.joinDeadline) {
		gc.onJoinDeadline(g)
	}
	if len(g.pendingSync) == 0 {
		g.syncDeadline = time.Time{}
	} else if !g.syncDeadline.IsZero() && !now.Before(g.syncDeadline) &&
		(g.state == groupCompletingRebalance || g.state == groupStable) {
		g.syncDeadline = time.Time{}
		ids := sortedKeys(g.pendingSync)
		gc.b.log.Info("removing members that did not send SyncGroup in time", "group", g.id, "members", strings.Join(ids, ","))
		for _, id := range ids {
			g.remove(id)
		}
		gc.maybePrepareRebalance(g, "removing "+strings.Join(ids, ",")+" on pending sync request expiration")
	}
}

// sync runs a SyncGroup; like join it answers now or returns a channel.
func (gc *groupCoordinator) sync(req *kmsg.SyncGroupRequest) (syncResult, <-chan syncResult) {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	fail := func(code int16) (syncResult, <-chan syncResult) { return syncResult{err: code}, nil }
	if req.Group == "" {
		return fail(kerr.InvalidGroupID.Code)
	}
	g := gc.groups[req.Group]
	if g == nil {
		return fail(kerr.UnknownMemberID.Code)
	}
	if g.state == groupDead {
		return fail(kerr.CoordinatorNotAvailable.Code)
	}
	if code := g.validateMember(req.MemberID, deref(req.InstanceID)); code != 0 {
		return fail(code)
	}
	switch {
	case req.Generation != g.generation:
		return fail(kerr.IllegalGeneration.Code)
	case req.ProtocolType != nil && *req.ProtocolType != g.protocolType,
		req.Protocol != nil && *req.Protocol != g.protocol:
		return fail(kerr.InconsistentGroupProtocol.Code)
	}
	m := g.members[req.MemberID]
	switch g.state {
	case groupEmpty:
		return fail(kerr.UnknownMemberID.Code)
	case groupPreparingRebalance:
		return fail(kerr.RebalanceInProgress.Code)
	case groupCompletingRebalance:
		if m.sync != nil {
			m.sync <- syncResult{err: kerr.RebalanceInProgress.Code}
		}
		m.sync = make(chan syncResult, 1)
		ch := m.sync
		delete(g.pendingSync, m.id)
		if g.leader == m.id {
			gc.b.log.Info("assignment received from leader", "group", g.id, "member_id", m.id, "generation", g.generation, "members", len(g.members))
			assignments := make(map[string][]byte, len(req.GroupAssignment))
			for _, a := range req.GroupAssignment {
				assignments[a.MemberID] = a.MemberAssignment
			}
			gc.setAndPropagateAssignment(g, assignments)
		}
		return syncResult{}, ch
	default: // Stable
		delete(g.pendingSync, m.id)
		m.hbDeadline = gc.b.now().Add(m.sessionTimeout)
		return syncResult{protocolType: g.protocolType, protocol: g.protocol, assignment: m.assignment}, nil
	}
}

func (gc *groupCoordinator) setAndPropagateAssignment(g *group, assignments map[string][]byte) {
	now := gc.b.now()
	for _, m := range g.sortedMembers() {
		m.assignment = assignments[m.id]
		if m.assignment == nil {
			m.assignment = []byte{}
		}
		if m.sync != nil {
			m.sync <- syncResult{protocolType: g.protocolType, protocol: g.protocol, assignment: m.assignment}
			m.sync = nil
			m.hbDeadline = now.Add(m.sessionTimeout)
		}
	}
	g.setState(groupStable, now)
}

// heartbeat runs a Heartbeat and returns its error code.
func (gc *groupCoordinator) heartbeat(req *kmsg.HeartbeatRequest) int16 {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	if req.Group == "" {
		return kerr.InvalidGroupID.Code
	}
	g := gc.groups[req.Group]
	if g == nil {
		return kerr.UnknownMemberID.Code
	}
	if g.state == groupDead {
		return kerr.CoordinatorNotAvailable.Code
	}
	if code := g.validateMember(req.MemberID, deref(req.InstanceID)); code != 0 {
		return code
	}
	if req.Generation != g.generation {
		return kerr.IllegalGeneration.Code
	}
	m := g.members[req.MemberID]
	switch g.state {
	case groupEmpty:
		return kerr.UnknownMemberID.Code
	case groupPreparingRebalance:
		m.hbDeadline = gc.b.now().Add(m.sessionTimeout)
		return kerr.RebalanceInProgress.Code
	default:
		m.hbDeadline = gc.b.now().Add(m.sessionTimeout)
		return 0
	}
}

// leaveIdentity is one member named by a LeaveGroup.
type leaveIdentity struct{ memberID, instanceID string }

// leave runs a LeaveGroup: a top-level error, or one code per member.
func (gc *groupCoordinator) leave(groupID string, who []leaveIdentity) (int16, []int16) {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	if groupID == "" {
		return kerr.InvalidGroupID.Code, nil
	}
	g := gc.groups[groupID]
	if g == nil {
		return kerr.UnknownMemberID.Code, nil
	}
	if g.state == groupDead {
		return kerr.CoordinatorNotAvailable.Code, nil
	}
	codes := make([]int16, len(who))
	for i, w := range who {
		switch {
		case w.memberID == "":
			// Administrative removal by group instance id.
			id, ok := g.static[w.instanceID]
			if w.instanceID == "" || !ok {
				codes[i] = kerr.UnknownMemberID.Code
				continue
			}
			gc.removeMemberAndUpdateGroup(g, g.members[id], "removing member "+id+" on LeaveGroup")
			gc.b.log.Info("member left the group", "group", g.id, "member_id", id, "instance_id", w.instanceID)
		case !g.pending[w.memberID].IsZero():
			delete(g.pending, w.memberID)
			gc.tryCompleteJoin(g)
		default:
			if codes[i] = g.validateMember(w.memberID, w.instanceID); codes[i] != 0 {
				continue
			}
			gc.removeMemberAndUpdateGroup(g, g.members[w.memberID], "removing member "+w.memberID+" on LeaveGroup")
			gc.b.log.Info("member left the group", "group", g.id, "member_id", w.memberID)
		}
	}
	return 0, codes
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
