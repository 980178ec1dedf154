package integration

// The harness: TestMain builds ./cmd/minikafka once; startBinary runs it as
// a subprocess per test with a generated server.properties on free
// loopback ports, waits until it answers ApiVersions, captures its log and
// stops it with SIGTERM at cleanup, failing the test unless the broker
// exits cleanly (status 0, no data race, no panic, no ERROR log line).

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// binPath is the minikafka binary built by TestMain ("" against an
// external cluster, where no test starts it).
var binPath string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	flag.Parse() // for testing.Verbose
	if os.Getenv(envBootstrap) != "" {
		fmt.Fprintf(os.Stderr, "integration: %s is set: client tests run against %s; binary-only tests are skipped\n",
			envBootstrap, os.Getenv(envBootstrap))
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "minikafka-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binPath = filepath.Join(dir, "minikafka")
	start := time.Now()
	if err := buildBinary(binPath); err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "integration: built %s (race=%v) in %v\n", binPath, raceEnabled, time.Since(start).Round(time.Millisecond))
	}
	return m.Run()
}

// buildBinary builds ./cmd/minikafka of this module into out, with the race
// detector when the tests themselves run with it, so that races the real
// clients provoke in the broker fail the test that provoked them.
func buildBinary(out string) error {
	// The go command that runs the tests sets GOROOT for them.
	goTool := "go"
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			goTool = p
		}
	}
	args := []string{"build", "-o", out}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/minikafka")
	cmd := exec.Command(goTool, args...)
	cmd.Dir = ".." // the module root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, b)
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// ListenerSpec is one listener of a started binary.
type ListenerSpec struct {
	Name             string // listener name, e.g. PLAINTEXT or CLIENT
	SecurityProtocol string // PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL; default Name
}

// BinaryConfig is what startBinary puts into server.properties and onto
// the command line.
type BinaryConfig struct {
	// Listeners default to one PLAINTEXT listener. Each gets a free
	// loopback port.
	Listeners []ListenerSpec
	// Properties are extra key=value lines of server.properties.
	Properties []string
	// DataDir sets log.dirs to a fresh directory (Binary.DataDir).
	DataDir bool
	// Args are extra flags of `minikafka serve`.
	Args []string
	// ProbeTLS is the client TLS config of the readiness probe when the
	// first listener is SSL or SASL_SSL (default: no verification).
	ProbeTLS *tls.Config
}

// Binary is a running minikafka subprocess.
type Binary struct {
	Dir        string // private directory of this broker
	ConfigPath string // the generated server.properties
	LogPath    string // stdout and stderr of the process
	DataDir    string // log.dirs, when BinaryConfig.DataDir

	addrs    map[string]string
	cmd      *exec.Cmd
	exited   chan struct{}
	err      error // Wait's result, valid once exited is closed
	stopOnce sync.Once
}

// Addr returns host:port of the named listener; it fails the test for an
// unknown name.
func (b *Binary) Addr(tb testing.TB, listener string) string {
	tb.Helper()
	a, ok := b.addrs[listener]
	if !ok {
		tb.Fatalf("minikafka binary has no listener %q (have %v)", listener, b.addrs)
	}
	return a
}

// Log returns what the broker printed so far.
func (b *Binary) Log() string {
	data, _ := os.ReadFile(b.LogPath)
	return string(data)
}

// startBinary starts the minikafka binary for this test and stops it at
// cleanup. It fails the test if the broker does not become ready, or does
// not exit cleanly on SIGTERM.
func startBinary(t *testing.T, cfg BinaryConfig) *Binary {
	t.Helper()
	if binPath == "" {
		t.Fatalf("startBinary: no binary was built (%s is set)", envBootstrap)
	}
	if len(cfg.Listeners) == 0 {
		cfg.Listeners = []ListenerSpec{{Name: "PLAINTEXT"}}
	}
	dir := t.TempDir()
	// Free ports are picked before the broker binds them; another process
	// may take one in between, so a bind failure is retried on new ports.
	var lastLog string
	for attempt := 1; attempt <= 3; attempt++ {
		b, err := launch(dir, cfg, attempt)
		if err == nil {
			t.Cleanup(func() { b.Stop(t) })
			return b
		}
		lastLog = ""
		if b != nil {
			lastLog = b.Log()
		}
		if !strings.Contains(lastLog, "address already in use") {
			t.Fatalf("starting minikafka: %v\n--- broker log ---\n%s", err, lastLog)
		}
	}
	t.Fatalf("starting minikafka: listener ports kept being taken\n--- broker log ---\n%s", lastLog)
	return nil
}

// launch writes the config, starts the process and waits until it is
// ready. On error the process is gone; the returned Binary (if any) still
// gives its log.
func launch(dir string, cfg BinaryConfig, attempt int) (*Binary, error) {
	ports, err := freePorts(len(cfg.Listeners))
	if err != nil {
		return nil, err
	}
	b := &Binary{
		Dir:        dir,
		ConfigPath: filepath.Join(dir, fmt.Sprintf("server-%d.properties", attempt)),
		LogPath:    filepath.Join(dir, fmt.Sprintf("broker-%d.log", attempt)),
		addrs:      map[string]string{},
		exited:     make(chan struct{}),
	}
	var listeners, protoMap []string
	for i, l := range cfg.Listeners {
		proto := l.SecurityProtocol
		if proto == "" {
			proto = l.Name
		}
		addr := net.JoinHostPort("127.0.0.1", fmt.Sprint(ports[i]))
		b.addrs[l.Name] = addr
		listeners = append(listeners, l.Name+"://"+addr)
		protoMap = append(protoMap, l.Name+":"+proto)
	}
	props := []string{
		"# generated by the minikafka integration harness",
		"node.id=1",
		"listeners=" + strings.Join(listeners, ","),
		"listener.security.protocol.map=" + strings.Join(protoMap, ","),
	}
	if cfg.DataDir {
		b.DataDir = filepath.Join(dir, "data")
		props = append(props, "log.dirs="+b.DataDir)
	}
	props = append(props, cfg.Properties...)
	if err := os.WriteFile(b.ConfigPath, []byte(strings.Join(props, "\n")+"\n"), 0o600); err != nil {
		return nil, err
	}
	logf, err := os.Create(b.LogPath)
	if err != nil {
		return nil, err
	}
	args := append([]string{"serve", "-c", b.ConfigPath, "--log-level", "debug"}, cfg.Args...)
	b.cmd = exec.Command(binPath, args...)
	b.cmd.Dir = dir
	b.cmd.Stdout, b.cmd.Stderr = logf, logf
	if err := b.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("exec %s: %w", binPath, err)
	}
	go func() {
		b.err = b.cmd.Wait()
		logf.Close()
		close(b.exited)
	}()
	first := cfg.Listeners[0]
	var probeTLS *tls.Config
	if p := cmp.Or(first.SecurityProtocol, first.Name); p == "SSL" || p == "SASL_SSL" {
		probeTLS = cfg.ProbeTLS
		if probeTLS == nil {
			probeTLS = &tls.Config{InsecureSkipVerify: true} // readiness only; the tests verify
		}
	}
	if err := b.waitReady(b.addrs[first.Name], probeTLS, 30*time.Second); err != nil {
		b.kill()
		return b, err
	}
	return b, nil
}

// waitReady polls ApiVersions until the broker answers, it exits, or the
// deadline passes.
func (b *Binary) waitReady(addr string, tlsCfg *tls.Config, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var lastErr error
	for {
		select {
		case <-b.exited:
			return fmt.Errorf("minikafka exited before it was ready: %v", b.err)
		default:
		}
		resp, err := probeApiVersions(ctx, addr, tlsCfg)
		if err == nil && resp.ErrorCode == 0 {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("ApiVersions error code %d", resp.ErrorCode)
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("minikafka not ready on %s after %v: %w", addr, timeout, lastErr)
		case <-b.exited:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Stop sends SIGTERM and fails t unless the broker exits with status 0
// and a log free of panics, data races and ERROR lines; the log is dumped
// when t failed. startBinary's cleanup calls it; later calls do nothing.
func (b *Binary) Stop(t *testing.T) {
	t.Helper()
	b.stopOnce.Do(func() { b.stop(t) })
}

func (b *Binary) stop(t *testing.T) {
	t.Helper()
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.exited:
	case <-time.After(20 * time.Second):
		b.kill()
		t.Errorf("minikafka did not exit within 20s of SIGTERM; killed")
	}
	var ee *exec.ExitError
	switch {
	case b.err == nil:
	case errors.As(b.err, &ee):
		t.Errorf("minikafka exited uncleanly after SIGTERM: %v", b.err)
	default:
		t.Errorf("waiting for minikafka: %v", b.err)
	}
	log := b.Log()
	for _, bad := range []string{"WARNING: DATA RACE", "panic:", "level=ERROR"} {
		if strings.Contains(log, bad) {
			t.Errorf("broker log contains %q", bad)
		}
	}
	if t.Failed() {
		t.Logf("--- broker log (%s) ---\n%s", b.LogPath, tail(log, 400))
	}
}

func (b *Binary) kill() {
	_ = b.cmd.Process.Kill()
	<-b.exited
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) <= n {
		return s
	}
	return fmt.Sprintf("[... %d lines cut ...]\n", len(lines)-n) + strings.Join(lines[len(lines)-n:], "")
}

// freePorts returns n distinct free loopback ports.
func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// probeApiVersions sends one ApiVersions v3 request on a fresh connection and
// decodes the answer.
func probeApiVersions(ctx context.Context, addr string, tlsCfg *tls.Config) (*kmsg.ApiVersionsResponse, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	if tlsCfg != nil {
		nc = tls.Client(nc, tlsCfg)
	}
	deadline, _ := ctx.Deadline()
	if soon := time.Now().Add(2 * time.Second); deadline.IsZero() || soon.Before(deadline) {
		deadline = soon
	}
	_ = nc.SetDeadline(deadline)
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 3
	req.ClientSoftwareName = "minikafka-integration"
	req.ClientSoftwareVersion = "1.0.0"
	const corr = 7
	buf := kmsg.NewRequestFormatter(kmsg.FormatterClientID("minikafka-integration")).AppendRequest(nil, req, corr)
	if _, err := nc.Write(buf); err != nil {
		return nil, err
	}
	var size [4]byte
	if _, err := io.ReadFull(nc, size[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(size[:])
	if n < 4 || n > 1<<20 {
		return nil, fmt.Errorf("ApiVersions response size %d", n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(nc, body); err != nil {
		return nil, err
	}
	if got := int32(binary.BigEndian.Uint32(body)); got != corr {
		return nil, fmt.Errorf("correlation id %d, want %d", got, corr)
	}
	resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
	resp.Version = req.Version
	// ApiVersions responses keep the v0 header (no tagged fields) so that
	// a client can parse them before it knows the broker's versions.
	if err := resp.ReadFrom(body[4:]); err != nil {
		return nil, fmt.Errorf("decoding ApiVersions v3: %w", err)
	}
	return resp, nil
}
