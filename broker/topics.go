package broker

import (
	"crypto/rand"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/minikafka/minikafka/storage"
)

// topic is one generation of a topic: growPartitions replaces the struct
// (copy on write) so readers holding a *topic keep a consistent partition
// list without locks. Fields shared by every generation (name, id,
// configs) never change, and conf points to the same holder.
type topic struct {
	name       string
	id         [16]byte
	partitions []*partition
	conf       *topicConf
	internal   bool
	m          *topicMetrics // shared by the generations; nil without metrics
}

// topicConf holds the explicitly set configs of a topic. The map is never
// modified once published: AlterConfigs stores a new one, so the produce
// path reads it with one atomic load.
type topicConf struct {
	m atomic.Pointer[map[string]string]
}

func newTopicConf(m map[string]string) *topicConf {
	if m == nil {
		m = map[string]string{}
	}
	c := &topicConf{}
	c.m.Store(&m)
	return c
}

// configs returns the explicitly set configs; callers must not modify it.
func (t *topic) configs() map[string]string { return *t.conf.m.Load() }

// setConfigs replaces the explicitly set configs.
func (t *topic) setConfigs(m map[string]string) { t.conf.m.Store(&m) }

type partition struct {
	topic *topic
	index int32
	log   storage.Log

	mu        sync.Mutex
	producers map[int64]*producerState
	// Transactions: first offsets of open transactions (for the LSO) and
	// the aborted transactions index for read_committed fetches.
	openTxns map[int64]int64 // producer id -> first offset
	aborted  []abortedTxn
	waiters  []chan struct{}
}

type abortedTxn struct {
	producerID  int64
	firstOffset int64
	lastOffset  int64
}

type producerState struct {
	epoch int16
	// the last five appended batches, for duplicate detection
	recent [5]seqEntry
	n      int
}

type seqEntry struct {
	firstSeq, lastSeq int32
	baseOffset        int64
}

type topicState struct {
	b  *Broker
	mu sync.RWMutex
	// configMu serializes config changes (read-modify-write of a topic's
	// configs); readers never take it.
	configMu sync.Mutex
	byName   map[string]*topic
	byID     map[[16]byte]*topic
}

func newTopicState(b *Broker) *topicState {
	return &topicState{b: b, byName: map[string]*topic{}, byID: map[[16]byte]*topic{}}
}

func (ts *topicState) get(name string) *topic {
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	return ts.byName[name]
}

func (ts *topicState) getID(id [16]byte) *topic {
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	return ts.byID[id]
}

// partition returns a partition by topic name and index, nil if unknown.
func (ts *topicState) partition(name string, p int32) *partition {
	t := ts.get(name)
	if t == nil || p < 0 || int(p) >= len(t.partitions) {
		return nil
	}
	return t.partitions[p]
}

// all returns the topics sorted by name.
func (ts *topicState) all() []*topic {
	ts.mu.RLock()
	out := make([]*topic, 0, len(ts.byName))
	for _, t := range ts.byName {
		out = append(out, t)
	}
	ts.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

var validTopic = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// validateTopicName applies Kafka's Topic.validate rules.
func validateTopicName(name string) error {
	switch {
	case name == "":
		return kafkaErrorf("Topic name is illegal, it can't be empty")
	case name == "." || name == "..":
		return kafkaErrorf("Topic name cannot be \".\" or \"..\"")
	case len(name) > 249:
		return kafkaErrorf("Topic name is illegal, it can't be longer than 249 characters, topic name: %s", name)
	case !validTopic.MatchString(name):
		return kafkaErrorf("Topic name %s is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'", name)
	}
	return nil
}

// create adds a topic; it returns (nil, false) if it exists already.
func (ts *topicState) create(name string, partitions int32, configs map[string]string) (*topic, bool, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if t := ts.byName[name]; t != nil {
		return t, false, nil
	}
	t := &topic{name: name, conf: newTopicConf(configs), internal: name == "__consumer_offsets" || name == "__transaction_state", m: ts.b.m.forTopic(name)}
	_, _ = rand.Read(t.id[:])
	if err := ts.addPartitions(t, partitions); err != nil {
		return nil, false, err
	}
	ts.byName[name] = t
	ts.byID[t.id] = t
	return t, true, nil
}

func (ts *topicState) addPartitions(t *topic, n int32) error {
	for i := int32(0); i < n; i++ {
		idx := int32(len(t.partitions))
		l, err := ts.b.cfg.Logs.NewLog(t.name, idx)
		if err != nil {
			return fmt.Errorf("creating log for %s-%d: %w", t.name, idx, err)
		}
		t.partitions = append(t.partitions, &partition{topic: t, index: idx, log: l, producers: map[int64]*producerState{}})
	}
	return nil
}

// growPartitions raises the partition count of the topic named like t
// (CreatePartitions) to total. It works on the current generation under
// the lock, so concurrent growths cannot create a partition twice, and it
// fails if the topic was deleted (or recreated) since t was read or
// already has total partitions. Existing partitions are shared with the
// new generation and keep pointing at the generation that created them
// (their name, id and configs are the same).
func (ts *topicState) growPartitions(t *topic, total int32) error {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	cur := ts.byName[t.name]
	if cur == nil || cur.id != t.id {
		return fmt.Errorf("topic %s was deleted", t.name)
	}
	if int(total) <= len(cur.partitions) {
		return fmt.Errorf("topic %s already has %d partitions", t.name, len(cur.partitions))
	}
	grown := &topic{name: cur.name, id: cur.id, partitions: append([]*partition(nil), cur.partitions...), conf: cur.conf, internal: cur.internal, m: cur.m}
	if err := ts.addPartitions(grown, total-int32(len(cur.partitions))); err != nil {
		return err
	}
	ts.byName[t.name] = grown
	ts.byID[t.id] = grown
	return nil
}

func (ts *topicState) delete(name string) bool {
	ts.mu.Lock()
	t := ts.byName[name]
	if t != nil {
		delete(ts.byName, name)
		delete(ts.byID, t.id)
	}
	ts.mu.Unlock()
	if t != nil {
		ts.b.m.topicDeleted(name)
		for _, p := range t.partitions {
			p.wake()
		}
	}
	return t != nil
}

// topicConfig returns a topic config value and whether the topic sets it
// explicitly; otherwise the broker-derived default (see configs.go).
func (b *Broker) topicConfig(t *topic, key string) (string, bool) {
	if v, ok := t.configs()[key]; ok {
		return v, true
	}
	return b.defaultTopicConfig(key), false
}

// defaultTopicConfig is the value of a topic key for a topic that does not
// set it.
func (b *Broker) defaultTopicConfig(key string) string {
	if d := topicConfigByName[key]; d != nil {
		return b.topicDefault(d)
	}
	return ""
}

func (ts *topicState) retain() {
	now := ts.b.now()
	for _, t := range ts.all() {
		ms, _ := strconv.ParseInt(mustCfg(ts.b, t, "retention.ms"), 10, 64)
		bytes, _ := strconv.ParseInt(mustCfg(ts.b, t, "retention.bytes"), 10, 64)
		// Batches whose max timestamp is below minTS expire (retention.ms
		// -1: never; computed in milliseconds so that a huge retention.ms
		// cannot overflow into the future).
		var minTS int64
		if nowMs := now.UnixMilli(); ms >= 0 && ms < nowMs {
			minTS = nowMs - ms
		}
		if minTS <= 0 && bytes < 0 {
			continue
		}
		for _, p := range t.partitions {
			p.log.Retain(bytes, minTS)
		}
	}
}

func mustCfg(b *Broker, t *topic, key string) string {
	v, _ := b.topicConfig(t, key)
	return v
}

// wait registers a channel woken by the next append (Fetch long poll).
func (p *partition) wait(ch chan struct{}) {
	p.mu.Lock()
	p.waiters = append(p.waiters, ch)
	p.mu.Unlock()
}

// unwait removes every registration of ch (a long poll that ended).
func (p *partition) unwait(ch chan struct{}) {
	p.mu.Lock()
	ws := p.waiters[:0]
	for _, w := range p.waiters {
		if w != ch {
			ws = append(ws, w)
		}
	}
	clear(p.waiters[len(ws):])
	p.waiters = ws
	p.mu.Unlock()
}

// wake notifies fetchers waiting on this partition. Called with p.mu held
// or not; it takes the lock itself.
func (p *partition) wake() {
	p.mu.Lock()
	ws := p.waiters
	p.waiters = nil
	p.mu.Unlock()
	for _, w := range ws {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

// lastStableOffset is the first offset of the oldest open transaction, or
// the high watermark.
func (p *partition) lastStableOffset() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lsoLocked()
}

func (p *partition) lsoLocked() int64 {
	lso := p.log.EndOffset()
	for _, first := range p.openTxns {
		if first < lso {
			lso = first
		}
	}
	return lso
}
