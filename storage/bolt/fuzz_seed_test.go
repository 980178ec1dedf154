package bolt

// The committed seeds of FuzzDecodeACLRecord and FuzzDecodeScram
// (testdata/fuzz/...): the raw key/value pairs a real database holds after
// the stores wrote sample ACLs and SCRAM credentials, read back with
// bbolt, plus a few damaged copies. Regenerate them with
//
//	go test ./storage/bolt -run TestRecordSeedCorpus -update

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/minikafka/minikafka/internal/fuzzseed"
	"github.com/minikafka/minikafka/storage"
	"github.com/minikafka/minikafka/storage/storagetest"
)

var update = flag.Bool("update", false, "rewrite the committed fuzz seed corpus")

// rawRecords writes the sample ACLs and deterministic SCRAM credentials
// through the stores and returns the raw pairs of each bucket, in key
// order.
func rawRecords(t *testing.T) (acls, scram [][2][]byte) {
	t.Helper()
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	as, err := NewACLStore(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := as.AddACLs(context.Background(), storagetest.SampleACLs()); err != nil {
		t.Fatal(err)
	}
	ss, err := NewScramStore(db)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct{ user, mech string }{{"alice", "SCRAM-SHA-256"}, {"alice", "SCRAM-SHA-512"}, {"a/b=c,ü", "SCRAM-SHA-256"}} {
		n := scramKeySizes[c.mech]
		cred := storage.ScramCredential{Mechanism: c.mech, Salt: []byte(fmt.Sprintf("salt-%d", i)),
			StoredKey: bytes.Repeat([]byte{byte(i + 1)}, n), ServerKey: bytes.Repeat([]byte{byte(i + 7)}, n), Iterations: int32(4096 * (i + 1))}
		if err := ss.PutScram(context.Background(), c.user, cred); err != nil {
			t.Fatal(err)
		}
	}
	err = db.View(func(tx *bbolt.Tx) error {
		collect := func(bucket []byte, out *[][2][]byte) error {
			return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
				*out = append(*out, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
				return nil
			})
		}
		if err := collect(aclBucket, &acls); err != nil {
			return err
		}
		return collect(scramBucket, &scram)
	})
	if err != nil {
		t.Fatal(err)
	}
	return acls, scram
}

func recordSeeds(t *testing.T) (acl, scram map[string][]byte) {
	acls, creds := rawRecords(t)
	acl, scram = map[string][]byte{}, map[string][]byte{}
	for i, kv := range acls {
		acl[fmt.Sprintf("seed-acl-%d", i)] = fuzzseed.File(kv[0], kv[1])
	}
	first := acls[0]
	flipped := bytes.Clone(first[1])
	flipped[len(flipped)-1] ^= 0xff
	acl["seed-acl-bad-crc"] = fuzzseed.File(first[0], flipped)
	acl["seed-acl-truncated"] = fuzzseed.File(first[0][:len(first[0])/2], first[1][:len(first[1])/2])
	acl["seed-acl-other-version"] = fuzzseed.File(first[0], append([]byte{2}, first[1][1:]...))
	for i, kv := range creds {
		scram[fmt.Sprintf("seed-scram-%d", i)] = fuzzseed.File(kv[0], kv[1])
	}
	c := creds[0]
	scram["seed-scram-truncated-json"] = fuzzseed.File(c[0], c[1][:len(c[1])/2])
	scram["seed-scram-no-user"] = fuzzseed.File([]byte("SCRAM-SHA-256/"), c[1])
	scram["seed-scram-wrong-key-size"] = fuzzseed.File([]byte("SCRAM-SHA-512/alice"), c[1])
	return acl, scram
}

// TestRecordSeedCorpus keeps the seed corpora of FuzzDecodeACLRecord and
// FuzzDecodeScram equal to recordSeeds, and checks that the real records
// decode.
func TestRecordSeedCorpus(t *testing.T) {
	acl, scram := recordSeeds(t)
	const regen = "go test ./storage/bolt -run TestRecordSeedCorpus -update"
	fuzzseed.Sync(t, filepath.Join("testdata", "fuzz", "FuzzDecodeACLRecord"), acl, *update, regen)
	fuzzseed.Sync(t, filepath.Join("testdata", "fuzz", "FuzzDecodeScram"), scram, *update, regen)
	acls, creds := rawRecords(t)
	for _, kv := range acls {
		if _, err := DecodeACLRecord(kv[0], kv[1]); err != nil {
			t.Errorf("a stored ACL record does not decode: %v", err)
		}
	}
	for _, kv := range creds {
		if _, _, err := decodeScram(kv[0], kv[1]); err != nil {
			t.Errorf("a stored SCRAM record does not decode: %v", err)
		}
	}
	if len(acls) != len(storagetest.SampleACLs()) || len(creds) != 3 {
		t.Fatalf("%d ACL and %d SCRAM records", len(acls), len(creds))
	}
}
