package integration

// The auth-bypass suite. TestBypassUnauthenticated walks every key and
// version of protocol.Versions on a SASL listener before authentication;
// TestBypassNoACLs runs the rows of bypass_rows_test.go as a principal
// without any ACL and checks, through a super user, that nothing changed.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka/protocol"
)

// tryRoundTrip sends req and reads its response, reporting failures
// instead of failing the test.
func (c *rawConn) tryRoundTrip(req kmsg.Request) (kmsg.Response, error) {
	_ = c.nc.SetDeadline(time.Now().Add(20 * time.Second))
	if err := c.trySend(req); err != nil {
		return nil, err
	}
	b, err := c.readFrame()
	if err != nil {
		return nil, fmt.Errorf("no response: %w", err)
	}
	return c.decode(req, b)
}

func (c *rawConn) decode(req kmsg.Request, b []byte) (kmsg.Response, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("%d-byte response", len(b))
	}
	if got := int32(binary.BigEndian.Uint32(b)); got != c.corr {
		return nil, fmt.Errorf("correlation id %d, want %d", got, c.corr)
	}
	b = b[4:]
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	if resp.IsFlexible() && req.Key() != 18 {
		if len(b) == 0 {
			return nil, errors.New("no response header tags")
		}
		b = b[1:]
	}
	if err := resp.ReadFrom(b); err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	return resp, nil
}

// closedWithoutResponse waits for the broker to close the connection and
// reports anything it sent instead.
func (c *rawConn) closedWithoutResponse() error {
	_ = c.nc.SetDeadline(time.Now().Add(20 * time.Second))
	b, err := c.readFrame()
	if err == nil {
		return fmt.Errorf("got a %d-byte response, want the connection closed without one", len(b))
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isReset(err) {
		return nil
	}
	return fmt.Errorf("want the connection closed, got %w", err)
}

// versionsOf lists every served version of key, at least from minV.
func versionsOf(key, minV int16) []int16 {
	r := protocol.Versions[key]
	var out []int16
	for v := max(r.Min, minV); v <= r.Max; v++ {
		out = append(out, v)
	}
	return out
}

// attackRequest is the first no-ACL row's request for key, so that the
// unauthenticated requests are the same meaningful ones.
func attackRequest(f *bypassFixture, key, v int16) kmsg.Request {
	for _, r := range bypassRows() {
		if r.key == key && r.who == "" && v >= r.minV {
			req := r.req(f, v)
			req.SetVersion(v)
			return req
		}
	}
	req := kmsg.RequestForKey(key)
	req.SetVersion(v)
	return req
}

// TestBypassUnauthenticated: on a SASL listener, every request of every
// served key and version sent before authentication gets no response and
// closes the connection, except ApiVersions and SaslHandshake, which are
// answered (authentication.md §1.2–1.3). Three points of the exchange are
// attacked: the first request, after ApiVersions (only SaslHandshake may
// follow), and after SaslHandshake v1 (only SaslAuthenticate may follow:
// anything else gets at most its own error response carrying
// ILLEGAL_SASL_STATE, never an answer, and the connection closes). Nothing
// changes on the broker.
func TestBypassUnauthenticated(t *testing.T) {
	f := startBypassBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	before, err := f.snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	initialRejected, handshakeRejected, checked := 0, 0, 0
	for _, key := range protocol.Keys() {
		name := kmsg.NameForKey(key)
		for _, v := range versionsOf(key, 0) {
			where := fmt.Sprintf("%s v%d", name, v)
			// 1. The first request on the connection.
			c := dialRaw(t, f.addr)
			resp, err := sendOrClosed(c, attackRequest(f, key, v))
			switch key {
			case 18:
				if err != nil || resp.(*kmsg.ApiVersionsResponse).ErrorCode != 0 {
					t.Errorf("%s first: want an answer, got %v", where, err)
				}
			case 17:
				if err != nil || resp.(*kmsg.SASLHandshakeResponse).ErrorCode != 0 {
					t.Errorf("%s first: want an answer, got %v", where, err)
				}
			default:
				initialRejected++
				if resp != nil || err != nil {
					t.Errorf("%s first: %v (response %T)", where, err, resp)
				}
			}
			c.nc.Close()
			// 2. After ApiVersions: only SaslHandshake.
			c = dialRaw(t, f.addr)
			if _, err := c.tryRoundTrip(apiVersions(3)); err != nil {
				t.Fatalf("%s: ApiVersions: %v", where, err)
			}
			resp, err = sendOrClosed(c, attackRequest(f, key, v))
			if key == 17 {
				if err != nil || resp == nil {
					t.Errorf("%s after ApiVersions: want an answer, got %v", where, err)
				}
			} else {
				handshakeRejected++
				if resp != nil || err != nil {
					t.Errorf("%s after ApiVersions: %v (response %T)", where, err, resp)
				}
			}
			c.nc.Close()
			// 3. After SaslHandshake v1: only SaslAuthenticate.
			if key != 36 {
				c = dialRaw(t, f.addr)
				if r, err := c.tryRoundTrip(handshake(1, "PLAIN")); err != nil || r.(*kmsg.SASLHandshakeResponse).ErrorCode != 0 {
					t.Fatalf("%s: SaslHandshake: %v", where, err)
				}
				if err := illegalStateOnly(c, attackRequest(f, key, v)); err != nil {
					t.Errorf("%s during authentication: %v", where, err)
				}
				c.nc.Close()
			}
			checked++
		}
	}
	after, err := f.snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Fatalf("unauthenticated requests changed the broker:\n%s", diffLines(before, after))
	}
	// Each connection closed for a request before authentication counts as
	// one failed authentication: at the first request and after ApiVersions.
	if got := counterValue(t, f.b.Registry(), "minikafka_authentications_total", map[string]string{"reason": "unauthenticated_request"}); got != float64(initialRejected+handshakeRejected) {
		t.Errorf("minikafka_authentications_total{reason=unauthenticated_request} = %v, want %d", got, initialRejected+handshakeRejected)
	}
	mustContain(t, "broker log", f.logs.String(), "Invalid request, potential reasons: kafka client configured with the wrong security protocol")
	t.Logf("%d API keys, %d key×version pairs, 3 points of the SASL exchange each (%d requests before authentication)",
		len(protocol.Versions), checked, 3*checked-len(versionsOf(36, 0)))
}

// sendOrClosed sends req. It returns the response if one came, nil and
// nil if the connection was closed without one, or an error.
func sendOrClosed(c *rawConn, req kmsg.Request) (kmsg.Response, error) {
	_ = c.nc.SetDeadline(time.Now().Add(20 * time.Second))
	if err := c.trySend(req); err != nil {
		return nil, err
	}
	b, err := c.readFrame()
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isReset(err) {
			return nil, nil
		}
		return nil, err
	}
	resp, err := c.decode(req, b)
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// illegalStateOnly sends req during the SASL authentication phase: the
// broker may answer with req's own error response carrying
// ILLEGAL_SASL_STATE (34) — and nothing else — then must close.
func illegalStateOnly(c *rawConn, req kmsg.Request) error {
	resp, err := sendOrClosed(c, req)
	if err != nil {
		return err
	}
	if resp != nil {
		if err := onlyIllegalState(resp); err != nil {
			return err
		}
		return c.closedWithoutResponse()
	}
	return nil
}

// onlyIllegalState checks that resp is an error response: Metadata with
// every topic at 34 and no broker, or a top-level error code of 34.
func onlyIllegalState(resp kmsg.Response) error {
	if md, ok := resp.(*kmsg.MetadataResponse); ok {
		if len(md.Brokers) != 0 {
			return fmt.Errorf("metadata response lists %d brokers", len(md.Brokers))
		}
		for _, t := range md.Topics {
			if t.ErrorCode != 34 || len(t.Partitions) != 0 {
				return fmt.Errorf("metadata topic with error %d and %d partitions", t.ErrorCode, len(t.Partitions))
			}
		}
		return nil
	}
	f := reflect.ValueOf(resp).Elem().FieldByName("ErrorCode")
	if !f.IsValid() || f.Int() != 34 {
		return fmt.Errorf("a %T that is not an ILLEGAL_SASL_STATE error: %+v", resp, resp)
	}
	return nil
}

// TestBypassNoACLs runs every row of bypassRows at every served version as
// a principal authenticated over SASL/PLAIN with no ACL (or, for the
// listing rows, eve's few DESCRIBE ACLs), with authorization on and
// allow.everyone.if.no.acl.found=false. Each response must carry exactly
// the row's codes, and after each request the super user's snapshot of
// the broker must be unchanged. An advertised key without a row fails.
func TestBypassNoACLs(t *testing.T) {
	rows := bypassRows()
	covered := map[int16]bool{}
	for _, r := range rows {
		if _, ok := protocol.Versions[r.key]; !ok {
			t.Errorf("row %q is for %s (%d), which is not advertised", r.name, kmsg.NameForKey(r.key), r.key)
		}
		if r.who == "" {
			covered[r.key] = true
		}
	}
	for _, key := range protocol.Keys() {
		if !covered[key] {
			t.Errorf("%s (%d) is advertised but has no no-ACL row in bypassRows: add one (request, expected code, side-effect check)", kmsg.NameForKey(key), key)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].key < rows[j].key })

	f := startBypassBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	conns := map[string]*rawConn{}
	login := func(who string) *rawConn {
		if c, ok := conns[who]; ok {
			return c
		}
		c := dialRaw(t, f.addr)
		if r := c.plainLogin(who, who+"-secret"); r.ErrorCode != 0 {
			t.Fatalf("login as %s: %d", who, r.ErrorCode)
		}
		conns[who] = c
		return c
	}
	baseline, err := f.snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	requests := 0
	for _, r := range rows {
		who := r.who
		if who == "" {
			who = bypassAttacker
		}
		for _, v := range versionsOf(r.key, r.minV) {
			where := fmt.Sprintf("%s v%d as %s: %s (want %s)", kmsg.NameForKey(r.key), v, who, r.name, r.want)
			req := r.req(f, v)
			req.SetVersion(v)
			c := login(who)
			resp, err := c.tryRoundTrip(req)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			if err := r.check(f, v, resp); err != nil {
				t.Errorf("%s: %v", where, err)
			}
			requests++
			now, err := f.snapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if now != baseline {
				t.Fatalf("%s changed the broker:\n%s", where, diffLines(baseline, now))
			}
			if r.after != nil {
				if err := r.after(ctx, f); err != nil {
					t.Errorf("%s: %v", where, err)
				}
			}
		}
	}
	f.checkTransactionsUntouched(ctx, t)
	mustContain(t, "audit log", f.logs.String(), "Principal = User:mallory is Denied operation")
	t.Logf("%d rows over %d API keys: %d requests (key × version × attempt) denied or filtered with the expected code, state unchanged after each",
		len(rows), len(covered), requests)
}

// checkTransactionsUntouched checks what the snapshot cannot see: mallory
// never initialized txn-m (the admin's first init gets epoch 0), and never
// added secret-1 to txn-a (the admin's abort writes a marker on secret-0
// only).
func (f *bypassFixture) checkTransactionsUntouched(ctx context.Context, t *testing.T) {
	t.Helper()
	init := kmsg.NewPtrInitProducerIDRequest()
	init.TransactionalID, init.TransactionTimeoutMillis = kmsg.StringPtr(bypassFreshTxn), 60000
	ir := adminRequest[*kmsg.InitProducerIDResponse](ctx, t, f, init)
	if ir.ErrorCode != 0 || ir.ProducerEpoch != 0 {
		t.Errorf("admin InitProducerId(%s): error %d epoch %d, want a first initialization (epoch 0)", bypassFreshTxn, ir.ErrorCode, ir.ProducerEpoch)
	}
	end := kmsg.NewPtrEndTxnRequest()
	end.TransactionalID, end.ProducerID, end.ProducerEpoch, end.Commit = bypassTxn, f.txnPID, f.txnEpoch, false
	if er := adminRequest[*kmsg.EndTxnResponse](ctx, t, f, end); er.ErrorCode != 0 {
		t.Errorf("admin EndTxn(%s): error %d, want the transaction still open", bypassTxn, er.ErrorCode)
	}
	ends, err := f.adm.ListEndOffsets(ctx, bypassTopic)
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := ends.Lookup(bypassTopic, 1); o.Offset != 0 {
		t.Errorf("%s-1 end offset %d after the admin's abort: a partition was added to %s", bypassTopic, o.Offset, bypassTxn)
	}
	if o, _ := ends.Lookup(bypassTopic, 0); o.Offset != 5 { // 3 records, 1 transactional, 1 abort marker
		t.Errorf("%s-0 end offset %d after the admin's abort, want 5", bypassTopic, o.Offset)
	}
}

// diffLines lists the lines only in a or only in b.
func diffLines(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var out []string
	for l := range ma {
		if !mb[l] {
			out = append(out, "- "+l)
		}
	}
	for l := range mb {
		if !ma[l] {
			out = append(out, "+ "+l)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// counterValue sums a counter of reg over the series matching labels.
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			for k, v := range labels {
				found := false
				for _, lp := range m.GetLabel() {
					found = found || lp.GetName() == k && lp.GetValue() == v
				}
				if !found {
					continue metric
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}
