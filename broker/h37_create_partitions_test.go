package broker

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka/storage/recordbatch/batchtest"
)

func createPartitionsReq(validateOnly bool, topics ...kmsg.CreatePartitionsRequestTopic) *kmsg.CreatePartitionsRequest {
	req := kmsg.NewPtrCreatePartitionsRequest()
	req.Topics = topics
	req.ValidateOnly = validateOnly
	return req
}

func cpTopic(name string, count int32, assignment ...[]int32) kmsg.CreatePartitionsRequestTopic {
	t := kmsg.NewCreatePartitionsRequestTopic()
	t.Topic, t.Count = name, count
	for _, a := range assignment {
		t.Assignment = append(t.Assignment, kmsg.CreatePartitionsRequestTopicAssignment{Replicas: a})
	}
	return t
}

func TestCreatePartitions(t *testing.T) {
	z := newRules("ALTER Topic:secret", "ALTER Topic:missing-secret")
	b, addr := startBroker(t, withAuthorizer(z))
	cl := newClient(t, addr)
	adm := kadm.NewClient(cl)
	ctx := testCtx(t)
	createTopic(t, cl, "grow", 1, nil)
	createTopic(t, cl, "secret", 1, nil)

	// A real admin client grows the topic; the new partition takes writes.
	res, err := adm.CreatePartitions(ctx, 2, "grow")
	if err != nil || res["grow"].Err != nil {
		t.Fatalf("kadm CreatePartitions: %v %v", err, res["grow"].Err)
	}
	md, err := adm.Metadata(ctx, "grow")
	if err != nil || len(md.Topics["grow"].Partitions) != 3 {
		t.Fatalf("metadata after growth: %v, %d partitions", err, len(md.Topics["grow"].Partitions))
	}
	if off := produceRecs(t, cl, "grow", 2, batchtest.Options{}, 1, 2); off != 0 {
		t.Fatalf("first offset of the new partition = %d", off)
	}

	cases := map[string]struct {
		req      *kmsg.CreatePartitionsRequest
		wantCode int16
		wantMsg  string
	}{
		"duplicate names, before authorization": {createPartitionsReq(false, cpTopic("secret", 5), cpTopic("secret", 6)), 42, "Duplicate topic name."},
		"unauthorized existing":                 {createPartitionsReq(false, cpTopic("secret", 5)), 29, "<nil>"},
		"unauthorized missing":                  {createPartitionsReq(false, cpTopic("missing-secret", 5)), 29, "<nil>"},
		"missing":                               {createPartitionsReq(false, cpTopic("nope", 5)), 3, "<nil>"},
		"same count":                            {createPartitionsReq(false, cpTopic("grow", 3)), 37, "Topic already has 3 partition(s)."},
		"decrease":                              {createPartitionsReq(false, cpTopic("grow", 2)), 37, "The topic grow currently has 3 partition(s); 2 would not be an increase."},
		"too few assignments":                   {createPartitionsReq(false, cpTopic("grow", 5, []int32{1})), 39, "Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified."},
		"unknown broker":                        {createPartitionsReq(false, cpTopic("grow", 4, []int32{7})), 39, "The manual partition assignment includes broker 7, but no such broker is registered."},
		"broker twice":                          {createPartitionsReq(false, cpTopic("grow", 4, []int32{1, 1})), 39, "The manual partition assignment includes the broker 1 more than once."},
		"empty replica list":                    {createPartitionsReq(false, cpTopic("grow", 4, []int32{})), 39, "The manual partition assignment includes an empty replica list."},
		"validate only":                         {createPartitionsReq(true, cpTopic("grow", 10, []int32{1}, []int32{1}, []int32{1}, []int32{1}, []int32{1}, []int32{1}, []int32{1})), 0, "<nil>"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			z.asked()
			resp := request[*kmsg.CreatePartitionsResponse](t, cl, c.req)
			if len(resp.Topics) != 1 {
				t.Fatalf("%d results, want 1 per distinct name", len(resp.Topics))
			}
			got := resp.Topics[0]
			if got.ErrorCode != c.wantCode || errMsg(got.ErrorMessage) != c.wantMsg {
				t.Fatalf("got %d %q, want %d %q", got.ErrorCode, errMsg(got.ErrorMessage), c.wantCode, c.wantMsg)
			}
			if got.ErrorCode == 42 && len(z.asked()) != 0 {
				t.Fatal("duplicates were authorized; Kafka rejects them first")
			}
		})
	}
	if n := len(b.topics.get("grow").partitions); n != 3 {
		t.Fatalf("failed and validate-only requests changed the topic: %d partitions", n)
	}

	// A manual assignment naming this node is accepted.
	resp := request[*kmsg.CreatePartitionsResponse](t, cl, createPartitionsReq(false, cpTopic("grow", 4, []int32{1})))
	if resp.Topics[0].ErrorCode != 0 || len(b.topics.get("grow").partitions) != 4 {
		t.Fatalf("manual assignment: error %d, %d partitions", resp.Topics[0].ErrorCode, len(b.topics.get("grow").partitions))
	}
	// Existing partitions keep their data across the growth.
	if end := b.topics.partition("grow", 2).log.EndOffset(); end != 2 {
		t.Fatalf("partition 2 end offset %d after growth, want 2", end)
	}
}
