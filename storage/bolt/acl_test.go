package bolt_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/storage"
	"github.com/minikafka/minikafka/storage/bolt"
	"github.com/minikafka/minikafka/storage/storagetest"
)

func openACLStore(t *testing.T, dir string) (*bolt.DB, *bolt.ACLStore) {
	t.Helper()
	db, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := bolt.NewACLStore(db)
	if err != nil {
		_ = db.Close()
		t.Fatal(err)
	}
	return db, s
}

type closingStore struct {
	*bolt.ACLStore
	db  *bolt.DB
	dir string
}

func TestACLStoreConformance(t *testing.T) {
	storagetest.RunACLStoreSuite(t, storagetest.ACLStoreHarness{
		New: func(t *testing.T) storage.ACLStore {
			dir := t.TempDir()
			db, s := openACLStore(t, dir)
			cs := &closingStore{ACLStore: s, db: db, dir: dir}
			t.Cleanup(func() { _ = cs.db.Close() })
			return cs
		},
		Reopen: func(t *testing.T, s storage.ACLStore) storage.ACLStore {
			cs := s.(*closingStore)
			if err := cs.db.Close(); err != nil {
				t.Fatal(err)
			}
			db, ns := openACLStore(t, cs.dir)
			cs.db, cs.ACLStore = db, ns
			return cs
		},
	})
}

func TestACLStoreCorruptRecordNamesKey(t *testing.T) {
	good := storagetest.SampleACLs()[0]
	key := bolt.EncodeACLKey(&good)
	bad := good
	bad.Operation = 99
	badKey := bolt.EncodeACLKey(&bad)
	flipped := bolt.ACLValueForTest(key)
	flipped[3] ^= 0x40
	cases := map[string]struct {
		key, value []byte
		want       string
	}{
		"short":          {key, []byte{1, 2}, "too short"},
		"version":        {key, append([]byte{9}, make([]byte, 20)...), "record version 9"},
		"checksum":       {key, flipped, "checksum"},
		"key mismatch":   {[]byte("other-key"), bolt.ACLValueForTest(key), "does not match its key"},
		"enum out range": {badKey, bolt.ACLValueForTest(badKey), "enum out of range"},
		"trailing bytes": {append(key[:len(key):len(key)], 'x'), bolt.ACLValueForTest(append(key[:len(key):len(key)], 'x')), "trailing"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			db, s := openACLStore(t, dir)
			defer db.Close()
			if err := s.AddACLs(context.Background(), []authorizer.ACL{good}); err != nil {
				t.Fatal(err)
			}
			err := db.Update(func(tx *bbolt.Tx) error { return tx.Bucket([]byte("acls")).Put(tc.key, tc.value) })
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.LoadACLs(context.Background())
			if !errors.Is(err, bolt.ErrCorruptACL) {
				t.Fatalf("LoadACLs error = %v, want ErrCorruptACL", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), fmt.Sprintf("key %q", tc.key)) {
				t.Fatalf("LoadACLs error = %q, want it to name key %q and contain %q", err, tc.key, tc.want)
			}
		})
	}
}

func TestOpenReadOnlyWhileLocked(t *testing.T) {
	dir := t.TempDir()
	db, s := openACLStore(t, dir)
	if err := s.AddACLs(context.Background(), storagetest.SampleACLs()); err != nil {
		t.Fatal(err)
	}
	if _, err := bolt.OpenReadOnly(dir); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("OpenReadOnly while open = %v, want a locked error", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := bolt.OpenReadOnly(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	rs, err := bolt.NewACLStore(ro)
	if err != nil {
		t.Fatal(err)
	}
	got, err := rs.LoadACLs(context.Background())
	if err != nil || len(got) != len(storagetest.SampleACLs()) {
		t.Fatalf("read-only load = %d ACLs, %v", len(got), err)
	}
}

func FuzzDecodeACLRecord(f *testing.F) {
	for _, a := range storagetest.SampleACLs() {
		k := bolt.EncodeACLKey(&a)
		f.Add(k, bolt.ACLValueForTest(k))
	}
	f.Add([]byte{}, []byte{})
	f.Add([]byte{2, 3, 4, 3, 0xff, 0xff, 0xff, 0xff, 0x0f}, []byte{1, 2, 3, 4, 3, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, key, value []byte) {
		a, err := bolt.DecodeACLRecord(key, value)
		if err != nil {
			if !errors.Is(err, bolt.ErrCorruptACL) {
				t.Fatalf("error %v does not wrap ErrCorruptACL", err)
			}
			return
		}
		if got := bolt.EncodeACLKey(&a); string(got) != string(key) {
			t.Fatalf("decoded ACL re-encodes to %q, key was %q", got, key)
		}
	})
}
