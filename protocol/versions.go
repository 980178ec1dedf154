package protocol

import "github.com/twmb/franz-go/pkg/kmsg"

// VersionRange is an inclusive range of served versions for one API key.
type VersionRange struct{ Min, Max int16 }

// Versions is the table minikafka advertises in ApiVersions: exactly the
// keys the broker has a handler for, at the versions those handlers serve.
// A test in package broker walks it so nothing is advertised without a
// handler and a test.
var Versions = map[int16]VersionRange{
	0:  {3, 11}, // Produce
	1:  {4, 12}, // Fetch
	2:  {1, 7},  // ListOffsets
	3:  {0, 12}, // Metadata
	8:  {2, 8},  // OffsetCommit
	9:  {1, 8},  // OffsetFetch
	10: {0, 4},  // FindCoordinator
	11: {0, 9},  // JoinGroup
	12: {0, 4},  // Heartbeat
	13: {0, 5},  // LeaveGroup
	14: {0, 5},  // SyncGroup
	15: {0, 5},  // DescribeGroups
	16: {0, 4},  // ListGroups
	17: {0, 1},  // SaslHandshake (v0 is needed by librdkafka and kafka-python)
	18: {0, 3},  // ApiVersions
	19: {0, 7},  // CreateTopics
	20: {0, 6},  // DeleteTopics
	21: {0, 2},  // DeleteRecords
	22: {0, 4},  // InitProducerId
	23: {0, 4},  // OffsetForLeaderEpoch
	24: {0, 3},  // AddPartitionsToTxn
	25: {0, 3},  // AddOffsetsToTxn
	26: {0, 3},  // EndTxn
	28: {0, 3},  // TxnOffsetCommit
	29: {0, 3},  // DescribeAcls
	30: {0, 3},  // CreateAcls
	31: {0, 3},  // DeleteAcls
	32: {0, 4},  // DescribeConfigs
	33: {0, 2},  // AlterConfigs
	36: {0, 2},  // SaslAuthenticate
	37: {0, 3},  // CreatePartitions
	42: {0, 2},  // DeleteGroups
	44: {0, 1},  // IncrementalAlterConfigs
	47: {0, 0},  // OffsetDelete
	50: {0, 0},  // DescribeUserScramCredentials
	51: {0, 0},  // AlterUserScramCredentials
	60: {0, 1},  // DescribeCluster
}

// Keys returns the served keys in ascending order.
func Keys() []int16 {
	keys := make([]int16, 0, len(Versions))
	for k := int16(0); k < 200; k++ {
		if _, ok := Versions[k]; ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// ApiVersionsResponse builds the response to an ApiVersions request of the
// given version from the Versions table.
func ApiVersionsResponse(version int16) *kmsg.ApiVersionsResponse {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(version)
	for _, k := range Keys() {
		r := Versions[k]
		resp.ApiKeys = append(resp.ApiKeys, kmsg.ApiVersionsResponseApiKey{ApiKey: k, MinVersion: r.Min, MaxVersion: r.Max})
	}
	return resp
}

// ApiVersionsUnsupportedResponse is the v0 answer to an ApiVersions request
// of a version we do not serve: UNSUPPORTED_VERSION with only the
// ApiVersions entry, so that the client retries at a version we know (as
// Kafka's ApiVersionsRequest.getErrorResponse, KIP-511).
func ApiVersionsUnsupportedResponse() *kmsg.ApiVersionsResponse {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.ErrorCode = 35 // UNSUPPORTED_VERSION
	r := Versions[18]
	resp.ApiKeys = []kmsg.ApiVersionsResponseApiKey{{ApiKey: 18, MinVersion: r.Min, MaxVersion: r.Max}}
	return resp
}
