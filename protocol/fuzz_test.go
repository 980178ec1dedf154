package protocol

// Fuzz tests of the frame reader and the request decoder, seeded from
// testdata/fuzz with real bytes: every served key at every served version
// as kmsg encodes it, plus populated requests. TestFuzzSeedCorpus keeps the
// committed corpus equal to what seedFrames generates; after changing
// Versions run
//
//	go test ./protocol -run TestFuzzSeedCorpus -update
//
// and commit testdata/fuzz. Fuzz briefly with scripts/fuzz.sh or
// go test -run=^$ -fuzz=FuzzDecode -fuzztime=10s ./protocol.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

var update = flag.Bool("update", false, "rewrite the committed fuzz seed corpus")

const fuzzLimit = 1 << 16

func FuzzReadFrame(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		frame, err := ReadFrame(r, fuzzLimit)
		consumed := len(data) - r.Len()
		if len(data) < 4 {
			if err == nil || consumed != len(data) {
				t.Fatalf("%d bytes: frame %v err %v", len(data), frame, err)
			}
			return
		}
		n := int32(binary.BigEndian.Uint32(data))
		var fe *FrameSizeError
		switch {
		case n < 0:
			if !errors.Is(err, ErrNegativeLength) || !errors.As(err, &fe) || fe.Size != n || consumed != 4 {
				t.Fatalf("negative size %d: err %v, consumed %d", n, err, consumed)
			}
		case n > fuzzLimit:
			if !errors.Is(err, ErrFrameTooLarge) || consumed != 4 {
				t.Fatalf("size %d over the limit: err %v, consumed %d", n, err, consumed)
			}
		case int(n) > len(data)-4:
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("size %d with %d bytes: err %v", n, len(data)-4, err)
			}
		default:
			if err != nil || !bytes.Equal(frame, data[4:4+n]) || consumed != 4+int(n) {
				t.Fatalf("size %d: frame %d bytes, err %v, consumed %d", n, len(frame), err, consumed)
			}
		}
	})
}

func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, frame []byte) {
		var req *Request
		var err error
		n := allocated(func() { req, err = Decode(frame) })
		if n > maxDecodeAlloc(len(frame)) {
			t.Fatalf("%d bytes allocated decoding a %d-byte frame", n, len(frame))
		}
		if err != nil {
			var de *DecodeError
			if req != nil || !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DecodeError (request %v)", err, req)
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownKey) && !errors.Is(err, ErrUnsupportedVersion) {
				t.Fatalf("error %v wraps none of the typed errors", err)
			}
			if de.HeaderOK {
				if key, v, corr, _ := PeekHeader(frame); key != de.Header.Key || v != de.Header.Version || corr != de.Header.CorrelationID {
					t.Fatalf("error header %+v does not match the frame", de.Header)
				}
			}
			return
		}
		r, ok := Versions[req.Key]
		if req.Body == nil || !ok || req.Version < r.Min || req.Version > r.Max || req.Body.Key() != req.Key || req.Body.GetVersion() != req.Version {
			t.Fatalf("decoded %+v outside what we serve", req.Header)
		}
		if req.Flexible != req.Body.IsFlexible() {
			t.Fatalf("header flexibility %v for a body that says %v", req.Flexible, req.Body.IsFlexible())
		}
		// Whatever decoded must encode again (the broker echoes parts of it).
		_ = req.Body.AppendTo(nil)
	})
}

// seedRequests are the requests of the FuzzDecode corpus: every served
// key at every served version, minimal, and some populated ones.
func seedRequests() map[string]kmsg.Request {
	out := map[string]kmsg.Request{}
	for _, key := range Keys() {
		r := Versions[key]
		for v := r.Min; v <= r.Max; v++ {
			req := kmsg.RequestForKey(key)
			req.SetVersion(v)
			out[fmt.Sprintf("%s-v%d", kmsg.NameForKey(key), v)] = req
		}
	}
	for name, req := range populatedRequests() {
		req.SetVersion(Versions[req.Key()].Max)
		out[name] = req
	}
	return out
}

func populatedRequests() map[string]kmsg.Request {
	batch := make([]byte, 61)
	binary.BigEndian.PutUint32(batch[8:], 49)
	batch[16] = 2
	produce := kmsg.NewPtrProduceRequest()
	produce.Acks, produce.TransactionID = -1, strp("txn")
	produce.Topics = []kmsg.ProduceRequestTopic{{Topic: "orders", Partitions: []kmsg.ProduceRequestTopicPartition{{Partition: 2, Records: batch}}}}
	fetch := kmsg.NewPtrFetchRequest()
	fp := kmsg.NewFetchRequestTopicPartition()
	fp.Partition, fp.FetchOffset, fp.PartitionMaxBytes = 1, 100, 1<<20
	fetch.Topics = []kmsg.FetchRequestTopic{{Topic: "orders", Partitions: []kmsg.FetchRequestTopicPartition{fp}}}
	meta := kmsg.NewPtrMetadataRequest()
	meta.Topics = []kmsg.MetadataRequestTopic{{Topic: strp("orders")}, {Topic: strp("payments")}}
	meta.IncludeTopicAuthorizedOperations = true
	create := kmsg.NewPtrCreateTopicsRequest()
	ct := kmsg.NewCreateTopicsRequestTopic()
	ct.Topic, ct.NumPartitions, ct.ReplicationFactor = "orders", 3, 1
	ct.Configs = []kmsg.CreateTopicsRequestTopicConfig{{Name: "retention.ms", Value: strp("1000")}, {Name: "cleanup.policy"}}
	create.Topics = []kmsg.CreateTopicsRequestTopic{ct}
	parts := kmsg.NewPtrCreatePartitionsRequest()
	parts.Topics = []kmsg.CreatePartitionsRequestTopic{{Topic: "orders", Count: 5, Assignment: []kmsg.CreatePartitionsRequestTopicAssignment{{Replicas: []int32{1}}, {Replicas: []int32{1}}}}}
	delrec := kmsg.NewPtrDeleteRecordsRequest()
	delrec.Topics = []kmsg.DeleteRecordsRequestTopic{{Topic: "orders", Partitions: []kmsg.DeleteRecordsRequestTopicPartition{{Partition: 0, Offset: -1}}}}
	epoch := kmsg.NewPtrOffsetForLeaderEpochRequest()
	ep := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
	ep.Partition, ep.LeaderEpoch = 0, 0
	epoch.Topics = []kmsg.OffsetForLeaderEpochRequestTopic{{Topic: "orders", Partitions: []kmsg.OffsetForLeaderEpochRequestTopicPartition{ep}}}
	describe := kmsg.NewPtrDescribeConfigsRequest()
	describe.Resources = []kmsg.DescribeConfigsRequestResource{{ResourceType: kmsg.ConfigResourceTypeTopic, ResourceName: "orders", ConfigNames: []string{"retention.ms"}}, {ResourceType: kmsg.ConfigResourceTypeBroker, ResourceName: "1"}}
	describe.IncludeSynonyms, describe.IncludeDocumentation = true, true
	incr := kmsg.NewPtrIncrementalAlterConfigsRequest()
	incr.Resources = []kmsg.IncrementalAlterConfigsRequestResource{{ResourceType: kmsg.ConfigResourceTypeTopic, ResourceName: "orders",
		Configs: []kmsg.IncrementalAlterConfigsRequestResourceConfig{{Name: "cleanup.policy", Op: kmsg.IncrementalAlterConfigOpAppend, Value: strp("compact")}, {Name: "retention.ms", Op: kmsg.IncrementalAlterConfigOpDelete}}}}
	alter := kmsg.NewPtrAlterConfigsRequest()
	alter.Resources = []kmsg.AlterConfigsRequestResource{{ResourceType: kmsg.ConfigResourceTypeTopic, ResourceName: "orders", Configs: []kmsg.AlterConfigsRequestResourceConfig{{Name: "retention.ms", Value: strp("5")}}}}
	list := kmsg.NewPtrListOffsetsRequest()
	lp := kmsg.NewListOffsetsRequestTopicPartition()
	lp.Timestamp = 1700000000000
	list.Topics = []kmsg.ListOffsetsRequestTopic{{Topic: "orders", Partitions: []kmsg.ListOffsetsRequestTopicPartition{lp}}}
	auth := kmsg.NewPtrSASLAuthenticateRequest()
	auth.SASLAuthBytes = []byte("\x00alice\x00secret")
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Mechanism = "SCRAM-SHA-512"
	cluster := kmsg.NewPtrDescribeClusterRequest()
	cluster.IncludeClusterAuthorizedOperations = true
	all := map[string]kmsg.Request{
		"populated-Produce": produce, "populated-Fetch": fetch, "populated-Metadata": meta, "populated-CreateTopics": create,
		"populated-CreatePartitions": parts, "populated-DeleteRecords": delrec, "populated-OffsetForLeaderEpoch": epoch,
		"populated-DescribeConfigs": describe, "populated-IncrementalAlterConfigs": incr, "populated-AlterConfigs": alter,
		"populated-ListOffsets": list, "populated-SaslAuthenticate": auth, "populated-SaslHandshake": hs, "populated-DescribeCluster": cluster,
	}
	for name, req := range all {
		if _, ok := Versions[req.Key()]; !ok {
			delete(all, name)
		}
	}
	return all
}

// seedFrames returns the committed corpus of each fuzz target.
func seedFrames() map[string]map[string][]byte {
	decode := map[string][]byte{}
	readFrame := map[string][]byte{}
	for name, req := range seedRequests() {
		full := kmsg.NewRequestFormatter(kmsg.FormatterClientID("seed")).AppendRequest(nil, req, 7)
		decode["seed-"+name] = full[4:]
		if strings.HasPrefix(name, "populated-") {
			readFrame["seed-"+name] = full
		}
	}
	readFrame["seed-over-limit"] = binary.BigEndian.AppendUint32(nil, fuzzLimit+1)
	readFrame["seed-negative"] = binary.BigEndian.AppendUint32(nil, 0xffffff00)
	readFrame["seed-truncated"] = append(binary.BigEndian.AppendUint32(nil, 40), "short"...)
	readFrame["seed-empty-frame"] = binary.BigEndian.AppendUint32(nil, 0)
	decode["seed-short-header"] = []byte{0, 3, 0}
	decode["seed-unknown-key"] = []byte{0x03, 0xe7, 0, 0, 0, 0, 0, 1, 0xff, 0xff}
	return map[string]map[string][]byte{"FuzzDecode": decode, "FuzzReadFrame": readFrame}
}

// corpusFile renders one input in the go test fuzz v1 format.
func corpusFile(b []byte) []byte {
	return []byte("go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n")
}

// TestFuzzSeedCorpus keeps testdata/fuzz/Fuzz{Decode,ReadFrame}/seed-*
// equal to seedFrames (other files there are fuzzer finds, kept as
// regressions).
func TestFuzzSeedCorpus(t *testing.T) {
	for target, seeds := range seedFrames() {
		dir := filepath.Join("testdata", "fuzz", target)
		if *update {
			old, _ := filepath.Glob(filepath.Join(dir, "seed-*"))
			for _, p := range old {
				_ = os.Remove(p)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for name, b := range seeds {
				if err := os.WriteFile(filepath.Join(dir, name), corpusFile(b), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			continue
		}
		var stale []string
		for name, b := range seeds {
			got, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil || !bytes.Equal(got, corpusFile(b)) {
				stale = append(stale, name)
			}
		}
		onDisk, _ := filepath.Glob(filepath.Join(dir, "seed-*"))
		for _, p := range onDisk {
			if _, ok := seeds[filepath.Base(p)]; !ok {
				stale = append(stale, filepath.Base(p)+" (no longer generated)")
			}
		}
		if len(stale) > 0 {
			sort.Strings(stale)
			t.Errorf("%s seed corpus is stale (%d files: %s...): run go test ./protocol -run TestFuzzSeedCorpus -update", target, len(stale), stale[0])
		}
	}
}
