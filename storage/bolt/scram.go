package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	bbolt "go.etcd.io/bbolt"

	"github.com/minikafka/minikafka/storage"
)

// Buckets of the SCRAM store. A credential's key is "<mechanism>/<user>";
// its value is a JSON record with a format version.
var (
	scramBucket       = []byte("scram_credentials")
	scramSeededBucket = []byte("scram_seeded")
)

const scramRecordVersion = 1

// scramKeySizes are the stored/server key lengths per mechanism.
var scramKeySizes = map[string]int{"SCRAM-SHA-256": 32, "SCRAM-SHA-512": 64}

type scramRecord struct {
	Version    int    `json:"v"`
	Salt       []byte `json:"salt"`
	StoredKey  []byte `json:"stored_key"`
	ServerKey  []byte `json:"server_key"`
	Iterations int32  `json:"iterations"`
}

// ScramStore is the bbolt storage.ScramStore, in the broker's shared
// database.
type ScramStore struct {
	db *DB
}

var _ storage.ScramStore = (*ScramStore)(nil)

// NewScramStore returns the SCRAM store of db, creating its buckets.
func NewScramStore(db *DB) (*ScramStore, error) {
	err := db.Update(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{scramBucket, scramSeededBucket} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("creating bucket %s: %w", b, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", db.Path(), err)
	}
	return &ScramStore{db: db}, nil
}

func scramKey(user, mechanism string) []byte { return []byte(mechanism + "/" + user) }

// decodeScram decodes and checks one record; a bad record is an error
// naming its bucket and key.
func decodeScram(k, v []byte) (user string, c storage.ScramCredential, err error) {
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("bucket %s key %q: %w: %s", scramBucket, k, storage.ErrCorruptRecord, fmt.Sprintf(format, args...))
	}
	mech, user, ok := strings.Cut(string(k), "/")
	size, known := scramKeySizes[mech]
	if !ok || !known || user == "" {
		return "", c, corrupt("key is not <SCRAM mechanism>/<user>")
	}
	var r scramRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return "", c, corrupt("%v", err)
	}
	switch {
	case r.Version != scramRecordVersion:
		return "", c, corrupt("record version %d, this minikafka reads version %d", r.Version, scramRecordVersion)
	case len(r.StoredKey) != size || len(r.ServerKey) != size:
		return "", c, corrupt("stored/server keys of %d/%d bytes, %s needs %d", len(r.StoredKey), len(r.ServerKey), mech, size)
	case r.Iterations <= 0:
		return "", c, corrupt("iterations %d", r.Iterations)
	}
	return user, storage.ScramCredential{Mechanism: mech, Salt: r.Salt, StoredKey: r.StoredKey, ServerKey: r.ServerKey, Iterations: r.Iterations}, nil
}

// GetScram implements storage.ScramStore.
func (s *ScramStore) GetScram(_ context.Context, user, mechanism string) (c storage.ScramCredential, ok bool, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		k := scramKey(user, mechanism)
		v := tx.Bucket(scramBucket).Get(k)
		if v == nil {
			return nil
		}
		_, c, err = decodeScram(k, v)
		ok = err == nil
		return err
	})
	return c, ok, err
}

// ListScram implements storage.ScramStore.
func (s *ScramStore) ListScram(context.Context) ([]storage.ScramUser, error) {
	byUser := map[string][]storage.ScramCredential{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(scramBucket).ForEach(func(k, v []byte) error {
			user, c, err := decodeScram(k, v)
			if err != nil {
				return err
			}
			byUser[user] = append(byUser[user], c)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	out := make([]storage.ScramUser, 0, len(byUser))
	for name, creds := range byUser {
		sort.Slice(creds, func(i, j int) bool { return creds[i].Mechanism < creds[j].Mechanism })
		out = append(out, storage.ScramUser{Name: name, Credentials: creds})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func putScram(tx *bbolt.Tx, user string, c storage.ScramCredential) error {
	if _, ok := scramKeySizes[c.Mechanism]; !ok {
		return fmt.Errorf("storing SCRAM credential of %q: unknown mechanism %q", user, c.Mechanism)
	}
	if user == "" {
		return fmt.Errorf("storing SCRAM credential: empty user name")
	}
	v, err := json.Marshal(scramRecord{Version: scramRecordVersion, Salt: c.Salt, StoredKey: c.StoredKey, ServerKey: c.ServerKey, Iterations: c.Iterations})
	if err != nil {
		return err
	}
	return tx.Bucket(scramBucket).Put(scramKey(user, c.Mechanism), v)
}

// PutScram implements storage.ScramStore.
func (s *ScramStore) PutScram(_ context.Context, user string, c storage.ScramCredential) error {
	return s.db.update("storing the SCRAM credential of "+user, func(tx *bbolt.Tx) error { return putScram(tx, user, c) })
}

// DeleteScram implements storage.ScramStore.
func (s *ScramStore) DeleteScram(_ context.Context, user, mechanism string) (ok bool, err error) {
	err = s.db.update("deleting the SCRAM credential of "+user, func(tx *bbolt.Tx) error {
		b := tx.Bucket(scramBucket)
		k := scramKey(user, mechanism)
		if b.Get(k) == nil {
			return nil
		}
		ok = true
		return b.Delete(k)
	})
	if err != nil {
		return false, err
	}
	return ok, nil
}

// SeedScram implements storage.ScramStore: the seeded marker and the
// credential are written in one transaction.
func (s *ScramStore) SeedScram(_ context.Context, user string, c storage.ScramCredential) (applied bool, err error) {
	err = s.db.Update(func(tx *bbolt.Tx) error {
		seeded := tx.Bucket(scramSeededBucket)
		k := scramKey(user, c.Mechanism)
		if seeded.Get(k) != nil {
			return nil
		}
		if err := seeded.Put(k, []byte{1}); err != nil {
			return err
		}
		applied = true
		return putScram(tx, user, c)
	})
	return applied, err
}
