package broker

// The API-table meta-test. Every key advertised in protocol.Versions must
// have a handler and at least one wire test listed in apiWireTests below;
// every registered handler must be advertised. The listing is checked
// twice: the compiler checks the tests exist (they are function values,
// not names), and after a full run TestMain checks from the brokers' own
// request metrics that each listed test really had its key answered over a
// socket. Adding an API means adding a row here with a test that drives
// it through a client.

import (
	"flag"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka/protocol"
)

// apiWireTests lists, per advertised key, the tests that exercise it over
// the wire (each must be a top-level test of this package that starts its
// broker with startBroker).
var apiWireTests = map[int16][]func(*testing.T){
	0:  {TestProduceConsume, TestDeleteRecords, TestAlterConfigsLegacy},                      // Produce
	1:  {TestProduceConsume, TestRetention},                                                  // Fetch
	2:  {TestListOffsetsByTimestamp, TestDeleteRecords},                                      // ListOffsets
	3:  {TestProduceConsume, TestCreatePartitions},                                           // Metadata
	17: {TestSASLGate},                                                                       // SaslHandshake
	18: {TestApiVersionsUnsupportedVersion, TestProtocolRobustness},                          // ApiVersions
	19: {TestCreateDeleteTopics},                                                             // CreateTopics
	20: {TestCreateDeleteTopics},                                                             // DeleteTopics
	21: {TestDeleteRecords},                                                                  // DeleteRecords
	22: {TestProduceConsume},                                                                 // InitProducerId
	23: {TestOffsetForLeaderEpoch, TestOffsetForLeaderEpochClusterAction},                    // OffsetForLeaderEpoch
	32: {TestDescribeConfigs},                                                                // DescribeConfigs
	33: {TestAlterConfigsLegacy},                                                             // AlterConfigs
	36: {TestSASLGate},                                                                       // SaslAuthenticate
	37: {TestCreatePartitions},                                                               // CreatePartitions
	44: {TestIncrementalAlterConfigs, TestRetention, TestLogAppendTimeTopic},                 // IncrementalAlterConfigs
	60: {TestDescribeCluster},                                                                // DescribeCluster
	8:  {TestGroupCommittedOffsetsResumeInNewMember},                                         // OffsetCommit
	9:  {TestGroupCommittedOffsetsResumeInNewMember},                                         // OffsetFetch
	10: {TestGroupMembersSharePartitionsAndRebalance, TestTxnCommitAbortSeenByReadCommitted}, // FindCoordinator
	11: {TestGroupMembersSharePartitionsAndRebalance, TestJoinGroupErrors},                   // JoinGroup
	12: {TestGroupMembersSharePartitionsAndRebalance, TestHeartbeatSyncLeaveErrors},          // Heartbeat
	13: {TestHeartbeatSyncLeaveErrors},                                                       // LeaveGroup
	14: {TestGroupMembersSharePartitionsAndRebalance, TestHeartbeatSyncLeaveErrors},          // SyncGroup
	15: {TestGroupAdminAPIs},                                                                 // DescribeGroups
	16: {TestGroupAdminAPIs},                                                                 // ListGroups
	24: {TestTxnCommitAbortSeenByReadCommitted},                                              // AddPartitionsToTxn
	25: {TestGroupTransactSessionETL},                                                        // AddOffsetsToTxn
	26: {TestTxnCommitAbortSeenByReadCommitted},                                              // EndTxn
	28: {TestGroupTransactSessionETL},                                                        // TxnOffsetCommit
	29: {TestACLAPIsRoundTrip, TestACLAPIs, TestACLAPIsAuthorization},                        // DescribeAcls
	30: {TestACLAPIsRoundTrip, TestACLAPIs, TestACLAPIsAuthorization},                        // CreateAcls
	31: {TestACLAPIsRoundTrip, TestACLAPIs, TestACLAPIsAuthorization},                        // DeleteAcls
	42: {TestGroupAdminAPIs},                                                                 // DeleteGroups
	47: {TestGroupAdminAPIs},                                                                 // OffsetDelete
	50: {TestScramUserAPIs},                                                                  // DescribeUserScramCredentials
	51: {TestScramUserAPIs},                                                                  // AlterUserScramCredentials
}

func testName(f func(*testing.T)) string {
	full := runtime.FuncForPC(reflect.ValueOf(f).Pointer()).Name()
	return full[strings.LastIndex(full, ".")+1:]
}

// TestAPITable checks the table's structure on every run.
func TestAPITable(t *testing.T) {
	for _, key := range protocol.Keys() {
		name := kmsg.NameForKey(key)
		r := protocol.Versions[key]
		if handlers[key] == nil {
			t.Errorf("%s (%d) is advertised but has no handler", name, key)
		}
		if kmsg.RequestForKey(key) == nil || r.Min < 0 || r.Min > r.Max || r.Max > kmsg.RequestForKey(key).MaxVersion() {
			t.Errorf("%s (%d) advertises v%d–v%d beyond what kmsg can decode", name, key, r.Min, r.Max)
		}
		tests := apiWireTests[key]
		if len(tests) == 0 {
			t.Errorf("%s (%d) is advertised but apiWireTests lists no wire test for it", name, key)
		}
		for _, f := range tests {
			if n := testName(f); n == "TestEveryVersionAnswers" || n == "TestAPITable" {
				t.Errorf("%s (%d): %s proves no behaviour; list a test of the API itself", name, key, n)
			}
		}
	}
	for key, h := range handlers {
		if h != nil {
			if _, ok := protocol.Versions[int16(key)]; !ok {
				t.Errorf("%s (%d) has a handler but is not advertised in protocol.Versions", kmsg.NameForKey(int16(key)), key)
			}
		}
	}
	for key := range apiWireTests {
		if _, ok := protocol.Versions[key]; !ok {
			t.Errorf("apiWireTests lists %s (%d), which is not advertised", kmsg.NameForKey(key), key)
		}
	}
}

// minimalRequest returns a valid request of key at version that every
// handler can answer at once (no long poll, acks on).
func minimalRequest(key, version int16) kmsg.Request {
	req := kmsg.RequestForKey(key)
	req.SetVersion(version)
	switch r := req.(type) {
	case *kmsg.ProduceRequest:
		r.Acks = 1
	case *kmsg.FetchRequest:
		r.MaxWaitMillis = 0
	case *kmsg.DescribeACLsRequest: // UNKNOWN enums are a parse failure that closes, as Kafka
		r.ResourceType, r.ResourcePatternType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeLiteral
		r.Operation, r.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	}
	return req
}

// TestEveryVersionAnswers sends, for every advertised key and every
// version in its range, a minimal valid request: the bytes kmsg encodes
// decode through protocol.Decode to the same header, and the broker
// answers over a socket with a response kmsg decodes (no panic, no close).
func TestEveryVersionAnswers(t *testing.T) {
	_, addr := startBroker(t)
	f := kmsg.NewRequestFormatter(kmsg.FormatterClientID("every-version"))
	for _, key := range protocol.Keys() {
		r := protocol.Versions[key]
		raw := dialRaw(t, addr) // one connection per key
		for v := r.Min; v <= r.Max; v++ {
			req := minimalRequest(key, v)
			frame := f.AppendRequest(nil, req, int32(v)+1)
			dec, err := protocol.Decode(frame[4:])
			if err != nil {
				t.Fatalf("%s v%d: protocol.Decode of kmsg's encoding: %v", kmsg.NameForKey(key), v, err)
			}
			if dec.Key != key || dec.Version != v || dec.CorrelationID != int32(v)+1 || dec.ClientID != "every-version" || dec.Flexible != req.IsFlexible() {
				t.Fatalf("%s v%d: decoded header %+v", kmsg.NameForKey(key), v, dec.Header)
			}
			raw.on(t).do(req)
		}
	}
}

// TestMain runs the tests, then, after a full run, checks that each test
// listed in apiWireTests had its key answered over the wire.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && fullRun() {
		if err := checkWireCoverage(); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL: API table:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// fullRun reports whether every test ran (no -run, -skip or -list).
func fullRun() bool {
	for _, name := range []string{"test.run", "test.skip", "test.list"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	return true
}

func checkWireCoverage() error {
	wireCoverage.Lock()
	defer wireCoverage.Unlock()
	var problems []string
	for key, tests := range apiWireTests {
		for _, f := range tests {
			name := testName(f)
			if !wireCoverage.byTest[name][key] {
				problems = append(problems, fmt.Sprintf("%s is listed for %s (%d) but no broker of it answered that API", name, kmsg.NameForKey(key), key))
			}
		}
	}
	sort.Strings(problems)
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return nil
}
