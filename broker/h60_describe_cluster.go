package broker

// DescribeCluster (60), v0–1. No ACL on a broker endpoint. With
// include_cluster_authorized_operations, Cluster DESCRIBE decides the
// field: denied → 0, allowed → the CLUSTER bitfield; not asked → INT32_MIN.
// endpoint_type (v1) must be BROKER (1): UNKNOWN → 115
// (UNSUPPORTED_ENDPOINT_TYPE), CONTROLLER → 114 (MISMATCHED_ENDPOINT_TYPE);
// v0 answers 42 for both, as Kafka. The broker list is this node at the
// listener the client used; the controller id is this node.

import (
	"fmt"
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(60, handleDescribeCluster) }

const (
	endpointBroker     = 1
	endpointController = 2
)

func handleDescribeCluster(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.DescribeClusterRequest)
	resp := req.ResponseKind().(*kmsg.DescribeClusterResponse)
	resp.ClusterAuthorizedOperations = int32Min
	if req.EndpointType != endpointBroker {
		switch {
		case r.Version == 0:
			resp.ErrorCode = kerr.InvalidRequest.Code
		case req.EndpointType == endpointController:
			resp.ErrorCode = kerr.MismatchedEndpointType.Code
		default:
			resp.ErrorCode = kerr.UnsupportedEndpointType.Code
		}
		if req.EndpointType == endpointController {
			resp.ErrorMessage = strp("The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER")
		} else {
			resp.ErrorMessage = strp(fmt.Sprintf("Unsupported endpoint type %d", req.EndpointType))
		}
		return resp, nil
	}
	if req.IncludeClusterAuthorizedOperations {
		resp.ClusterAuthorizedOperations = 0
		if c.authorizeOp(az.OpDescribe, az.ResourceCluster, az.ClusterName) {
			resp.ClusterAuthorizedOperations = c.authorizedOps(az.ResourceCluster, az.ClusterName)
		}
	}
	host, portS, _ := net.SplitHostPort(c.l.advertised)
	port, _ := strconv.Atoi(portS)
	resp.EndpointType = endpointBroker
	resp.ClusterID = c.b.cfg.ClusterID
	resp.ControllerID = c.b.cfg.NodeID
	b := kmsg.NewDescribeClusterResponseBroker()
	b.NodeID, b.Host, b.Port = c.b.cfg.NodeID, host, int32(port)
	resp.Brokers = []kmsg.DescribeClusterResponseBroker{b}
	return resp, nil
}
