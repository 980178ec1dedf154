package integration

// Connection and frame limits over real sockets: the frame cap before
// authentication (sasl.server.max.receive.size) and after
// (socket.request.max.bytes), max.connections and max.connections.per.ip
// (refused connections are closed and counted; the broker keeps serving;
// a closed connection frees its slot), connections.max.idle.ms, and a
// slow loris that announces a large frame and trickles it.

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka"
)

// apiVersionsOfSize is an ApiVersions v3 request whose frame body (what
// the size prefix counts) is exactly size bytes, padded through the
// client software name.
func apiVersionsOfSize(t *testing.T, size int) *kmsg.ApiVersionsRequest {
	t.Helper()
	r := apiVersions(3)
	const header = 2 + 2 + 4 + 2 + 4 + 1 // key, version, correlation, "test" client id, tags
	pad := size - header - 64
	for i := 0; i < 4; i++ {
		r.ClientSoftwareName = "a" + strings.Repeat("b", max(pad, 0))
		got := header + len(r.AppendTo(nil))
		if got == size {
			return r
		}
		pad += size - got
	}
	t.Fatalf("cannot build a %d-byte ApiVersions request", size)
	return nil
}

// dialFrom connects to addr from the loopback address ip.
func dialFrom(t *testing.T, ip, addr string) *rawConn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

// served reports whether an ApiVersions on c is answered.
func served(c *rawConn) error {
	resp, err := c.tryRoundTrip(apiVersions(3))
	if err != nil {
		return err
	}
	if code := resp.(*kmsg.ApiVersionsResponse).ErrorCode; code != 0 {
		return fmt.Errorf("ApiVersions error %d", code)
	}
	return nil
}

func startLimited(t *testing.T, mutate func(*minikafka.Config)) (*minikafka.Broker, string, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	cfg := minikafka.Config{
		Listeners: []minikafka.Listener{{Name: "PLAINTEXT", Addr: "127.0.0.1:0", SecurityProtocol: "PLAINTEXT"}},
		Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	mutate(&cfg)
	mb, addr := minikafka.Start(t, minikafka.WithConfig(cfg))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("broker log:\n%s", logs.String())
		}
	})
	return mb, addr, logs
}

// TestLimitFrameSize: before authentication a frame may be as large as
// sasl.server.max.receive.size and no larger (closed without a response,
// "invalid receive size", counted as a failed authentication); after it,
// as large as socket.request.max.bytes and no larger (closed, one log
// line). Another connection is served throughout.
func TestLimitFrameSize(t *testing.T) {
	const saslMax, requestMax = 4096, 64 << 10
	mb, addr, logs := startSASL(t, func(c *minikafka.Config) {
		c.SASL.MaxReceiveBytes, c.MaxRequestBytes, c.SASL.FailedAuthenticationDelay = saslMax, requestMax, -1
	})
	other := dialRaw(t, addr)
	if r := other.plainLogin("alice", "alice-secret"); r.ErrorCode != 0 {
		t.Fatal(r.ErrorCode)
	}
	t.Run("before authentication, at the cap", func(t *testing.T) {
		c := dialRaw(t, addr)
		if _, err := c.tryRoundTrip(apiVersionsOfSize(t, saslMax)); err != nil {
			t.Fatalf("a %d-byte frame: %v", saslMax, err)
		}
		if r := c.plainHandshakeLogin("alice", "alice-secret"); r.ErrorCode != 0 {
			t.Fatal(r.ErrorCode)
		}
	})
	t.Run("before authentication, one byte over", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.send(apiVersionsOfSize(t, saslMax+1))
		if err := c.closedWithoutResponse(); err != nil {
			t.Fatal(err)
		}
		mustContain(t, "broker log", logs.String(), "Failed authentication with 127.0.0.1 (Failing SASL authentication due to invalid receive size)")
		if n := counterValue(t, mb.Registry(), "minikafka_authentications_total", map[string]string{"reason": "invalid_receive_size"}); n != 1 {
			t.Fatalf("invalid_receive_size failures: %v, want 1", n)
		}
	})
	t.Run("after authentication, above the SASL cap and at the request cap", func(t *testing.T) {
		c := dialRaw(t, addr)
		if r := c.plainLogin("alice", "alice-secret"); r.ErrorCode != 0 {
			t.Fatal(r.ErrorCode)
		}
		for _, size := range []int{saslMax + 1, requestMax} {
			if _, err := c.tryRoundTrip(apiVersionsOfSize(t, size)); err != nil {
				t.Fatalf("a %d-byte frame after authentication: %v", size, err)
			}
		}
	})
	t.Run("after authentication, one byte over", func(t *testing.T) {
		c := dialRaw(t, addr)
		if r := c.plainLogin("alice", "alice-secret"); r.ErrorCode != 0 {
			t.Fatal(r.ErrorCode)
		}
		c.send(apiVersionsOfSize(t, requestMax+1))
		if err := c.closedWithoutResponse(); err != nil {
			t.Fatal(err)
		}
		mustContain(t, "broker log", logs.String(), fmt.Sprintf("frame size exceeds the limit: size %d, limit %d", requestMax+1, requestMax))
	})
	if err := served(other); err != nil {
		t.Fatalf("the other connection: %v", err)
	}
}

// TestLimitMaxConnectionsPerIP: with max.connections.per.ip=2 a third
// connection from the same address is closed without a response and
// counted; another address is served; the first two are still served;
// once one of them closes, a new connection from that address is
// accepted.
func TestLimitMaxConnectionsPerIP(t *testing.T) {
	mb, addr, logs := startLimited(t, func(c *minikafka.Config) { c.MaxConnectionsPerIP = 2 })
	rejected := func() float64 {
		return counterValue(t, mb.Registry(), "minikafka_connections_rejected_total", map[string]string{"listener": "PLAINTEXT"})
	}
	c1, c2 := dialFrom(t, "127.0.0.1", addr), dialFrom(t, "127.0.0.1", addr)
	for _, c := range []*rawConn{c1, c2} {
		if err := served(c); err != nil {
			t.Fatal(err)
		}
	}
	c3 := dialFrom(t, "127.0.0.1", addr) // closed at once: nothing to send
	if err := c3.closedWithoutResponse(); err != nil {
		t.Fatalf("third connection from 127.0.0.1: %v", err)
	}
	if n := rejected(); n != 1 {
		t.Fatalf("minikafka_connections_rejected_total = %v, want 1", n)
	}
	mustContain(t, "broker log", logs.String(), "connection refused: too many connections")
	if err := served(dialFrom(t, "127.0.0.2", addr)); err != nil {
		t.Fatalf("a connection from 127.0.0.2: %v", err)
	}
	for _, c := range []*rawConn{c1, c2} {
		if err := served(c); err != nil {
			t.Fatalf("an accepted connection after the refusal: %v", err)
		}
	}
	c1.nc.Close()
	waitAccepted(t, "127.0.0.1", addr)
}

// TestLimitMaxConnections: with max.connections=3 the fourth connection,
// from any address, is closed and counted; a closed one frees its slot.
func TestLimitMaxConnections(t *testing.T) {
	mb, addr, _ := startLimited(t, func(c *minikafka.Config) { c.MaxConnections = 3 })
	conns := []*rawConn{dialFrom(t, "127.0.0.1", addr), dialFrom(t, "127.0.0.1", addr), dialFrom(t, "127.0.0.2", addr)}
	for _, c := range conns {
		if err := served(c); err != nil {
			t.Fatal(err)
		}
	}
	over := dialFrom(t, "127.0.0.3", addr)
	if err := over.closedWithoutResponse(); err != nil {
		t.Fatalf("fourth connection: %v", err)
	}
	if n := counterValue(t, mb.Registry(), "minikafka_connections_rejected_total", nil); n != 1 {
		t.Fatalf("minikafka_connections_rejected_total = %v, want 1", n)
	}
	for _, c := range conns {
		if err := served(c); err != nil {
			t.Fatalf("an accepted connection after the refusal: %v", err)
		}
	}
	conns[2].nc.Close()
	waitAccepted(t, "127.0.0.3", addr)
}

// waitAccepted polls until a new connection from ip is served (the broker
// releases a closed connection's slot asynchronously).
func waitAccepted(t *testing.T, ip, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c := dialFrom(t, ip, addr)
		err := served(c)
		if err == nil {
			return
		}
		c.nc.Close()
		if time.Now().After(deadline) {
			t.Fatalf("no connection from %s accepted after one closed: %v", ip, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLimitIdleConnections: connections.max.idle.ms closes a connection
// that sends nothing, before and after authentication.
func TestLimitIdleConnections(t *testing.T) {
	_, addr, logs := startSASL(t, func(c *minikafka.Config) { c.IdleTimeout = 300 * time.Millisecond })
	silent := dialRaw(t, addr)
	authenticated := dialRaw(t, addr)
	if r := authenticated.plainLogin("alice", "alice-secret"); r.ErrorCode != 0 {
		t.Fatal(r.ErrorCode)
	}
	for name, c := range map[string]*rawConn{"silent": silent, "authenticated": authenticated} {
		if err := c.closedWithoutResponse(); err != nil {
			t.Fatalf("%s connection: %v", name, err)
		}
	}
	if n := strings.Count(logs.String(), `msg="closing idle connection"`); n < 2 {
		t.Fatalf("%d idle closes logged, want 2", n)
	}
}

// TestLimitSlowLoris: clients that announce a large frame (90 MiB under
// the default 100 MiB socket.request.max.bytes, or the 512 KiB SASL cap
// before authentication) and then send one byte per second are cut off by
// connections.max.idle.ms, which bounds the time a frame may take, and the
// broker allocates about what they sent, not what they announced, while
// it keeps serving another client.
func TestLimitSlowLoris(t *testing.T) {
	const lorises, announced = 6, 90 << 20
	mb, addr, logs := startSASL(t, func(c *minikafka.Config) {
		c.IdleTimeout = time.Second
		c.Listeners = append(c.Listeners, minikafka.Listener{Name: "PLAINTEXT", Addr: "127.0.0.1:0", SecurityProtocol: "PLAINTEXT"})
	})
	plainAddr := mb.Addr("PLAINTEXT")
	other := dialRaw(t, plainAddr)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var wg sync.WaitGroup
	conns := make([]*rawConn, 0, lorises+1)
	for i := 0; i <= lorises; i++ {
		size, target := uint32(announced), plainAddr
		if i == lorises {
			size, target = 512<<10, addr // before SASL authentication
		}
		c := dialRaw(t, target)
		conns = append(conns, c)
		wg.Add(1)
		// The size prefix and the API key arrive at once (an authenticated
		// Produce frame, or a Metadata one), then one byte per second.
		key := byte(i % 2 * 3)
		if _, err := c.nc.Write([]byte{byte(size >> 24), byte(size >> 16), byte(size >> 8), byte(size), 0, key}); err != nil {
			t.Fatal(err)
		}
		go func() {
			defer wg.Done()
			for _, b := range []byte{0, 9, 0, 0, 0, 1, 0, 4, 't', 'e', 's', 't'} {
				time.Sleep(time.Second)
				if _, err := c.nc.Write([]byte{b}); err != nil {
					return // cut off
				}
			}
		}()
	}
	if err := served(other); err != nil {
		t.Fatalf("another client while the lorises trickle: %v", err)
	}
	for i, c := range conns {
		if err := c.closedWithoutResponse(); err != nil {
			t.Fatalf("loris %d was not cut off: %v", i, err)
		}
	}
	runtime.ReadMemStats(&after)
	wg.Wait()
	allocated := after.TotalAlloc - before.TotalAlloc
	if allocated > 32<<20 {
		t.Fatalf("%d MiB allocated while %d clients announced %d MiB frames and sent a few bytes each", allocated>>20, lorises, announced>>20)
	}
	if n := strings.Count(logs.String(), `msg="closing idle connection"`); n < lorises+1 {
		t.Fatalf("%d idle closes logged, want %d", n, lorises+1)
	}
	t.Logf("%d slow lorises (%d MiB announced each, plus one at the 512 KiB SASL cap) cut off; %.1f MiB allocated in all", lorises, announced>>20, float64(allocated)/(1<<20))
}

// neverReads fills the connection with Fetch requests for a 1 MiB record
// and never reads a response, so the broker's writes block.
func neverReads(t *testing.T, addr string) *rawConn {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.AllowAutoTopicCreation(), kgo.ProducerBatchMaxBytes(4<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(testContext(t), &kgo.Record{Topic: "big", Value: make([]byte, 1<<20)}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, addr)
	for i := 0; i < 200; i++ {
		f := kmsg.NewPtrFetchRequest()
		f.SetVersion(11)
		f.ReplicaID, f.MaxBytes = -1, 8<<20
		p := kmsg.NewFetchRequestTopicPartition()
		p.PartitionMaxBytes = 8 << 20
		f.Topics = []kmsg.FetchRequestTopic{{Topic: "big", Partitions: []kmsg.FetchRequestTopicPartition{p}}}
		c.send(f)
	}
	return c
}

// TestLimitClientThatNeverReads: a client that stops reading its
// responses is cut off once the broker's writes have been blocked for
// connections.max.idle.ms, as Kafka counts both directions as activity;
// another client is served meanwhile.
func TestLimitClientThatNeverReads(t *testing.T) {
	mb, addr, logs := startLimited(t, func(c *minikafka.Config) { c.IdleTimeout = time.Second })
	neverReads(t, addr)
	other := dialRaw(t, addr)
	if err := served(other); err != nil {
		t.Fatalf("another client: %v", err)
	}
	other.nc.Close()
	deadline := time.Now().Add(20 * time.Second)
	for gaugeValue(t, mb, "minikafka_connections_active") > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the connection that never reads is still open")
		}
		time.Sleep(50 * time.Millisecond)
	}
	mustContain(t, "broker log", logs.String(), "closing connection: the client does not read its responses")
	if err := served(dialRaw(t, addr)); err != nil {
		t.Fatalf("a new client: %v", err)
	}
}

// TestCloseWithClientThatNeverReads: Close returns although a client has
// stopped reading (its writes would block until connections.max.idle.ms,
// 10 minutes by default).
func TestCloseWithClientThatNeverReads(t *testing.T) {
	mb, addr, _ := startLimited(t, func(*minikafka.Config) {})
	neverReads(t, addr)
	time.Sleep(200 * time.Millisecond) // let the writes block
	closed := make(chan error, 1)
	go func() { closed <- mb.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Close has not returned after 60 s")
	}
}

func gaugeValue(t *testing.T, mb *minikafka.Broker, name string) float64 {
	t.Helper()
	mfs, err := mb.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetGauge().GetValue()
			}
		}
	}
	return sum
}
