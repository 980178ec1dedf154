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

func handleApiVersions(c *conn, r *protocol.Request) (kmsg.Response, error) {
	if c.state == stateInitial {
		c.state = stateHandshake
	}
	resp := protocol.ApiVersionsResponse(r.Version)
	return resp, nil
}
