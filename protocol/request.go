package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// ErrMalformed marks a frame whose header or body cannot be decoded.
var ErrMalformed = errors.New("malformed request")

// ErrUnknownKey marks a request whose API key minikafka does not serve.
var ErrUnknownKey = errors.New("unknown api key")

// ErrUnsupportedVersion marks a request whose version is outside the range
// minikafka advertises for its key.
var ErrUnsupportedVersion = errors.New("unsupported api version")

// Header is a decoded request header (v0–v2).
type Header struct {
	Key           int16
	Version       int16
	CorrelationID int32
	ClientID      string
	// Flexible reports whether the request used header v2 (tagged fields),
	// which is true exactly when the request version is flexible.
	Flexible bool
}

// DecodeError describes why a frame could not be turned into a request.
// Header is filled as far as it could be read: HeaderOK tells whether the
// correlation id is trustworthy (so that an error response can be sent).
type DecodeError struct {
	Header   Header
	HeaderOK bool
	Err      error
}

func (e *DecodeError) Error() string {
	if e.HeaderOK {
		return fmt.Sprintf("%s v%d (correlation id %d): %v", kmsg.NameForKey(e.Header.Key), e.Header.Version, e.Header.CorrelationID, e.Err)
	}
	return fmt.Sprintf("request header: %v", e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Request is a decoded request: its header and its kmsg body.
type Request struct {
	Header
	Body kmsg.Request
}

// PeekHeader decodes only the fixed part of the header (key, version,
// correlation id), without the client id. It is what the SASL gate uses to
// decide before parsing a body.
func PeekHeader(frame []byte) (key, version int16, corr int32, ok bool) {
	if len(frame) < 8 {
		return 0, 0, 0, false
	}
	return int16(binary.BigEndian.Uint16(frame)), int16(binary.BigEndian.Uint16(frame[2:])), int32(binary.BigEndian.Uint32(frame[4:])), true
}

// Decode parses a frame (without its size prefix) into a request. Unknown
// keys and versions outside the served range give a *DecodeError wrapping
// ErrUnknownKey or ErrUnsupportedVersion with HeaderOK set; anything that
// cannot be parsed wraps ErrMalformed. It never panics.
func Decode(frame []byte) (req *Request, err error) {
	key, version, corr, ok := PeekHeader(frame)
	if !ok {
		return nil, &DecodeError{Err: fmt.Errorf("%w: %d-byte frame is shorter than a request header", ErrMalformed, len(frame))}
	}
	h := Header{Key: key, Version: version, CorrelationID: corr}
	rng, served := Versions[key]
	body := kmsg.RequestForKey(key)
	if !served || body == nil {
		return nil, &DecodeError{Header: h, HeaderOK: true, Err: fmt.Errorf("%w %d", ErrUnknownKey, key)}
	}
	if version < rng.Min || version > rng.Max {
		return nil, &DecodeError{Header: h, HeaderOK: true, Err: fmt.Errorf("%w: %s v%d (served v%d–v%d)", ErrUnsupportedVersion, kmsg.NameForKey(key), version, rng.Min, rng.Max)}
	}
	body.SetVersion(version)
	h.Flexible = body.IsFlexible()
	rest := frame[8:]
	// client id: nullable string, always present in header v1+.
	if len(rest) < 2 {
		return nil, &DecodeError{Header: h, HeaderOK: true, Err: fmt.Errorf("%w: missing client id", ErrMalformed)}
	}
	idLen := int16(binary.BigEndian.Uint16(rest))
	rest = rest[2:]
	if idLen > 0 {
		if int(idLen) > len(rest) {
			return nil, &DecodeError{Header: h, HeaderOK: true, Err: fmt.Errorf("%w: client id length %d beyond frame", ErrMalformed, idLen)}
		}
		h.ClientID = string(rest[:idLen])
		rest = rest[idLen:]
	} else if idLen < -1 {
		return nil, &DecodeError{Header: h, HeaderOK: true, Err: fmt.Errorf("%w: client id length %d", ErrMalformed, idLen)}
	}
	if h.Flexible {
		rest, err = skipTags(rest)
		if err != nil {
			return nil, &DecodeError{Header: h, HeaderOK: true, Err: err}
		}
	}
	defer func() {
		// kmsg decoding is bounds-checked; this is a last line of defence
		// so that hostile input can never take the broker down.
		if r := recover(); r != nil {
			req, err = nil, &DecodeError{Header: h, HeaderOK: true, Err: fmt.Errorf("%w: decoder panic: %v", ErrMalformed, r)}
		}
	}()
	if err := body.ReadFrom(rest); err != nil {
		return nil, &DecodeError{Header: h, HeaderOK: true, Err: fmt.Errorf("%w: %v", ErrMalformed, err)}
	}
	return &Request{Header: h, Body: body}, nil
}

// skipTags skips a tagged-field section.
func skipTags(b []byte) ([]byte, error) {
	n, b, err := uvarint(b)
	if err != nil {
		return nil, err
	}
	for i := uint64(0); i < n; i++ {
		if _, b, err = uvarint(b); err != nil { // tag key
			return nil, err
		}
		var size uint64
		if size, b, err = uvarint(b); err != nil {
			return nil, err
		}
		if size > uint64(len(b)) {
			return nil, fmt.Errorf("%w: tagged field of %d bytes beyond frame", ErrMalformed, size)
		}
		b = b[size:]
	}
	return b, nil
}

func uvarint(b []byte) (uint64, []byte, error) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, nil, fmt.Errorf("%w: bad varint in tagged fields", ErrMalformed)
	}
	return v, b[n:], nil
}
