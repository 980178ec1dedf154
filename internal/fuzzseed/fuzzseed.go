// Package fuzzseed keeps the committed seed corpora of minikafka's fuzz
// targets (testdata/fuzz/FuzzXxx/seed-*) equal to what their generators
// produce from real bytes (client messages, encoded requests, stored
// records). It is test support only: nothing in the broker imports it.
package fuzzseed

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// TB is the part of testing.TB that Sync uses.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// File renders one fuzz input, the arguments of the fuzz function in
// order, in Go's "go test fuzz v1" corpus format. It supports the types
// minikafka's fuzz targets take: []byte, string, bool, byte, int16, int64
// and int.
func File(args ...any) []byte {
	var b strings.Builder
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", v)
		case string:
			fmt.Fprintf(&b, "string(%q)\n", v)
		case byte:
			fmt.Fprintf(&b, "byte(%q)\n", v)
		case bool, int16, int64, int:
			fmt.Fprintf(&b, "%T(%v)\n", v, v)
		default:
			panic(fmt.Sprintf("fuzzseed: unsupported type %T", a))
		}
	}
	return []byte(b.String())
}

// Sync keeps dir/seed-* equal to seeds (name → File output). With update
// it rewrites them (removing seed files no longer generated); otherwise it
// reports every missing, stale or extra seed, telling how to regenerate.
// Files not named seed-* (the fuzzer's own finds, kept as regressions) are
// left alone.
func Sync(tb TB, dir string, seeds map[string][]byte, update bool, regenerate string) {
	tb.Helper()
	if update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			tb.Fatalf("%v", err)
		}
		old, _ := filepath.Glob(filepath.Join(dir, "seed-*"))
		for _, p := range old {
			if _, ok := seeds[filepath.Base(p)]; !ok {
				_ = os.Remove(p)
			}
		}
		for name, b := range seeds {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				tb.Fatalf("%v", err)
			}
		}
		return
	}
	var stale []string
	for name, b := range seeds {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, b) {
			stale = append(stale, name)
		}
	}
	onDisk, _ := filepath.Glob(filepath.Join(dir, "seed-*"))
	for _, p := range onDisk {
		if _, ok := seeds[filepath.Base(p)]; !ok {
			stale = append(stale, filepath.Base(p)+" (no longer generated)")
		}
	}
	if len(stale) > 0 {
		sort.Strings(stale)
		tb.Errorf("seed corpus %s is stale (%d files, first %s): run %s", dir, len(stale), stale[0], regenerate)
	}
}
