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
	17: {0, 1},  // SaslHandshake (v0 is needed by librdkafka and kafka-python)
	18: {0, 3},  // ApiVersions
	19: {0, 7},  // CreateTopics
	20: {0, 6},  // DeleteTopics
	22: {0, 4},  // InitProducerId
	36: {0, 2},  // SaslAuthenticate
	50: {0, 0},  // DescribeUserScramCredentials
	51: {0, 0},  // AlterUserScramCredentials
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
