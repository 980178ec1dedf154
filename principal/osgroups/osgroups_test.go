package osgroups

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minikafka/minikafka/principal"
)

// TestAgainstID compares both methods with what the real `id -Gn` prints
// for accounts that exist on any Debian host, and the current user.
func TestAgainstID(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	users := []string{me.Username, "root", "daemon", "nobody"}
	lookupR, _ := New(Config{})
	idR, _ := New(Config{Method: ID})
	for _, name := range users {
		out, err := exec.Command("id", "-Gn", "--", name).Output()
		if err != nil {
			t.Fatalf("id -Gn %s: %v", name, err)
		}
		want := fmt.Sprint(strings.Fields(string(out)))
		for method, r := range map[string]*Resolver{Lookup: lookupR, ID: idR} {
			got, err := r.Groups(context.Background(), principal.User(name), nil)
			if err != nil {
				t.Fatalf("%s %s: %v", method, name, err)
			}
			if fmt.Sprint(got) != want {
				t.Errorf("%s %s: %v, id -Gn says %s", method, name, got, want)
			}
		}
	}
}

func TestUnknownUser(t *testing.T) {
	for _, method := range []string{Lookup, ID} {
		r, _ := New(Config{Method: method})
		for _, name := range []string{"no-such-user-minikafka", "CN=alice,OU=Kafka", ""} {
			got, err := r.Groups(context.Background(), principal.User(name), nil)
			if err != nil || got != nil {
				t.Errorf("%s %q: %v, %v; want no groups", method, name, got, err)
			}
		}
	}
}

func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fake-id")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestIDCommandFailures(t *testing.T) {
	r, _ := New(Config{Method: ID, Command: script(t, `echo "nss: backend unavailable" >&2; exit 2`)})
	if _, err := r.Groups(context.Background(), principal.User("alice"), nil); err == nil || !strings.Contains(err.Error(), "nss: backend unavailable") {
		t.Fatalf("failing id: %v", err)
	}
	r, _ = New(Config{Method: ID, Command: script(t, `exec sleep 30`), Timeout: 50 * time.Millisecond})
	if _, err := r.Groups(context.Background(), principal.User("alice"), nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hanging id: %v", err)
	}
	r, _ = New(Config{Method: ID, Command: script(t, `echo "g1 g2"`)})
	if got, err := r.Groups(context.Background(), principal.User("alice"), nil); err != nil || fmt.Sprint(got) != "[g1 g2]" {
		t.Fatalf("fake id: %v, %v", got, err)
	}
}

func TestNewInvalid(t *testing.T) {
	if _, err := New(Config{Method: "ldap"}); err == nil {
		t.Fatal("no error for an unknown method")
	}
}
