package broker

// ApiVersions (18), v0–3. No ACL. Answered before SASL authentication; on a
// SASL listener it moves the gate to the handshake state. An unsupported
// version is answered by decodeFailed with a v0 UNSUPPORTED_VERSION
// response.

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka/protocol"
)

func init() { register(keyApiVersions, handleApiVersions) }

// apiVersionsBodies holds the encoded body of the ApiVersions response for
// each version: the response depends only on the version and the static
// Versions table, and every client sends this request first on every
// connection, so it is encoded once instead of per connection.
var apiVersionsBodies = func() [][]byte {
	r := protocol.Versions[keyApiVersions]
	out := make([][]byte, r.Max+1)
	for v := r.Min; v <= r.Max; v++ {
		out[v] = protocol.ApiVersionsResponse(v).AppendTo(nil)
	}
	return out
}()

// encodedApiVersions is an ApiVersions response whose AppendTo writes the
// pre-encoded body of its version. The embedded value is a copy per
// request, so SetVersion never touches shared state.
type encodedApiVersions struct {
	kmsg.ApiVersionsResponse
	body []byte
}

func (e *encodedApiVersions) AppendTo(dst []byte) []byte { return append(dst, e.body...) }

func handleApiVersions(c *conn, r *protocol.Request) (kmsg.Response, error) {
	if c.state == stateInitial {
		c.state = stateHandshake
	}
	if r.Version >= 0 && int(r.Version) < len(apiVersionsBodies) && apiVersionsBodies[r.Version] != nil {
		e := &encodedApiVersions{body: apiVersionsBodies[r.Version]}
		e.Version = r.Version
		return e, nil
	}
	return protocol.ApiVersionsResponse(r.Version), nil
}
