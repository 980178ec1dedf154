package fuzzseed

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFile(t *testing.T) {
	got := string(File([]byte("a\x00"), "s\n", byte(3), int16(-2), true))
	want := "go test fuzz v1\n[]byte(\"a\\x00\")\nstring(\"s\\n\")\nbyte('\\x03')\nint16(-2)\nbool(true)\n"
	if got != want {
		t.Fatalf("File = %q, want %q", got, want)
	}
}

type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) { r.errs = append(r.errs, format) }

func TestSync(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "FuzzX")
	seeds := map[string][]byte{"seed-a": File("a"), "seed-b": File("b")}
	Sync(t, dir, seeds, true, "regen")
	if err := os.WriteFile(filepath.Join(dir, "found-by-fuzzer"), File("z"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &recorder{TB: t}
	Sync(r, dir, seeds, false, "regen")
	if len(r.errs) != 0 {
		t.Fatalf("fresh corpus reported stale: %v", r.errs)
	}
	delete(seeds, "seed-b")
	seeds["seed-a"] = File("changed")
	Sync(r, dir, seeds, false, "regen")
	if len(r.errs) != 1 || !strings.Contains(r.errs[0], "stale") {
		t.Fatalf("stale corpus not reported: %v", r.errs)
	}
	Sync(t, dir, seeds, true, "regen")
	if _, err := os.Stat(filepath.Join(dir, "seed-b")); !os.IsNotExist(err) {
		t.Fatal("seed-b not removed by update")
	}
	if _, err := os.Stat(filepath.Join(dir, "found-by-fuzzer")); err != nil {
		t.Fatal("a fuzzer find was removed")
	}
}
