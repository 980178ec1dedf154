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

// typeIndex indexes the ACLs of one resource type.
type typeIndex struct {
	// acls is the set of ACLs; the pointers are what decisions return and
	// stay valid (immutable) for as long as anyone holds them.
	acls map[az.ACL]*az.ACL
	// literal maps a LITERAL name (other than "*") to its group.
	literal map[string]*group
	// wildcard is the LITERAL "*" group (nil when none).
	wildcard *group
	// prefix is a radix tree over PREFIXED names (nil when none).
	prefix *rnode
	// brt indexes allows and denies per (principal, operation) for
	// authorizeByResourceType.
	brt brtIndex
}

// group is every ACL of one (resource type, name, pattern type), sorted
// by principal hash so that a subject's principals are found without
// scanning large groups.
type group struct {
	entries []entry // sorted by (hash, host)
	mask    uint64  // bloom filter of the entries' principal hashes
}

// entry is one ACL prepared for matching.
type entry struct {
	hash uint64              // phash(p)
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

// bloomBit is the bit of a principal hash in a subject's 64-bit filter.
func bloomBit(h uint64) uint64 { return 1 << (h >> 58) }

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

// buildType indexes a set of ACLs of one resource type.
func buildType(acls map[az.ACL]*az.ACL) *typeIndex {
	if len(acls) == 0 {
		return nil
	}
	ti := &typeIndex{acls: acls, literal: make(map[string]*group)}
	groups := make(map[groupKey]*group)
	for _, a := range acls {
		k := groupKey{a.ResourceName, a.PatternType}
		g := groups[k]
		if g == nil {
			g = &group{}
			groups[k] = g
		}
		g.entries = append(g.entries, newEntry(a))
	}
	for k, g := range groups {
		sort.Slice(g.entries, func(i, j int) bool {
			a, b := &g.entries[i], &g.entries[j]
			if a.hash != b.hash {
				return a.hash < b.hash
			}
			return a.host < b.host
		})
		for i := range g.entries {
			g.mask |= bloomBit(g.entries[i].hash)
		}
		switch {
		case k.pattern == az.PatternLiteral && k.name == "*":
			ti.wildcard = g
		case k.pattern == az.PatternLiteral:
			ti.literal[k.name] = g
		case k.pattern == az.PatternPrefixed:
			if ti.prefix == nil {
				ti.prefix = &rnode{}
			}
			ti.prefix.insert(k.name, g)
		}
	}
	ti.brt = buildBRT(acls)
	return ti
}

// with returns a new snapshot with add added and del removed; resource
// types that do not change are shared with s.
func (s *snapshot) with(add, del []az.ACL) *snapshot {
	ns := &snapshot{types: s.types}
	var touched [numTypes]bool
	for _, a := range add {
		touched[typeSlot(a.ResourceType)] = true
	}
	for _, a := range del {
		touched[typeSlot(a.ResourceType)] = true
	}
	for t := range touched {
		if !touched[t] {
			continue
		}
		m := make(map[az.ACL]*az.ACL)
		if old := s.types[t]; old != nil {
			m = make(map[az.ACL]*az.ACL, len(old.acls)+len(add))
			for k, v := range old.acls {
				m[k] = v
			}
		}
		for _, a := range del {
			if typeSlot(a.ResourceType) == t {
				delete(m, a)
			}
		}
		for _, a := range add {
			if typeSlot(a.ResourceType) == t {
				if _, ok := m[a]; !ok {
					p := a
					m[a] = &p
				}
			}
		}
		ns.types[t] = buildType(m)
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
	if ti == nil {
		return false
	}
	_, ok := ti.acls[a]
	return ok
}

// count returns the number of ACLs.
func (s *snapshot) count() int {
	n := 0
	for _, ti := range s.types {
		if ti != nil {
			n += len(ti.acls)
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
		for _, a := range ti.acls {
			fn(a)
		}
	}
}
