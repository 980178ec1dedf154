package main

import (
	"fmt"
	"os"
	"testing"
	"time"
)

// TestMain lets run re-execute the test binary as the broker process, as
// the command re-executes itself.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "-serve" {
		if err := serve(); err != nil {
			fmt.Fprintln(os.Stderr, "authconns -serve:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// A short run of every mechanism against a real broker process: each
// connects and authenticates (SCRAM verifying the server's signature)
// without a single failed connection, and the broker fetched the JWKS
// once, at startup, for all the OAUTHBEARER logins. No figure is checked.
func TestAuthconnsEveryMechanism(t *testing.T) {
	mechs := []string{"OAUTHBEARER", "SCRAM-SHA-256", "PLAIN"}
	rep, err := run(mechs, 300*time.Millisecond, 50*time.Millisecond, 2)
	if err != nil {
		t.Fatal(err)
	}
	if rep.jwksFetches != 1 {
		t.Errorf("the broker fetched the JWKS %d times, want once (at startup)", rep.jwksFetches)
	}
	for _, m := range mechs {
		r, ok := rep.results[m]
		if !ok || r.conns == 0 || r.errors != 0 {
			t.Errorf("%s: %d connections, %d errors (measured: %v)", m, r.conns, r.errors, ok)
		}
	}
	if _, err := run([]string{"GSSAPI"}, 10*time.Millisecond, 0, 1); err == nil {
		t.Error("an unknown mechanism was measured")
	}
}

// With -pin, the load generator (rerun under taskset) starts the broker on
// CPU 0 through taskset; this runs that path without pinning the test.
func TestAuthconnsPinnedBroker(t *testing.T) {
	t.Setenv(pinnedEnv, "1")
	rep, err := run([]string{"PLAIN"}, 200*time.Millisecond, 50*time.Millisecond, 2)
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.results["PLAIN"]; r.conns == 0 || r.errors != 0 {
		t.Errorf("PLAIN with the broker under taskset: %d connections, %d errors", r.conns, r.errors)
	}
}
