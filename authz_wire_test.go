package minikafka_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/minikafka/minikafka"
	"github.com/minikafka/minikafka/principal"
)

// listenerSubjects is a principal.Builder for PLAINTEXT tests: each
// listener stands for one identity (user principal and groups), as a
// directory-backed builder would assign them after SASL.
type listenerSubjects map[string]*principal.Subject

func (m listenerSubjects) Build(_ context.Context, ac *principal.AuthContext) (*principal.Subject, error) {
	s, ok := m[ac.Listener]
	if !ok {
		return principal.AnonymousSubject(ac), nil
	}
	cp := *s
	cp.Context = ac
	return &cp, nil
}

func subj(user string, groups ...string) *principal.Subject {
	s := &principal.Subject{User: principal.User(user)}
	for _, g := range groups {
		s.Groups = append(s.Groups, principal.Group(g))
	}
	return s
}

// auditRecorder captures the audit log (every level, TRACE included).
type auditRecorder struct {
	mu   sync.Mutex
	recs []auditRec
}

type auditRec struct {
	level slog.Level
	msg   string
	attrs map[string]any
}

func (r *auditRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *auditRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *auditRecorder) WithGroup(string) slog.Handler            { return r }
func (r *auditRecorder) Handle(_ context.Context, rec slog.Record) error {
	a := map[string]any{}
	rec.Attrs(func(at slog.Attr) bool { a[at.Key] = at.Value.Any(); return true })
	r.mu.Lock()
	r.recs = append(r.recs, auditRec{rec.Level, rec.Message, a})
	r.mu.Unlock()
	return nil
}

// find returns the first record with exactly this message.
func (r *auditRecorder) find(msg string) (auditRec, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range r.recs {
		if rec.msg == msg {
			return rec, true
		}
	}
	return auditRec{}, false
}

func (r *auditRecorder) dump() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var sb strings.Builder
	for _, rec := range r.recs {
		fmt.Fprintf(&sb, "%v %s\n", rec.level, rec.msg)
	}
	return sb.String()
}

const (
	levelTrace = slog.LevelDebug - 4
)

func plaintext(names ...string) []minikafka.Listener {
	var out []minikafka.Listener
	for _, n := range names {
		out = append(out, minikafka.Listener{Name: n, Addr: "127.0.0.1:0", SecurityProtocol: "PLAINTEXT"})
	}
	return out
}

func client(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.RetryTimeout(5 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func produce(ctx context.Context, t *testing.T, addr, topic string, idempotent bool) error {
	t.Helper()
	opts := []kgo.Opt{kgo.DefaultProduceTopic(topic)}
	if !idempotent {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	cl := client(t, addr, opts...)
	return cl.ProduceSync(ctx, &kgo.Record{Value: []byte("v")}).FirstErr()
}

// fetchErr consumes topic from the start without a group and returns the
// first fetch error (nil once a record arrives).
func fetchErr(ctx context.Context, t *testing.T, addr, topic string) error {
	t.Helper()
	cl := client(t, addr, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		if errs := fs.Errors(); len(errs) > 0 {
			return errs[0].Err
		}
		if fs.NumRecords() > 0 {
			return nil
		}
	}
}

func mustCreateACLs(ctx context.Context, t *testing.T, adm *kadm.Client, b *kadm.ACLBuilder) {
	t.Helper()
	res, err := adm.CreateACLs(ctx, b)
	if err != nil {
		t.Fatalf("CreateACLs: %v", err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("CreateACLs %s %s %v: %v %s", r.Principal, r.Name, r.Operation, r.Err, r.ErrMessage)
		}
	}
}

// TestACLsOverTheWire runs the authorization scenario end to end with
// franz-go: ACLs managed with kadm, data with kgo, identities (user and
// groups) from a custom principal builder.
func TestACLsOverTheWire(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	audit := &auditRecorder{}
	subjects := listenerSubjects{
		"ADMIN": subj("admin"),
		"ALICE": subj("alice", "supergroup"),
		"BOB":   subj("bob", "supergroup", "blocked"),
		"CAROL": subj("carol", "admins"),
		"DAVE":  subj("dave"),
	}
	b, _ := minikafka.Start(t,
		minikafka.WithConfig(minikafka.Config{Listeners: plaintext("ADMIN", "ALICE", "BOB", "CAROL", "DAVE"), AuditLogger: slog.New(audit)}),
		minikafka.WithPrincipalBuilder(subjects),
		minikafka.WithSuperUsers("User:admin", "Group:admins"),
	)
	admin, alice, bob, carol, dave := b.Addr("ADMIN"), b.Addr("ALICE"), b.Addr("BOB"), b.Addr("CAROL"), b.Addr("DAVE")
	adm := kadm.NewClient(client(t, admin))
	if _, err := adm.CreateTopics(ctx, 1, 1, nil, "test", "test2", "test3"); err != nil {
		t.Fatalf("create topics as super user: %v", err)
	}

	// No ACLs: denied (Produce needs Topic WRITE; Metadata already hides it).
	if err := produce(ctx, t, alice, "test", false); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("alice produce without ACLs: %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
	// An idempotent producer cannot even start: InitProducerId needs
	// Cluster IDEMPOTENT_WRITE or WRITE on some topic.
	if err := produce(ctx, t, alice, "test", true); !errors.Is(err, kerr.ClusterAuthorizationFailed) && !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("alice idempotent produce without ACLs: %v", err)
	}

	mustCreateACLs(ctx, t, adm, kadm.NewACLs().Topics("test").Allow("User:alice").AllowHosts("*").Operations(kadm.OpWrite))
	mustCreateACLs(ctx, t, adm, kadm.NewACLs().Topics("test2").Allow("Group:supergroup").Operations(kadm.OpWrite))
	mustCreateACLs(ctx, t, adm, kadm.NewACLs().Topics("test").Deny("Group:blocked").Operations(kadm.OpWrite).ResourcePatternType(kadm.ACLPatternPrefixed))
	mustCreateACLs(ctx, t, adm, kadm.NewACLs().Topics("test3").Allow("User:bob").Operations(kadm.OpWrite))

	// alice writes test through her User: ACL and test2 through
	// Group:supergroup; the idempotent producer starts because she may
	// write some topic (authorizeByResourceType).
	if err := produce(ctx, t, alice, "test", true); err != nil {
		t.Fatalf("alice produce test: %v", err)
	}
	if err := produce(ctx, t, alice, "test2", true); err != nil {
		t.Fatalf("alice produce test2 (via Group:supergroup): %v", err)
	}
	// dave has neither.
	if err := produce(ctx, t, dave, "test2", false); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("dave produce test2: %v", err)
	}
	// bob is in supergroup but also in blocked: the group DENY (PREFIXED
	// test) beats the group ALLOW on test2 and his own User: ALLOW on test3.
	if err := produce(ctx, t, bob, "test2", false); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("bob produce test2: %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
	if err := produce(ctx, t, bob, "test3", false); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("bob produce test3: %v, want TOPIC_AUTHORIZATION_FAILED (group deny beats user allow)", err)
	}
	// carol is a super user through Group:admins.
	if err := produce(ctx, t, carol, "test3", true); err != nil {
		t.Fatalf("carol (Group:admins super user) produce: %v", err)
	}
	// WRITE does not imply READ (case 30): alice's fetch of test is denied.
	fctx, fcancel := context.WithTimeout(ctx, 15*time.Second)
	if err := fetchErr(fctx, t, alice, "test"); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("alice fetch test with WRITE only: %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
	fcancel()
	mustCreateACLs(ctx, t, adm, kadm.NewACLs().Topics("test").Allow("Group:supergroup").Operations(kadm.OpRead))
	fctx, fcancel = context.WithTimeout(ctx, 15*time.Second)
	if err := fetchErr(fctx, t, alice, "test"); err != nil {
		t.Fatalf("alice fetch test with a group READ: %v", err)
	}
	fcancel()

	// DescribeAcls: alice may not (31); admin sees the ACLs, and a MATCH
	// filter finds those that apply to test-x (the PREFIXED deny).
	ad, err := kadm.NewClient(client(t, alice)).DescribeACLs(ctx, kadm.NewACLs().Topics("test").Allow().AllowHosts().Deny().DenyHosts().Operations(kadm.OpAny))
	if err != nil || len(ad) == 0 || !errors.Is(ad[0].Err, kerr.ClusterAuthorizationFailed) {
		t.Fatalf("alice DescribeACLs = %+v, %v; want CLUSTER_AUTHORIZATION_FAILED", ad, err)
	}
	desc, err := adm.DescribeACLs(ctx, kadm.NewACLs().Topics("testx").ResourcePatternType(kadm.ACLPatternMatch).Allow().AllowHosts().Deny().DenyHosts().Operations(kadm.OpAny))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range desc {
		if r.Err != nil {
			t.Fatalf("describe: %v", r.Err)
		}
		for _, d := range r.Described {
			got = append(got, fmt.Sprintf("%s %s %v %v", d.Principal, d.Name, d.Pattern, d.Permission))
		}
	}
	if len(got) != 1 || got[0] != "Group:blocked test PREFIXED DENY" {
		t.Fatalf("MATCH testx = %v, want only the PREFIXED deny", got)
	}

	// Delete alice's WRITE: she is denied again.
	del, err := adm.DeleteACLs(ctx, kadm.NewACLs().Topics("test").Allow("User:alice").AllowHosts("*").Operations(kadm.OpWrite))
	if err != nil || len(del) == 0 || len(del[0].Deleted) != 1 || del[0].Err != nil {
		t.Fatalf("DeleteACLs = %+v, %v", del, err)
	}
	if err := produce(ctx, t, alice, "test", false); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("alice produce after delete: %v", err)
	}

	// The audit log: Kafka's exact line, the level, and our attributes.
	want := "Principal = User:bob is Denied operation = WRITE from host = 127.0.0.1 on resource = Topic:LITERAL:test3 for request = Produce with resourceRefCount = 1 based on rule MatchingAcl(acl=StandardAcl(resourceType=TOPIC, resourceName=test, patternType=PREFIXED, principal=Group:blocked, host=*, operation=WRITE, permissionType=DENY))"
	rec, ok := audit.find(want)
	if !ok {
		t.Fatalf("audit line not found:\n%s\nin:\n%s", want, audit.dump())
	}
	if rec.level != slog.LevelInfo || rec.attrs["principal"] != "User:bob" || rec.attrs["matched_principal"] != "Group:blocked" ||
		fmt.Sprint(rec.attrs["groups"]) != "[Group:supergroup Group:blocked]" || rec.attrs["decision"] != "Deny" {
		t.Fatalf("deny record = %v %v", rec.level, rec.attrs)
	}
	allowLine := "Principal = User:alice is Allowed operation = WRITE from host = 127.0.0.1 on resource = Topic:LITERAL:test2 for request = Produce with resourceRefCount = 1 based on rule MatchingAcl(acl=StandardAcl(resourceType=TOPIC, resourceName=test2, patternType=LITERAL, principal=Group:supergroup, host=*, operation=WRITE, permissionType=ALLOW))"
	if rec, ok := audit.find(allowLine); !ok || rec.level != slog.LevelDebug || rec.attrs["matched_principal"] != "Group:supergroup" {
		t.Fatalf("allow line missing or not at DEBUG (%v):\n%s", rec.level, audit.dump())
	}
	superLine := "Principal = User:carol is Allowed operation = WRITE from host = 127.0.0.1 on resource = Topic:LITERAL:test3 for request = Produce with resourceRefCount = 1 based on rule SuperUser"
	if rec, ok := audit.find(superLine); !ok || rec.attrs["matched_principal"] != "Group:admins" {
		t.Fatalf("super user line missing or without matched principal:\n%s", audit.dump())
	}
	// The idempotent producer's probe (authorizeByResourceType), denied:
	// TRACE, with reference count 0, as Kafka.
	probe := "Principal = User:alice is Denied operation = WRITE from host = 127.0.0.1 on resource = Topic:LITERAL:hardcode for request = InitProducerId with resourceRefCount = 0 based on rule DefaultDeny"
	if rec, ok := audit.find(probe); !ok || rec.level != levelTrace {
		t.Fatalf("InitProducerId probe line missing or not at TRACE (%v):\n%s", rec.level, audit.dump())
	}
	// A quiet check denied (Cluster CREATE before Topic CREATE) is TRACE;
	// the Topic CREATE denial after it is INFO.
	cres, err := kadm.NewClient(client(t, dave)).CreateTopics(ctx, 1, 1, nil, "dave-topic")
	if err != nil || !errors.Is(cres["dave-topic"].Err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("dave CreateTopics = %v, %v", cres, err)
	}
	quiet := "Principal = User:dave is Denied operation = CREATE from host = 127.0.0.1 on resource = Cluster:LITERAL:kafka-cluster for request = CreateTopics with resourceRefCount = 1 based on rule DefaultDeny"
	if rec, ok := audit.find(quiet); !ok || rec.level != levelTrace {
		t.Fatalf("quiet Cluster CREATE line missing or not at TRACE (%v):\n%s", rec.level, audit.dump())
	}
	loud := "Principal = User:dave is Denied operation = CREATE from host = 127.0.0.1 on resource = Topic:LITERAL:dave-topic for request = CreateTopics with resourceRefCount = 1 based on rule DefaultDeny"
	if rec, ok := audit.find(loud); !ok || rec.level != slog.LevelInfo {
		t.Fatalf("Topic CREATE denial missing or not at INFO (%v):\n%s", rec.level, audit.dump())
	}
	// The ACL APIs are audited under Kafka's API names.
	aclDeny := "Principal = User:alice is Denied operation = DESCRIBE from host = 127.0.0.1 on resource = Cluster:LITERAL:kafka-cluster for request = DescribeAcls with resourceRefCount = 1 based on rule DefaultDeny"
	if rec, ok := audit.find(aclDeny); !ok || rec.level != slog.LevelInfo {
		t.Fatalf("DescribeAcls denial missing (%v):\n%s", rec.level, audit.dump())
	}
}
