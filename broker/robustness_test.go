package broker

// Protocol robustness over a real socket: every kind of bad input gets one
// log line and closes only its own connection, while another client keeps
// being served; ApiVersions at a version we do not serve gets Kafka's v0
// UNSUPPORTED_VERSION answer and the connection stays open.

import (
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka/protocol"
)

// header builds a request header v1 (key, version, correlation id, client
// id) followed by body.
func header(key, version int16, body ...byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(key))
	b = binary.BigEndian.AppendUint16(b, uint16(version))
	b = binary.BigEndian.AppendUint32(b, 7)
	b = binary.BigEndian.AppendUint16(b, 4)
	b = append(b, "evil"...)
	return append(b, body...)
}

func TestProtocolRobustness(t *testing.T) {
	sink := &logSink{level: levelTrace}
	b, addr := startBroker(t, func(c *Config) {
		c.MaxRequestBytes = 1024
		c.Logger = slog.New(sink)
	})
	good := dialRaw(t, addr)
	ping := func(t *testing.T) {
		t.Helper()
		resp := good.on(t).doMax(kmsg.NewPtrApiVersionsRequest()).(*kmsg.ApiVersionsResponse)
		if resp.ErrorCode != 0 || len(resp.ApiKeys) != len(protocol.Versions) {
			t.Fatalf("the other client was not served: %+v", resp)
		}
	}
	ping(t)

	rng := rand.New(rand.NewPCG(1, 2))
	randomBytes := func(n int) []byte {
		out := make([]byte, n)
		for i := range out {
			out[i] = byte(rng.UintN(256))
		}
		return out
	}
	// A valid Metadata v12 request cut in the middle of its body.
	meta := kmsg.NewPtrMetadataRequest()
	meta.SetVersion(12)
	meta.Topics = []kmsg.MetadataRequestTopic{{Topic: strp("some-topic-name")}}
	metaFrame := kmsg.NewRequestFormatter(kmsg.FormatterClientID("x")).AppendRequest(nil, meta, 1)
	cutMeta := protocol.AppendFrame(nil, metaFrame[4:len(metaFrame)-8])

	cases := []struct {
		name      string
		bytes     []byte
		halfClose bool
		wantLog   string // message of the one log line
		wantErr   string // text in its err attribute
	}{
		{"frame over the cap", binary.BigEndian.AppendUint32(nil, 2048), false, "closing connection: bad frame", "frame size exceeds the limit: size 2048, limit 1024"},
		{"negative length", binary.BigEndian.AppendUint32(nil, 0xfffffff0), false, "closing connection: bad frame", "negative frame size"},
		{"truncated frame", append(binary.BigEndian.AppendUint32(nil, 100), make([]byte, 10)...), true, "closing connection: bad frame", "unexpected EOF"},
		{"frame shorter than a header", protocol.AppendFrame(nil, []byte{0, 3, 0}), false, "closing connection: frame shorter than a request header", ""},
		{"empty frame", protocol.AppendFrame(nil, nil), false, "closing connection: frame shorter than a request header", ""},
		{"unknown api key", protocol.AppendFrame(nil, header(999, 0)), false, "closing connection: undecodable request", "unknown api key 999"},
		{"key we do not serve", protocol.AppendFrame(nil, header(7, 0)), false, "closing connection: undecodable request", "unknown api key 7"},
		{"unsupported version of another key", protocol.AppendFrame(nil, header(3, 99)), false, "closing connection: undecodable request", "unsupported api version: Metadata v99"},
		{"client id beyond the frame", protocol.AppendFrame(nil, []byte{0, 3, 0, 1, 0, 0, 0, 1, 0, 50, 'a'}), false, "closing connection: undecodable request", "client id length 50 beyond frame"},
		{"malformed body", cutMeta, false, "closing connection: undecodable request", "malformed request"},
		{"random frame", protocol.AppendFrame(nil, randomBytes(200)), false, "closing connection: ", ""},
		{"random bytes", randomBytes(300), true, "closing connection: ", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(sink.records())
			bad := dialRaw(t, addr)
			bad.write(c.bytes)
			if c.halfClose {
				if err := bad.nc.(*net.TCPConn).CloseWrite(); err != nil {
					t.Fatal(err)
				}
			}
			if frame, err := bad.readFrame(); err == nil || !closedErr(err) {
				t.Fatalf("bad connection: read %d bytes, err %v; want it closed without an answer", len(frame), err)
			}
			waitFor(t, "the log line", func() bool { return len(sink.records()) > before })
			ping(t)
			recs := sink.records()[before:]
			if len(recs) != 1 {
				t.Fatalf("%d log lines, want 1: %v", len(recs), recs)
			}
			r := recs[0]
			if r.level != slog.LevelInfo || !strings.HasPrefix(r.msg, c.wantLog) || !strings.Contains(r.attrs["err"], c.wantErr) || r.attrs["client"] != "127.0.0.1" {
				t.Fatalf("log line %v, want INFO %q with err containing %q and the client", r, c.wantLog, c.wantErr)
			}
		})
	}
	waitFor(t, "bad connections to be released", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.conns) == 1 // the good one
	})
}

func closedErr(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		strings.Contains(err.Error(), "connection reset")
}

// TestApiVersionsUnsupportedVersion: ApiVersions v99 is answered, as
// Kafka (KIP-511), with a v0 response carrying UNSUPPORTED_VERSION and the
// ApiVersions range, and the connection keeps working.
func TestApiVersionsUnsupportedVersion(t *testing.T) {
	sink := &logSink{level: levelTrace}
	_, addr := startBroker(t, func(c *Config) { c.Logger = slog.New(sink) })
	raw := dialRaw(t, addr)
	// v99 with a flexible-looking header: the broker must not parse past
	// the fixed header fields.
	raw.write(protocol.AppendFrame(nil, append(header(18, 99), 0, 9, 'f', 'u', 't', 'u', 'r', 'e', 0)))
	frame, err := raw.readFrame()
	if err != nil {
		t.Fatal(err)
	}
	if corr := int32(binary.BigEndian.Uint32(frame)); corr != 7 {
		t.Fatalf("correlation id %d", corr)
	}
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(0)
	if err := resp.ReadFrom(frame[4:]); err != nil { // v0 header: no tag byte
		t.Fatal(err)
	}
	want := protocol.Versions[18]
	if resp.ErrorCode != 35 || len(resp.ApiKeys) != 1 || resp.ApiKeys[0].ApiKey != 18 || resp.ApiKeys[0].MinVersion != want.Min || resp.ApiKeys[0].MaxVersion != want.Max {
		t.Fatalf("got %+v, want UNSUPPORTED_VERSION with ApiVersions v%d–%d", resp, want.Min, want.Max)
	}
	// The client retries at our version on the same connection.
	ok := raw.doMax(kmsg.NewPtrApiVersionsRequest()).(*kmsg.ApiVersionsResponse)
	if ok.ErrorCode != 0 || len(ok.ApiKeys) != len(protocol.Versions) {
		t.Fatalf("retry: %+v", ok)
	}
	recs := sink.records()
	if len(recs) != 1 || recs[0].level != slog.LevelDebug || !strings.Contains(recs[0].msg, "unsupported ApiVersions version") || recs[0].attrs["version"] != "99" {
		t.Fatalf("log lines %v, want one DEBUG line naming version 99", recs)
	}
}
