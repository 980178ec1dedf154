package protocol

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestReadFrame(t *testing.T) {
	prefix := func(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }
	cases := map[string]struct {
		in       []byte
		want     []byte
		err      error
		consumed int // bytes read from the input
	}{
		"frame":                 {append(prefix(3), 'a', 'b', 'c', 'x'), []byte("abc"), nil, 7},
		"empty frame":           {prefix(0), []byte{}, nil, 4},
		"exactly the limit":     {append(prefix(8), make([]byte, 8)...), make([]byte, 8), nil, 12},
		"over the limit":        {append(prefix(9), make([]byte, 9)...), nil, ErrFrameTooLarge, 4},
		"negative":              {append(prefix(0x80000000), 1, 2), nil, ErrNegativeLength, 4},
		"clean EOF":             {nil, nil, io.EOF, 0},
		"prefix cut":            {[]byte{0, 0}, nil, io.ErrUnexpectedEOF, 2},
		"body cut":              {append(prefix(5), 1, 2), nil, io.ErrUnexpectedEOF, 6},
		"body cut at its start": {prefix(5), nil, io.ErrUnexpectedEOF, 4},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := bytes.NewReader(c.in)
			got, err := ReadFrame(r, 8)
			if !errors.Is(err, c.err) || !bytes.Equal(got, c.want) {
				t.Fatalf("got %q, %v; want %q, %v", got, err, c.want, c.err)
			}
			if consumed := len(c.in) - r.Len(); consumed != c.consumed {
				t.Fatalf("read %d bytes of the input, want %d (nothing past the prefix of a rejected frame)", consumed, c.consumed)
			}
			var fe *FrameSizeError
			if c.err == ErrFrameTooLarge || c.err == ErrNegativeLength {
				if !errors.As(err, &fe) || fe.Limit != 8 {
					t.Fatalf("error %v is not a *FrameSizeError with the limit", err)
				}
			}
		})
	}
	if got := AppendFrame([]byte{9}, []byte("hi")); !bytes.Equal(got, []byte{9, 0, 0, 0, 2, 'h', 'i'}) {
		t.Fatalf("AppendFrame = %v", got)
	}
}

// frameOf encodes req with kmsg's client encoder and strips the size.
func frameOf(req kmsg.Request, corr int32, clientID *string) []byte {
	var opts []kmsg.RequestFormatterOpt
	if clientID != nil {
		opts = append(opts, kmsg.FormatterClientID(*clientID))
	}
	return kmsg.NewRequestFormatter(opts...).AppendRequest(nil, req, corr)[4:]
}

func strp(s string) *string { return &s }

func TestDecodeHeaders(t *testing.T) {
	meta := func(v int16) kmsg.Request {
		r := kmsg.NewPtrMetadataRequest()
		r.SetVersion(v)
		r.Topics = []kmsg.MetadataRequestTopic{{Topic: strp("orders")}}
		return r
	}
	cases := map[string]struct {
		frame    []byte
		clientID string
		flexible bool
	}{
		"header v1":                {frameOf(meta(8), 11, strp("svc")), "svc", false},
		"header v1, null id":       {frameOf(meta(8), 11, nil), "", false},
		"header v1, empty id":      {frameOf(meta(8), 11, strp("")), "", false},
		"header v2 (flexible)":     {frameOf(meta(12), 11, strp("svc")), "svc", true},
		"header v2 with tag field": {withHeaderTag(frameOf(meta(12), 11, strp("svc")), 3), "svc", true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			req, err := Decode(c.frame)
			if err != nil {
				t.Fatal(err)
			}
			if req.Key != 3 || req.CorrelationID != 11 || req.ClientID != c.clientID || req.Flexible != c.flexible {
				t.Fatalf("header %+v", req.Header)
			}
			m := req.Body.(*kmsg.MetadataRequest)
			if len(m.Topics) != 1 || *m.Topics[0].Topic != "orders" {
				t.Fatalf("body %+v", m)
			}
		})
	}
}

// withHeaderTag inserts one tagged field of n bytes into the header tag
// section of a flexible request frame with client id "svc".
func withHeaderTag(frame []byte, n int) []byte {
	at := 8 + 2 + 3 // key, version, correlation, client id
	out := append([]byte{}, frame[:at]...)
	out = append(out, 1, 5, byte(n)) // one field, tag 5, n bytes
	out = append(out, bytes.Repeat([]byte{0xaa}, n)...)
	return append(out, frame[at+1:]...) // skip the original empty section
}

func TestDecodeErrors(t *testing.T) {
	meta12 := kmsg.NewPtrMetadataRequest()
	meta12.SetVersion(12)
	good := frameOf(meta12, 5, strp("svc"))
	at := 8 + 2 + 3
	cases := map[string]struct {
		frame    []byte
		err      error
		headerOK bool
		text     string
	}{
		"shorter than a header": {[]byte{0, 3, 0, 1, 0, 0, 0}, ErrMalformed, false, "7-byte frame is shorter than a request header"},
		"unknown key":           {[]byte{0x03, 0xe7, 0, 0, 0, 0, 0, 9, 0xff, 0xff}, ErrUnknownKey, true, "unknown api key 999"},
		"key we do not serve":   {[]byte{0, 7, 0, 0, 0, 0, 0, 9}, ErrUnknownKey, true, "unknown api key 7"},
		"version too high":      {[]byte{0, 3, 0, 99, 0, 0, 0, 9}, ErrUnsupportedVersion, true, "Metadata v99 (served v0–v12)"},
		"version negative":      {[]byte{0, 3, 0xff, 0xff, 0, 0, 0, 9}, ErrUnsupportedVersion, true, "Metadata v-1"},
		"no client id":          {[]byte{0, 3, 0, 1, 0, 0, 0, 9}, ErrMalformed, true, "missing client id"},
		"client id too long":    {[]byte{0, 3, 0, 1, 0, 0, 0, 9, 0, 5, 'a'}, ErrMalformed, true, "client id length 5 beyond frame"},
		"client id length -2":   {[]byte{0, 3, 0, 1, 0, 0, 0, 9, 0xff, 0xfe}, ErrMalformed, true, "client id length -2"},
		"tag section cut":       {good[:at], ErrMalformed, true, "bad varint"},
		"tag field too long":    {append(append([]byte{}, good[:at]...), 1, 1, 50, 0), ErrMalformed, true, "tagged field of 50 bytes beyond frame"},
		"varint overflow":       {append(append([]byte{}, good[:at]...), bytes.Repeat([]byte{0xff}, 11)...), ErrMalformed, true, "bad varint"},
		"body cut":              {good[:len(good)-1], ErrMalformed, true, "malformed request"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			req, err := Decode(c.frame)
			var de *DecodeError
			if req != nil || !errors.As(err, &de) || !errors.Is(err, c.err) {
				t.Fatalf("got %v, %v; want a *DecodeError wrapping %v", req, err, c.err)
			}
			if de.HeaderOK != c.headerOK || (c.headerOK && de.Header.CorrelationID != 9 && de.Header.CorrelationID != 5) {
				t.Fatalf("header %+v ok=%v, want ok=%v with the correlation id", de.Header, de.HeaderOK, c.headerOK)
			}
			if !strings.Contains(err.Error(), c.text) {
				t.Fatalf("error %q does not say %q", err, c.text)
			}
		})
	}
}

func TestPeekHeader(t *testing.T) {
	key, v, corr, ok := PeekHeader([]byte{0, 18, 0, 3, 0, 0, 1, 0, 0xff})
	if !ok || key != 18 || v != 3 || corr != 256 {
		t.Fatalf("got %d %d %d %v", key, v, corr, ok)
	}
	if _, _, _, ok := PeekHeader(make([]byte, 7)); ok {
		t.Fatal("7 bytes peeked as a header")
	}
}

func TestAppendResponseHeaders(t *testing.T) {
	cases := map[string]struct {
		h       Header
		resp    kmsg.Response
		tagByte bool
	}{
		"v0 header (non-flexible)":      {Header{Key: 3, Version: 8, CorrelationID: 42}, &kmsg.MetadataResponse{Version: 8}, false},
		"v1 header (flexible)":          {Header{Key: 3, Version: 12, CorrelationID: 42, Flexible: true}, &kmsg.MetadataResponse{Version: 12}, true},
		"ApiVersions v3 keeps header 0": {Header{Key: 18, Version: 3, CorrelationID: 42, Flexible: true}, ApiVersionsResponse(3), false},
		"ApiVersions v0":                {Header{Key: 18, Version: 0, CorrelationID: 42}, ApiVersionsResponse(0), false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			out := AppendResponse([]byte{0xee}, c.h, c.resp)
			if out[0] != 0xee {
				t.Fatal("AppendResponse overwrote dst")
			}
			frame, err := ReadFrame(bytes.NewReader(out[1:]), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if corr := int32(binary.BigEndian.Uint32(frame)); corr != 42 {
				t.Fatalf("correlation id %d", corr)
			}
			body := frame[4:]
			if c.tagByte {
				if body[0] != 0 {
					t.Fatalf("flexible response header without an empty tag section")
				}
				body = body[1:]
			}
			got := c.resp.RequestKind().ResponseKind()
			got.SetVersion(c.h.Version)
			if err := got.ReadFrom(body); err != nil {
				t.Fatalf("response does not decode after the header: %v", err)
			}
			if !bytes.Equal(got.AppendTo(nil), c.resp.AppendTo(nil)) {
				t.Fatal("response changed in the round trip")
			}
		})
	}
	if raw := AppendRaw(nil, []byte("tok")); !bytes.Equal(raw, []byte{0, 0, 0, 3, 't', 'o', 'k'}) {
		t.Fatalf("AppendRaw = %v", raw)
	}
}

func TestVersionsTable(t *testing.T) {
	keys := Keys()
	if len(keys) != len(Versions) {
		t.Fatalf("Keys() has %d keys, Versions %d", len(keys), len(Versions))
	}
	for i := 1; i < len(keys); i++ {
		if keys[i-1] >= keys[i] {
			t.Fatalf("Keys() not ascending: %v", keys)
		}
	}
	for _, v := range []int16{0, 3} {
		resp := ApiVersionsResponse(v)
		if resp.Version != v || len(resp.ApiKeys) != len(keys) {
			t.Fatalf("v%d: %+v", v, resp)
		}
		for i, k := range resp.ApiKeys {
			if k.ApiKey != keys[i] || k.MinVersion != Versions[k.ApiKey].Min || k.MaxVersion != Versions[k.ApiKey].Max {
				t.Fatalf("entry %d = %+v", i, k)
			}
		}
	}
	u := ApiVersionsUnsupportedResponse()
	if u.ErrorCode != 35 || len(u.ApiKeys) != 1 || u.ApiKeys[0].ApiKey != 18 || u.ApiKeys[0].MaxVersion != Versions[18].Max {
		t.Fatalf("unsupported-version answer %+v", u)
	}
}

// TestDecodeAllocationBound feeds every served key and version bodies
// built to claim as many array elements as the frame allows: kmsg checks
// each claimed count against the bytes left, so what a hostile frame can
// make the decoder allocate stays within a small multiple of the frame
// (which ReadFrame caps before allocating it).
func TestDecodeAllocationBound(t *testing.T) {
	patterns := [][]byte{{0}, {1}, {0xff}, {0, 0, 0x40, 0}, {0xff, 0xff, 0x03}, {0, 1}}
	worst := 0.0
	for _, key := range Keys() {
		r := Versions[key]
		for v := r.Min; v <= r.Max; v++ {
			req := kmsg.RequestForKey(key)
			req.SetVersion(v)
			hdr := frameOf(req, 1, strp("a"))[:8+2+1]
			if req.IsFlexible() {
				hdr = append(hdr, 0)
			}
			for _, p := range patterns {
				frame := append(append([]byte{}, hdr...), bytes.Repeat(p, (64<<10)/len(p))...)
				n := allocated(func() { _, _ = Decode(frame) })
				ratio := float64(n) / float64(len(frame))
				worst = max(worst, ratio)
				if n > maxDecodeAlloc(len(frame)) {
					t.Errorf("%s v%d, pattern %x: %d bytes allocated for a %d-byte frame", kmsg.NameForKey(key), v, p, n, len(frame))
				}
			}
		}
	}
	t.Logf("worst allocation: %.1f× the frame", worst)
}

// maxDecodeAlloc is the allocation bound the tests hold Decode to.
func maxDecodeAlloc(frame int) uint64 { return 64*uint64(frame) + 256<<10 }

func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}
