// Command authconns measures how many new authenticated connections per
// second a minikafka broker accepts over loopback, per SASL mechanism:
//
//	go run ./bench/authconns                      # OAUTHBEARER, SCRAM-SHA-256 and PLAIN, 10 s each
//	go run ./bench/authconns -mechanisms OAUTHBEARER -duration 30s -workers 16
//
// Each worker loops: dial, ApiVersions v3, SaslHandshake v1, SaslAuthenticate
// v2 (twice for SCRAM: client-first, then client-final, whose server-final
// signature is verified), check every error code, close. That is what a
// Kafka client does before its first real request. The broker runs in a
// child process (this binary with -serve), with metrics on and logs
// discarded, and the CPU time of each process is reported per connection;
// client and broker share the machine's cores. Clients dial without TCP
// keep-alive and close with SO_LINGER 0 (a reset) so that TIME_WAIT does
// not exhaust loopback ports at this rate.
//
// OAUTHBEARER uses the secure validator: an RS256 token (2048-bit key)
// checked against a JWKS served over HTTP by a local server; the JWKS is
// fetched once at startup, so the cache is warm and every connection pays
// for parsing and verifying the JWS and checking its claims. The same
// token is sent on every connection (the broker caches no validation).
// PLAIN checks a password of a configured user. SCRAM-SHA-256 runs a full
// exchange with github.com/xdg-go/scram as the client against a stored
// credential of 4096 iterations; the client caches its salted password, as
// Kafka clients do not (they pay PBKDF2 per connection), so that the
// figure is the broker's cost and not the load generator's.
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/xdg-go/scram"

	"github.com/minikafka/minikafka"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-serve" {
		if err := serve(); err != nil {
			fmt.Fprintln(os.Stderr, "authconns -serve:", err)
			os.Exit(1)
		}
		return
	}
	mechs := flag.String("mechanisms", "OAUTHBEARER,SCRAM-SHA-256,PLAIN", "comma-separated mechanisms to measure")
	duration := flag.Duration("duration", 10*time.Second, "measurement time per mechanism")
	warmup := flag.Duration("warmup", time.Second, "unmeasured time before each measurement")
	workers := flag.Int("workers", 8, "concurrent connecting clients")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the load generator to this file (the broker's: env AUTHCONNS_BROKER_CPUPROFILE)")
	pin := flag.Bool("pin", false, "run the broker on CPU 0 and the load generator on CPU 1, each with GOMAXPROCS 1 (needs taskset and two CPUs)")
	flag.Parse()
	if *pin && os.Getenv(pinnedEnv) == "" {
		os.Exit(rerunPinned())
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "authconns:", err)
			os.Exit(1)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if _, err := run(strings.Split(*mechs, ","), *duration, *warmup, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "authconns:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// pinnedEnv marks a load generator that rerunPinned started on CPU 1.
const pinnedEnv = "AUTHCONNS_PINNED"

// rerunPinned runs this command again, with the same arguments, on CPU 1
// with GOMAXPROCS=1, and returns its exit status. Processes started with
// taskset keep its CPU set in every thread they create, which setting the
// affinity from inside a running Go program would not guarantee.
func rerunPinned() int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "authconns -pin:", err)
		return 1
	}
	if runtime.NumCPU() < 2 {
		fmt.Fprintln(os.Stderr, "authconns -pin: needs two CPUs, this machine has", runtime.NumCPU())
		return 1
	}
	cmd := exec.Command("taskset", append([]string{"-c", "1", self}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1", pinnedEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "authconns -pin: running under taskset:", err)
		return 1
	}
	return 0
}

// serve is the broker process: it starts the JWKS server and the broker,
// prints "<addr> <token>" and runs until its stdin closes.
func serve() error {
	if path := os.Getenv("AUTHCONNS_BROKER_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	jwksSrv, err := serveJWKS(key)
	if err != nil {
		return err
	}
	defer jwksSrv.Close()
	b, err := minikafka.New(minikafka.Config{
		Listeners: []minikafka.Listener{{Name: "SASL", Addr: "127.0.0.1:0", SecurityProtocol: "SASL_PLAINTEXT", Mechanisms: []string{"OAUTHBEARER", "SCRAM-SHA-256", "PLAIN"}}},
		Logger:    slog.New(slog.DiscardHandler),
		SASL: minikafka.SASLConfig{
			PlainUsers: map[string]string{"alice": "alice-secret"},
			ScramUsers: []minikafka.ScramUser{{Name: "alice", Mechanism: "SCRAM-SHA-256", Password: "alice-secret", Iterations: 4096}},
		},
		OAuth: minikafka.OAuthConfig{OAuthValidation: minikafka.OAuthValidation{
			JWKSURL: jwksSrv.URL, ExpectedAudience: []string{"kafka"}, ExpectedIssuer: "https://idp.bench",
		}},
	})
	if err != nil {
		return err
	}
	if err := b.Start(); err != nil {
		return err
	}
	defer b.Close()
	token, err := signToken(key)
	if err != nil {
		return err
	}
	fmt.Println(b.Addr("SASL"), token)
	_, _ = io.Copy(io.Discard, os.Stdin)
	fmt.Println("jwks-fetches", jwksFetches.Load())
	return nil
}

// report is what run measured: a result per mechanism, and how many times
// the broker fetched the JWKS over the whole run (startup included).
type report struct {
	results     map[string]result
	jwksFetches int64
}

func run(mechs []string, duration, warmup time.Duration, workers int) (report, error) {
	self, err := os.Executable()
	if err != nil {
		return report{}, err
	}
	child := exec.Command(self, "-serve")
	placement := "broker and load generator share every CPU"
	if os.Getenv(pinnedEnv) != "" {
		// The load generator runs on CPU 1 (rerunPinned); the broker gets
		// CPU 0, and GOMAXPROCS=1 from the inherited environment.
		child = exec.Command("taskset", "-c", "0", self, "-serve")
		placement = "broker pinned to CPU 0, load generator to CPU 1"
	}
	child.Stderr = os.Stderr
	stdin, err := child.StdinPipe()
	if err != nil {
		return report{}, err
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		return report{}, err
	}
	if err := child.Start(); err != nil {
		return report{}, err
	}
	defer func() { _ = stdin.Close(); _ = child.Wait() }()
	var addr, token string
	if _, err := fmt.Fscan(stdout, &addr, &token); err != nil {
		return report{}, fmt.Errorf("broker process: %w", err)
	}
	dial := netDialer(addr)
	fmt.Printf("go %s, GOMAXPROCS %d, %s, %d workers, %v per mechanism (after %v warm-up), broker in process %d\n",
		runtime.Version(), runtime.GOMAXPROCS(0), placement, workers, duration, warmup, child.Process.Pid)
	results := map[string]result{}
	for _, m := range mechs {
		var auth []byte
		var sc *scram.Client
		switch m = strings.TrimSpace(strings.ToUpper(m)); m {
		case "OAUTHBEARER":
			auth = []byte("n,,\x01auth=Bearer " + token + "\x01\x01")
		case "PLAIN":
			auth = []byte("\x00alice\x00alice-secret")
		case "SCRAM-SHA-256":
			if sc, err = scram.SHA256.NewClient("alice", "alice-secret", ""); err != nil {
				return report{}, fmt.Errorf("scram client: %w", err)
			}
		default:
			return report{}, fmt.Errorf("unknown mechanism %q", m)
		}
		frames := encodeFrames(m, auth)
		measure(dial, frames, sc, workers, warmup, child.Process.Pid) // warm-up
		res := measure(dial, frames, sc, workers, duration, child.Process.Pid)
		fmt.Println(res.format(m, duration))
		results[m] = res
		if res.errors > 0 {
			return report{results: results}, fmt.Errorf("%s: %d failed connections, first: %v", m, res.errors, res.firstErr)
		}
	}
	_ = stdin.Close()
	rep := report{results: results}
	var word string
	if _, err := fmt.Fscan(stdout, &word, &rep.jwksFetches); err != nil || word != "jwks-fetches" {
		return rep, fmt.Errorf("broker process: reading its JWKS fetch count: %q, %v", word, err)
	}
	if err := child.Wait(); err != nil {
		return rep, fmt.Errorf("broker process: %w", err)
	}
	fmt.Printf("the broker fetched the JWKS %d time(s) in the whole run, startup included\n", rep.jwksFetches)
	return rep, nil
}

func serveJWKS(key *rsa.PrivateKey) (*httptest.Server, error) {
	k, err := jwk.FromRaw(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	_ = k.Set(jwk.KeyIDKey, "bench-key")
	_ = k.Set(jwk.KeyUsageKey, "sig")
	set := jwk.NewSet()
	_ = set.AddKey(k)
	doc, err := json.Marshal(set)
	if err != nil {
		return nil, err
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		jwksFetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	})), nil
}

// jwksFetches counts the requests the JWKS server of the broker process
// answered.
var jwksFetches atomic.Int64

func signToken(key *rsa.PrivateKey) (string, error) {
	now := time.Now()
	claims, _ := json.Marshal(map[string]any{
		"iss": "https://idp.bench", "aud": "kafka", "sub": "bench-client", "scope": "kafka",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "groups": []string{"a", "b"},
	})
	h := jws.NewHeaders()
	_ = h.Set(jws.KeyIDKey, "bench-key")
	_ = h.Set(jws.TypeKey, "at+jwt")
	tok, err := jws.Sign(claims, jws.WithKey(jwa.RS256, key, jws.WithProtectedHeaders(h)))
	return string(tok), err
}

// encodeFrames returns the request frames of one connection: ApiVersions,
// SaslHandshake and, unless auth is nil (SCRAM, whose messages depend on
// the server's), SaslAuthenticate.
func encodeFrames(mech string, auth []byte) [][]byte {
	f := kmsg.NewRequestFormatter(kmsg.FormatterClientID("authconns"))
	av := kmsg.NewPtrApiVersionsRequest()
	av.Version = 3
	av.ClientSoftwareName, av.ClientSoftwareVersion = "authconns", "1"
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version = 1
	hs.Mechanism = mech
	sa := kmsg.NewPtrSASLAuthenticateRequest()
	sa.Version = 2
	sa.SASLAuthBytes = auth
	frames := [][]byte{f.AppendRequest(nil, av, 1), f.AppendRequest(nil, hs, 2)}
	if auth != nil {
		frames = append(frames, f.AppendRequest(nil, sa, 3))
	}
	return frames
}

var scramFormatter = kmsg.NewRequestFormatter(kmsg.FormatterClientID("authconns"))

// scramExchange runs the two SaslAuthenticate round trips of SCRAM on an
// open connection and verifies the server's signature.
func scramExchange(tc io.ReadWriter, sc *scram.Client, buf []byte) error {
	conv := sc.NewConversation()
	msg, err := conv.Step("")
	if err != nil {
		return fmt.Errorf("client-first: %w", err)
	}
	for i := int32(3); ; i++ {
		req := kmsg.NewPtrSASLAuthenticateRequest()
		req.Version = 2
		req.SASLAuthBytes = []byte(msg)
		if _, err := tc.Write(scramFormatter.AppendRequest(nil, req, i)); err != nil {
			return err
		}
		body, err := readResponse(tc, buf)
		if err != nil {
			return fmt.Errorf("SaslAuthenticate %d: %w", i-2, err)
		}
		resp := kmsg.NewPtrSASLAuthenticateResponse()
		resp.Version = 2
		if err := resp.ReadFrom(body[5:]); err != nil {
			return fmt.Errorf("SaslAuthenticate %d: %w", i-2, err)
		}
		if resp.ErrorCode != 0 {
			return fmt.Errorf("SaslAuthenticate %d: error code %d", i-2, resp.ErrorCode)
		}
		if msg, err = conv.Step(string(resp.SASLAuthBytes)); err != nil {
			return fmt.Errorf("SaslAuthenticate %d: %w", i-2, err)
		}
		if conv.Done() {
			if !conv.Valid() {
				return errors.New("server-final: signature not verified")
			}
			return nil
		}
	}
}

// readResponse reads one response frame into buf (or a larger slice) and
// returns its body, correlation id included. Requests are never pipelined,
// so nothing follows the frame: it reads as much as arrives, which is the
// whole response in one read almost always.
func readResponse(r io.Reader, buf []byte) ([]byte, error) {
	have := 0
	for have < 4 {
		k, err := r.Read(buf[have:])
		if err != nil {
			return nil, err
		}
		have += k
	}
	n := int(binary.BigEndian.Uint32(buf[:4]))
	if n < 7 {
		return nil, fmt.Errorf("short response (%d bytes)", n)
	}
	frame := buf
	if 4+n > len(frame) {
		frame = make([]byte, 4+n)
		copy(frame, buf[:have])
	}
	if have > 4+n {
		return nil, fmt.Errorf("%d bytes after a %d-byte response", have-4-n, n)
	}
	if _, err := io.ReadFull(r, frame[have:4+n]); err != nil {
		return nil, err
	}
	return frame[4 : 4+n], nil
}

// errorCodeOffset is where each response's ErrorCode starts after the
// correlation id: ApiVersions and SaslHandshake have no header tags,
// SaslAuthenticate v2 has one (empty) tag byte.
var errorCodeOffset = []int{4, 4, 5}

type result struct {
	conns     int64
	errors    int64
	firstErr  error
	latencies []time.Duration
	cpu       time.Duration // load generator
	brokerCPU time.Duration
}

func (r result) format(mech string, d time.Duration) string {
	slices.Sort(r.latencies)
	q := func(p float64) time.Duration {
		if len(r.latencies) == 0 {
			return 0
		}
		return r.latencies[int(p*float64(len(r.latencies)-1))]
	}
	per := func(c time.Duration) float64 { return float64(c.Microseconds()) / float64(max(r.conns, 1)) }
	return fmt.Sprintf("%-13s %6.0f conn/s  p50 %v  p99 %v  CPU per connection: broker %.0f µs, load generator %.0f µs  [%d connections, %d errors]",
		mech, float64(r.conns)/d.Seconds(), q(0.50).Round(time.Microsecond), q(0.99).Round(time.Microsecond),
		per(r.brokerCPU), per(r.cpu), r.conns, r.errors)
}

func measure(dial dialFunc, frames [][]byte, sc *scram.Client, workers int, d time.Duration, brokerPid int) result {
	var (
		mu    sync.Mutex
		res   result
		conns atomic.Int64
		wg    sync.WaitGroup
	)
	cpu0, bcpu0 := cpuTime(), processCPU(brokerPid)
	deadline := time.Now().Add(d)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			buf := make([]byte, 4096)
			for time.Now().Before(deadline) {
				start := time.Now()
				err := connect(dial, frames, sc, buf)
				if err != nil {
					mu.Lock()
					if res.errors == 0 {
						res.firstErr = err
					}
					res.errors++
					mu.Unlock()
					continue
				}
				lat = append(lat, time.Since(start))
				conns.Add(1)
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.conns = conns.Load()
	res.cpu = cpuTime() - cpu0
	res.brokerCPU = processCPU(brokerPid) - bcpu0
	return res
}

// dialFunc opens a client connection to the broker.
type dialFunc func() (io.ReadWriteCloser, error)

// netDialer dials with the net package, as Go clients do: a non-blocking
// socket on the runtime's poller, TCP_NODELAY, no keep-alive.
func netDialer(addr string) dialFunc {
	d := net.Dialer{Timeout: 5 * time.Second, KeepAlive: -1}
	return func() (io.ReadWriteCloser, error) {
		nc, err := d.Dial("tcp", addr)
		if err != nil {
			return nil, err
		}
		tc := nc.(*net.TCPConn)
		_ = tc.SetLinger(0)
		_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
		return tc, nil
	}
}

// connect opens one connection, authenticates and closes it.
func connect(dial dialFunc, frames [][]byte, sc *scram.Client, buf []byte) error {
	tc, err := dial()
	if err != nil {
		return err
	}
	defer tc.Close()
	for i, f := range frames {
		if _, err := tc.Write(f); err != nil {
			return err
		}
		body, err := readResponse(tc, buf)
		if err != nil {
			return fmt.Errorf("response %d: %w", i, err)
		}
		off := errorCodeOffset[i]
		if code := int16(binary.BigEndian.Uint16(body[off:])); code != 0 {
			return fmt.Errorf("response %d: error code %d", i, code)
		}
	}
	if sc != nil {
		return scramExchange(tc, sc, buf)
	}
	return nil
}

// processCPU reads the user+system CPU time of a process from
// /proc/<pid>/stat (in clock ticks of 10 ms).
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
