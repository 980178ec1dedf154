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
// ACLs (op or ALL) in buckets by canonical host.
type brtKeyIndex struct {
	key   brtKey
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

// brtBucket is what one (principal, operation, host) contributes. It is
// immutable once published.
type brtBucket struct {
	all       []*az.ACL // every ACL of the bucket
	denyWild  *az.ACL   // DENY on LITERAL "*"
	allowWild *az.ACL   // ALLOW on LITERAL "*"
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
		nk := old.update(k, ch)
		nl := make([]*brtKeyIndex, 0, len(list)+1)
		for i, x := range list {
			if i != idx {
				nl = append(nl, x)
			}
		}
		if nk != nil {
			nl = append(nl, nk)
		}
		if len(nl) == 0 {
			delete(ti.brt[sh], h)
		} else {
			ti.brt[sh][h] = nl
		}
	}
}

// update returns the key after the change (nil when it has no ACL left);
// x may be nil. Only the buckets of the hosts the change touches are
// rebuilt, and a change of allows only copies the bucket's lists. A change
// of the host-"*" denies refilters every bucket of the key.
func (x *brtKeyIndex) update(k brtKey, ch *change) *brtKeyIndex {
	byHost := map[string]*change{}
	for _, a := range ch.add {
		c := brtHostChange(byHost, CanonicalHost(a.Host))
		c.add = append(c.add, a)
	}
	for _, d := range ch.del {
		c := brtHostChange(byHost, CanonicalHost(d.Host))
		c.del = append(c.del, d)
	}
	hosts := map[string]*brtBucket{}
	if x != nil {
		for h, b := range x.hosts {
			hosts[h] = b
		}
	}
	set := func(h string, b *brtBucket) {
		if b == nil {
			delete(hosts, h)
		} else {
			hosts[h] = b
		}
	}
	starChanged := false
	if c := byHost["*"]; c != nil {
		var b *brtBucket
		b, starChanged = hosts["*"].update(c, nil, true)
		set("*", b)
	}
	own := hosts["*"]
	for h, c := range byHost {
		if h != "*" {
			b, _ := hosts[h].update(c, own, false)
			set(h, b)
		}
	}
	if starChanged {
		for h, b := range hosts {
			if h != "*" && byHost[h] == nil {
				hosts[h] = buildBucket(b.all, own, false)
			}
		}
	}
	if len(hosts) == 0 {
		return nil
	}
	return &brtKeyIndex{key: k, hosts: hosts}
}

func brtHostChange(m map[string]*change, host string) *change {
	c := m[host]
	if c == nil {
		c = &change{}
		m[host] = c
	}
	return c
}

// isWildcard reports whether a is on the LITERAL "*" resource.
func isWildcard(a *az.ACL) bool { return a.PatternType == az.PatternLiteral && a.ResourceName == "*" }

// update returns the bucket after the change (nil when empty; b may be
// nil) and whether its denies or wildcard allow changed. own is the key's
// host-"*" bucket, whose denies filter the allows (star: b is that bucket).
func (b *brtBucket) update(c *change, own *brtBucket, star bool) (*brtBucket, bool) {
	var all []*az.ACL
	if b != nil {
		all = b.all
	}
	all = append(without(all, c.del), c.add...)
	if len(all) == 0 {
		return nil, true
	}
	structural := b == nil
	for _, a := range c.add {
		structural = structural || a.Permission == az.PermDeny || isWildcard(a)
	}
	for i := range c.del {
		structural = structural || c.del[i].Permission == az.PermDeny || isWildcard(&c.del[i])
	}
	if structural {
		return buildBucket(all, own, star), true
	}
	nb := *b // only non-wildcard allows changed: share the deny structures
	nb.all = all
	nb.allows = without(b.allows, c.del)
	filter := own
	if star {
		filter = &nb
	}
	for _, a := range c.add {
		if !filter.cancels(a) {
			nb.allows = append(nb.allows, a)
		}
	}
	return &nb, false
}

// buildBucket files all into a new bucket. Allows cancelled by the key's
// host-"*" denies (own, or the bucket itself when star) are dropped: those
// denies take part in every query that reads the bucket.
func buildBucket(all []*az.ACL, own *brtBucket, star bool) *brtBucket {
	b := &brtBucket{all: all}
	for _, a := range all {
		b.add(a)
	}
	filter := own
	if star {
		filter = b
	}
	kept := b.allows[:0]
	for _, a := range b.allows {
		if !filter.cancels(a) {
			kept = append(kept, a)
		}
	}
	clear(b.allows[len(kept):])
	b.allows = kept
	return b
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
