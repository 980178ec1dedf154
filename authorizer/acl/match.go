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
// subject's bloom filter) instead of binary-searched per principal;
// smallRun the same for the ACLs of one principal within a group.
const (
	smallGroup = 16
	smallRun   = 8
)

// matcher accumulates one decision: the deny and allow ACLs Kafka would
// report. It lives on the stack of one call.
type matcher struct {
	k     *subjectKeys
	host  string
	opBit uint32

	deny, allow         *entry
	denyWild, allowWild bool // the chosen entry came from the wildcard section
	has                 bool // some ACL pattern applies to the resource
}

func (m *matcher) init(k *subjectKeys, host string, op az.Operation) {
	m.k = k
	m.host = host
	if op >= 0 && op < 32 {
		m.opBit = 1 << uint(op)
	}
}

// scan considers every ACL of g that names one of the subject's
// principals. Small groups are scanned with the bloom filter; in large
// ones each principal's run of entries is found by binary search, and in
// a long run the host "*" and the client host by a second search.
func (m *matcher) scan(g *group, wild bool) {
	m.has = true
	k := m.k
	if !g.mask.intersects(&k.mask) {
		return
	}
	es := g.entries
	if len(es) <= smallGroup {
		for i := range es {
			e := &es[i]
			if k.has(e.p, e.hash) {
				m.consider(e, wild)
			}
		}
		return
	}
	for j, h := range k.hashes {
		if !g.mask.has(h) {
			continue
		}
		lo := searchHash(es, h)
		hi := lo
		for hi < len(es) && hi-lo <= smallRun && es[hi].hash == h {
			hi++
		}
		if hi-lo > smallRun {
			hi = lo + searchHash(es[lo:], h+1)
			if h == ^uint64(0) {
				hi = len(es)
			}
		}
		run := es[lo:hi]
		p := k.principalAt(j)
		if len(run) <= smallRun {
			// Entries of one principal share a pid: compare the strings once.
			pid, same := ^uint32(0), false
			for i := range run {
				e := &run[i]
				if e.pid != pid {
					pid, same = e.pid, e.p == p
				}
				if same {
					m.consider(e, wild)
				}
			}
			continue
		}
		m.scanHost(run, p, "*", wild)
		if m.host != "*" {
			m.scanHost(run, p, m.host, wild)
		}
	}
}

// scanHost considers the entries of run (one principal hash, sorted by
// host) whose host is host.
func (m *matcher) scanHost(run []entry, p principal.Principal, host string, wild bool) {
	lo, hi := 0, len(run)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if run[mid].host < host {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	for ; lo < len(run) && run[lo].host == host; lo++ {
		if run[lo].p == p {
			m.consider(&run[lo], wild)
		}
	}
}

// searchHash returns the first index of es whose hash is >= h.
func searchHash(es []entry, h uint64) int {
	lo, hi := 0, len(es)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if es[mid].hash < h {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
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
	if g := ti.literalGroup(name); g != nil {
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
