package bolt_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/minikafka/minikafka/storage"
	"github.com/minikafka/minikafka/storage/bolt"
	"github.com/minikafka/minikafka/storage/storagetest"
)

func openScram(t *testing.T, dir string) (*bolt.DB, *bolt.ScramStore) {
	t.Helper()
	db, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := bolt.NewScramStore(db)
	if err != nil {
		t.Fatal(err)
	}
	return db, s
}

func TestScramStoreConformance(t *testing.T) {
	storagetest.RunScramStore(t, func(t *testing.T) storage.ScramStore {
		db, s := openScram(t, t.TempDir())
		t.Cleanup(func() { _ = db.Close() })
		return s
	})
}

func TestScramStorePersists(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, s := openScram(t, dir)
	want := storagetest.ScramCred("SCRAM-SHA-512", 8192, 4)
	if err := s.PutScram(ctx, "alice", want); err != nil {
		t.Fatal(err)
	}
	if applied, err := s.SeedScram(ctx, "bob", storagetest.ScramCred("SCRAM-SHA-256", 4096, 1)); !applied || err != nil {
		t.Fatalf("seed: %v %v", applied, err)
	}
	if _, err := s.DeleteScram(ctx, "bob", "SCRAM-SHA-256"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, s = openScram(t, dir)
	defer db.Close()
	got, ok, err := s.GetScram(ctx, "alice", "SCRAM-SHA-512")
	if err != nil || !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("after reopen: %+v %v %v", got, ok, err)
	}
	if applied, err := s.SeedScram(ctx, "bob", storagetest.ScramCred("SCRAM-SHA-256", 4096, 1)); applied || err != nil {
		t.Fatalf("seeded marker lost across restart: applied=%v err=%v", applied, err)
	}
}

func TestScramStoreCorruptRecord(t *testing.T) {
	ctx := context.Background()
	cases := map[string]struct{ key, value string }{
		"not json":        {"SCRAM-SHA-256/alice", "{"},
		"wrong version":   {"SCRAM-SHA-256/alice", `{"v":2,"salt":"AQ==","stored_key":"","server_key":"","iterations":4096}`},
		"short keys":      {"SCRAM-SHA-256/alice", `{"v":1,"salt":"AQ==","stored_key":"AQ==","server_key":"AQ==","iterations":4096}`},
		"no mechanism":    {"alice", `{}`},
		"bad mechanism":   {"SCRAM-SHA-1/alice", `{}`},
		"zero iterations": {"SCRAM-SHA-256/alice", `{"v":1,"salt":"AQ==","stored_key":"` + strings.Repeat("A", 43) + `=","server_key":"` + strings.Repeat("A", 43) + `=","iterations":0}`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			db, s := openScram(t, t.TempDir())
			defer db.Close()
			err := db.Update(func(tx *bbolt.Tx) error {
				return tx.Bucket([]byte("scram_credentials")).Put([]byte(tc.key), []byte(tc.value))
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.ListScram(ctx)
			if !errors.Is(err, storage.ErrCorruptRecord) || !strings.Contains(err.Error(), `"`+tc.key+`"`) || !strings.Contains(err.Error(), "scram_credentials") {
				t.Fatalf("ListScram error %v: want ErrCorruptRecord naming bucket and key %q", err, tc.key)
			}
			if mech, user, ok := strings.Cut(tc.key, "/"); ok {
				if _, _, err := s.GetScram(ctx, user, mech); !errors.Is(err, storage.ErrCorruptRecord) {
					t.Fatalf("GetScram error %v", err)
				}
			}
		})
	}
}
