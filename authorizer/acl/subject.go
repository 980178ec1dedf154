package acl

import (
	"sync/atomic"
	"unsafe"

	"github.com/minikafka/minikafka/principal"
)

// subjectKeys is what matching needs to know about a subject: its
// principals (user, groups..., User:*), their hashes, a bloom filter and
// an open-addressing table from hash to principal index. It is immutable
// once built.
type subjectKeys struct {
	subj   *principal.Subject
	user   principal.Principal
	groups []principal.Principal
	hashes []uint64
	mask   bloom
	table  []int16 // index+1 into hashes, 0 = empty; len is a power of two
}

func newSubjectKeys(s *principal.Subject) *subjectKeys {
	k := &subjectKeys{subj: s, user: principal.Anonymous}
	if s != nil {
		// A copy: validity is checked against the subject's current groups.
		k.user, k.groups = s.User, append([]principal.Principal(nil), s.Groups...)
	}
	n := len(k.groups) + 2
	k.hashes = make([]uint64, n)
	k.hashes[0] = phash(k.user)
	for i, g := range k.groups {
		k.hashes[i+1] = phash(g)
	}
	k.hashes[n-1] = wildcardHash
	size := 16
	for size < 2*n {
		size <<= 1
	}
	k.table = make([]int16, size)
	for j, h := range k.hashes {
		k.mask.add(h)
		if j >= 1<<15-1 {
			break // principals beyond the table are found by the slow path
		}
		i := int(h) & (size - 1)
		for k.table[i] != 0 {
			i = (i + 1) & (size - 1)
		}
		k.table[i] = int16(j + 1)
	}
	return k
}

// principalAt returns the principal of hashes[j].
func (k *subjectKeys) principalAt(j int) principal.Principal {
	switch {
	case j == 0:
		return k.user
	case j <= len(k.groups):
		return k.groups[j-1]
	}
	return wildcardUser
}

// has reports whether p, with hash h, is one of the subject's principals.
func (k *subjectKeys) has(p principal.Principal, h uint64) bool {
	if !k.mask.has(h) {
		return false
	}
	if len(k.hashes) >= 1<<15-1 {
		for j, kh := range k.hashes {
			if kh == h && k.principalAt(j) == p {
				return true
			}
		}
		return false
	}
	m := len(k.table) - 1
	for i := int(h) & m; k.table[i] != 0; i = (i + 1) & m {
		j := int(k.table[i]) - 1
		if k.hashes[j] == h && k.principalAt(j) == p {
			return true
		}
	}
	return false
}

// valid reports whether k still describes s: same subject, and the same
// user and groups (compared by string data pointer first, so the check is
// cheap when nothing changed).
func (k *subjectKeys) valid(s *principal.Subject) bool {
	if k.subj != s || s == nil {
		return k.subj == s && s == nil
	}
	if !sameP(k.user, s.User) || len(k.groups) != len(s.Groups) {
		return false
	}
	for i := range k.groups {
		if !sameP(k.groups[i], s.Groups[i]) {
			return false
		}
	}
	return true
}

func sameP(a, b principal.Principal) bool {
	return sameS(a.Type, b.Type) && sameS(a.Name, b.Name)
}

func sameS(a, b string) bool {
	return len(a) == len(b) && (unsafe.StringData(a) == unsafe.StringData(b) || a == b)
}

// keyCache remembers the keys of recently seen subjects so that a
// connection's principals are hashed once, not on every decision. It is a
// 2-way set-associative array of atomic pointers: lookups never lock and
// a miss costs one allocation. Entries are validated against the subject
// (user and groups), so a subject modified after use is rehashed.
type keyCache struct {
	slots [1024]atomic.Pointer[subjectKeys]
}

func (c *keyCache) get(s *principal.Subject) *subjectKeys {
	if s == nil {
		return anonymousKeys
	}
	h := uint64(uintptr(unsafe.Pointer(s))) * 0x9e3779b97f4a7c15
	i := int(h>>54) &^ 1 // 1024 slots, pairs
	if k := c.slots[i].Load(); k != nil && k.valid(s) {
		return k
	}
	if k := c.slots[i+1].Load(); k != nil && k.valid(s) {
		return k
	}
	k := newSubjectKeys(s)
	// Keep the most recent in the first way.
	c.slots[i+1].Store(c.slots[i].Load())
	c.slots[i].Store(k)
	return k
}

var anonymousKeys = newSubjectKeys(nil)
