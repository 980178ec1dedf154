package broker

import (
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka/protocol"
)

// Every ApiVersions version served answers, over the wire, exactly the
// response protocol.ApiVersionsResponse builds for it: the body encoded
// once at init must not drift from the table, and each request gets its
// own correlation id.
func TestApiVersionsEncodedOnceMatchesTable(t *testing.T) {
	_, addr := startBroker(t)
	rc := dialRaw(t, addr)
	r := protocol.Versions[keyApiVersions]
	for v := r.Min; v <= r.Max; v++ {
		for range 2 { // twice on one connection: the shared body is not consumed
			req := kmsg.NewPtrApiVersionsRequest()
			req.SetVersion(v)
			req.ClientSoftwareName, req.ClientSoftwareVersion = "raw-test", "1.0"
			got := rc.do(req).(*kmsg.ApiVersionsResponse)
			want := protocol.ApiVersionsResponse(v)
			if got.ErrorCode != 0 || !reflect.DeepEqual(got.ApiKeys, want.ApiKeys) {
				t.Fatalf("ApiVersions v%d: error %d, %d keys; want error 0 and the %d keys of the table", v, got.ErrorCode, len(got.ApiKeys), len(want.ApiKeys))
			}
		}
	}
}
