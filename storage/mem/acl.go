package mem

import (
	"context"
	"sync"

	"github.com/minikafka/minikafka/authorizer"
)

// ACLStore is the in-memory storage.ACLStore used without a data
// directory: ACLs live as long as the process.
type ACLStore struct {
	mu   sync.Mutex
	acls map[authorizer.ACL]struct{}
}

// NewACLStore returns an empty in-memory ACL store.
func NewACLStore() *ACLStore { return &ACLStore{acls: map[authorizer.ACL]struct{}{}} }

// LoadACLs returns a copy of every stored ACL.
func (s *ACLStore) LoadACLs(ctx context.Context) ([]authorizer.ACL, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]authorizer.ACL, 0, len(s.acls))
	for a := range s.acls {
		out = append(out, a)
	}
	return out, nil
}

// AddACLs stores acls (duplicates are kept once).
func (s *ACLStore) AddACLs(ctx context.Context, acls []authorizer.ACL) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range acls {
		s.acls[a] = struct{}{}
	}
	return nil
}

// DeleteACLs removes acls; ACLs that are not stored are ignored.
func (s *ACLStore) DeleteACLs(ctx context.Context, acls []authorizer.ACL) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range acls {
		delete(s.acls, a)
	}
	return nil
}
