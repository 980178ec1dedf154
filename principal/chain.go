package principal

import (
	"context"
	"fmt"
)

// Chain is a GroupResolver returning the union of its resolvers' groups,
// in order, without duplicates. Any resolver's error fails the whole
// lookup: a partial union could miss the group a DENY ACL names, so the
// builder's failure policy decides instead.
type Chain []GroupResolver

// Groups asks each resolver in turn.
func (c Chain) Groups(ctx context.Context, user Principal, ac *AuthContext) ([]string, error) {
	switch len(c) {
	case 0:
		return nil, nil
	case 1:
		return c[0].Groups(ctx, user, ac)
	}
	var out []string
	var seen map[string]struct{}
	for i, r := range c {
		groups, err := r.Groups(ctx, user, ac)
		if err != nil {
			return nil, fmt.Errorf("group resolver %d of %d: %w", i+1, len(c), err)
		}
		for _, g := range groups {
			if g == "" {
				continue
			}
			if len(out) < 16 && seen == nil {
				if !contains(out, g) {
					out = append(out, g)
				}
				continue
			}
			if seen == nil {
				seen = make(map[string]struct{}, 2*len(out))
				for _, o := range out {
					seen[o] = struct{}{}
				}
			}
			if _, dup := seen[g]; !dup {
				seen[g] = struct{}{}
				out = append(out, g)
			}
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
