package faults

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// acks collects what the broker acknowledged.
type acks struct {
	mu    sync.Mutex
	acls  map[string]bool
	users map[string]bool
}

func (a *acks) add(m map[string]bool, names ...string) {
	a.mu.Lock()
	for _, n := range names {
		m[n] = true
	}
	a.mu.Unlock()
}

func (a *acks) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.acls) + len(a.users)
}

// TestKill9DuringAdminBursts runs the binary on a data directory, has
// four admin clients send bursts of CreateAcls (five ACLs each) and
// AlterUserScramCredentials (two new users each), and kills the broker
// with SIGKILL while they are at it, three times over. After each
// restart on the same directory every ACL and SCRAM user whose creation
// had been acknowledged is there, and at the end every acknowledged user
// logs in with its password. (A change in flight when the broker died may
// or may not be there: its client never learnt the outcome.)
func TestKill9DuringAdminBursts(t *testing.T) {
	const (
		cycles  = 3
		workers = 4
		perKill = 100 // acknowledged changes per cycle before the kill
	)
	dataDir := filepath.Join(t.TempDir(), "data")
	cfg := adminBrokerConfig(dataDir)
	got := &acks{acls: map[string]bool{}, users: map[string]bool{}}
	for cycle := 0; cycle < cycles; cycle++ {
		proc := startBinary(t, cfg)
		addr := proc.Addr("SASL_PLAINTEXT")
		checkPresent(t, addr, got, fmt.Sprintf("after restart %d", cycle))

		ctx, cancel := context.WithCancel(context.Background())
		start := got.count()
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := 0; w < workers; w++ {
			cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.SASL(plainMech("admin", adminPass)), kgo.RequestRetries(0))
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer cl.Close()
				if err := burst(ctx, cl, fmt.Sprintf("c%d-w%d", cycle, w), got); err != nil && ctx.Err() == nil {
					errs <- err
				}
			}()
		}
		waitFor(t, fmt.Sprintf("%d acknowledged changes in cycle %d", perKill, cycle), func() bool {
			select {
			case err := <-errs:
				t.Fatalf("a burst failed before the kill: %v", err)
			default:
			}
			return got.count()-start >= perKill
		})
		proc.Kill() // SIGKILL, with requests in flight
		cancel()
		wg.Wait()
		t.Logf("cycle %d: killed after %d acknowledged changes (%d ACLs and %d users in all)", cycle, got.count()-start, len(got.acls), len(got.users))
	}

	proc := startBinary(t, cfg)
	addr := proc.Addr("SASL_PLAINTEXT")
	checkPresent(t, addr, got, "after the last restart")
	ctx := testContext(t)
	adm := adminClient(t, addr)
	inFlight := len(storedACLNames(ctx, t, adm)) - len(got.acls) + len(storedUsers(ctx, t, adm)) - len(got.users)
	t.Logf("%d ACLs and %d users acknowledged, all present; %d more present whose answer was lost in a kill", len(got.acls), len(got.users), inFlight)
	users := make([]string, 0, len(got.users))
	for u := range got.users {
		users = append(users, u)
	}
	sort.Strings(users)
	for _, u := range users {
		if err := scramLogin(ctx, addr, u); err != nil {
			t.Errorf("acknowledged user %s cannot log in after the kills: %v", u, err)
		}
	}
}

// burst alternates CreateAcls of five new ACLs and the creation of two new
// SCRAM users until ctx ends, recording what was acknowledged. It returns
// the first unexpected error answer.
func burst(ctx context.Context, cl *kgo.Client, prefix string, got *acks) error {
	adm := kadm.NewClient(cl)
	for i := 0; ctx.Err() == nil; i++ {
		names := make([]string, 5)
		for j := range names {
			names[j] = fmt.Sprintf("%s-acl-%d-%d", prefix, i, j)
		}
		codes, msgs, err := createACLs(ctx, cl, names...)
		if err != nil {
			return nil // the broker died with the request in flight
		}
		for j, code := range codes {
			if code != 0 {
				return fmt.Errorf("CreateAcls %s: code %d %s", names[j], code, msgs[j])
			}
		}
		got.add(got.acls, names...)

		u1, u2 := fmt.Sprintf("%s-user-%d-a", prefix, i), fmt.Sprintf("%s-user-%d-b", prefix, i)
		res, err := adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{
			{User: u1, Mechanism: kadm.ScramSha256, Iterations: 4096, Password: u1 + "-pw"},
			{User: u2, Mechanism: kadm.ScramSha256, Iterations: 4096, Password: u2 + "-pw"},
		})
		if err != nil {
			return nil
		}
		for _, u := range []string{u1, u2} {
			r, ok := res[u]
			if !ok || r.Err != nil {
				return fmt.Errorf("AlterUserScramCredentials %s: %v %s", u, r.Err, r.ErrMessage)
			}
			got.add(got.users, u)
		}
	}
	return nil
}

// checkPresent fails t for every acknowledged ACL or user the broker at
// addr does not describe.
func checkPresent(t *testing.T, addr string, got *acks, when string) {
	t.Helper()
	ctx := testContext(t)
	adm := adminClient(t, addr)
	acls := storedACLNames(ctx, t, adm)
	users := storedUsers(ctx, t, adm)
	got.mu.Lock()
	defer got.mu.Unlock()
	missing := 0
	for n := range got.acls {
		if !acls[n] {
			missing++
			if missing <= 10 {
				t.Errorf("%s: acknowledged ACL %s is missing", when, n)
			}
		}
	}
	for u := range got.users {
		if !users[u] {
			missing++
			if missing <= 10 {
				t.Errorf("%s: acknowledged SCRAM user %s is missing", when, u)
			}
		}
	}
	if missing > 10 {
		t.Errorf("%s: %d acknowledged changes missing in all", when, missing)
	}
}
