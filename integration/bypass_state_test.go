package integration

// The broker the auth-bypass suite attacks, and the observation of its
// state through a super user: what an attacker could change (topics,
// partitions, records, configs, groups and their members and offsets,
// ACLs, SCRAM credentials, transactions) is rendered as text, snapshotted
// before the attack and compared after every request.

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/minikafka/minikafka"
	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/storage/recordbatch/batchtest"
)

// The names the fixture creates.
const (
	bypassTopic      = "secret"      // 2 partitions, 3 records on partition 0
	bypassVisible    = "visible"     // eve may describe it
	bypassNewTopic   = "mallory-new" // must never be created
	bypassGroup      = "g-secret"    // empty, offsets committed on both topics
	bypassLiveGroup  = "g-live"      // one member (the admin), Stable
	bypassTxn        = "txn-a"       // the admin's ongoing transaction (on secret-0)
	bypassFreshTxn   = "txn-m"       // never initialized by anyone but mallory
	bypassNodeID     = 1
	bypassAdmin      = "admin"
	bypassAttacker   = "mallory" // authenticated, no ACL at all
	bypassLimited    = "eve"     // DESCRIBE on visible and on g-secret only
	bypassBystander  = "alice"   // has ACLs (so that ACL listings have something to leak)
	bypassSessionTTL = 300000    // ms: the live member needs no heartbeat during the test
)

// bypassFixture is the attacked broker and what the admin set up.
type bypassFixture struct {
	b     *minikafka.Broker
	addr  string
	logs  *logBuffer
	admin *kgo.Client
	adm   *kadm.Client

	memberID   string // the admin's member of g-live
	generation int32
	txnPID     int64 // txn-a's producer id and epoch
	txnEpoch   int16
}

// startBypassBroker starts a SASL_PLAINTEXT broker with PLAIN and
// SCRAM-SHA-256, authorization on (super user admin, no
// allow.everyone.if.no.acl.found), and the fixture's state.
func startBypassBroker(t *testing.T) *bypassFixture {
	t.Helper()
	logs := &logBuffer{}
	users := map[string]string{bypassAdmin: "admin-secret", bypassAttacker: "mallory-secret", bypassLimited: "eve-secret", bypassBystander: "alice-secret"}
	cfg := minikafka.Config{
		NodeID: bypassNodeID,
		Listeners: []minikafka.Listener{{Name: "SASL_PLAINTEXT", Addr: "127.0.0.1:0", SecurityProtocol: "SASL_PLAINTEXT",
			Mechanisms: []string{"PLAIN", "SCRAM-SHA-256"}}},
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	cfg.SASL.PlainUsers = users
	cfg.SASL.FailedAuthenticationDelay = -1
	cfg.SASL.ScramUsers = []minikafka.ScramUser{{Name: bypassAdmin, Password: "admin-secret"}, {Name: bypassBystander, Password: "alice-secret"}}
	cfg.Authorizer = minikafka.AuthorizerConfig{
		Enabled:    true,
		SuperUsers: []string{"User:" + bypassAdmin},
		ACLs: []az.ACL{
			minikafka.AllowACL("User:"+bypassLimited, az.OpDescribe, az.ResourceTopic, bypassVisible),
			minikafka.AllowACL("User:"+bypassLimited, az.OpDescribe, az.ResourceGroup, bypassGroup),
			minikafka.AllowACL("User:"+bypassBystander, az.OpRead, az.ResourceTopic, bypassTopic),
			minikafka.AllowACL("User:"+bypassBystander, az.OpAlter, az.ResourceCluster, "kafka-cluster"),
		},
	}
	b, addr := minikafka.Start(t, minikafka.WithConfig(cfg))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("broker log:\n%s", logs.String())
		}
	})
	admin, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.SASL(plain.Auth{User: bypassAdmin, Pass: "admin-secret"}.AsMechanism()),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(admin.Close)
	f := &bypassFixture{b: b, addr: addr, logs: logs, admin: admin, adm: kadm.NewClient(admin)}
	f.setUp(t)
	return f
}

// adminRequest sends req as the super user and returns its response.
func adminRequest[R kmsg.Response](ctx context.Context, t *testing.T, f *bypassFixture, req kmsg.Request) R {
	t.Helper()
	resp, err := f.admin.Request(ctx, req)
	if err != nil {
		t.Fatalf("admin %s: %v", kmsg.NameForKey(req.Key()), err)
	}
	return resp.(R)
}

func (f *bypassFixture) setUp(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := f.adm.CreateTopic(ctx, 2, 1, map[string]*string{"retention.ms": kmsg.StringPtr("86400000")}, bypassTopic); err != nil {
		t.Fatal(err)
	}
	if _, err := f.adm.CreateTopic(ctx, 1, 1, nil, bypassVisible); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		r := &kgo.Record{Topic: bypassTopic, Partition: 0, Value: []byte(fmt.Sprintf("classified-%d", i))}
		if err := f.admin.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.admin.ProduceSync(ctx, &kgo.Record{Topic: bypassVisible, Value: []byte("public")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	offs := kadm.Offsets{}
	offs.Add(kadm.Offset{Topic: bypassTopic, Partition: 0, At: 2, LeaderEpoch: -1})
	offs.Add(kadm.Offset{Topic: bypassVisible, Partition: 0, At: 1, LeaderEpoch: -1})
	if r, err := f.adm.CommitOffsets(ctx, bypassGroup, offs); err != nil || r.Error() != nil {
		t.Fatalf("committing offsets: %v %v", err, r.Error())
	}
	f.joinLiveGroup(ctx, t)
	f.openTransaction(ctx, t)
}

// joinLiveGroup makes the admin the only member (and leader) of g-live.
func (f *bypassFixture) joinLiveGroup(ctx context.Context, t *testing.T) {
	t.Helper()
	join := kmsg.NewPtrJoinGroupRequest()
	join.Group, join.SessionTimeoutMillis, join.RebalanceTimeoutMillis, join.ProtocolType = bypassLiveGroup, bypassSessionTTL, 60000, "consumer"
	join.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte{0, 0, 0, 0, 0, 0, 0, 0}}}
	jr := adminRequest[*kmsg.JoinGroupResponse](ctx, t, f, join)
	if jr.ErrorCode == 79 { // MEMBER_ID_REQUIRED (KIP-394): rejoin with the id
		join.MemberID = jr.MemberID
		jr = adminRequest[*kmsg.JoinGroupResponse](ctx, t, f, join)
	}
	if jr.ErrorCode != 0 {
		t.Fatalf("admin JoinGroup: %d", jr.ErrorCode)
	}
	f.memberID, f.generation = jr.MemberID, jr.Generation
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Group, sync.MemberID, sync.Generation = bypassLiveGroup, f.memberID, f.generation
	sync.GroupAssignment = []kmsg.SyncGroupRequestGroupAssignment{{MemberID: f.memberID, MemberAssignment: []byte("admin-assignment")}}
	if sr := adminRequest[*kmsg.SyncGroupResponse](ctx, t, f, sync); sr.ErrorCode != 0 {
		t.Fatalf("admin SyncGroup: %d", sr.ErrorCode)
	}
}

// openTransaction starts txn-a on secret-0 with one transactional record,
// and leaves it open.
func (f *bypassFixture) openTransaction(ctx context.Context, t *testing.T) {
	t.Helper()
	init := kmsg.NewPtrInitProducerIDRequest()
	init.TransactionalID, init.TransactionTimeoutMillis = kmsg.StringPtr(bypassTxn), 600000
	ir := adminRequest[*kmsg.InitProducerIDResponse](ctx, t, f, init)
	if ir.ErrorCode != 0 {
		t.Fatalf("admin InitProducerId: %d", ir.ErrorCode)
	}
	f.txnPID, f.txnEpoch = ir.ProducerID, ir.ProducerEpoch
	add := kmsg.NewPtrAddPartitionsToTxnRequest()
	add.TransactionalID, add.ProducerID, add.ProducerEpoch = bypassTxn, f.txnPID, f.txnEpoch
	add.Topics = []kmsg.AddPartitionsToTxnRequestTopic{{Topic: bypassTopic, Partitions: []int32{0}}}
	ar := adminRequest[*kmsg.AddPartitionsToTxnResponse](ctx, t, f, add)
	if code := ar.Topics[0].Partitions[0].ErrorCode; code != 0 {
		t.Fatalf("admin AddPartitionsToTxn: %d", code)
	}
	batch := batchtest.Build([]batchtest.Rec{{Timestamp: time.Now().UnixMilli(), Value: []byte("pending")}},
		batchtest.Options{Transactional: true, ProducerID: f.txnPID, ProducerEpoch: f.txnEpoch})
	p := kmsg.NewPtrProduceRequest()
	p.TransactionID, p.Acks, p.TimeoutMillis = kmsg.StringPtr(bypassTxn), -1, 10000
	p.Topics = []kmsg.ProduceRequestTopic{{Topic: bypassTopic, Partitions: []kmsg.ProduceRequestTopicPartition{{Partition: 0, Records: batch}}}}
	pr := adminRequest[*kmsg.ProduceResponse](ctx, t, f, p)
	if code := pr.Topics[0].Partitions[0].ErrorCode; code != 0 {
		t.Fatalf("admin transactional Produce: %d", code)
	}
}

// snapshot renders everything a request could change, as seen by the
// super user, one fact per line.
func (f *bypassFixture) snapshot(ctx context.Context) (string, error) {
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	topics, err := f.adm.ListTopicsWithInternal(ctx)
	if err != nil {
		return "", fmt.Errorf("listing topics: %w", err)
	}
	names := topics.Names()
	for _, td := range topics.Sorted() {
		add("topic %s id=%s partitions=%d internal=%v", td.Topic, td.ID, len(td.Partitions), td.IsInternal)
	}
	starts, err := f.adm.ListStartOffsets(ctx, names...)
	if err != nil {
		return "", fmt.Errorf("start offsets: %w", err)
	}
	ends, err := f.adm.ListEndOffsets(ctx, names...)
	if err != nil {
		return "", fmt.Errorf("end offsets: %w", err)
	}
	starts.Each(func(o kadm.ListedOffset) { add("start %s-%d=%d err=%v", o.Topic, o.Partition, o.Offset, o.Err) })
	ends.Each(func(o kadm.ListedOffset) { add("end %s-%d=%d err=%v", o.Topic, o.Partition, o.Offset, o.Err) })
	cfgs, err := f.adm.DescribeTopicConfigs(ctx, names...)
	if err != nil {
		return "", fmt.Errorf("topic configs: %w", err)
	}
	for _, rc := range cfgs {
		for _, c := range rc.Configs {
			if c.Source == kmsg.ConfigSourceDynamicTopicConfig {
				add("config %s %s=%s", rc.Name, c.Key, c.MaybeValue())
			}
		}
	}
	if err := f.snapshotGroups(ctx, add); err != nil {
		return "", err
	}
	dreq := kmsg.NewPtrDescribeACLsRequest()
	dreq.ResourceType, dreq.ResourcePatternType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny
	dreq.Operation, dreq.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	raw, err := f.admin.Request(ctx, dreq)
	if err != nil {
		return "", fmt.Errorf("describing ACLs: %w", err)
	}
	acls := raw.(*kmsg.DescribeACLsResponse)
	if acls.ErrorCode != 0 {
		return "", fmt.Errorf("describing ACLs: error %d", acls.ErrorCode)
	}
	for _, r := range acls.Resources {
		for _, a := range r.ACLs {
			add("acl %s %s %s %s %s %s %s", r.ResourceType, r.ResourceName, r.ResourcePatternType, a.Principal, a.Host, a.Operation, a.PermissionType)
		}
	}
	users, err := f.adm.DescribeUserSCRAMs(ctx)
	if err != nil {
		return "", fmt.Errorf("describing SCRAM users: %w", err)
	}
	for name, u := range users {
		for _, c := range u.CredInfos {
			add("scram %s %s %d", name, c.Mechanism, c.Iterations)
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n"), nil
}

func (f *bypassFixture) snapshotGroups(ctx context.Context, add func(string, ...any)) error {
	listed, err := f.adm.ListGroups(ctx)
	if err != nil {
		return fmt.Errorf("listing groups: %w", err)
	}
	groups := listed.Groups()
	dreq := kmsg.NewPtrDescribeGroupsRequest()
	dreq.Groups = groups
	raw, err := f.admin.Request(ctx, dreq)
	if err != nil {
		return fmt.Errorf("describing groups: %w", err)
	}
	for _, g := range raw.(*kmsg.DescribeGroupsResponse).Groups {
		add("group %s error=%d state=%s protocol=%s/%s", g.Group, g.ErrorCode, g.State, g.ProtocolType, g.Protocol)
		for _, m := range g.Members {
			add("member %s %s assignment=%q", g.Group, m.MemberID, m.MemberAssignment)
		}
	}
	for _, g := range groups {
		offs, err := f.adm.FetchOffsets(ctx, g)
		if err != nil {
			return fmt.Errorf("fetching offsets of %s: %w", g, err)
		}
		offs.Each(func(o kadm.OffsetResponse) { add("offset %s %s-%d=%d", g, o.Topic, o.Partition, o.At) })
	}
	return nil
}
