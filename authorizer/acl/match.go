package acl

import (
	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/principal"
)

// wildcardUser is User:*, the only wildcard principal (it matches a
// subject of any type).
var wildcardUser = principal.Principal{Type: principal.UserType, Name: "*"}

var wildcardHash = phash(wildcardUser)

// smallGroup is the size up to which a group is scanned linearly (with the
// subject's bloom filter) instead of binary-searched per principal.
const smallGroup = 8

// maxStackKeys is the number of subject principals hashed without
// allocating (the user, up to 62 groups and User:*).
const maxStackKeys = 64

// matcher accumulates one decision: the subject's principals with their
// hashes, and the deny and allow ACLs Kafka would report.
type matcher struct {
	user   principal.Principal
	groups []principal.Principal
	hashes []uint64 // user, groups..., User:*
	mask   uint64   // bloom filter of hashes
	host   string
	opBit  uint32

	deny, allow         *entry
	denyWild, allowWild bool // the chosen entry came from the wildcard section
	has                 bool // some ACL pattern applies to the resource
}

// init prepares m for subject s; buf backs the hashes when large enough.
func (m *matcher) init(s *principal.Subject, host string, op az.Operation, buf []uint64) {
	if s != nil {
		m.user, m.groups = s.User, s.Groups
	} else {
		m.user = principal.Anonymous
	}
	n := len(m.groups) + 2
	if cap(buf) < n {
		buf = make([]uint64, 0, n)
	}
	h := phash(m.user)
	m.hashes = append(buf[:0], h)
	m.mask = bloomBit(h)
	for _, g := range m.groups {
		h = phash(g)
		m.hashes = append(m.hashes, h)
		m.mask |= bloomBit(h)
	}
	m.hashes = append(m.hashes, wildcardHash)
	m.mask |= bloomBit(wildcardHash)
	m.host = host
	if op >= 0 && op < 32 {
		m.opBit = 1 << uint(op)
	}
}

// principalAt returns the subject principal of hashes[j].
func (m *matcher) principalAt(j int) principal.Principal {
	switch {
	case j == 0:
		return m.user
	case j <= len(m.groups):
		return m.groups[j-1]
	}
	return wildcardUser
}

// isSubject reports whether e's principal is one of the subject's.
func (m *matcher) isSubject(e *entry) bool {
	for j, h := range m.hashes {
		if h == e.hash && e.p == m.principalAt(j) {
			return true
		}
	}
	return false
}

// scan considers every ACL of g that names one of the subject's
// principals.
func (m *matcher) scan(g *group, wild bool) {
	m.has = true
	es := g.entries
	if len(es) <= smallGroup {
		for i := range es {
			e := &es[i]
			if m.mask&bloomBit(e.hash) != 0 && m.isSubject(e) {
				m.consider(e, wild)
			}
		}
		return
	}
	for j, h := range m.hashes {
		lo, hi := 0, len(es)
		for lo < hi {
			mid := int(uint(lo+hi) >> 1)
			if es[mid].hash < h {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		for ; lo < len(es) && es[lo].hash == h; lo++ {
			if es[lo].p == m.principalAt(j) {
				m.consider(&es[lo], wild)
			}
		}
	}
}

// consider applies the host and operation rules to an ACL of one of the
// subject's principals and keeps the ACL Kafka would report: the first
// DENY and the last ALLOW in StandardAuthorizer's scan order.
func (m *matcher) consider(e *entry, wild bool) {
	if e.ops&m.opBit == 0 || (e.host != "*" && e.host != m.host) {
		return
	}
	if e.deny {
		if m.deny == nil || scanBefore(e, wild, m.deny, m.denyWild) {
			m.deny, m.denyWild = e, wild
		}
		return
	}
	if m.allow == nil || scanBefore(m.allow, m.allowWild, e, wild) {
		m.allow, m.allowWild = e, wild
	}
}

// scanBefore reports whether a comes before b in Kafka's scan: first the
// ACLs on the name and its prefixes in StandardAcl order, then the
// wildcard section.
func scanBefore(a *entry, aWild bool, b *entry, bWild bool) bool {
	if aWild != bWild {
		return !aWild
	}
	return kafkaLess(a.acl, b.acl)
}

// kafkaLess is StandardAcl.compareTo within one resource type: resource
// name descending, then pattern type, operation, principal, host and
// permission ascending.
func kafkaLess(a, b *az.ACL) bool {
	switch {
	case a.ResourceName != b.ResourceName:
		return a.ResourceName > b.ResourceName
	case a.PatternType != b.PatternType:
		return a.PatternType < b.PatternType
	case a.Operation != b.Operation:
		return a.Operation < b.Operation
	case a.Principal != b.Principal:
		return a.Principal < b.Principal
	case a.Host != b.Host:
		return a.Host < b.Host
	}
	return a.Permission < b.Permission
}

// decide looks at every ACL that applies to the resource name: LITERAL
// equal, PREFIXED prefix (radix walk) and the LITERAL "*" wildcard.
func (m *matcher) decide(ti *typeIndex, name string) {
	if g := ti.literal[name]; g != nil {
		m.scan(g, false)
	}
	for n, rest := ti.prefix, name; n != nil; {
		if n.g != nil {
			m.scan(n.g, false)
		}
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
	if ti.wildcard != nil {
		// For the resource named "*" itself Kafka finds the LITERAL "*" ACLs
		// in its first section already.
		m.scan(ti.wildcard, name != "*")
	}
}

// decision turns the accumulated matches into Kafka's rule.
func (m *matcher) decision() az.Decision {
	switch {
	case m.deny != nil:
		return az.Decision{Result: az.Deny, Rule: az.RuleMatchingACL, ACL: m.deny.acl, Principal: m.deny.p}
	case m.allow != nil:
		return az.Decision{Result: az.Allow, Rule: az.RuleMatchingACL, ACL: m.allow.acl, Principal: m.allow.p}
	case m.has:
		return az.Decision{Result: az.Deny, Rule: az.RuleDefaultDeny}
	}
	return az.Decision{Result: az.NoOpinion, Rule: az.RuleDefaultDeny}
}
