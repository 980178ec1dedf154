package integration

// Test data shared by every client: records with unique payloads, topics
// unique per test, and the exact comparison of what was produced with what
// was consumed.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// record is one Kafka record as the tests see it. Partition and Offset are
// -1 when the producing client does not report them. Every record carries
// one header, "seq", which must come back unchanged.
type record struct {
	Key       string `json:"key"`
	Value     string `json:"value"`
	Seq       string `json:"seq"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}

// makeRecords returns n records whose values are unique to this topic and
// this run.
func makeRecords(topic string, n int) []record {
	nonce := randHex(4)
	out := make([]record, n)
	for i := range out {
		out[i] = record{
			Key:       fmt.Sprintf("key-%04d", i),
			Value:     fmt.Sprintf("%s/%04d/%s", topic, i, nonce),
			Seq:       strconv.Itoa(i),
			Partition: -1,
			Offset:    -1,
		}
	}
	return out
}

// moreRecords continues a sequence started by makeRecords: keys and values
// never collide with the first n.
func moreRecords(topic string, from, n int) []record {
	recs := makeRecords(topic, from+n)[from:]
	return slices.Clone(recs)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// uniqueTopic is a topic name unique to this test and run.
func uniqueTopic(t *testing.T) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
			return r
		}
		return '_'
	}, t.Name())
	return "it." + name + "." + randHex(4)
}

// createTopic creates a topic unique to this test with the given partition
// count (replication factor: the cluster default). Against an external
// cluster it is deleted when the test ends.
func createTopic(t *testing.T, c *Cluster, partitions int32) string {
	t.Helper()
	topic := uniqueTopic(t)
	adm := kadm.NewClient(newKgoClient(t, c))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := adm.CreateTopic(ctx, partitions, -1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("creating topic %s: %v", topic, err)
	}
	if c.External() {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := adm.DeleteTopic(ctx, topic); err != nil {
				t.Logf("deleting topic %s: %v", topic, err)
			}
		})
	}
	return topic
}

// checkRecords asserts that got holds exactly the records of want, each
// once, with the same value and header; that records the producer placed
// (Partition/Offset ≥ 0) came back from that partition and offset; and
// that offsets grew within each partition in the order records were
// consumed.
func checkRecords(t *testing.T, want, got []record) {
	t.Helper()
	byKey := make(map[string]record, len(want))
	for _, r := range want {
		byKey[r.Key] = r
	}
	seen := map[string]bool{}
	lastOffset := map[int32]int64{}
	bad := 0
	report := func(format string, args ...any) {
		if bad++; bad <= 10 {
			t.Errorf(format, args...)
		}
	}
	for i, g := range got {
		w, ok := byKey[g.Key]
		switch {
		case !ok:
			report("consumed record %d %+v was never produced", i, g)
			continue
		case seen[g.Key]:
			report("record %q consumed twice (second at position %d, %+v)", g.Key, i, g)
			continue
		}
		seen[g.Key] = true
		if g.Value != w.Value || g.Seq != w.Seq {
			report("record %q: consumed value %q header seq=%q, produced %q seq=%q", g.Key, g.Value, g.Seq, w.Value, w.Seq)
		}
		if w.Partition >= 0 && (g.Partition != w.Partition || g.Offset != w.Offset) {
			report("record %q: consumed at %d/%d, producer was acknowledged %d/%d", g.Key, g.Partition, g.Offset, w.Partition, w.Offset)
		}
		if last, ok := lastOffset[g.Partition]; ok && g.Offset >= 0 && g.Offset <= last {
			report("partition %d: offset %d consumed after %d", g.Partition, g.Offset, last)
		}
		if g.Offset >= 0 {
			lastOffset[g.Partition] = g.Offset
		}
	}
	if len(seen) != len(want) {
		var missing []string
		for _, w := range want {
			if !seen[w.Key] {
				missing = append(missing, w.Key)
			}
		}
		report("consumed %d of %d produced records; missing (first 10): %v", len(seen), len(want), missing[:min(10, len(missing))])
	}
	if bad > 10 {
		t.Errorf("... and %d more mismatches", bad-10)
	}
}

// decodeJSONLines parses one JSON record per non-empty line (the output
// of the Node, Python and kcat clients).
func decodeJSONLines[T any](t *testing.T, out []byte) []T {
	t.Helper()
	var recs []T
	for i, line := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var r T
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %d of client output: %v: %q", i+1, err, line)
		}
		recs = append(recs, r)
	}
	return recs
}

// consumeKgo reads n records of topic from the start with a franz-go
// client outside any group (the reference consumer for producers under
// test). isolation is kgo.ReadUncommitted() or kgo.ReadCommitted().
func consumeKgo(t *testing.T, c *Cluster, topic string, n int, isolation kgo.IsolationLevel) []record {
	t.Helper()
	cl := newKgoClient(t, c,
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(isolation),
	)
	return pollKgo(t, cl, n)
}

// pollKgo polls cl until it returned n records or the test's deadline.
func pollKgo(t *testing.T, cl *kgo.Client, n int) []record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	var got []record
	for len(got) < n {
		fs := cl.PollRecords(ctx, n-len(got))
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records before the deadline", len(got), n)
		}
		fs.EachError(func(topic string, p int32, err error) {
			t.Errorf("fetch %s/%d: %v", topic, p, err)
		})
		if t.Failed() {
			t.FailNow()
		}
		fs.EachRecord(func(r *kgo.Record) { got = append(got, fromKgo(r)) })
	}
	return got
}

// clientTimeout bounds every produce or consume phase of a test: generous
// (a hang guard, not a timing assertion).
const clientTimeout = 60 * time.Second
