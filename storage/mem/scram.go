package mem

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/minikafka/minikafka/storage"
)

// ScramStore is an in-memory storage.ScramStore. The zero value is ready
// to use.
type ScramStore struct {
	mu     sync.RWMutex
	creds  map[string]map[string]storage.ScramCredential // user → mechanism → credential
	seeded map[[2]string]bool                            // {user, mechanism}
}

var _ storage.ScramStore = (*ScramStore)(nil)

// NewScramStore returns an empty in-memory SCRAM store.
func NewScramStore() *ScramStore { return &ScramStore{} }

func cloneScram(c storage.ScramCredential) storage.ScramCredential {
	c.Salt = append([]byte(nil), c.Salt...)
	c.StoredKey = append([]byte(nil), c.StoredKey...)
	c.ServerKey = append([]byte(nil), c.ServerKey...)
	return c
}

// GetScram implements storage.ScramStore.
func (s *ScramStore) GetScram(_ context.Context, user, mechanism string) (storage.ScramCredential, bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.creds[user][mechanism]
	if !ok {
		return storage.ScramCredential{}, false, nil
	}
	return cloneScram(c), true, nil
}

// ListScram implements storage.ScramStore.
func (s *ScramStore) ListScram(context.Context) ([]storage.ScramUser, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]storage.ScramUser, 0, len(s.creds))
	for name, byMech := range s.creds {
		u := storage.ScramUser{Name: name}
		for _, c := range byMech {
			u.Credentials = append(u.Credentials, cloneScram(c))
		}
		sort.Slice(u.Credentials, func(i, j int) bool { return u.Credentials[i].Mechanism < u.Credentials[j].Mechanism })
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// PutScram implements storage.ScramStore.
func (s *ScramStore) PutScram(_ context.Context, user string, cred storage.ScramCredential) error {
	if err := checkScram(user, cred); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.put(user, cred)
	return nil
}

func checkScram(user string, c storage.ScramCredential) error {
	if c.Mechanism != "SCRAM-SHA-256" && c.Mechanism != "SCRAM-SHA-512" {
		return fmt.Errorf("storing SCRAM credential of %q: unknown mechanism %q", user, c.Mechanism)
	}
	if user == "" {
		return errors.New("storing SCRAM credential: empty user name")
	}
	return nil
}

func (s *ScramStore) put(user string, cred storage.ScramCredential) {
	if s.creds == nil {
		s.creds = map[string]map[string]storage.ScramCredential{}
	}
	if s.creds[user] == nil {
		s.creds[user] = map[string]storage.ScramCredential{}
	}
	s.creds[user][cred.Mechanism] = cloneScram(cred)
}

// DeleteScram implements storage.ScramStore.
func (s *ScramStore) DeleteScram(_ context.Context, user, mechanism string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.creds[user][mechanism]; !ok {
		return false, nil
	}
	delete(s.creds[user], mechanism)
	if len(s.creds[user]) == 0 {
		delete(s.creds, user)
	}
	return true, nil
}

// SeedScram implements storage.ScramStore.
func (s *ScramStore) SeedScram(_ context.Context, user string, cred storage.ScramCredential) (bool, error) {
	if err := checkScram(user, cred); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := [2]string{user, cred.Mechanism}
	if s.seeded[k] {
		return false, nil
	}
	if s.seeded == nil {
		s.seeded = map[[2]string]bool{}
	}
	s.seeded[k] = true
	s.put(user, cred)
	return true, nil
}
