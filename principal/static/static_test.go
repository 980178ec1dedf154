package static

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minikafka/minikafka/principal"
)

func groupsOf(t *testing.T, r *Resolver, user string) string {
	t.Helper()
	g, err := r.Groups(context.Background(), principal.User(user), nil)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(g)
}

// write replaces the file atomically (temporary file, then rename), as
// configuration tools do: a truncate-then-write could be observed half
// done by the polling reloader when the test is descheduled in between.
func write(t *testing.T, path, content string, mtime time.Time) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(tmp, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestParse(t *testing.T) {
	m, err := Parse([]byte(`# users and their groups
alice: kafka-producers, engineering ,kafka-producers

  bob:kafka-consumers
CN=svc,OU=Services,O=Example: services
carol:
dave: a,,b,
`), "groups.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"alice":                        "[kafka-producers engineering]",
		"bob":                          "[kafka-consumers]",
		"CN=svc,OU=Services,O=Example": "[services]",
		"carol":                        "[]",
		"dave":                         "[a b]",
	}
	if len(m) != len(want) {
		t.Fatalf("%d users: %v", len(m), m)
	}
	for u, w := range want {
		if fmt.Sprint(m[u]) != w {
			t.Errorf("%s: %v, want %s", u, m[u], w)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := map[string]string{
		"alice: a\nbob a\n":      "groups.txt:2: want \"user: group1, group2\"",
		"# x\n: a\n":             "groups.txt:2: empty user name",
		"alice: a\n\nalice: b\n": "groups.txt:3: user \"alice\" is already listed at line 1",
	}
	for in, want := range tests {
		if _, err := Parse([]byte(in), "groups.txt"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := New(Config{Path: filepath.Join(dir, "missing.txt")}); err == nil {
		t.Fatal("missing file: no error")
	}
	bad := filepath.Join(dir, "bad.txt")
	write(t, bad, "alice: a\noops\n", time.Now())
	if _, err := New(Config{Path: bad}); err == nil || !strings.Contains(err.Error(), bad+":2:") {
		t.Fatalf("bad file: %v", err)
	}
	if _, err := New(Config{}); err == nil {
		t.Fatal("no path: no error")
	}
}

func TestReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "groups.txt")
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	write(t, path, "alice: a\n", t0)
	r, err := New(Config{Path: path, ReloadInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if g := groupsOf(t, r, "alice"); g != "[a]" {
		t.Fatal(g)
	}
	if changed, err := r.Reload(); changed || err != nil {
		t.Fatalf("unchanged file reloaded: %v, %v", changed, err)
	}
	write(t, path, "alice: b\n", t0.Add(time.Second))
	if changed, err := r.Reload(); !changed || err != nil {
		t.Fatalf("changed file: %v, %v", changed, err)
	}
	if g := groupsOf(t, r, "alice"); g != "[b]" {
		t.Fatal(g)
	}
	// A broken file keeps the last good mapping.
	write(t, path, "alice: c\nbroken\n", t0.Add(2*time.Second))
	if _, err := r.Reload(); err == nil || !strings.Contains(err.Error(), path+":2:") {
		t.Fatalf("broken file: %v", err)
	}
	if g := groupsOf(t, r, "alice"); g != "[b]" {
		t.Fatal(g)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWatch: the polling goroutine picks up edits and logs one warning
// for a broken file.
func TestWatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "groups.txt")
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	write(t, path, "alice: a\n", t0)
	var logs syncBuffer
	r, err := New(Config{Path: path, ReloadInterval: 5 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; log: %s", what, logs.String())
			}
		}
	}
	write(t, path, "alice: a, b\nbob: c\n", t0.Add(time.Second))
	waitFor("the edit", func() bool { return groupsOf(t, r, "bob") == "[c]" })
	write(t, path, "alice: a\nbroken\n", t0.Add(2*time.Second))
	waitFor("the warning", func() bool { return strings.Contains(logs.String(), "reload failed") })
	if g := groupsOf(t, r, "alice"); g != "[a b]" {
		t.Fatalf("after a broken edit: %s", g)
	}
	// Later polls see the same error and stay quiet.
	if n := strings.Count(logs.String(), "reload failed"); n != 1 {
		t.Fatalf("%d warnings for one broken file", n)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

// FuzzParse: any file content parses or gives a file:line error, never a
// panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte("# c\nalice: a, b\nbob:c\nCN=x,O=y: z\n"))
	f.Add([]byte("alice: a\nalice: b\n"))
	f.Add([]byte(": \n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data, "f")
		if err != nil && !strings.HasPrefix(err.Error(), "f:") {
			t.Fatalf("error without the file name: %v", err)
		}
		for u, groups := range m {
			if u == "" {
				t.Fatal("empty user")
			}
			for _, g := range groups {
				if g == "" || strings.Contains(g, ",") {
					t.Fatalf("group %q", g)
				}
			}
		}
	})
}
