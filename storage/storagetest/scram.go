// Package storagetest holds the conformance suites every implementation of
// minikafka's stores must pass (storage/mem and storage/bolt run them in
// their tests).
package storagetest

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/minikafka/minikafka/storage"
)

// ScramCred returns a well-formed credential whose bytes derive from seed
// (the suite never needs real key derivation).
func ScramCred(mechanism string, iterations int32, seed byte) storage.ScramCredential {
	size := 32
	if mechanism == "SCRAM-SHA-512" {
		size = 64
	}
	return storage.ScramCredential{
		Mechanism:  mechanism,
		Salt:       bytes.Repeat([]byte{seed}, 12),
		StoredKey:  bytes.Repeat([]byte{seed + 1}, size),
		ServerKey:  bytes.Repeat([]byte{seed + 2}, size),
		Iterations: iterations,
	}
}

const (
	sha256 = "SCRAM-SHA-256"
	sha512 = "SCRAM-SHA-512"
)

// RunScramStore runs the SCRAM store conformance suite; newStore returns a
// fresh, empty store for each subtest.
func RunScramStore(t *testing.T, newStore func(t *testing.T) storage.ScramStore) {
	t.Run("Empty", func(t *testing.T) { scramEmpty(t, newStore(t)) })
	t.Run("PutGet", func(t *testing.T) { scramPutGet(t, newStore(t)) })
	t.Run("List", func(t *testing.T) { scramList(t, newStore(t)) })
	t.Run("Delete", func(t *testing.T) { scramDelete(t, newStore(t)) })
	t.Run("Seed", func(t *testing.T) { scramSeed(t, newStore(t)) })
	t.Run("Invalid", func(t *testing.T) { scramInvalid(t, newStore(t)) })
	t.Run("Concurrent", func(t *testing.T) { scramConcurrent(t, newStore(t)) })
}

func mustPut(t *testing.T, s storage.ScramStore, user string, c storage.ScramCredential) {
	t.Helper()
	if err := s.PutScram(context.Background(), user, c); err != nil {
		t.Fatalf("PutScram(%q, %s): %v", user, c.Mechanism, err)
	}
}

func mustGet(t *testing.T, s storage.ScramStore, user, mech string) (storage.ScramCredential, bool) {
	t.Helper()
	c, ok, err := s.GetScram(context.Background(), user, mech)
	if err != nil {
		t.Fatalf("GetScram(%q, %s): %v", user, mech, err)
	}
	return c, ok
}

func mustList(t *testing.T, s storage.ScramStore) []storage.ScramUser {
	t.Helper()
	users, err := s.ListScram(context.Background())
	if err != nil {
		t.Fatalf("ListScram: %v", err)
	}
	return users
}

func scramEmpty(t *testing.T, s storage.ScramStore) {
	if _, ok := mustGet(t, s, "alice", sha256); ok {
		t.Fatal("empty store has alice")
	}
	if users := mustList(t, s); len(users) != 0 {
		t.Fatalf("empty store lists %v", users)
	}
	if ok, err := s.DeleteScram(context.Background(), "alice", sha256); ok || err != nil {
		t.Fatalf("DeleteScram on empty store = %v, %v", ok, err)
	}
}

func scramPutGet(t *testing.T, s storage.ScramStore) {
	want := ScramCred(sha256, 4096, 1)
	mustPut(t, s, "alice", want)
	got, ok := mustGet(t, s, "alice", sha256)
	if !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("GetScram = %+v, %v; want %+v", got, ok, want)
	}
	if _, ok := mustGet(t, s, "alice", sha512); ok {
		t.Fatal("alice has a SCRAM-SHA-512 credential she was never given")
	}
	if _, ok := mustGet(t, s, "Alice", sha256); ok {
		t.Fatal("user names must be case-sensitive")
	}
	// Returned values are copies.
	got.Salt[0]++
	got.StoredKey[0]++
	if again, _ := mustGet(t, s, "alice", sha256); !reflect.DeepEqual(again, want) {
		t.Fatal("mutating a returned credential changed the store")
	}
	// Put replaces.
	repl := ScramCred(sha256, 16384, 7)
	mustPut(t, s, "alice", repl)
	if got, _ := mustGet(t, s, "alice", sha256); !reflect.DeepEqual(got, repl) {
		t.Fatalf("after replace: %+v, want %+v", got, repl)
	}
	// Odd but legal names.
	for _, name := range []string{"a/b", "SCRAM-SHA-256/x", "c,d=e", "jörg", " space "} {
		c := ScramCred(sha512, 8192, 3)
		mustPut(t, s, name, c)
		if got, ok := mustGet(t, s, name, sha512); !ok || !reflect.DeepEqual(got, c) {
			t.Fatalf("name %q: got %+v, %v", name, got, ok)
		}
	}
}

func scramList(t *testing.T, s storage.ScramStore) {
	mustPut(t, s, "carol", ScramCred(sha512, 4096, 1))
	mustPut(t, s, "alice", ScramCred(sha512, 8192, 2))
	mustPut(t, s, "alice", ScramCred(sha256, 4096, 3))
	mustPut(t, s, "bob", ScramCred(sha256, 5000, 4))
	want := []storage.ScramUser{
		{Name: "alice", Credentials: []storage.ScramCredential{ScramCred(sha256, 4096, 3), ScramCred(sha512, 8192, 2)}},
		{Name: "bob", Credentials: []storage.ScramCredential{ScramCred(sha256, 5000, 4)}},
		{Name: "carol", Credentials: []storage.ScramCredential{ScramCred(sha512, 4096, 1)}},
	}
	if got := mustList(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("ListScram =\n%+v\nwant\n%+v", got, want)
	}
}

func scramDelete(t *testing.T, s storage.ScramStore) {
	ctx := context.Background()
	mustPut(t, s, "alice", ScramCred(sha256, 4096, 1))
	mustPut(t, s, "alice", ScramCred(sha512, 4096, 2))
	if ok, err := s.DeleteScram(ctx, "alice", sha256); !ok || err != nil {
		t.Fatalf("DeleteScram = %v, %v", ok, err)
	}
	if _, ok := mustGet(t, s, "alice", sha256); ok {
		t.Fatal("deleted credential still there")
	}
	if _, ok := mustGet(t, s, "alice", sha512); !ok {
		t.Fatal("deleting one mechanism removed the other")
	}
	if ok, err := s.DeleteScram(ctx, "alice", sha256); ok || err != nil {
		t.Fatalf("second DeleteScram = %v, %v", ok, err)
	}
	if ok, _ := s.DeleteScram(ctx, "alice", sha512); !ok {
		t.Fatal("DeleteScram of the last credential")
	}
	if users := mustList(t, s); len(users) != 0 {
		t.Fatalf("a user without credentials is listed: %+v", users)
	}
}

func scramSeed(t *testing.T, s storage.ScramStore) {
	ctx := context.Background()
	seed := func(user string, c storage.ScramCredential) bool {
		t.Helper()
		applied, err := s.SeedScram(ctx, user, c)
		if err != nil {
			t.Fatalf("SeedScram(%q): %v", user, err)
		}
		return applied
	}
	first := ScramCred(sha256, 4096, 1)
	if !seed("alice", first) {
		t.Fatal("first seed not applied")
	}
	if got, _ := mustGet(t, s, "alice", sha256); !reflect.DeepEqual(got, first) {
		t.Fatal("seeded credential not stored")
	}
	if seed("alice", ScramCred(sha256, 4096, 9)) {
		t.Fatal("second seed of the same user and mechanism applied")
	}
	changed := ScramCred(sha256, 8192, 5) // as AlterUserScramCredentials would
	mustPut(t, s, "alice", changed)
	if seed("alice", first) {
		t.Fatal("seed overwrote a credential changed through the API")
	}
	if got, _ := mustGet(t, s, "alice", sha256); !reflect.DeepEqual(got, changed) {
		t.Fatal("changed credential lost")
	}
	if _, err := s.DeleteScram(ctx, "alice", sha256); err != nil {
		t.Fatal(err)
	}
	if seed("alice", first) {
		t.Fatal("seed resurrected a credential deleted through the API")
	}
	if !seed("alice", ScramCred(sha512, 4096, 2)) {
		t.Fatal("seed of a new mechanism for the same user not applied")
	}
	// A user created through the API first is still seeded once: the
	// configuration names it, the API did not seed it.
	mustPut(t, s, "bob", ScramCred(sha256, 4096, 3))
	if !seed("bob", ScramCred(sha256, 4096, 4)) {
		t.Fatal("seed of an API-created user not applied")
	}
}

func scramInvalid(t *testing.T, s storage.ScramStore) {
	ctx := context.Background()
	if err := s.PutScram(ctx, "alice", ScramCred("SCRAM-SHA-1", 4096, 1)); err == nil {
		t.Fatal("PutScram accepted SCRAM-SHA-1")
	}
	if err := s.PutScram(ctx, "", ScramCred(sha256, 4096, 1)); err == nil {
		t.Fatal("PutScram accepted an empty user name")
	}
	if _, err := s.SeedScram(ctx, "", ScramCred(sha256, 4096, 1)); err == nil {
		t.Fatal("SeedScram accepted an empty user name")
	}
	if users := mustList(t, s); len(users) != 0 {
		t.Fatalf("invalid puts stored %+v", users)
	}
}

func scramConcurrent(t *testing.T, s storage.ScramStore) {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				user := fmt.Sprintf("u%d-%d", w, i%5)
				if err := s.PutScram(ctx, user, ScramCred(sha256, 4096, byte(i))); err != nil {
					errs <- err
					return
				}
				if _, _, err := s.GetScram(ctx, user, sha256); err != nil {
					errs <- err
					return
				}
				if _, err := s.ListScram(ctx); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if users := mustList(t, s); len(users) != 20 {
		t.Fatalf("%d users after concurrent puts, want 20", len(users))
	}
}
