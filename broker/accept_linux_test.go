package broker

import (
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Accepted sockets have SO_KEEPALIVE on with the operating system's
// timings, as Kafka's acceptor sets them (socket.setKeepAlive(true)), not
// Go's 15 s default.
func TestAcceptedSocketKeepAlive(t *testing.T) {
	b, addr := startBroker(t)
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var server net.Conn
	for deadline := time.Now().Add(5 * time.Second); server == nil && time.Now().Before(deadline); {
		b.mu.Lock()
		for c := range b.conns {
			server = c.nc
		}
		b.mu.Unlock()
		if server == nil {
			time.Sleep(time.Millisecond)
		}
	}
	if server == nil {
		t.Fatal("the broker registered no connection")
	}
	raw, err := server.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var keepalive, idle int
	var gerr error
	if err := raw.Control(func(fd uintptr) {
		if keepalive, gerr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE); gerr != nil {
			return
		}
		idle, gerr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE)
	}); err != nil || gerr != nil {
		t.Fatalf("getsockopt: %v %v", err, gerr)
	}
	if keepalive != 1 {
		t.Errorf("SO_KEEPALIVE = %d, want 1", keepalive)
	}
	data, err := os.ReadFile("/proc/sys/net/ipv4/tcp_keepalive_time")
	if err != nil {
		t.Fatalf("reading the OS keep-alive time: %v", err)
	}
	osIdle, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("parsing the OS keep-alive time %q: %v", data, err)
	}
	if idle != osIdle {
		t.Errorf("TCP_KEEPIDLE = %d s, want the OS default %d s", idle, osIdle)
	}
}
