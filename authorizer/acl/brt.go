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
// op == q || op == ALL). Allows that a deny always present for the same
// principal can cancel (a deny of the same principal or User:*, host "*")
// are dropped at build time; the remaining cross-principal and per-host
// cancellations are checked at query time.

// brtKey identifies the ACLs of one principal for one operation; the map
// of a type is keyed by brtHash (no string hashing at query time, the
// principal's hash is already known) and collisions are resolved by
// comparing p and op.
type brtKey struct {
	p  principal.Principal
	op az.Operation
}

// brtHosts is the bucket list of one key: host -> bucket.
type brtHosts struct {
	key   brtKey
	hosts map[string]*brtBucket
}

func brtHash(ph uint64, op az.Operation) uint64 { return ph ^ (uint64(op)+1)*0x94d049bb133111eb }

// brtIndex maps brtHash to the keys with that hash.
type brtIndex map[uint64][]*brtHosts

// get returns the host buckets of (p, op), whose principal hash is ph.
func (x brtIndex) get(p principal.Principal, ph uint64, op az.Operation) map[string]*brtBucket {
	for _, h := range x[brtHash(ph, op)] {
		if h.key.op == op && h.key.p == p {
			return h.hosts
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

func buildBRT(acls map[az.ACL]*az.ACL) brtIndex {
	idx := make(map[brtKey]map[string]*brtBucket)
	for _, a := range acls {
		p := splitPrincipal(a.Principal)
		host := CanonicalHost(a.Host)
		lo, hi := a.Operation, a.Operation
		if a.Operation == az.OpAll {
			lo, hi = az.OpAll, az.OpDescribeTokens
		}
		for op := lo; op <= hi; op++ {
			k := brtKey{p, op}
			hosts := idx[k]
			if hosts == nil {
				hosts = make(map[string]*brtBucket, 1)
				idx[k] = hosts
			}
			b := hosts[host]
			if b == nil {
				b = &brtBucket{}
				hosts[host] = b
			}
			b.add(a)
		}
	}
	for k, hosts := range idx {
		own := hosts["*"]
		var everyone *brtBucket
		if wk := (brtKey{wildcardUser, k.op}); wk != k {
			everyone = idx[wk]["*"]
		}
		for _, b := range hosts {
			kept := b.allows[:0]
			for _, a := range b.allows {
				if !own.cancels(a) && !everyone.cancels(a) {
					kept = append(kept, a)
				}
			}
			clear(b.allows[len(kept):])
			b.allows = kept
		}
	}
	out := make(brtIndex, len(idx))
	for k, hosts := range idx {
		h := brtHash(phash(k.p), k.op)
		out[h] = append(out[h], &brtHosts{key: k, hosts: hosts})
	}
	return out
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
		hosts := ti.brt.get(k.principalAt(j), ph, op)
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
