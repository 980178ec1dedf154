package broker

// Test support for package broker: a broker on 127.0.0.1:0 with in-memory
// logs, a franz-go client (a real third-party client) and a raw client
// that writes exactly the bytes kmsg encodes, a scriptable authorizer, a
// log capture, and the recording of which API keys each test served over
// the wire (read from the broker's own request metrics) for the API-table
// meta-test.

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
	"github.com/minikafka/minikafka/storage/mem"
	"github.com/minikafka/minikafka/storage/recordbatch/batchtest"
)

// wireCoverage records, per top-level test, the API keys its brokers
// answered.
var wireCoverage = struct {
	sync.Mutex
	byTest map[string]map[int16]bool
}{byTest: map[string]map[int16]bool{}}

var keyByName = func() map[string]int16 {
	m := map[string]int16{}
	for k := int16(0); k < 200; k++ {
		if n := kmsg.NameForKey(k); n != "Unknown" {
			m[n] = k
		}
	}
	return m
}()

func recordCoverage(t *testing.T, reg *prometheus.Registry) {
	mfs, err := reg.Gather()
	if err != nil {
		t.Errorf("gathering metrics: %v", err)
		return
	}
	top, _, _ := strings.Cut(t.Name(), "/")
	wireCoverage.Lock()
	defer wireCoverage.Unlock()
	for _, mf := range mfs {
		if mf.GetName() != "minikafka_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "api" && m.GetCounter().GetValue() > 0 {
					if wireCoverage.byTest[top] == nil {
						wireCoverage.byTest[top] = map[int16]bool{}
					}
					wireCoverage.byTest[top][keyByName[lp.GetValue()]] = true
				}
			}
		}
	}
}

// startBroker starts a broker with one PLAINTEXT listener on 127.0.0.1:0
// and in-memory logs, closed when the test ends. It returns the broker and
// the listener address.
func startBroker(t *testing.T, opts ...func(*Config)) (*Broker, string) {
	t.Helper()
	reg := prometheus.NewRegistry()
	cfg := Config{
		NodeID:            1,
		Listeners:         []ListenerConfig{{Name: "PLAINTEXT", Addr: "127.0.0.1:0", SecurityProtocol: Plaintext}},
		Logs:              mem.LogFactory{},
		Metrics:           NewMetrics(reg),
		AutoCreateTopics:  true,
		DeleteTopicEnable: true,
	}
	for _, o := range opts {
		o(&cfg)
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { recordCoverage(t, reg) }) // runs after Close
	t.Cleanup(func() { _ = b.Close() })
	return b, b.Listeners()[0].Addr
}

// newClient returns a franz-go client of the broker at addr.
func newClient(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.RetryTimeout(5 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// request sends req through the franz-go client and fails the test on a
// transport error.
func request[R kmsg.Response](t *testing.T, cl *kgo.Client, req kmsg.Request) R {
	t.Helper()
	resp, err := cl.Request(testCtx(t), req)
	if err != nil {
		t.Fatalf("%s: %v", kmsg.NameForKey(req.Key()), err)
	}
	return resp.(R)
}

// createTopic creates a topic through CreateTopics.
func createTopic(t *testing.T, cl *kgo.Client, name string, partitions int32, configs map[string]string) {
	t.Helper()
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = name, partitions, 1
	for k, v := range configs {
		c := kmsg.NewCreateTopicsRequestTopicConfig()
		c.Name, c.Value = k, strp(v)
		rt.Configs = append(rt.Configs, c)
	}
	req.Topics = append(req.Topics, rt)
	resp := request[*kmsg.CreateTopicsResponse](t, cl, req)
	if code := resp.Topics[0].ErrorCode; code != 0 {
		t.Fatalf("create topic %s: error %d %v", name, code, resp.Topics[0].ErrorMessage)
	}
}

// produceRecs appends one batch (records with the given timestamps) to a
// partition with Produce acks=-1 and returns its base offset.
func produceRecs(t *testing.T, cl *kgo.Client, topic string, partition int32, o batchtest.Options, ts ...int64) int64 {
	t.Helper()
	recs := make([]batchtest.Rec, len(ts))
	for i, x := range ts {
		recs[i] = batchtest.Rec{Timestamp: x, Value: []byte(fmt.Sprintf("v%d", x))}
	}
	resp := produceBatch(t, cl, topic, partition, batchtest.Build(recs, o))
	p := resp.Topics[0].Partitions[0]
	if p.ErrorCode != 0 {
		t.Fatalf("produce to %s-%d: error %d", topic, partition, p.ErrorCode)
	}
	return p.BaseOffset
}

func produceBatch(t *testing.T, cl *kgo.Client, topic string, partition int32, batch []byte) *kmsg.ProduceResponse {
	t.Helper()
	req := kmsg.NewPtrProduceRequest()
	req.Acks = -1
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Partition, rp.Records = partition, batch
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	return request[*kmsg.ProduceResponse](t, cl, req)
}

// rawConn is a client that writes exactly what kmsg encodes, at the
// version set on the request, and reads one response per request.
type rawConn struct {
	t    *testing.T
	nc   net.Conn
	br   *bufio.Reader
	corr *int32
	f    *kmsg.RequestFormatter
}

// on returns the same connection reporting failures to t (a subtest).
func (r *rawConn) on(t *testing.T) *rawConn {
	c := *r
	c.t = t
	return &c
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc), corr: new(int32), f: kmsg.NewRequestFormatter(kmsg.FormatterClientID("raw-test"))}
}

func (r *rawConn) write(b []byte) {
	r.t.Helper()
	_ = r.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.nc.Write(b); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// readFrame reads one response frame (deadline 10 s).
func (r *rawConn) readFrame() ([]byte, error) {
	_ = r.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	return protocol.ReadFrame(r.br, 64<<20)
}

// do sends req at its version and decodes the response.
func (r *rawConn) do(req kmsg.Request) kmsg.Response {
	r.t.Helper()
	*r.corr++
	corr := *r.corr
	r.write(r.f.AppendRequest(nil, req, corr))
	frame, err := r.readFrame()
	if err != nil {
		r.t.Fatalf("%s v%d: reading response: %v", kmsg.NameForKey(req.Key()), req.GetVersion(), err)
	}
	resp, err := parseResponse(req, corr, frame)
	if err != nil {
		r.t.Fatal(err)
	}
	return resp
}

// doMax sends req at the highest version we serve.
func (r *rawConn) doMax(req kmsg.Request) kmsg.Response {
	req.SetVersion(protocol.Versions[req.Key()].Max)
	return r.do(req)
}

// rawRequest is doMax with a typed response.
func rawRequest[R kmsg.Response](r *rawConn, req kmsg.Request) R {
	r.t.Helper()
	return r.doMax(req).(R)
}

// parseResponse checks the response header of frame and decodes its body
// as the response to req.
func parseResponse(req kmsg.Request, corr int32, frame []byte) (kmsg.Response, error) {
	name := fmt.Sprintf("%s v%d", kmsg.NameForKey(req.Key()), req.GetVersion())
	if len(frame) < 4 {
		return nil, fmt.Errorf("%s: %d-byte response", name, len(frame))
	}
	if got := int32(binary.BigEndian.Uint32(frame)); got != corr {
		return nil, fmt.Errorf("%s: correlation id %d, want %d", name, got, corr)
	}
	body := frame[4:]
	if req.IsFlexible() && req.Key() != 18 {
		if len(body) == 0 || body[0] != 0 {
			return nil, fmt.Errorf("%s: flexible response header without an empty tag section", name)
		}
		body = body[1:]
	}
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	if err := resp.ReadFrom(body); err != nil {
		return nil, fmt.Errorf("%s: decoding response: %v", name, err)
	}
	return resp, nil
}

// rules is a scriptable authorizer: it allows everything except the
// actions denied by deny ("OPERATION Type:name", name "*" for any), and
// records every action it is asked.
type rules struct {
	mu   sync.Mutex
	deny map[string]bool
	seen []az.Action
}

func newRules(denied ...string) *rules {
	r := &rules{deny: map[string]bool{}}
	for _, d := range denied {
		r.deny[d] = true
	}
	return r
}

// add denies more actions.
func (r *rules) add(denied ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range denied {
		r.deny[d] = true
	}
}

func (r *rules) Authorize(_ *az.RequestContext, a az.Action) az.Decision {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, a)
	prefix := a.Operation.String() + " " + a.Resource.Type.PascalName() + ":"
	if r.deny[prefix+a.Resource.Name] || r.deny[prefix+"*"] {
		return az.Decision{Result: az.Deny, Rule: az.RuleDefaultDeny}
	}
	return az.Decision{Result: az.Allow, Rule: az.RuleDefaultAllow}
}

// asked returns the actions asked so far as "OPERATION Type:name" and
// forgets them.
func (r *rules) asked() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.seen))
	for i, a := range r.seen {
		out[i] = a.Operation.String() + " " + a.Resource.Type.PascalName() + ":" + a.Resource.Name
	}
	r.seen = nil
	return out
}

func (r *rules) actions() []az.Action {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.seen
	r.seen = nil
	return out
}

func withAuthorizer(z az.Authorizer) func(*Config) { return func(c *Config) { c.Authorizer = z } }

// logSink captures log records.
type logSink struct {
	mu    sync.Mutex
	level slog.Level
	recs  []capturedLog
}

type capturedLog struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func (c capturedLog) String() string { return fmt.Sprintf("%s %q %v", c.level, c.msg, c.attrs) }

func (s *logSink) Enabled(_ context.Context, l slog.Level) bool { return l >= s.level }

func (s *logSink) Handle(_ context.Context, r slog.Record) error {
	c := capturedLog{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool { c.attrs[a.Key] = a.Value.String(); return true })
	s.mu.Lock()
	s.recs = append(s.recs, c)
	s.mu.Unlock()
	return nil
}

func (s *logSink) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *logSink) WithGroup(string) slog.Handler      { return s }

func (s *logSink) records() []capturedLog {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]capturedLog(nil), s.recs...)
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func errMsg(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}
