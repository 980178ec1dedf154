package acl

import (
	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/principal"
)

// The authorizeByResourceType index. Kafka's default implementation
// (Authorizer.authorizeByResourceType, spec §1.8) scans every ACL of the
// type; here the ACLs are grouped by (principal, operation) and host at
// build time, so a query only reads the buckets of the subject's
// principals (user, groups, User:*) for the client host and "*".
//
// An ACL with operation ALL is filed under every operation (Kafka counts
// op == q || op == ALL). Allows that a deny of the same principal and
// operation on host "*" cancels are dropped when the key is built (that
// deny takes part in every query reading the key); the other
// cancellations (other principals of the subject, the client's host) are
// checked at query time. A change rebuilds only the keys of the principals
// and operations it touches.

// brtKey identifies the ACLs of one principal for one operation; the
// shards of a type are keyed by brtHash (no string hashing at query time:
// the principal's hash is already known) and collisions are resolved by
// comparing p and op.
type brtKey struct {
	p  principal.Principal
	op az.Operation
}

// brtKeyIndex is everything one (principal, operation) contributes: its
// ACLs (op or ALL) and their buckets by canonical host.
type brtKeyIndex struct {
	key   brtKey
	acls  []*az.ACL
	hosts map[string]*brtBucket
}

func brtHash(ph uint64, op az.Operation) uint64 { return ph ^ (uint64(op)+1)*0x94d049bb133111eb }

// brtShard is the shard of a brtHash (its top 8 bits).
func brtShard(h uint64) int { return int(h >> 56) }

// brtHosts returns the host buckets of (p, op), whose principal hash is ph.
func (ti *typeIndex) brtHosts(p principal.Principal, ph uint64, op az.Operation) map[string]*brtBucket {
	h := brtHash(ph, op)
	for _, k := range ti.brt[brtShard(h)][h] {
		if k.key.op == op && k.key.p == p {
			return k.hosts
		}
	}
	return nil
}

// brtBucket is what one (principal, operation, host) contributes.
type brtBucket struct {
	denyWild  *az.ACL // DENY on LITERAL "*"
	allowWild *az.ACL // ALLOW on LITERAL "*"
	denyLit   map[string]*az.ACL
	denyPre   *rnode
	allows    []*az.ACL // LITERAL and PREFIXED allows, except "*"
}

// present marks a name in a deny-prefix radix tree.
var present = &group{}

// forEachBRTKey calls fn with the keys an ACL is filed under: its
// operation, or every operation for ALL.
func forEachBRTKey(a *az.ACL, fn func(brtKey)) {
	p := splitPrincipal(a.Principal)
	lo, hi := a.Operation, a.Operation
	if a.Operation == az.OpAll {
		lo, hi = az.OpAll, az.OpDescribeTokens
	}
	for op := lo; op <= hi; op++ {
		fn(brtKey{p, op})
	}
}

func brtChangeFor(m map[brtKey]*change, k brtKey) *change {
	c := m[k]
	if c == nil {
		c = &change{}
		m[k] = c
	}
	return c
}

// applyBRT rebuilds the keys that changed, copying each touched shard once.
func (ti *typeIndex) applyBRT(changes map[brtKey]*change) {
	var cloned [numShards]bool
	for k, ch := range changes {
		h := brtHash(phash(k.p), k.op)
		sh := brtShard(h)
		if !cloned[sh] {
			m := make(map[uint64][]*brtKeyIndex, len(ti.brt[sh])+1)
			for hk, v := range ti.brt[sh] {
				m[hk] = v
			}
			ti.brt[sh] = m
			cloned[sh] = true
		}
		list := ti.brt[sh][h]
		var old *brtKeyIndex
		idx := -1
		for i, x := range list {
			if x.key == k {
				old, idx = x, i
			}
		}
		var acls []*az.ACL
		if old != nil {
			acls = without(old.acls, ch.del)
		}
		acls = append(acls, ch.add...)
		nl := make([]*brtKeyIndex, 0, len(list)+1)
		for i, x := range list {
			if i != idx {
				nl = append(nl, x)
			}
		}
		if len(acls) > 0 {
			nl = append(nl, newBRTKeyIndex(k, acls))
		}
		if len(nl) == 0 {
			delete(ti.brt[sh], h)
		} else {
			ti.brt[sh][h] = nl
		}
	}
}

// newBRTKeyIndex files the ACLs of one key by host. Allows that the key's
// own host-"*" denies cancel are dropped (those denies take part in every
// query that reads this key).
func newBRTKeyIndex(k brtKey, acls []*az.ACL) *brtKeyIndex {
	x := &brtKeyIndex{key: k, acls: acls, hosts: make(map[string]*brtBucket, 1)}
	for _, a := range acls {
		host := CanonicalHost(a.Host)
		b := x.hosts[host]
		if b == nil {
			b = &brtBucket{}
			x.hosts[host] = b
		}
		b.add(a)
	}
	own := x.hosts["*"]
	for _, b := range x.hosts {
		kept := b.allows[:0]
		for _, a := range b.allows {
			if !own.cancels(a) {
				kept = append(kept, a)
			}
		}
		clear(b.allows[len(kept):])
		b.allows = kept
	}
	return x
}

func (b *brtBucket) add(a *az.ACL) {
	wild := a.PatternType == az.PatternLiteral && a.ResourceName == "*"
	switch {
	case a.Permission == az.PermDeny && wild:
		b.denyWild = a
	case a.Permission == az.PermDeny && a.PatternType == az.PatternLiteral:
		if b.denyLit == nil {
			b.denyLit = make(map[string]*az.ACL)
		}
		b.denyLit[a.ResourceName] = a
	case a.Permission == az.PermDeny:
		if b.denyPre == nil {
			b.denyPre = &rnode{}
		}
		b.denyPre.insert(a.ResourceName, present)
	case wild:
		b.allowWild = a
	default:
		b.allows = append(b.allows, a)
	}
}

// cancels reports whether a deny of b cancels allow a: a LITERAL deny
// cancels a LITERAL allow of the same name; a PREFIXED deny cancels every
// allow whose name starts with it; a wildcard deny cancels everything.
func (b *brtBucket) cancels(a *az.ACL) bool {
	if b == nil {
		return false
	}
	if b.denyWild != nil {
		return true
	}
	if a.PatternType == az.PatternLiteral && b.denyLit != nil {
		if _, ok := b.denyLit[a.ResourceName]; ok {
			return true
		}
	}
	return b.denyPre.hasPrefixOf(a.ResourceName)
}

// byResourceType answers the index part of §1.8 for op on type rt.
func (s *snapshot) byResourceType(k *subjectKeys, host string, op az.Operation, rt az.ResourceType) az.Decision {
	denied := az.Decision{Result: az.Deny, Rule: az.RuleDefaultDeny}
	ti := s.types[typeSlot(rt)]
	if ti == nil {
		return denied
	}
	var bbuf [128]*brtBucket
	buckets := bbuf[:0]
	for j, ph := range k.hashes {
		hosts := ti.brtHosts(k.principalAt(j), ph, op)
		if hosts == nil {
			continue
		}
		if b := hosts["*"]; b != nil {
			buckets = append(buckets, b)
		}
		if host != "*" {
			if b := hosts[host]; b != nil {
				buckets = append(buckets, b)
			}
		}
	}
	for _, b := range buckets {
		if b.denyWild != nil {
			return az.Decision{Result: az.Deny, Rule: az.RuleMatchingACL, ACL: b.denyWild, Principal: splitPrincipal(b.denyWild.Principal)}
		}
	}
	for _, b := range buckets {
		if b.allowWild != nil {
			return az.Decision{Result: az.Allow, Rule: az.RuleMatchingACL, ACL: b.allowWild, Principal: splitPrincipal(b.allowWild.Principal)}
		}
	}
	for _, b := range buckets {
	next:
		for _, a := range b.allows {
			for _, d := range buckets {
				if d.cancels(a) {
					continue next
				}
			}
			return az.Decision{Result: az.Allow, Rule: az.RuleMatchingACL, ACL: a, Principal: splitPrincipal(a.Principal)}
		}
	}
	return denied
}
