package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka"
)

// startupFigures prints how long an embedded broker takes from New to
// serving a client's first Metadata (minikafka and kfake), and how long
// the minikafka binary takes from exec to answering ApiVersions.
func startupFigures(w io.Writer, o options) error {
	fmt.Fprintf(w, "Startup (%d samples each; median, min, p90)\n", o.startupN)
	mk, err := sample(o.startupN, embeddedMinikafka)
	if err != nil {
		return fmt.Errorf("embedded minikafka: %w", err)
	}
	printSamples(w, "minikafka.New+Start to first Metadata (franz-go client)", mk)
	kf, err := sample(o.startupN, embeddedKfake)
	if err != nil {
		return fmt.Errorf("embedded kfake: %w", err)
	}
	printSamples(w, "kfake.NewCluster to first Metadata (franz-go client)", kf)
	bin := o.binary
	if bin == "" {
		dir, err := os.MkdirTemp("", "minikafka-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		bin = filepath.Join(dir, "minikafka")
		build := exec.Command("go", "build", "-o", bin, "github.com/minikafka/minikafka/cmd/minikafka")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/minikafka: %w", err)
		}
	}
	bs, err := sample(o.startupN, func() (time.Duration, error) { return binaryStart(bin) })
	if err != nil {
		return fmt.Errorf("binary: %w", err)
	}
	printSamples(w, "minikafka serve: exec to first ApiVersions answer", bs)
	fmt.Fprintln(w)
	return nil
}

func sample(n int, f func() (time.Duration, error)) ([]time.Duration, error) {
	out := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		d, err := f()
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	slices.Sort(out)
	return out, nil
}

func printSamples(w io.Writer, what string, s []time.Duration) {
	p90 := s[(len(s)*9+9)/10-1]
	fmt.Fprintf(w, "  %-56s median %7s  min %7s  p90 %7s\n", what, ms(s[len(s)/2]), ms(s[0]), ms(p90))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func firstMetadata(addr string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	if len(resp.Brokers) == 0 {
		return fmt.Errorf("metadata names no broker")
	}
	return nil
}

func embeddedMinikafka() (time.Duration, error) {
	start := time.Now()
	b, err := minikafka.New(minikafka.Config{Listeners: []minikafka.Listener{{Name: "PLAINTEXT", Addr: "127.0.0.1:0", SecurityProtocol: "PLAINTEXT"}}})
	if err != nil {
		return 0, err
	}
	defer b.Close()
	if err := b.Start(); err != nil {
		return 0, err
	}
	if err := firstMetadata(b.BootstrapAddr()); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func embeddedKfake() (time.Duration, error) {
	start := time.Now()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if err := firstMetadata(c.ListenAddrs()[0]); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// binaryStart runs `minikafka serve -c FILE` with one PLAINTEXT listener on
// a free port and times exec to the first ApiVersions answer.
func binaryStart(bin string) (time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	props := filepath.Join(os.TempDir(), fmt.Sprintf("minikafka-bench-%d.properties", os.Getpid()))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := os.WriteFile(props, []byte("listeners=PLAINTEXT://"+addr+"\n"), 0o600); err != nil {
		return 0, err
	}
	defer os.Remove(props)
	cmd := exec.Command(bin, "serve", "-c", props, "--log-level", "warn")
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	deadline := start.Add(10 * time.Second)
	for {
		nc, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			err = apiVersions(nc)
			nc.Close()
			if err != nil {
				return 0, err
			}
			return time.Since(start), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%s not listening after 10s: %w", bin, err)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// apiVersions sends an ApiVersions v0 request on nc and checks the answer.
func apiVersions(nc net.Conn) error {
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 0
	frame := []byte{0, 0, 0, 0, 0, 18, 0, 0, 0, 0, 0, 7, 0, 5}
	frame = append(frame, "bench"...)
	frame = req.AppendTo(frame)
	binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))
	if _, err := nc.Write(frame); err != nil {
		return err
	}
	var size [4]byte
	if _, err := io.ReadFull(nc, size[:]); err != nil {
		return err
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(nc, body); err != nil {
		return err
	}
	if len(body) < 6 || binary.BigEndian.Uint32(body) != 7 || binary.BigEndian.Uint16(body[4:]) != 0 {
		return fmt.Errorf("bad ApiVersions answer % x", body[:min(len(body), 16)])
	}
	return nil
}

// machine describes the machine the figures come from.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (%s), %s/%s, %s", runtime.NumCPU(), model, runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// franzVersion names the franz-go and kfake versions linked in.
func franzVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	var parts []string
	for _, d := range bi.Deps {
		switch d.Path {
		case "github.com/twmb/franz-go":
			parts = append(parts, d.Version)
		case "github.com/twmb/franz-go/pkg/kfake":
			parts = append(parts, "kfake "+d.Version)
		}
	}
	return strings.Join(parts, ", ")
}

// loadAverage is the 1, 5 and 15 minute load average (the figures are
// only comparable on an otherwise idle machine).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
