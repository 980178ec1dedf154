package protocol

import (
	"encoding/binary"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// AppendResponse appends a complete response frame (size prefix, response
// header, body) to dst. The response header is v1 (with an empty tagged
// field section) when the request was flexible, except for ApiVersions,
// whose response header is always v0 so that clients can parse it before
// they know our versions.
func AppendResponse(dst []byte, h Header, resp kmsg.Response) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.CorrelationID))
	if h.Flexible && h.Key != 18 {
		dst = append(dst, 0)
	}
	dst = resp.AppendTo(dst)
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}

// AppendRaw appends a legacy unframed SASL token (SaslHandshake v0 path):
// a size prefix and the bytes, with no header.
func AppendRaw(dst, token []byte) []byte {
	return AppendFrame(dst, token)
}
