package integration

// The rows of the no-ACL bypass suite: per API key, what an authenticated
// principal without any ACL sends, the exact code Kafka answers
// (authorization.md §2), and what must not have happened. Every row runs
// at every version the broker serves; after every request the super
// user's view of the broker (bypassFixture.snapshot) must be unchanged.
// TestBypassNoACLs fails when a key of protocol.Versions has no row.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka/storage/recordbatch/batchtest"
)

// bypassRow is one expectation: a request, the codes it must get, and
// optionally a check of state beyond the snapshot.
type bypassRow struct {
	key  int16
	name string // the attempt
	who  string // the principal (default: bypassAttacker, no ACL)
	minV int16  // first version the attempt exists in (default: the key's min)
	want string // the expected answer, as the spec table says it
	req  func(f *bypassFixture, v int16) kmsg.Request
	// check verifies the response; it returns what is wrong.
	check func(f *bypassFixture, v int16, resp kmsg.Response) error
	// after checks state the snapshot cannot see (nil: none).
	after func(ctx context.Context, f *bypassFixture) error
}

func deref(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}

func codeIs(what string, got, want int16) error {
	if got != want {
		return fmt.Errorf("%s: error code %d, want %d", what, got, want)
	}
	return nil
}

// batch is a valid one-record batch (transactional for txn-a when txn).
func (f *bypassFixture) batch(txn bool) []byte {
	o := batchtest.Options{}
	if txn {
		o = batchtest.Options{Transactional: true, ProducerID: f.txnPID, ProducerEpoch: f.txnEpoch}
	}
	return batchtest.Build([]batchtest.Rec{{Timestamp: time.Now().UnixMilli(), Value: []byte("injected")}}, o)
}

func bypassRows() []bypassRow {
	var rows []bypassRow
	rows = append(rows, dataRows()...)
	rows = append(rows, groupRows()...)
	rows = append(rows, txnRows()...)
	rows = append(rows, adminRows()...)
	return rows
}

// dataRows: Produce, Fetch, ListOffsets, Metadata, DeleteRecords,
// OffsetForLeaderEpoch.
func dataRows() []bypassRow {
	return []bypassRow{
		{key: 0, name: "write to an existing and a missing topic", want: "29 on every partition, nothing appended, no topic created",
			req: func(f *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrProduceRequest()
				r.Acks, r.TimeoutMillis = -1, 5000
				for _, topic := range []string{bypassTopic, bypassNewTopic} {
					r.Topics = append(r.Topics, kmsg.ProduceRequestTopic{Topic: topic, Partitions: []kmsg.ProduceRequestTopicPartition{{Partition: 0, Records: f.batch(false)}}})
				}
				return r
			},
			check: producePartitions(29)},
		{key: 0, name: "write into the admin's transaction", want: "53 on every partition (TransactionalId WRITE)",
			req: func(f *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrProduceRequest()
				r.TransactionID, r.Acks, r.TimeoutMillis = kmsg.StringPtr(bypassTxn), -1, 5000
				r.Topics = []kmsg.ProduceRequestTopic{{Topic: bypassTopic, Partitions: []kmsg.ProduceRequestTopicPartition{{Partition: 0, Records: f.batch(true)}}}}
				return r
			},
			check: producePartitions(53)},
		{key: 1, name: "read the secret topic", want: "29 per partition, no record returned",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrFetchRequest()
				r.ReplicaID, r.MaxWaitMillis, r.MaxBytes = -1, 0, 1<<20
				p := kmsg.NewFetchRequestTopicPartition()
				p.Partition, p.FetchOffset, p.PartitionMaxBytes = 0, 0, 1<<20
				r.Topics = []kmsg.FetchRequestTopic{{Topic: bypassTopic, Partitions: []kmsg.FetchRequestTopicPartition{p}}}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.FetchResponse)
				if len(r.Topics) != 1 || len(r.Topics[0].Partitions) != 1 {
					return fmt.Errorf("%d topics in the response", len(r.Topics))
				}
				p := r.Topics[0].Partitions[0]
				if len(p.RecordBatches) != 0 || p.HighWatermark > 0 {
					return fmt.Errorf("records (%d bytes) or a high watermark (%d) leaked", len(p.RecordBatches), p.HighWatermark)
				}
				return codeIs("partition", p.ErrorCode, 29)
			}},
		{key: 1, name: "fetch as a follower", want: "29 on every partition (Cluster CLUSTER_ACTION)",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrFetchRequest()
				r.ReplicaID, r.MaxWaitMillis, r.MaxBytes = 1, 0, 1<<20
				p := kmsg.NewFetchRequestTopicPartition()
				p.Partition, p.FetchOffset, p.PartitionMaxBytes = 0, 0, 1<<20
				r.Topics = []kmsg.FetchRequestTopic{{Topic: bypassTopic, Partitions: []kmsg.FetchRequestTopicPartition{p}}}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.FetchResponse)
				if len(r.Topics) != 1 || len(r.Topics[0].Partitions) != 1 || len(r.Topics[0].Partitions[0].RecordBatches) != 0 {
					return fmt.Errorf("response %+v", r.Topics)
				}
				return codeIs("partition", r.Topics[0].Partitions[0].ErrorCode, 29)
			}},
		{key: 2, name: "list offsets", want: "29 per partition, offset -1",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrListOffsetsRequest()
				p := kmsg.NewListOffsetsRequestTopicPartition()
				p.Partition, p.Timestamp = 0, -1
				r.Topics = []kmsg.ListOffsetsRequestTopic{{Topic: bypassTopic, Partitions: []kmsg.ListOffsetsRequestTopicPartition{p}}}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				p := resp.(*kmsg.ListOffsetsResponse).Topics[0].Partitions[0]
				if p.Offset != -1 {
					return fmt.Errorf("offset %d leaked", p.Offset)
				}
				return codeIs("partition", p.ErrorCode, 29)
			}},
		{key: 3, name: "describe and auto-create named topics", want: "29 per topic, before existence; nothing created",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrMetadataRequest()
				r.AllowAutoTopicCreation = true
				r.IncludeTopicAuthorizedOperations = true
				r.Topics = []kmsg.MetadataRequestTopic{{Topic: kmsg.StringPtr(bypassTopic)}, {Topic: kmsg.StringPtr(bypassNewTopic)}}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.MetadataResponse)
				if len(r.Topics) != 2 {
					return fmt.Errorf("%d topics, want 2", len(r.Topics))
				}
				for _, t := range r.Topics {
					if len(t.Partitions) != 0 || t.TopicID != [16]byte{} || t.IsInternal {
						return fmt.Errorf("topic %s leaked partitions %d or id %x", deref(t.Topic), len(t.Partitions), t.TopicID)
					}
					if t.AuthorizedOperations != -2147483648 {
						return fmt.Errorf("topic %s: authorized operations %d for a topic that may not be described", deref(t.Topic), t.AuthorizedOperations)
					}
					if err := codeIs(deref(t.Topic), t.ErrorCode, 29); err != nil {
						return err
					}
				}
				return nil
			}},
		{key: 3, name: "list all topics", want: "error 0, unauthorized topics left out; cluster authorized operations 0 (v8-10)",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrMetadataRequest()
				if v >= 1 {
					r.Topics = nil // v0: an empty list means all
				}
				r.IncludeClusterAuthorizedOperations = true
				return r
			},
			check: func(_ *bypassFixture, v int16, resp kmsg.Response) error {
				r := resp.(*kmsg.MetadataResponse)
				if len(r.Topics) != 0 {
					return fmt.Errorf("%d topics listed, first %s", len(r.Topics), deref(r.Topics[0].Topic))
				}
				if v >= 8 && v <= 10 && r.AuthorizedOperations != 0 {
					return fmt.Errorf("cluster authorized operations %d, want 0", r.AuthorizedOperations)
				}
				return nil
			}},
		{key: 3, who: bypassLimited, name: "list all topics with DESCRIBE on one", want: "only the described topic listed",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrMetadataRequest()
				if v >= 1 {
					r.Topics = nil
				}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.MetadataResponse)
				if len(r.Topics) != 1 || deref(r.Topics[0].Topic) != bypassVisible || r.Topics[0].ErrorCode != 0 {
					var names []string
					for _, t := range r.Topics {
						names = append(names, deref(t.Topic))
					}
					return fmt.Errorf("listed %v, want only %s", names, bypassVisible)
				}
				return nil
			}},
		{key: 21, name: "delete records", want: "29 per partition, low watermark -1",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrDeleteRecordsRequest()
				r.TimeoutMillis = 5000
				r.Topics = []kmsg.DeleteRecordsRequestTopic{{Topic: bypassTopic, Partitions: []kmsg.DeleteRecordsRequestTopicPartition{{Partition: 0, Offset: -1}}}}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				p := resp.(*kmsg.DeleteRecordsResponse).Topics[0].Partitions[0]
				if p.LowWatermark != -1 {
					return fmt.Errorf("low watermark %d leaked", p.LowWatermark)
				}
				return codeIs("partition", p.ErrorCode, 29)
			}},
		{key: 23, name: "offset for leader epoch", want: "29 per partition, end offset -1",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrOffsetForLeaderEpochRequest()
				r.ReplicaID = -1
				p := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
				p.Partition, p.CurrentLeaderEpoch, p.LeaderEpoch = 0, -1, 0
				r.Topics = []kmsg.OffsetForLeaderEpochRequestTopic{{Topic: bypassTopic, Partitions: []kmsg.OffsetForLeaderEpochRequestTopicPartition{p}}}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				p := resp.(*kmsg.OffsetForLeaderEpochResponse).Topics[0].Partitions[0]
				if p.EndOffset != -1 {
					return fmt.Errorf("end offset %d leaked", p.EndOffset)
				}
				return codeIs("partition", p.ErrorCode, 29)
			}},
	}
}

func producePartitions(code int16) func(*bypassFixture, int16, kmsg.Response) error {
	return func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
		r := resp.(*kmsg.ProduceResponse)
		n := 0
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				n++
				if p.BaseOffset > 0 {
					return fmt.Errorf("%s-%d: base offset %d", t.Topic, p.Partition, p.BaseOffset)
				}
				if err := codeIs(fmt.Sprintf("%s-%d", t.Topic, p.Partition), p.ErrorCode, code); err != nil {
					return err
				}
			}
		}
		if n == 0 {
			return errors.New("no partition in the response")
		}
		return nil
	}
}

// groupRows: the group APIs.
func groupRows() []bypassRow {
	return []bypassRow{
		{key: 8, name: "commit an offset", want: "30 on every partition (Group READ first)",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrOffsetCommitRequest()
				r.Group, r.Generation, r.RetentionTimeMillis = bypassGroup, -1, -1
				r.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: bypassTopic, Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0, Offset: 0, LeaderEpoch: -1}}}}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.OffsetCommitResponse)
				if len(r.Topics) != 1 || len(r.Topics[0].Partitions) != 1 {
					return fmt.Errorf("response %+v", r.Topics)
				}
				return codeIs("partition", r.Topics[0].Partitions[0].ErrorCode, 30)
			}},
		{key: 9, name: "fetch committed offsets of a named topic", want: "30 (partition level v1, top level v2-7, per group v8); no offset leaked",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				return offsetFetch(v, []string{bypassTopic})
			},
			check: offsetFetchDenied},
		{key: 9, minV: 2, name: "fetch all committed offsets", want: "30, no topic listed",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				return offsetFetch(v, nil)
			},
			check: offsetFetchDenied},
		{key: 9, minV: 2, who: bypassLimited, name: "fetch all committed offsets with DESCRIBE on the group only", want: "error 0, only the describable topic listed",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				return offsetFetch(v, nil)
			},
			check: func(_ *bypassFixture, v int16, resp kmsg.Response) error {
				r := resp.(*kmsg.OffsetFetchResponse)
				code, topics := r.ErrorCode, r.Topics
				if v >= 8 {
					if len(r.Groups) != 1 {
						return fmt.Errorf("%d groups", len(r.Groups))
					}
					code = r.Groups[0].ErrorCode
					topics = nil
					for _, t := range r.Groups[0].Topics {
						topics = append(topics, kmsg.OffsetFetchResponseTopic{Topic: t.Topic})
					}
				}
				if err := codeIs("group", code, 0); err != nil {
					return err
				}
				if len(topics) != 1 || topics[0].Topic != bypassVisible {
					return fmt.Errorf("%d topics listed, want only %s", len(topics), bypassVisible)
				}
				return nil
			}},
		{key: 10, name: "find the coordinator of a group", want: "30 (top level v0-3, per key v4)",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrFindCoordinatorRequest()
				r.CoordinatorKey, r.CoordinatorType, r.CoordinatorKeys = bypassGroup, 0, []string{bypassGroup}
				return r
			},
			check: findCoordinatorDenied(30)},
		{key: 10, minV: 1, name: "find the coordinator of a transactional id", want: "53 (top level v1-3, per key v4)",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrFindCoordinatorRequest()
				r.CoordinatorKey, r.CoordinatorType, r.CoordinatorKeys = bypassTxn, 1, []string{bypassTxn}
				return r
			},
			check: findCoordinatorDenied(53)},
		{key: 11, name: "join a group", want: "30, the group stays empty",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrJoinGroupRequest()
				r.Group, r.SessionTimeoutMillis, r.RebalanceTimeoutMillis, r.ProtocolType = bypassGroup, 30000, 30000, "consumer"
				r.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte{0, 0, 0, 0, 0, 0, 0, 0}}}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.JoinGroupResponse)
				if r.MemberID != "" || len(r.Members) != 0 {
					return fmt.Errorf("member id %q, %d members", r.MemberID, len(r.Members))
				}
				return codeIs("join", r.ErrorCode, 30)
			}},
		{key: 12, name: "heartbeat as the admin's member", want: "30",
			req: func(f *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrHeartbeatRequest()
				r.Group, r.MemberID, r.Generation = bypassLiveGroup, f.memberID, f.generation
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				return codeIs("heartbeat", resp.(*kmsg.HeartbeatResponse).ErrorCode, 30)
			}},
		{key: 13, name: "remove the admin's member", want: "30 top level, no member result; the member stays",
			req: func(f *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrLeaveGroupRequest()
				r.Group, r.MemberID = bypassLiveGroup, f.memberID
				r.Members = []kmsg.LeaveGroupRequestMember{{MemberID: f.memberID}}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.LeaveGroupResponse)
				if len(r.Members) != 0 {
					return fmt.Errorf("%d member results", len(r.Members))
				}
				return codeIs("leave", r.ErrorCode, 30)
			}},
		{key: 14, name: "sync the admin's group with another assignment", want: "30, no assignment returned",
			req: func(f *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrSyncGroupRequest()
				r.Group, r.MemberID, r.Generation = bypassLiveGroup, f.memberID, f.generation
				r.ProtocolType, r.Protocol = kmsg.StringPtr("consumer"), kmsg.StringPtr("range")
				r.GroupAssignment = []kmsg.SyncGroupRequestGroupAssignment{{MemberID: f.memberID, MemberAssignment: []byte("mallory-assignment")}}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.SyncGroupResponse)
				if len(r.MemberAssignment) != 0 {
					return fmt.Errorf("assignment %q leaked", r.MemberAssignment)
				}
				return codeIs("sync", r.ErrorCode, 30)
			}},
		{key: 15, name: "describe groups", want: "30 per group, other fields empty",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrDescribeGroupsRequest()
				r.Groups = []string{bypassLiveGroup, bypassGroup}
				r.IncludeAuthorizedOperations = true
				return r
			},
			check: func(_ *bypassFixture, v int16, resp kmsg.Response) error {
				r := resp.(*kmsg.DescribeGroupsResponse)
				if len(r.Groups) != 2 {
					return fmt.Errorf("%d groups", len(r.Groups))
				}
				for _, g := range r.Groups {
					if g.State != "" || g.ProtocolType != "" || g.Protocol != "" || len(g.Members) != 0 {
						return fmt.Errorf("group %s leaked state %q protocol %q/%q members %d", g.Group, g.State, g.ProtocolType, g.Protocol, len(g.Members))
					}
					if v >= 3 && g.AuthorizedOperations != -2147483648 {
						return fmt.Errorf("group %s: authorized operations %d", g.Group, g.AuthorizedOperations)
					}
					if err := codeIs(g.Group, g.ErrorCode, 30); err != nil {
						return err
					}
				}
				return nil
			}},
		{key: 16, name: "list groups", want: "error 0, no group listed",
			req: func(_ *bypassFixture, v int16) kmsg.Request { return kmsg.NewPtrListGroupsRequest() },
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.ListGroupsResponse)
				if len(r.Groups) != 0 {
					return fmt.Errorf("%d groups listed, first %s", len(r.Groups), r.Groups[0].Group)
				}
				return codeIs("list", r.ErrorCode, 0)
			}},
		{key: 16, who: bypassLimited, name: "list groups with DESCRIBE on one", want: "error 0, only that group listed",
			req: func(_ *bypassFixture, v int16) kmsg.Request { return kmsg.NewPtrListGroupsRequest() },
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.ListGroupsResponse)
				if len(r.Groups) != 1 || r.Groups[0].Group != bypassGroup {
					return fmt.Errorf("listed %+v, want only %s", r.Groups, bypassGroup)
				}
				return codeIs("list", r.ErrorCode, 0)
			}},
		{key: 42, name: "delete the empty group", want: "30 per group, the group and its offsets stay",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrDeleteGroupsRequest()
				r.Groups = []string{bypassGroup, bypassGroup, bypassLiveGroup}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.DeleteGroupsResponse)
				if len(r.Groups) != 2 {
					return fmt.Errorf("%d results, want 2 (deduplicated)", len(r.Groups))
				}
				for _, g := range r.Groups {
					if err := codeIs(g.Group, g.ErrorCode, 30); err != nil {
						return err
					}
				}
				return nil
			}},
		{key: 47, name: "delete committed offsets", want: "30 top level",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrOffsetDeleteRequest()
				r.Group = bypassGroup
				r.Topics = []kmsg.OffsetDeleteRequestTopic{{Topic: bypassTopic, Partitions: []kmsg.OffsetDeleteRequestTopicPartition{{Partition: 0}}}}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.OffsetDeleteResponse)
				for _, t := range r.Topics {
					for _, p := range t.Partitions {
						if p.ErrorCode == 0 {
							return fmt.Errorf("%s-%d deleted", t.Topic, p.Partition)
						}
					}
				}
				return codeIs("offset delete", r.ErrorCode, 30)
			}},
	}
}

func offsetFetch(v int16, topics []string) *kmsg.OffsetFetchRequest {
	r := kmsg.NewPtrOffsetFetchRequest()
	r.Group = bypassGroup
	g := kmsg.NewOffsetFetchRequestGroup()
	g.Group = bypassGroup
	if topics != nil {
		for _, t := range topics {
			r.Topics = append(r.Topics, kmsg.OffsetFetchRequestTopic{Topic: t, Partitions: []int32{0}})
			g.Topics = append(g.Topics, kmsg.OffsetFetchRequestGroupTopic{Topic: t, Partitions: []int32{0}})
		}
	} else {
		r.Topics, g.Topics = nil, nil
	}
	r.Groups = []kmsg.OffsetFetchRequestGroup{g}
	return r
}

// offsetFetchDenied expects the group denial where the version puts it,
// and no committed offset.
func offsetFetchDenied(_ *bypassFixture, v int16, resp kmsg.Response) error {
	r := resp.(*kmsg.OffsetFetchResponse)
	switch {
	case v >= 8:
		if len(r.Groups) != 1 {
			return fmt.Errorf("%d groups", len(r.Groups))
		}
		g := r.Groups[0]
		for _, t := range g.Topics {
			for _, p := range t.Partitions {
				if p.Offset >= 0 {
					return fmt.Errorf("offset %d of %s-%d leaked", p.Offset, t.Topic, p.Partition)
				}
			}
		}
		return codeIs("group", g.ErrorCode, 30)
	case v >= 2:
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				if p.Offset >= 0 {
					return fmt.Errorf("offset %d of %s-%d leaked", p.Offset, t.Topic, p.Partition)
				}
			}
		}
		return codeIs("top level", r.ErrorCode, 30)
	default:
		if len(r.Topics) != 1 || len(r.Topics[0].Partitions) != 1 {
			return fmt.Errorf("response %+v", r.Topics)
		}
		p := r.Topics[0].Partitions[0]
		if p.Offset != -1 {
			return fmt.Errorf("offset %d leaked", p.Offset)
		}
		return codeIs("partition", p.ErrorCode, 30)
	}
}

func findCoordinatorDenied(code int16) func(*bypassFixture, int16, kmsg.Response) error {
	return func(_ *bypassFixture, v int16, resp kmsg.Response) error {
		r := resp.(*kmsg.FindCoordinatorResponse)
		if v >= 4 {
			if len(r.Coordinators) != 1 {
				return fmt.Errorf("%d coordinators", len(r.Coordinators))
			}
			c := r.Coordinators[0]
			if c.NodeID != -1 || c.Port > 0 {
				return fmt.Errorf("coordinator %d at %s:%d leaked", c.NodeID, c.Host, c.Port)
			}
			return codeIs("key", c.ErrorCode, code)
		}
		if r.NodeID != -1 || r.Port > 0 {
			return fmt.Errorf("coordinator %d at %s:%d leaked", r.NodeID, r.Host, r.Port)
		}
		return codeIs("top level", r.ErrorCode, code)
	}
}

// txnRows: the transaction APIs, aimed at the admin's ongoing txn-a with
// its real producer id and epoch.
func txnRows() []bypassRow {
	return []bypassRow{
		{key: 22, name: "init a transactional id", want: "53; the id stays uninitialized",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrInitProducerIDRequest()
				r.TransactionalID, r.TransactionTimeoutMillis = kmsg.StringPtr(bypassFreshTxn), 60000
				return r
			},
			check: initProducerIDDenied(53)}, // TestBypassNoACLs checks at the end that txn-m is still new
		{key: 22, name: "init an idempotent producer", want: "31 (no IDEMPOTENT_WRITE, no WRITE on any topic)",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrInitProducerIDRequest()
				r.TransactionTimeoutMillis = -1
				return r
			},
			check: initProducerIDDenied(31)},
		{key: 24, name: "add a partition to the admin's transaction", want: "53 on every partition",
			req: func(f *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrAddPartitionsToTxnRequest()
				r.TransactionalID, r.ProducerID, r.ProducerEpoch = bypassTxn, f.txnPID, f.txnEpoch
				r.Topics = []kmsg.AddPartitionsToTxnRequestTopic{{Topic: bypassTopic, Partitions: []int32{1}}}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.AddPartitionsToTxnResponse)
				if len(r.Topics) != 1 || len(r.Topics[0].Partitions) != 1 {
					return fmt.Errorf("response %+v", r.Topics)
				}
				return codeIs("partition", r.Topics[0].Partitions[0].ErrorCode, 53)
			}},
		{key: 25, name: "add the group's offsets to the admin's transaction", want: "53",
			req: func(f *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrAddOffsetsToTxnRequest()
				r.TransactionalID, r.ProducerID, r.ProducerEpoch, r.Group = bypassTxn, f.txnPID, f.txnEpoch, bypassGroup
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				return codeIs("add offsets", resp.(*kmsg.AddOffsetsToTxnResponse).ErrorCode, 53)
			}},
		{key: 26, name: "commit the admin's transaction", want: "53; no marker written",
			req: func(f *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrEndTxnRequest()
				r.TransactionalID, r.ProducerID, r.ProducerEpoch, r.Commit = bypassTxn, f.txnPID, f.txnEpoch, true
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				return codeIs("end txn", resp.(*kmsg.EndTxnResponse).ErrorCode, 53)
			}},
		{key: 28, name: "commit offsets in the admin's transaction", want: "53 on every partition",
			req: func(f *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrTxnOffsetCommitRequest()
				r.TransactionalID, r.Group, r.ProducerID, r.ProducerEpoch, r.Generation = bypassTxn, bypassGroup, f.txnPID, f.txnEpoch, -1
				r.Topics = []kmsg.TxnOffsetCommitRequestTopic{{Topic: bypassTopic, Partitions: []kmsg.TxnOffsetCommitRequestTopicPartition{{Partition: 0, Offset: 0, LeaderEpoch: -1}}}}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.TxnOffsetCommitResponse)
				if len(r.Topics) != 1 || len(r.Topics[0].Partitions) != 1 {
					return fmt.Errorf("response %+v", r.Topics)
				}
				return codeIs("partition", r.Topics[0].Partitions[0].ErrorCode, 53)
			}},
	}
}

func initProducerIDDenied(code int16) func(*bypassFixture, int16, kmsg.Response) error {
	return func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
		r := resp.(*kmsg.InitProducerIDResponse)
		if r.ProducerID != -1 {
			return fmt.Errorf("producer id %d handed out", r.ProducerID)
		}
		return codeIs("init", r.ErrorCode, code)
	}
}

// adminRows: topic, config, ACL, SCRAM and cluster administration, and
// the SASL APIs after authentication.
func adminRows() []bypassRow {
	return []bypassRow{
		{key: 17, name: "handshake again", want: "34 with no mechanism; the connection stays open",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrSASLHandshakeRequest()
				r.Mechanism = "PLAIN"
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.SASLHandshakeResponse)
				if len(r.SupportedMechanisms) != 0 {
					return fmt.Errorf("mechanisms %v", r.SupportedMechanisms)
				}
				return codeIs("handshake", r.ErrorCode, 34)
			}},
		{key: 36, name: "authenticate again", want: "34 \"SaslAuthenticate request received after successful authentication\"",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrSASLAuthenticateRequest()
				r.SASLAuthBytes = []byte("\x00admin\x00admin-secret")
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.SASLAuthenticateResponse)
				if r.ErrorMessage == nil || *r.ErrorMessage != "SaslAuthenticate request received after successful authentication" {
					return fmt.Errorf("message %v", r.ErrorMessage)
				}
				return codeIs("authenticate", r.ErrorCode, 34)
			}},
		{key: 18, name: "api versions", want: "0 (no ACL)",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrApiVersionsRequest()
				r.ClientSoftwareName, r.ClientSoftwareVersion = "bypass", "1.0"
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				return codeIs("api versions", resp.(*kmsg.ApiVersionsResponse).ErrorCode, 0)
			}},
		{key: 60, name: "describe the cluster", want: "0 (no ACL on a broker); cluster authorized operations 0",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrDescribeClusterRequest()
				r.IncludeClusterAuthorizedOperations, r.EndpointType = true, 1
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.DescribeClusterResponse)
				if r.ClusterAuthorizedOperations != 0 {
					return fmt.Errorf("cluster authorized operations %d, want 0", r.ClusterAuthorizedOperations)
				}
				return codeIs("describe cluster", r.ErrorCode, 0)
			}},
		{key: 19, name: "create a new topic and an existing one", want: "29 \"Authorization failed.\" for both (no TOPIC_ALREADY_EXISTS leak); nothing created",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrCreateTopicsRequest()
				r.TimeoutMillis = 5000
				for _, name := range []string{bypassNewTopic, bypassTopic} {
					t := kmsg.NewCreateTopicsRequestTopic()
					t.Topic, t.NumPartitions, t.ReplicationFactor = name, 3, 1
					r.Topics = append(r.Topics, t)
				}
				return r
			},
			check: func(_ *bypassFixture, v int16, resp kmsg.Response) error {
				r := resp.(*kmsg.CreateTopicsResponse)
				if len(r.Topics) != 2 {
					return fmt.Errorf("%d topics", len(r.Topics))
				}
				for _, t := range r.Topics {
					if v >= 1 && (t.ErrorMessage == nil || *t.ErrorMessage != "Authorization failed.") {
						return fmt.Errorf("%s: message %v", t.Topic, t.ErrorMessage)
					}
					if v >= 5 && (t.NumPartitions != -1 || t.ReplicationFactor != -1 || len(t.Configs) != 0) {
						return fmt.Errorf("%s: partitions %d, replication %d, %d configs leaked", t.Topic, t.NumPartitions, t.ReplicationFactor, len(t.Configs))
					}
					if err := codeIs(t.Topic, t.ErrorCode, 29); err != nil {
						return err
					}
				}
				return nil
			}},
		{key: 20, name: "delete the secret topic", want: "29; the topic stays",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrDeleteTopicsRequest()
				r.TimeoutMillis = 5000
				r.TopicNames = []string{bypassTopic, bypassNewTopic}
				r.Topics = []kmsg.DeleteTopicsRequestTopic{{Topic: kmsg.StringPtr(bypassTopic)}, {Topic: kmsg.StringPtr(bypassNewTopic)}}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.DeleteTopicsResponse)
				if len(r.Topics) != 2 {
					return fmt.Errorf("%d topics", len(r.Topics))
				}
				for _, t := range r.Topics {
					if t.TopicID != [16]byte{} {
						return fmt.Errorf("topic id %x leaked", t.TopicID)
					}
					if err := codeIs(deref(t.Topic), t.ErrorCode, 29); err != nil {
						return err
					}
				}
				return nil
			}},
		{key: 37, name: "add partitions", want: "29; the partition count stays",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrCreatePartitionsRequest()
				r.TimeoutMillis = 5000
				r.Topics = []kmsg.CreatePartitionsRequestTopic{{Topic: bypassTopic, Count: 5}, {Topic: bypassNewTopic, Count: 5}}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.CreatePartitionsResponse)
				if len(r.Topics) != 2 {
					return fmt.Errorf("%d topics", len(r.Topics))
				}
				for _, t := range r.Topics {
					if err := codeIs(t.Topic, t.ErrorCode, 29); err != nil {
						return err
					}
				}
				return nil
			}},
		{key: 32, name: "describe topic and broker configs", want: "29 / 31 per resource, no config returned",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrDescribeConfigsRequest()
				r.Resources = []kmsg.DescribeConfigsRequestResource{
					{ResourceType: kmsg.ConfigResourceTypeTopic, ResourceName: bypassTopic},
					{ResourceType: kmsg.ConfigResourceTypeBroker, ResourceName: fmt.Sprint(bypassNodeID)},
				}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.DescribeConfigsResponse)
				if len(r.Resources) != 2 {
					return fmt.Errorf("%d resources", len(r.Resources))
				}
				for i, want := range []int16{29, 31} {
					res := r.Resources[i]
					if len(res.Configs) != 0 {
						return fmt.Errorf("%s: %d configs leaked", res.ResourceName, len(res.Configs))
					}
					if err := codeIs(res.ResourceName, res.ErrorCode, want); err != nil {
						return err
					}
				}
				return nil
			}},
		{key: 33, name: "alter topic and broker configs", want: "29 / 31 per resource; nothing altered",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrAlterConfigsRequest()
				r.Resources = []kmsg.AlterConfigsRequestResource{
					{ResourceType: kmsg.ConfigResourceTypeTopic, ResourceName: bypassTopic, Configs: []kmsg.AlterConfigsRequestResourceConfig{{Name: "retention.ms", Value: kmsg.StringPtr("1")}}},
					{ResourceType: kmsg.ConfigResourceTypeBroker, ResourceName: fmt.Sprint(bypassNodeID), Configs: []kmsg.AlterConfigsRequestResourceConfig{{Name: "log.retention.ms", Value: kmsg.StringPtr("1")}}},
				}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.AlterConfigsResponse)
				if len(r.Resources) != 2 {
					return fmt.Errorf("%d resources", len(r.Resources))
				}
				for i, want := range []int16{29, 31} {
					if err := codeIs(r.Resources[i].ResourceName, r.Resources[i].ErrorCode, want); err != nil {
						return err
					}
				}
				return nil
			}},
		{key: 44, name: "incrementally alter topic and broker configs", want: "29 / 31 per resource; nothing altered",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrIncrementalAlterConfigsRequest()
				r.Resources = []kmsg.IncrementalAlterConfigsRequestResource{
					{ResourceType: kmsg.ConfigResourceTypeTopic, ResourceName: bypassTopic, Configs: []kmsg.IncrementalAlterConfigsRequestResourceConfig{
						{Name: "retention.ms", Op: kmsg.IncrementalAlterConfigOpSet, Value: kmsg.StringPtr("1")},
						{Name: "cleanup.policy", Op: kmsg.IncrementalAlterConfigOpSet, Value: kmsg.StringPtr("compact")}}},
					{ResourceType: kmsg.ConfigResourceTypeBroker, ResourceName: fmt.Sprint(bypassNodeID), Configs: []kmsg.IncrementalAlterConfigsRequestResourceConfig{
						{Name: "log.retention.ms", Op: kmsg.IncrementalAlterConfigOpSet, Value: kmsg.StringPtr("1")}}},
				}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.IncrementalAlterConfigsResponse)
				if len(r.Resources) != 2 {
					return fmt.Errorf("%d resources", len(r.Resources))
				}
				for i, want := range []int16{29, 31} {
					if err := codeIs(r.Resources[i].ResourceName, r.Resources[i].ErrorCode, want); err != nil {
						return err
					}
				}
				return nil
			}},
		{key: 29, name: "describe all ACLs", want: "31, no ACL returned",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrDescribeACLsRequest()
				r.ResourceType, r.ResourcePatternType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny
				if v == 0 {
					r.ResourcePatternType = kmsg.ACLResourcePatternTypeLiteral
				}
				r.Operation, r.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.DescribeACLsResponse)
				if len(r.Resources) != 0 {
					return fmt.Errorf("%d ACL resources leaked", len(r.Resources))
				}
				return codeIs("describe acls", r.ErrorCode, 31)
			}},
		{key: 30, name: "grant itself everything", want: "31 per creation; no ACL created",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrCreateACLsRequest()
				for _, rt := range []kmsg.ACLResourceType{kmsg.ACLResourceTypeTopic, kmsg.ACLResourceTypeCluster} {
					name := "*"
					if rt == kmsg.ACLResourceTypeCluster {
						name = "kafka-cluster"
					}
					r.Creations = append(r.Creations, kmsg.CreateACLsRequestCreation{ResourceType: rt, ResourceName: name,
						ResourcePatternType: kmsg.ACLResourcePatternTypeLiteral, Principal: "User:" + bypassAttacker, Host: "*",
						Operation: kmsg.ACLOperationAll, PermissionType: kmsg.ACLPermissionTypeAllow})
				}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.CreateACLsResponse)
				if len(r.Results) != 2 {
					return fmt.Errorf("%d results", len(r.Results))
				}
				for _, res := range r.Results {
					if err := codeIs("creation", res.ErrorCode, 31); err != nil {
						return err
					}
				}
				return nil
			}},
		{key: 31, name: "delete every ACL", want: "31 per filter; no ACL deleted or listed",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrDeleteACLsRequest()
				pt := kmsg.ACLResourcePatternTypeAny
				if v == 0 {
					pt = kmsg.ACLResourcePatternTypeLiteral
				}
				r.Filters = []kmsg.DeleteACLsRequestFilter{{ResourceType: kmsg.ACLResourceTypeAny, ResourcePatternType: pt,
					Operation: kmsg.ACLOperationAny, PermissionType: kmsg.ACLPermissionTypeAny}}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.DeleteACLsResponse)
				if len(r.Results) != 1 {
					return fmt.Errorf("%d results", len(r.Results))
				}
				if len(r.Results[0].MatchingACLs) != 0 {
					return fmt.Errorf("%d ACLs listed", len(r.Results[0].MatchingACLs))
				}
				return codeIs("filter", r.Results[0].ErrorCode, 31)
			}},
		{key: 50, name: "describe SCRAM users", want: "31 top level and per user, no credential listed",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrDescribeUserSCRAMCredentialsRequest()
				r.Users = []kmsg.DescribeUserSCRAMCredentialsRequestUser{{Name: bypassAdmin}}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.DescribeUserSCRAMCredentialsResponse)
				for _, res := range r.Results {
					if len(res.CredentialInfos) != 0 {
						return fmt.Errorf("credentials of %q leaked", res.User)
					}
					if err := codeIs("user", res.ErrorCode, 31); err != nil {
						return err
					}
				}
				if len(r.Results) != 1 {
					return fmt.Errorf("%d results", len(r.Results))
				}
				return codeIs("top level", r.ErrorCode, 31)
			}},
		{key: 50, name: "list SCRAM users", want: "31, no user named",
			req: func(_ *bypassFixture, v int16) kmsg.Request { return kmsg.NewPtrDescribeUserSCRAMCredentialsRequest() },
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.DescribeUserSCRAMCredentialsResponse)
				if len(r.Results) != 0 {
					return fmt.Errorf("%d users listed", len(r.Results))
				}
				return codeIs("top level", r.ErrorCode, 31)
			}},
		{key: 51, name: "create a SCRAM user and delete the admin's", want: "31 per user; no credential changed",
			req: func(_ *bypassFixture, v int16) kmsg.Request {
				r := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
				r.Deletions = []kmsg.AlterUserSCRAMCredentialsRequestDeletion{{Name: bypassAdmin, Mechanism: 1}}
				r.Upsertions = []kmsg.AlterUserSCRAMCredentialsRequestUpsertion{{Name: bypassAttacker, Mechanism: 1, Iterations: 4096,
					Salt: []byte("0123456789abcdef"), SaltedPassword: make([]byte, 32)}}
				return r
			},
			check: func(_ *bypassFixture, _ int16, resp kmsg.Response) error {
				r := resp.(*kmsg.AlterUserSCRAMCredentialsResponse)
				if len(r.Results) != 2 {
					return fmt.Errorf("%d results", len(r.Results))
				}
				for _, res := range r.Results {
					if err := codeIs(res.User, res.ErrorCode, 31); err != nil {
						return err
					}
				}
				return nil
			}},
	}
}
