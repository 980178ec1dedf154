package integration

// TestReadmeExamples runs every `sh` block of README.md as written.
//
// The README is written for the development default: `minikafka serve`
// on 127.0.0.1:9092 with its admin listener on 127.0.0.1:9644. So the test
// starts the broker the way the README's first line says (`go run
// ./cmd/minikafka serve`, from the module root), waits until /readyz
// answers 200, and runs the following blocks against it with bash, in
// order, in one scratch directory (so that a block may use a file an
// earlier one wrote), with the `minikafka` built for this test run first
// on PATH. Markers in an HTML comment on the line before a block change
// what happens to it:
//
//	<!-- readme-test: server -->       the block starts a broker: the running one is
//	                                   stopped (SIGTERM), this one started and awaited
//	<!-- readme-test: skip REASON -->  the block is not run; REASON is logged
//
// Every other block must exit 0. The first block must hold exactly the
// README's two opening commands; the second of them (./scripts/test.sh)
// is the command that runs this test, so it is not run. The brokers run
// on fixed ports, so a lock file serializes this test across test
// processes of the machine, and the ports must be free.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// readmeBlock is one fenced code block of the README.
type readmeBlock struct {
	line    int    // of the opening fence
	lang    string // info string
	body    string
	markers []string // readme-test directives on the lines just before it
}

func readmeBlocks(t *testing.T, path string) []readmeBlock {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []readmeBlock
	var cur *readmeBlock
	var pending []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.body += line + "\n"
		case strings.HasPrefix(line, "```"):
			cur = &readmeBlock{line: n, lang: strings.TrimSpace(strings.TrimPrefix(line, "```")), markers: pending}
			pending = nil
		case strings.HasPrefix(line, "<!-- readme-test:"):
			m := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, "<!-- readme-test:"), "-->"))
			pending = append(pending, m)
		case strings.TrimSpace(line) != "":
			if len(pending) > 0 {
				t.Fatalf("%s:%d: a readme-test marker must be right before its block", path, n-1)
			}
		}
	}
	if cur != nil {
		t.Fatalf("%s:%d: unterminated code block", path, cur.line)
	}
	return blocks
}

// readmeServer is a broker a README block started, as a process group.
type readmeServer struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{}
	what   string
}

// devPorts are the fixed ports of the development default.
var devPorts = []string{"127.0.0.1:9092", "127.0.0.1:9644"}

func startReadmeServer(t *testing.T, what, dir string, env []string, name string, args ...string) *readmeServer {
	t.Helper()
	waitPortsFree(t)
	s := &readmeServer{out: &syncBuffer{}, exited: make(chan struct{}), what: what}
	s.cmd = exec.Command(name, args...)
	s.cmd.Dir, s.cmd.Env = dir, env
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // go run and its child: one group to stop
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	// go run compiles first: allow for it.
	deadline := time.Now().Add(3 * time.Minute)
	for {
		select {
		case <-s.exited:
			t.Fatalf("%s exited before it was ready:\n%s", what, s.out)
		default:
		}
		if resp, err := http.Get("http://127.0.0.1:9644/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			s.stop(t)
			t.Fatalf("%s: /readyz did not answer 200 within 3 minutes:\n%s", what, s.out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(s.out.String(), "minikafka is ready") {
		t.Errorf("%s: no banner in its output:\n%s", what, s.out)
	}
	return s
}

// stop sends SIGTERM to the server's process group and waits; the broker
// must exit without ERROR lines.
func (s *readmeServer) stop(t *testing.T) {
	t.Helper()
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
		t.Errorf("%s did not stop within 30 s of SIGTERM", s.what)
	}
	if log := s.out.String(); strings.Contains(log, "level=ERROR") || strings.Contains(log, "panic:") {
		t.Errorf("%s logged an error:\n%s", s.what, log)
	}
}

// syncBuffer is a bytes.Buffer the process's output goroutine writes
// while the test reads it.
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

func waitPortsFree(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for _, addr := range devPorts {
		for {
			ln, err := net.Listen("tcp", addr)
			if err == nil {
				ln.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s stays in use: the README's examples need the development default's ports (%v)", addr, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// lockDevPorts serializes the tests of this machine that use the
// development default's fixed ports.
func lockDevPorts(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "minikafka-dev-ports.lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}

func TestReadmeExamples(t *testing.T) {
	requireBinary(t)
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	blocks := readmeBlocks(t, filepath.Join(root, "README.md"))
	var sh []readmeBlock
	for _, b := range blocks {
		if b.lang == "sh" {
			sh = append(sh, b)
		} else if len(b.markers) > 0 {
			t.Fatalf("README.md:%d: readme-test marker on a %q block", b.line, b.lang)
		}
	}
	if len(sh) < 5 {
		t.Fatalf("only %d sh blocks in README.md", len(sh))
	}
	first := commands(sh[0].body)
	if len(first) != 2 || first[0] != "go run ./cmd/minikafka serve" || first[1] != "./scripts/test.sh" {
		t.Fatalf("README.md:%d: the first block should be `go run ./cmd/minikafka serve` and `./scripts/test.sh`, got %q", sh[0].line, first)
	}

	// A scratch directory with the README's relative paths, and a PATH
	// that finds this tree's minikafka.
	work := t.TempDir()
	bin := filepath.Join(work, ".bin")
	if err := os.MkdirAll(filepath.Join(work, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(binPath, filepath.Join(bin, "minikafka")); err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile(filepath.Join(root, "docs", "fixtures.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "docs", "fixtures.example.yaml"), example, 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	lockDevPorts(t)
	server := startReadmeServer(t, "README.md:"+fmt.Sprint(sh[0].line)+" go run ./cmd/minikafka serve", root, env, goTool(), "run", "./cmd/minikafka", "serve")
	defer func() { server.stop(t) }()

	ran := 0
	for _, b := range sh[1:] {
		where := fmt.Sprintf("README.md:%d", b.line)
		switch marker := strings.Join(b.markers, " "); {
		case strings.HasPrefix(marker, "skip"):
			reason := strings.TrimSpace(strings.TrimPrefix(marker, "skip"))
			if reason == "" {
				t.Fatalf("%s: a skipped block must say why", where)
			}
			t.Logf("%s: not run: %s", where, reason)
		case marker == "server":
			cmds := commands(b.body)
			if len(cmds) != 1 {
				t.Fatalf("%s: a server block holds one command, got %q", where, cmds)
			}
			server.stop(t)
			server = startReadmeServer(t, where+" "+cmds[0], work, env, "bash", "-c", "exec "+cmds[0])
		case marker == "":
			runReadmeBlock(t, where, b.body, work, env)
			ran++
		default:
			t.Fatalf("%s: unknown readme-test marker %q", where, marker)
		}
	}
	if ran < 4 {
		t.Fatalf("only %d README blocks ran", ran)
	}
}

func runReadmeBlock(t *testing.T, where, body, dir string, env []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", body)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		t.Logf("%s ran:\n%s", where, indent(string(out)))
	case errors.As(err, &ee):
		t.Fatalf("%s failed (%v):\n%s\n--- output ---\n%s", where, err, indent(body), out)
	default:
		t.Fatalf("%s: %v", where, err)
	}
}

// commands returns the commands of a block: its lines without comments,
// continuation lines joined.
func commands(body string) []string {
	var out []string
	var cur string
	for _, line := range strings.Split(body, "\n") {
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur += strings.TrimSuffix(line, "\\")
			continue
		}
		out = append(out, cur+line)
		cur = ""
	}
	return out
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// goTool is the go command that runs the tests (as buildBinary finds it).
func goTool() string {
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			return p
		}
	}
	return "go"
}
