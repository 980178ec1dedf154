package broker

import (
	"net"
	"strconv"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestDescribeCluster(t *testing.T) {
	z := newRules()
	_, addr := startBroker(t, withAuthorizer(z), func(c *Config) { c.ClusterID = "test-cluster-id" })
	cl := newClient(t, addr)
	host, portS, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portS)

	req := kmsg.NewPtrDescribeClusterRequest()
	resp := request[*kmsg.DescribeClusterResponse](t, cl, req)
	if resp.ErrorCode != 0 || resp.ClusterID != "test-cluster-id" || resp.ControllerID != 1 || resp.EndpointType != 1 ||
		len(resp.Brokers) != 1 || resp.Brokers[0].NodeID != 1 || resp.Brokers[0].Host != host || resp.Brokers[0].Port != int32(port) {
		t.Fatalf("got %+v, want this node at %s", resp, addr)
	}
	if resp.ClusterAuthorizedOperations != int32Min {
		t.Fatalf("authorized operations %d when not asked, want INT32_MIN", resp.ClusterAuthorizedOperations)
	}
	if got := z.asked(); len(got) != 0 {
		t.Fatalf("DescribeCluster asked the authorizer %v; no ACL applies on a broker endpoint", got)
	}

	req.IncludeClusterAuthorizedOperations = true
	if resp = request[*kmsg.DescribeClusterResponse](t, cl, req); resp.ClusterAuthorizedOperations != 8096 {
		t.Fatalf("all cluster operations allowed: bitfield %d, want 8096", resp.ClusterAuthorizedOperations)
	}
	z.add("ALTER Cluster:kafka-cluster", "CREATE Cluster:kafka-cluster")
	if resp = request[*kmsg.DescribeClusterResponse](t, cl, req); resp.ClusterAuthorizedOperations != 8096-128-32 {
		t.Fatalf("without ALTER and CREATE: bitfield %d, want %d", resp.ClusterAuthorizedOperations, 8096-128-32)
	}
	z.add("DESCRIBE Cluster:kafka-cluster")
	if resp = request[*kmsg.DescribeClusterResponse](t, cl, req); resp.ClusterAuthorizedOperations != 0 || resp.ErrorCode != 0 {
		t.Fatalf("without DESCRIBE: bitfield %d error %d, want 0 and no error", resp.ClusterAuthorizedOperations, resp.ErrorCode)
	}

	raw := dialRaw(t, addr)
	for name, c := range map[string]struct {
		endpoint int8
		code     int16
	}{"controller endpoint": {2, 114}, "unknown endpoint": {0, 115}} {
		r := kmsg.NewPtrDescribeClusterRequest()
		r.EndpointType = c.endpoint
		got := rawRequest[*kmsg.DescribeClusterResponse](raw, r)
		if got.ErrorCode != c.code || got.ErrorMessage == nil || len(got.Brokers) != 0 {
			t.Errorf("%s: error %d %q, %d brokers; want %d", name, got.ErrorCode, errMsg(got.ErrorMessage), len(got.Brokers), c.code)
		}
	}
	v0 := kmsg.NewPtrDescribeClusterRequest()
	v0.SetVersion(0)
	if got := raw.do(v0).(*kmsg.DescribeClusterResponse); got.ErrorCode != 0 || len(got.Brokers) != 1 {
		t.Fatalf("v0: %+v", got)
	}
}
