package minikafka_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka"
	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/authorizer/acl/acltest"
)

var legalTopic = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)

// wireCheckable reports whether a conformance check can be replayed over
// the wire with the APIs a client uses for it: Topic WRITE (Produce),
// READ (Fetch) and DESCRIBE (Metadata) on a legal topic name, and
// authorizeByResourceType(WRITE, TOPIC) (idempotent InitProducerId).
func wireCheckable(c acltest.Check) bool {
	if c.RT != az.ResourceTopic {
		return false
	}
	if c.ByType {
		return c.Op == az.OpWrite
	}
	switch c.Op {
	case az.OpRead, az.OpWrite, az.OpDescribe:
		return legalTopic.MatchString(c.Name) && c.Name != "." && c.Name != ".."
	}
	return false
}

// TestConformanceOverTheWire replays the conformance table (spec §4 and
// the Group: extension) against a running broker: ACLs are created with
// CreateAcls, each principal (with its groups) gets a listener of its own
// through a custom principal builder, and each client address of the table
// becomes a loopback address the client connects from (192.168.0.1 →
// 127.0.0.10, ...). Checks on other resource types or operations are
// covered at the authorizer level only (TestConformance in
// authorizer/acl).
func TestConformanceOverTheWire(t *testing.T) {
	names := make([]string, 0)
	for name := range acltest.Cases() {
		names = append(names, name)
	}
	sort.Strings(names)
	total := 0
	for _, name := range names {
		tc := acltest.Cases()[name]
		if tc.NotReady { // the broker loads ACLs before it listens
			continue
		}
		n := 0
		for _, st := range tc.Steps {
			for _, c := range st.Checks {
				if wireCheckable(c) {
					n++
				}
			}
		}
		if n == 0 || usesIPv6(tc) {
			continue
		}
		total += n
		t.Run(name, func(t *testing.T) { runWireCase(t, tc) })
	}
	t.Logf("%d conformance checks replayed over the wire", total)
	if total < 80 {
		t.Fatalf("only %d checks replayed over the wire; the translation lost cases", total)
	}
}

func usesIPv6(tc acltest.Case) bool {
	for _, st := range tc.Steps {
		for _, a := range st.Add {
			if strings.Contains(a.Host, ":") {
				return true
			}
		}
		for _, c := range st.Checks {
			if strings.Contains(c.Host, ":") {
				return true
			}
		}
	}
	return false
}

// hostMap maps the table's IPv4 addresses to loopback addresses.
type hostMap map[string]string

func (m hostMap) get(h string) string {
	if h == "" {
		h = acltest.DefaultHost
	}
	if h == "*" {
		return h
	}
	if _, err := netip.ParseAddr(h); err != nil {
		return h // a host name never matches, here as in Kafka
	}
	if v, ok := m[h]; ok {
		return v
	}
	v := fmt.Sprintf("127.0.0.%d", 10+len(m))
	m[h] = v
	return v
}

func subjectKey(who string, groups []string) string { return who + "|" + strings.Join(groups, ",") }

func runWireCase(t *testing.T, tc acltest.Case) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	hosts := hostMap{}
	subjects := listenerSubjects{"ADMIN": subj("wire-admin")}
	listenerOf := map[string]string{}
	var topics []string
	seenTopic := map[string]bool{}
	for _, st := range tc.Steps {
		for _, c := range st.Checks {
			if !wireCheckable(c) {
				continue
			}
			k := subjectKey(c.Who, c.Groups)
			if _, ok := listenerOf[k]; !ok {
				l := fmt.Sprintf("P%d", len(listenerOf))
				listenerOf[k] = l
				subjects[l] = acltest.Subject(c.Who, c.Groups)
			}
			if !c.ByType && !seenTopic[c.Name] {
				seenTopic[c.Name] = true
				topics = append(topics, c.Name)
			}
		}
	}
	lnames := []string{"ADMIN"}
	for _, l := range listenerOf {
		lnames = append(lnames, l)
	}
	supers := []string{"User:wire-admin"}
	if ps, err := az.ParseSuperUsers(tc.SuperUsers); err == nil {
		for _, p := range ps {
			supers = append(supers, p.String())
		}
	}
	opts := []minikafka.Option{
		minikafka.WithConfig(minikafka.Config{Listeners: plaintext(lnames...)}),
		minikafka.WithPrincipalBuilder(subjects),
		minikafka.WithSuperUsers(supers...),
	}
	if tc.AllowEveryone {
		opts = append(opts, minikafka.WithAllowEveryoneIfNoACL())
	}
	b, _ := minikafka.Start(t, opts...)
	admin := client(t, b.Addr("ADMIN"))
	if len(topics) > 0 {
		res, err := kadm.NewClient(admin).CreateTopics(ctx, 1, 1, nil, topics...)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatalf("create topic %s: %v", r.Topic, r.Err)
			}
		}
	}
	clients := map[string]*kgo.Client{}
	clientFor := func(c acltest.Check) *kgo.Client {
		l, src := listenerOf[subjectKey(c.Who, c.Groups)], hosts.get(c.Host)
		if cl, ok := clients[l+"@"+src]; ok {
			return cl
		}
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
		cl := client(t, b.Addr(l), kgo.Dialer(d.DialContext), kgo.DisableIdempotentWrite(), kgo.RecordRetries(1))
		clients[l+"@"+src] = cl
		return cl
	}
	for si, st := range tc.Steps {
		if len(st.Add) > 0 {
			req := kmsg.NewPtrCreateACLsRequest()
			for _, a := range st.Add {
				c := kmsg.NewCreateACLsRequestCreation()
				c.ResourceType, c.ResourceName, c.ResourcePatternType = kmsg.ACLResourceType(a.ResourceType), a.ResourceName, kmsg.ACLResourcePatternType(a.PatternType)
				c.Principal, c.Host = a.Principal, hosts.get(a.Host)
				c.Operation, c.PermissionType = kmsg.ACLOperation(a.Operation), kmsg.ACLPermissionType(a.Permission)
				req.Creations = append(req.Creations, c)
			}
			resp, err := req.RequestWith(ctx, admin)
			if err != nil {
				t.Fatalf("step %d: CreateAcls: %v", si, err)
			}
			for i, r := range resp.Results {
				if r.ErrorCode != 0 {
					t.Fatalf("step %d: CreateAcls %v: %d %s", si, st.Add[i], r.ErrorCode, msgOf(r.ErrorMessage))
				}
			}
		}
		for _, c := range st.Checks {
			if !wireCheckable(c) {
				continue
			}
			allowed, how := wireAuthorized(ctx, t, clientFor(c), c)
			if allowed != (c.Want == az.Allow) {
				t.Errorf("step %d: %s (groups %v) %s %s from %s (%s): allowed=%v, want %v", si, c.Who, c.Groups, c.Op, c.Name, hosts.get(c.Host), how, allowed, c.Want)
			}
		}
	}
}

// wireAuthorized performs the check with the API a client would use and
// reports whether the broker authorized it.
func wireAuthorized(ctx context.Context, t *testing.T, cl *kgo.Client, c acltest.Check) (bool, string) {
	t.Helper()
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	switch {
	case c.ByType:
		req := kmsg.NewPtrInitProducerIDRequest()
		req.ProducerID, req.ProducerEpoch, req.TransactionTimeoutMillis = -1, -1, 60000
		resp, err := req.RequestWith(rctx, cl)
		if err != nil {
			t.Fatalf("InitProducerId: %v", err)
		}
		return resp.ErrorCode == 0, fmt.Sprintf("InitProducerId code %d", resp.ErrorCode)
	case c.Op == az.OpWrite:
		err := cl.ProduceSync(rctx, &kgo.Record{Topic: c.Name, Value: []byte("x")}).FirstErr()
		if err != nil && !isAuthErr(err) {
			t.Fatalf("Produce %s: %v", c.Name, err)
		}
		return err == nil, fmt.Sprintf("Produce: %v", err)
	case c.Op == az.OpRead:
		req := kmsg.NewPtrFetchRequest()
		req.ReplicaID, req.MaxWaitMillis, req.MinBytes, req.MaxBytes = -1, 0, 0, 1<<20
		ft := kmsg.NewFetchRequestTopic()
		ft.Topic = c.Name
		fp := kmsg.NewFetchRequestTopicPartition()
		fp.Partition, fp.FetchOffset, fp.PartitionMaxBytes = 0, 0, 1<<20
		ft.Partitions = append(ft.Partitions, fp)
		req.Topics = append(req.Topics, ft)
		resp, err := req.RequestWith(rctx, cl)
		if err != nil || len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			t.Fatalf("Fetch %s: %+v, %v", c.Name, resp, err)
		}
		code := resp.Topics[0].Partitions[0].ErrorCode
		if code != 0 && code != kerr.TopicAuthorizationFailed.Code {
			t.Fatalf("Fetch %s: code %d", c.Name, code)
		}
		return code == 0, fmt.Sprintf("Fetch code %d", code)
	default: // DESCRIBE
		req := kmsg.NewPtrMetadataRequest()
		mt := kmsg.NewMetadataRequestTopic()
		mt.Topic = str(c.Name)
		req.Topics = append(req.Topics, mt)
		resp, err := req.RequestWith(rctx, cl)
		if err != nil || len(resp.Topics) != 1 {
			t.Fatalf("Metadata %s: %+v, %v", c.Name, resp, err)
		}
		code := resp.Topics[0].ErrorCode
		if code != 0 && code != kerr.TopicAuthorizationFailed.Code {
			t.Fatalf("Metadata %s: code %d", c.Name, code)
		}
		return code == 0, fmt.Sprintf("Metadata code %d", code)
	}
}

func isAuthErr(err error) bool {
	return errors.Is(err, kerr.TopicAuthorizationFailed) || errors.Is(err, kerr.ClusterAuthorizationFailed)
}
