package acl

import "bytes"

// rnode is a node of an immutable radix tree over resource-name prefixes.
// The path from the root to a node spells a prefix; g is the ACL group
// whose PREFIXED pattern is that prefix (nil when none). Children are
// found by the first byte of their label.
type rnode struct {
	label string
	g     *group
	first []byte
	kids  []*rnode
}

// insert adds pattern key (relative to n) with group g. Only used while a
// snapshot is built, before it is published.
func (n *rnode) insert(key string, g *group) {
	for {
		if key == "" {
			n.g = g
			return
		}
		i := bytes.IndexByte(n.first, key[0])
		if i < 0 {
			n.first = append(n.first, key[0])
			n.kids = append(n.kids, &rnode{label: key, g: g})
			return
		}
		c := n.kids[i]
		l := commonPrefix(key, c.label)
		if l < len(c.label) {
			mid := &rnode{label: c.label[:l], first: []byte{c.label[l]}, kids: []*rnode{c}}
			c.label = c.label[l:]
			n.kids[i] = mid
			c = mid
		}
		key = key[l:]
		n = c
	}
}

// with returns a copy of n (the root of an immutable tree) in which the
// pattern key has group g (none when g is nil). Only the nodes on the path
// to key are copied; the rest is shared. Nodes left empty by a removal are
// kept: a walk skips them.
func (n *rnode) with(key string, g *group) *rnode {
	c := &rnode{label: n.label, g: n.g, first: n.first, kids: n.kids}
	if key == "" {
		c.g = g
		return c
	}
	i := bytes.IndexByte(n.first, key[0])
	if i < 0 {
		if g == nil {
			return n
		}
		c.first = append(append(make([]byte, 0, len(n.first)+1), n.first...), key[0])
		c.kids = append(append(make([]*rnode, 0, len(n.kids)+1), n.kids...), &rnode{label: key, g: g})
		return c
	}
	child := n.kids[i]
	l := commonPrefix(key, child.label)
	var nc *rnode
	if l == len(child.label) {
		nc = child.with(key[l:], g)
	} else {
		if g == nil {
			return n // not present
		}
		rest := *child // shared child under a shorter label
		rest.label = child.label[l:]
		mid := &rnode{label: child.label[:l], first: []byte{rest.label[0]}, kids: []*rnode{&rest}}
		nc = mid.with(key[l:], g)
	}
	c.kids = append(make([]*rnode, 0, len(n.kids)), n.kids...)
	c.kids[i] = nc
	return c
}

// child returns the child whose label starts with b, or nil.
func (n *rnode) child(b byte) *rnode {
	if i := bytes.IndexByte(n.first, b); i >= 0 {
		return n.kids[i]
	}
	return nil
}

// hasPrefixOf reports whether some inserted pattern is a prefix of name.
func (n *rnode) hasPrefixOf(name string) bool {
	for n != nil {
		if n.g != nil {
			return true
		}
		if name == "" {
			return false
		}
		c := n.child(name[0])
		if c == nil || len(name) < len(c.label) || name[:len(c.label)] != c.label {
			return false
		}
		name = name[len(c.label):]
		n = c
	}
	return false
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
