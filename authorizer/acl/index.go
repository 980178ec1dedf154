package acl

import (
	"hash/maphash"
	"sort"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/principal"
)

// numTypes bounds the resource types (codes 0..7).
const numTypes = 8

// snapshot is one immutable, consistent view of every ACL with its
// indexes. Readers load it through an atomic pointer and never lock;
// writers build a new one (sharing the untouched resource types) and
// publish it.
type snapshot struct {
	types [numTypes]*typeIndex
}

// numShards splits the name and principal maps of a resource type, so
// that a change copies the shards it touches, not whole maps.
const numShards = 256

// shardOf returns the shard of a resource name.
func shardOf(name string) int { return int(maphash.String(hashSeed, name) >> 56) }

// typeIndex indexes the ACLs of one resource type. It is immutable once
// published; a change builds a new one that shares every untouched shard,
// group and radix node with the old.
type typeIndex struct {
	n int // number of ACLs
	// literal maps a LITERAL name (other than "*") to its group, prefixed
	// a PREFIXED name to its group (for updates and Describe).
	literal, prefixed [numShards]map[string]*group
	// wildcard is the LITERAL "*" group (nil when none).
	wildcard *group
	// prefix is a radix tree over the PREFIXED names (nil when none).
	prefix *rnode
	// brt indexes allows and denies per (principal, operation) for
	// authorizeByResourceType, sharded by brtHash.
	brt [numShards]map[uint64][]*brtKeyIndex
}

// literalGroup returns the group of a LITERAL name other than "*".
func (ti *typeIndex) literalGroup(name string) *group { return ti.literal[shardOf(name)][name] }

// group is every ACL of one (resource type, name, pattern type), sorted
// by principal hash so that a subject's principals are found without
// scanning large groups. The ACL pointers are what decisions return: they
// stay valid (immutable) for as long as anyone holds them.
type group struct {
	name    string
	pattern az.PatternType
	entries []entry // sorted by (hash, host)
	mask    bloom   // the entries' principal hashes
}

// entry is one ACL prepared for matching.
type entry struct {
	hash uint64              // phash(p)
	pid  uint32              // index of p among the group's distinct principals
	p    principal.Principal // the ACL principal split at the first colon
	host string              // CanonicalHost(acl.Host)
	ops  uint32              // bit q set when the ACL applies to action operation q
	deny bool
	acl  *az.ACL
}

var hashSeed = maphash.MakeSeed()

const (
	userTypeMix  = 0x9e3779b97f4a7c15
	groupTypeMix = 0xc2b2ae3d27d4eb4f
)

// phash hashes a principal; equal principals have equal hashes.
func phash(p principal.Principal) uint64 {
	h := maphash.String(hashSeed, p.Name)
	switch p.Type {
	case principal.UserType:
		return h ^ userTypeMix
	case principal.GroupType:
		return h ^ groupTypeMix
	}
	return h ^ (maphash.String(hashSeed, p.Type) * 0xff51afd7ed558ccd)
}

// bloom is a 256-bit filter of principal hashes (one bit each, from the
// top 8 bits of the hash).
type bloom [4]uint64

func (b *bloom) add(h uint64)      { i := h >> 56; b[i>>6] |= 1 << (i & 63) }
func (b *bloom) has(h uint64) bool { i := h >> 56; return b[i>>6]&(1<<(i&63)) != 0 }

func (b *bloom) intersects(o *bloom) bool {
	return b[0]&o[0]|b[1]&o[1]|b[2]&o[2]|b[3]&o[3] != 0
}

// splitPrincipal splits "Type:name" at the first colon, as Kafka's
// StandardAcl.kafkaPrincipal. A principal without a colon (which
// CreateAcls rejects) gets an empty type and never matches a subject.
func splitPrincipal(s string) principal.Principal {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return principal.Principal{Type: s[:i], Name: s[i+1:]}
		}
	}
	return principal.Principal{Name: s}
}

// allOps is the action bitmask of an ALL ACL: every operation.
const allOps = ^uint32(0)

// opMask is the set of action operations an ACL applies to
// (StandardAuthorizerData.findResult): ALL applies to everything; an
// ALLOW of READ, WRITE, DELETE or ALTER also grants DESCRIBE and an ALLOW
// of ALTER_CONFIGS also grants DESCRIBE_CONFIGS; a DENY applies only to
// its own operation (or ALL).
func opMask(op az.Operation, deny bool) uint32 {
	if op == az.OpAll {
		return allOps
	}
	m := uint32(1) << uint(op)
	if deny {
		return m
	}
	switch op {
	case az.OpRead, az.OpWrite, az.OpDelete, az.OpAlter:
		m |= 1 << uint(az.OpDescribe)
	case az.OpAlterConfigs:
		m |= 1 << uint(az.OpDescribeConfigs)
	}
	return m
}

func newEntry(a *az.ACL) entry {
	p := splitPrincipal(a.Principal)
	deny := a.Permission == az.PermDeny
	return entry{hash: phash(p), p: p, host: CanonicalHost(a.Host), ops: opMask(a.Operation, deny), deny: deny, acl: a}
}

type groupKey struct {
	name    string
	pattern az.PatternType
}

// newGroup builds a group (nil when acls is empty).
func newGroup(name string, pattern az.PatternType, acls []*az.ACL) *group {
	if len(acls) == 0 {
		return nil
	}
	g := &group{name: name, pattern: pattern, entries: make([]entry, len(acls))}
	for i, a := range acls {
		g.entries[i] = newEntry(a)
	}
	sort.Slice(g.entries, func(i, j int) bool {
		a, b := &g.entries[i], &g.entries[j]
		if a.hash != b.hash {
			return a.hash < b.hash
		}
		return a.host < b.host
	})
	pids := make(map[principal.Principal]uint32)
	for i := range g.entries {
		e := &g.entries[i]
		g.mask.add(e.hash)
		pid, ok := pids[e.p]
		if !ok {
			pid = uint32(len(pids))
			pids[e.p] = pid
		}
		e.pid = pid
	}
	return g
}

// acls returns the group's ACL pointers.
func (g *group) acls() []*az.ACL {
	if g == nil {
		return nil
	}
	out := make([]*az.ACL, len(g.entries))
	for i := range g.entries {
		out[i] = g.entries[i].acl
	}
	return out
}

// find returns the group's pointer to an ACL equal to a, or nil.
func (g *group) find(a *az.ACL) *az.ACL {
	if g == nil {
		return nil
	}
	h := phash(splitPrincipal(a.Principal))
	for i := searchHash(g.entries, h); i < len(g.entries) && g.entries[i].hash == h; i++ {
		if *g.entries[i].acl == *a {
			return g.entries[i].acl
		}
	}
	return nil
}

// groupOf returns the group of an ACL's (name, pattern).
func (ti *typeIndex) groupOf(k groupKey) *group {
	switch {
	case ti == nil:
		return nil
	case k.pattern == az.PatternLiteral && k.name == "*":
		return ti.wildcard
	case k.pattern == az.PatternLiteral:
		return ti.literalGroup(k.name)
	case k.pattern == az.PatternPrefixed:
		return ti.prefixed[shardOf(k.name)][k.name]
	}
	return nil
}

// change is what one update does to one group.
type change struct {
	add []*az.ACL
	del []az.ACL
}

// apply returns a new index with the changes (keyed by group) applied;
// ti may be nil (empty). Shards, groups and radix nodes that do not change
// are shared with ti.
func (ti *typeIndex) apply(changes map[groupKey]*change) *typeIndex {
	nt := &typeIndex{}
	if ti != nil {
		*nt = *ti
	}
	var litCloned, preCloned [numShards]bool
	type prefixUpdate struct {
		name string
		g    *group
	}
	var prefixUpdates []prefixUpdate
	brtChanges := map[brtKey]*change{}
	for k, ch := range changes {
		old := ti.groupOf(k)
		cur := old.acls()
		var added []*az.ACL
		var removed []az.ACL
		if len(ch.del) > 0 {
			kept := without(cur, ch.del)
			if len(kept) < len(cur) {
				dels := setOf(ch.del)
				for _, a := range cur {
					if _, ok := dels[*a]; ok {
						removed = append(removed, *a)
					}
				}
			}
			cur = kept
		}
		present := make(map[az.ACL]struct{}, len(cur)+len(ch.add))
		for _, a := range cur {
			present[*a] = struct{}{}
		}
		for _, a := range ch.add {
			if _, dup := present[*a]; !dup {
				present[*a] = struct{}{}
				cur = append(cur, a)
				added = append(added, a)
			}
		}
		if len(added) == 0 && len(removed) == 0 {
			continue
		}
		nt.n += len(added) - len(removed)
		for _, a := range added {
			forEachBRTKey(a, func(bk brtKey) { brtChangeFor(brtChanges, bk).add = append(brtChangeFor(brtChanges, bk).add, a) })
		}
		for _, a := range removed {
			forEachBRTKey(&a, func(bk brtKey) { brtChangeFor(brtChanges, bk).del = append(brtChangeFor(brtChanges, bk).del, a) })
		}
		g := newGroup(k.name, k.pattern, cur)
		switch {
		case k.pattern == az.PatternLiteral && k.name == "*":
			nt.wildcard = g
		case k.pattern == az.PatternLiteral:
			setShard(&nt.literal, &litCloned, k.name, g)
		default:
			setShard(&nt.prefixed, &preCloned, k.name, g)
			prefixUpdates = append(prefixUpdates, prefixUpdate{k.name, g})
		}
	}
	switch {
	case len(prefixUpdates) > 64:
		// Many changes (a bulk load): rebuild the tree from the groups.
		nt.prefix = nil
		for _, m := range nt.prefixed {
			for name, g := range m {
				if nt.prefix == nil {
					nt.prefix = &rnode{}
				}
				nt.prefix.insert(name, g)
			}
		}
	default:
		for _, u := range prefixUpdates {
			if nt.prefix == nil {
				nt.prefix = &rnode{}
			}
			nt.prefix = nt.prefix.with(u.name, u.g)
		}
	}
	nt.applyBRT(brtChanges)
	if nt.n == 0 {
		return nil
	}
	return nt
}

// without returns the ACLs of list not equal to any of del (a new slice).
func without(list []*az.ACL, del []az.ACL) []*az.ACL {
	out := make([]*az.ACL, 0, len(list))
	if len(del) <= 8 {
	next:
		for _, a := range list {
			for i := range del {
				if *a == del[i] {
					continue next
				}
			}
			out = append(out, a)
		}
		return out
	}
	dels := setOf(del)
	for _, a := range list {
		if _, gone := dels[*a]; !gone {
			out = append(out, a)
		}
	}
	return out
}

func setOf(acls []az.ACL) map[az.ACL]struct{} {
	m := make(map[az.ACL]struct{}, len(acls))
	for _, a := range acls {
		m[a] = struct{}{}
	}
	return m
}

// setShard sets name to g (deleting it when g is nil) in a copy of its
// shard, copying each shard at most once per update.
func setShard(shards *[numShards]map[string]*group, cloned *[numShards]bool, name string, g *group) {
	sh := shardOf(name)
	if !cloned[sh] {
		m := make(map[string]*group, len(shards[sh])+1)
		for k, v := range shards[sh] {
			m[k] = v
		}
		shards[sh] = m
		cloned[sh] = true
	}
	if g == nil {
		delete(shards[sh], name)
	} else {
		shards[sh][name] = g
	}
}

// with returns a new snapshot with add added and del removed; resource
// types that do not change are shared with s, and so is everything of a
// changed type that the change does not touch.
func (s *snapshot) with(add, del []az.ACL) *snapshot {
	ns := &snapshot{types: s.types}
	var changes [numTypes]map[groupKey]*change
	get := func(a *az.ACL) *change {
		t := typeSlot(a.ResourceType)
		if changes[t] == nil {
			changes[t] = map[groupKey]*change{}
		}
		k := groupKey{a.ResourceName, a.PatternType}
		c := changes[t][k]
		if c == nil {
			c = &change{}
			changes[t][k] = c
		}
		return c
	}
	slab := make([]az.ACL, len(add)) // the new ACLs' stable copies
	for i := range add {
		slab[i] = add[i]
		c := get(&slab[i])
		c.add = append(c.add, &slab[i])
	}
	for i := range del {
		c := get(&del[i])
		c.del = append(c.del, del[i])
	}
	for t, ch := range changes {
		if ch != nil {
			ns.types[t] = s.types[t].apply(ch)
		}
	}
	return ns
}

// newSnapshot indexes acls (duplicates are kept once).
func newSnapshot(acls []az.ACL) *snapshot {
	return (&snapshot{}).with(acls, nil)
}

// typeSlot maps a resource type to its index slot; out-of-range codes
// share slot 0 (UNKNOWN), which no action of a known type reads.
func typeSlot(t az.ResourceType) int {
	if t < 0 || int(t) >= numTypes {
		return 0
	}
	return int(t)
}

func (s *snapshot) contains(a az.ACL) bool {
	ti := s.types[typeSlot(a.ResourceType)]
	return ti.groupOf(groupKey{a.ResourceName, a.PatternType}).find(&a) != nil
}

// count returns the number of ACLs.
func (s *snapshot) count() int {
	n := 0
	for _, ti := range s.types {
		if ti != nil {
			n += ti.n
		}
	}
	return n
}

// each calls fn for every ACL of type rt (every type for ResourceAny).
func (s *snapshot) each(rt az.ResourceType, fn func(a *az.ACL)) {
	for t, ti := range s.types {
		if ti == nil || (rt != az.ResourceAny && az.ResourceType(t) != rt) {
			continue
		}
		visit := func(g *group) {
			if g != nil {
				for i := range g.entries {
					fn(g.entries[i].acl)
				}
			}
		}
		visit(ti.wildcard)
		for _, m := range ti.literal {
			for _, g := range m {
				visit(g)
			}
		}
		for _, m := range ti.prefixed {
			for _, g := range m {
				visit(g)
			}
		}
	}
}

// eachMatching calls fn for every ACL matching f. A filter naming a
// resource reads only the groups that can match it (LITERAL, PREFIXED,
// ANY: the name's own groups; MATCH: the name's LITERAL group, the
// wildcard and the PREFIXED prefixes of the name); others scan the type.
func (s *snapshot) eachMatching(f *az.ACLFilter, fn func(a *az.ACL)) {
	if f.ResourceName == nil {
		s.each(f.ResourceType, func(a *az.ACL) {
			if f.Matches(a) {
				fn(a)
			}
		})
		return
	}
	name := *f.ResourceName
	for t, ti := range s.types {
		if ti == nil || (f.ResourceType != az.ResourceAny && az.ResourceType(t) != f.ResourceType) {
			continue
		}
		visit := func(g *group) {
			if g == nil {
				return
			}
			for i := range g.entries {
				if a := g.entries[i].acl; f.Matches(a) {
					fn(a)
				}
			}
		}
		switch f.PatternType {
		case az.PatternLiteral, az.PatternPrefixed:
			visit(ti.groupOf(groupKey{name, f.PatternType}))
		case az.PatternAny:
			visit(ti.groupOf(groupKey{name, az.PatternLiteral}))
			visit(ti.groupOf(groupKey{name, az.PatternPrefixed}))
		case az.PatternMatch:
			if name != "*" {
				visit(ti.literalGroup(name))
			}
			visit(ti.wildcard)
			for n, rest := ti.prefix, name; n != nil; {
				visit(n.g)
				if rest == "" {
					break
				}
				c := n.child(rest[0])
				if c == nil || len(rest) < len(c.label) || rest[:len(c.label)] != c.label {
					break
				}
				rest = rest[len(c.label):]
				n = c
			}
		}
	}
}
