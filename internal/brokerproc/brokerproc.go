// Package brokerproc builds the minikafka binary and runs it as a
// subprocess, for load and fault tests that must see the real process:
// its own memory (peak RSS from /proc/<pid>/status VmHWM), a kill -9, a
// restart on the same data directory. Start writes a server.properties
// with free loopback ports, starts `minikafka serve`, captures its log and
// waits until the first listener answers ApiVersions.
//
// It is test and benchmark support: nothing in the broker imports it.
package brokerproc

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// ModuleRoot returns the directory of minikafka's go.mod: the module this
// package was compiled from, else the nearest go.mod above the working
// directory.
func ModuleRoot() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok {
		dir := filepath.Join(filepath.Dir(file), "..", "..")
		if fileExists(filepath.Join(dir, "go.mod")) {
			return filepath.Clean(dir), nil
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if fileExists(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("brokerproc: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Build compiles ./cmd/minikafka into out (with the race detector when
// race is set). The go command is GOROOT/bin/go when GOROOT is set (as
// `go test` sets it), else go from PATH.
func Build(ctx context.Context, out string, race bool) error {
	root, err := ModuleRoot()
	if err != nil {
		return err
	}
	goTool := "go"
	if r := os.Getenv("GOROOT"); r != "" && fileExists(filepath.Join(r, "bin", "go")) {
		goTool = filepath.Join(r, "bin", "go")
	}
	args := []string{"build", "-o", out}
	if race {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/minikafka")
	cmd := exec.CommandContext(ctx, goTool, args...)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("brokerproc: go %s: %w\n%s", strings.Join(args, " "), err, b)
	}
	return nil
}

// Listener is one listener of the started broker.
type Listener struct {
	Name             string // e.g. SASL_PLAINTEXT or CLIENT
	SecurityProtocol string // default: Name
	// Port is the port to bind; 0 picks a free one (Start retries on new
	// ports when another process takes it first).
	Port int
}

// Config says how to start the broker.
type Config struct {
	// Binary is the minikafka executable (see Build).
	Binary string
	// Dir receives server.properties and the log (required).
	Dir string
	// Listeners default to one PLAINTEXT listener.
	Listeners []Listener
	// DataDir is log.dirs (empty: none, everything in memory).
	DataDir string
	// Admin starts the admin HTTP listener (/metrics, the development
	// token issuer) on a free port.
	Admin bool
	// Properties are extra server.properties lines.
	Properties []string
	// LogLevel is --log-level (default info).
	LogLevel string
	// ReadyTimeout bounds the wait for the first listener (default 30 s).
	ReadyTimeout time.Duration
}

// Proc is a running broker process.
type Proc struct {
	cfg     Config
	addrs   map[string]string
	admin   string
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{}
	err     error // Wait's result, valid once exited is closed
	once    sync.Once
}

// Start writes the configuration and starts the broker, waiting until it
// answers ApiVersions on its first listener. A failure returns the tail of
// the broker's log in the error.
func Start(cfg Config) (*Proc, error) {
	if cfg.Binary == "" || cfg.Dir == "" {
		return nil, errors.New("brokerproc: Config.Binary and Config.Dir are required")
	}
	if len(cfg.Listeners) == 0 {
		cfg.Listeners = []Listener{{Name: "PLAINTEXT"}}
	}
	if cfg.LogLevel == "" {
		cfg.LogLevel = "info"
	}
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = 30 * time.Second
	}
	var lastErr error
	for attempt := 1; attempt <= 3; attempt++ {
		p, err := launch(cfg, attempt)
		if err == nil {
			return p, nil
		}
		lastErr = err
		if p == nil || !strings.Contains(p.Log(), "address already in use") {
			break
		}
	}
	return nil, lastErr
}

func launch(cfg Config, attempt int) (*Proc, error) {
	n := 0
	for _, l := range cfg.Listeners {
		if l.Port == 0 {
			n++
		}
	}
	if cfg.Admin {
		n++
	}
	ports, err := FreePorts(n)
	if err != nil {
		return nil, err
	}
	p := &Proc{cfg: cfg, addrs: map[string]string{}, exited: make(chan struct{}),
		logPath: filepath.Join(cfg.Dir, fmt.Sprintf("broker-%d.log", attempt))}
	var listeners, protoMap []string
	for _, l := range cfg.Listeners {
		port := l.Port
		if port == 0 {
			port, ports = ports[0], ports[1:]
		}
		proto := l.SecurityProtocol
		if proto == "" {
			proto = l.Name
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		p.addrs[l.Name] = addr
		listeners = append(listeners, l.Name+"://"+addr)
		protoMap = append(protoMap, l.Name+":"+proto)
	}
	props := []string{
		"# generated by internal/brokerproc",
		"node.id=1",
		"listeners=" + strings.Join(listeners, ","),
		"listener.security.protocol.map=" + strings.Join(protoMap, ","),
	}
	if cfg.Admin {
		p.admin = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
		props = append(props, "admin.listener="+p.admin)
	}
	if cfg.DataDir != "" {
		props = append(props, "log.dirs="+cfg.DataDir)
	}
	props = append(props, cfg.Properties...)
	conf := filepath.Join(cfg.Dir, fmt.Sprintf("server-%d.properties", attempt))
	if err := os.WriteFile(conf, []byte(strings.Join(props, "\n")+"\n"), 0o600); err != nil {
		return nil, err
	}
	logf, err := os.Create(p.logPath)
	if err != nil {
		return nil, err
	}
	p.cmd = exec.Command(cfg.Binary, "serve", "-c", conf, "--log-level", cfg.LogLevel)
	p.cmd.Dir = cfg.Dir
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("brokerproc: exec %s: %w", cfg.Binary, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		logf.Close()
		close(p.exited)
	}()
	if err := p.waitReady(cfg.ReadyTimeout); err != nil {
		p.Kill()
		return p, fmt.Errorf("brokerproc: %w\n--- broker log ---\n%s", err, Tail(p.Log(), 60))
	}
	return p, nil
}

// Addr returns host:port of the named listener ("" if there is none).
func (p *Proc) Addr(listener string) string { return p.addrs[listener] }

// AdminAddr returns host:port of the admin HTTP listener ("" without one).
func (p *Proc) AdminAddr() string { return p.admin }

// PID is the broker's process id.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Config returns the configuration the broker was started with (for a
// restart on the same data directory).
func (p *Proc) Config() Config { return p.cfg }

// Log returns what the broker wrote so far.
func (p *Proc) Log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// LogPath is the file receiving the broker's stdout and stderr.
func (p *Proc) LogPath() string { return p.logPath }

// Exited is closed once the process has exited.
func (p *Proc) Exited() <-chan struct{} { return p.exited }

// Kill sends SIGKILL (kill -9: no shutdown code runs) and waits for the
// process to be gone. Later calls do nothing.
func (p *Proc) Kill() {
	p.once.Do(func() {
		_ = p.cmd.Process.Kill()
	})
	<-p.exited
}

// Stop sends SIGTERM and waits up to timeout; it returns an error when the
// broker does not exit in time (it is then killed) or exits with a
// non-zero status.
func (p *Proc) Stop(timeout time.Duration) error {
	var err error
	p.once.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
			if p.err != nil {
				err = fmt.Errorf("brokerproc: minikafka exited uncleanly after SIGTERM: %w", p.err)
			}
		case <-time.After(timeout):
			_ = p.cmd.Process.Kill()
			<-p.exited
			err = fmt.Errorf("brokerproc: minikafka did not exit within %v of SIGTERM; killed", timeout)
		}
	})
	<-p.exited
	return err
}

// Status is a snapshot of the process from /proc/<pid>.
type Status struct {
	PeakRSS int64         // VmHWM, bytes
	RSS     int64         // VmRSS, bytes
	Threads int           // Threads
	CPU     time.Duration // utime + stime
}

// Status reads /proc/<pid>/status and /proc/<pid>/stat.
func (p *Proc) Status() (Status, error) { return ReadStatus(p.PID()) }

// ReadStatus reads the memory, thread and CPU figures of process pid.
func ReadStatus(pid int) (Status, error) {
	var s Status
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "VmHWM", "VmRSS":
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, "kB")), 10, 64)
			if err != nil {
				return s, fmt.Errorf("brokerproc: /proc/%d/status %s: %w", pid, k, err)
			}
			if k == "VmHWM" {
				s.PeakRSS = kb << 10
			} else {
				s.RSS = kb << 10
			}
		case "Threads":
			s.Threads, _ = strconv.Atoi(v)
		}
	}
	if s.PeakRSS == 0 {
		return s, fmt.Errorf("brokerproc: /proc/%d/status has no VmHWM", pid)
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// Fields after the command name (which may hold spaces) start after
	// the last ')'; utime and stime are fields 14 and 15 (1-based).
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 {
		fields := strings.Fields(string(stat[i+1:]))
		if len(fields) > 12 {
			ut, _ := strconv.ParseInt(fields[11], 10, 64)
			st, _ := strconv.ParseInt(fields[12], 10, 64)
			s.CPU = time.Duration(ut+st) * time.Second / clockTicks
		}
	}
	return s, nil
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

// FreePorts returns n distinct free loopback ports.
func FreePorts(n int) ([]int, error) {
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
			return nil, fmt.Errorf("brokerproc: finding a free port: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func (p *Proc) waitReady(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	l := p.cfg.Listeners[0]
	addr := p.addrs[l.Name]
	var tlsCfg *tls.Config
	if proto := cmpOr(l.SecurityProtocol, l.Name); proto == "SSL" || proto == "SASL_SSL" {
		tlsCfg = &tls.Config{InsecureSkipVerify: true} // readiness only
	}
	var lastErr error
	for {
		select {
		case <-p.exited:
			return fmt.Errorf("minikafka exited before it was ready: %v", p.err)
		default:
		}
		if err := ProbeApiVersions(ctx, addr, tlsCfg); err == nil {
			return nil
		} else {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("minikafka not ready on %s after %v: %w", addr, timeout, lastErr)
		case <-p.exited:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ProbeApiVersions sends one ApiVersions v3 on a fresh connection and
// checks that the answer has error code 0.
func ProbeApiVersions(ctx context.Context, addr string, tlsCfg *tls.Config) error {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer nc.Close()
	if tlsCfg != nil {
		nc = tls.Client(nc, tlsCfg)
	}
	_ = nc.SetDeadline(time.Now().Add(2 * time.Second))
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 3
	req.ClientSoftwareName, req.ClientSoftwareVersion = "brokerproc", "1.0.0"
	if _, err := nc.Write(kmsg.NewRequestFormatter(kmsg.FormatterClientID("brokerproc")).AppendRequest(nil, req, 1)); err != nil {
		return err
	}
	var size [4]byte
	if _, err := io.ReadFull(nc, size[:]); err != nil {
		return err
	}
	n := binary.BigEndian.Uint32(size[:])
	if n < 6 || n > 1<<20 {
		return fmt.Errorf("ApiVersions response size %d", n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(nc, body); err != nil {
		return err
	}
	if code := int16(binary.BigEndian.Uint16(body[4:])); code != 0 {
		return fmt.Errorf("ApiVersions error code %d", code)
	}
	return nil
}

// Tail returns the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) <= n {
		return s
	}
	return fmt.Sprintf("[... %d lines cut ...]\n", len(lines)-n) + strings.Join(lines[len(lines)-n:], "")
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
