package minikafka_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka"
	az "github.com/minikafka/minikafka/authorizer"
)

// TestACLsSurviveRestart: with a data directory, created and deleted ACLs
// persist across a restart, and seeded ACLs are added once.
func TestACLsSurviveRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	seed := minikafka.AllowACL("Group:readers", az.OpRead, az.ResourceTopic, "*")
	start := func() *minikafka.Broker {
		b, _ := minikafka.Start(t, minikafka.WithConfig(minikafka.Config{DataDir: dir}),
			minikafka.WithSuperUsers("User:ANONYMOUS"), minikafka.WithACLs(seed))
		return b
	}
	b := start()
	cl := client(t, b.BootstrapAddr())
	req := kmsg.NewPtrCreateACLsRequest()
	req.Creations = []kmsg.CreateACLsRequestCreation{
		creation(kmsg.ACLResourceTypeTopic, "orders", kmsg.ACLResourcePatternTypePrefixed, "User:alice", kmsg.ACLOperationWrite, kmsg.ACLPermissionTypeAllow),
		creation(kmsg.ACLResourceTypeGroup, "g", kmsg.ACLResourcePatternTypeLiteral, "Group:ops", kmsg.ACLOperationRead, kmsg.ACLPermissionTypeDeny),
		creation(kmsg.ACLResourceTypeTopic, "tmp", kmsg.ACLResourcePatternTypeLiteral, "User:x", kmsg.ACLOperationAll, kmsg.ACLPermissionTypeAllow),
	}
	if resp, err := req.RequestWith(ctx, cl); err != nil || resp.Results[0].ErrorCode != 0 {
		t.Fatalf("CreateAcls = %v, %v", resp, err)
	}
	del := kmsg.NewPtrDeleteACLsRequest()
	f := anyDeleteFilter()
	f.ResourceName = str("tmp")
	del.Filters = []kmsg.DeleteACLsRequestFilter{f}
	if resp, err := del.RequestWith(ctx, cl); err != nil || len(resp.Results[0].MatchingACLs) != 1 {
		t.Fatalf("DeleteAcls = %v, %v", resp, err)
	}
	want := describeAll(ctx, t, cl)
	if len(want) != 3 {
		t.Fatalf("before restart: %v", want)
	}
	cl.Close()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b = start()
	got := describeAll(ctx, t, client(t, b.BootstrapAddr()))
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("after restart:\n got %v\nwant %v", got, want)
	}
}

// minikafkaBinary builds cmd/minikafka into the test's temporary
// directory.
func minikafkaBinary(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "minikafka")
	out, err := exec.Command("go", "build", "-o", path, "./cmd/minikafka").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return path
}

// serveProcess runs `minikafka serve -c props` and returns it with the
// address of its first listener (read from the banner).
func serveProcess(t *testing.T, bin, props string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "-c", props)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) >= 4 && f[0] == "listener" {
				select {
				case addr <- f[3]:
				default:
				}
			}
		}
	}()
	select {
	case a := <-addr:
		return cmd, a
	case <-time.After(60 * time.Second):
		t.Fatalf("minikafka serve did not start; stderr:\n%s", stderr.String())
	}
	return nil, ""
}

// TestKill9DuringCreateAclsKeepsAcknowledgedACLs runs the real binary with
// a data directory, SIGKILLs it while CreateAcls requests are in flight,
// restarts it and checks that every acknowledged ACL is there.
func TestKill9DuringCreateAclsKeepsAcknowledgedACLs(t *testing.T) {
	bin := minikafkaBinary(t)
	dir := t.TempDir()
	props := filepath.Join(dir, "server.properties")
	conf := fmt.Sprintf(`listeners=PLAINTEXT://127.0.0.1:0
log.dirs=%s
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:ANONYMOUS
`, filepath.Join(dir, "data"))
	if err := os.WriteFile(props, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, addr := serveProcess(t, bin, props)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var (
		mu    sync.Mutex
		acked []string
		n     atomic.Int64
		wg    sync.WaitGroup
	)
	const senders, killAfter = 4, 40
	killed := make(chan struct{})
	var killOnce sync.Once
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			cl := client(t, addr)
			for i := 0; ; i++ {
				name := fmt.Sprintf("burst-%d-%d", s, i)
				req := kmsg.NewPtrCreateACLsRequest()
				req.Creations = []kmsg.CreateACLsRequestCreation{creation(kmsg.ACLResourceTypeTopic, name, kmsg.ACLResourcePatternTypeLiteral, "User:burst", kmsg.ACLOperationWrite, kmsg.ACLPermissionTypeAllow)}
				rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
				resp, err := req.RequestWith(rctx, cl)
				rcancel()
				if err != nil {
					select {
					case <-killed:
						return // the broker is gone
					default:
						t.Errorf("CreateAcls before the kill: %v", err)
						return
					}
				}
				if resp.Results[0].ErrorCode != 0 {
					t.Errorf("CreateAcls %s: code %d", name, resp.Results[0].ErrorCode)
					return
				}
				mu.Lock()
				acked = append(acked, "User:burst "+name+" LITERAL WRITE ALLOW")
				mu.Unlock()
				if n.Add(1) == killAfter {
					killOnce.Do(func() {
						close(killed)
						if err := cmd.Process.Kill(); err != nil { // SIGKILL
							t.Errorf("kill: %v", err)
						}
					})
				}
			}
		}(s)
	}
	wg.Wait()
	_ = cmd.Wait()
	if len(acked) < killAfter {
		t.Fatalf("only %d ACLs acknowledged", len(acked))
	}

	_, addr = serveProcess(t, bin, props)
	got := map[string]bool{}
	for _, a := range describeAll(ctx, t, client(t, addr)) {
		got[a] = true
	}
	for _, a := range acked {
		if !got[a] {
			t.Errorf("acknowledged ACL lost after SIGKILL: %s", a)
		}
	}
	t.Logf("%d ACLs acknowledged before SIGKILL, %d present after restart", len(acked), len(got))
}
