package faults

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/minikafka/minikafka/internal/brokerproc"
)

// Shared by the data-directory and kill -9 tests: a binary with one
// SASL_PLAINTEXT listener (PLAIN for the super user admin, SCRAM-SHA-256
// for the users the tests create), the ACL authorizer, and a data dir.

const adminPass = "admin-secret"

func adminBrokerConfig(dataDir string) brokerproc.Config {
	return brokerproc.Config{
		Listeners: []brokerproc.Listener{{Name: "SASL_PLAINTEXT"}},
		DataDir:   dataDir,
		Properties: []string{
			"sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256",
			`listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="` + adminPass + `";`,
			"authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
			"super.users=User:admin",
			"connection.failed.authentication.delay.ms=0",
		},
	}
}

func adminClient(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	return client(t, addr, plainMech("admin", adminPass), opts...)
}

// aclFor is the ACL the tests create for name: User:<name> may READ the
// topic of the same name.
func aclFor(name string) kmsg.CreateACLsRequestCreation {
	c := kmsg.NewCreateACLsRequestCreation()
	c.ResourceType = kmsg.ACLResourceTypeTopic
	c.ResourceName = name
	c.ResourcePatternType = kmsg.ACLResourcePatternTypeLiteral
	c.Principal = "User:" + name
	c.Host = "*"
	c.Operation = kmsg.ACLOperationRead
	c.PermissionType = kmsg.ACLPermissionTypeAllow
	return c
}

// createACLs sends one CreateAcls request for names and returns the error
// code and message of each result (the request error if the broker did
// not answer).
func createACLs(ctx context.Context, cl *kgo.Client, names ...string) ([]int16, []string, error) {
	req := kmsg.NewPtrCreateACLsRequest()
	for _, n := range names {
		req.Creations = append(req.Creations, aclFor(n))
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, nil, err
	}
	if len(resp.Results) != len(names) {
		return nil, nil, fmt.Errorf("CreateAcls: %d results for %d creations", len(resp.Results), len(names))
	}
	codes := make([]int16, len(names))
	msgs := make([]string, len(names))
	for i, r := range resp.Results {
		codes[i] = r.ErrorCode
		if r.ErrorMessage != nil {
			msgs[i] = *r.ErrorMessage
		}
	}
	return codes, msgs, nil
}

// storedACLNames returns the names of the READ-topic ACLs stored.
func storedACLNames(ctx context.Context, t *testing.T, cl *kgo.Client) map[string]bool {
	t.Helper()
	req := kmsg.NewPtrDescribeACLsRequest()
	req.ResourceType = kmsg.ACLResourceTypeTopic
	req.ResourcePatternType = kmsg.ACLResourcePatternTypeLiteral
	req.Operation = kmsg.ACLOperationRead
	req.PermissionType = kmsg.ACLPermissionTypeAllow
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("DescribeAcls: %v", err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		t.Fatalf("DescribeAcls: %v", err)
	}
	names := map[string]bool{}
	for _, r := range resp.Resources {
		for _, a := range r.ACLs {
			if a.Principal == "User:"+r.ResourceName {
				names[r.ResourceName] = true
			}
		}
	}
	return names
}

// upsertUser creates a SCRAM-SHA-256 user whose password is name+"-pw"
// and returns its result (Err nil on success); err when the request got no
// answer.
func upsertUser(ctx context.Context, cl *kgo.Client, name string) (kadm.AlteredUserSCRAM, error) {
	res, err := kadm.NewClient(cl).AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{
		User: name, Mechanism: kadm.ScramSha256, Iterations: 4096, Password: name + "-pw",
	}})
	if err != nil {
		return kadm.AlteredUserSCRAM{}, err
	}
	r, ok := res[name]
	if !ok {
		return r, fmt.Errorf("AlterUserScramCredentials: no result for %s", name)
	}
	return r, nil
}

// storedUsers returns the SCRAM users the broker describes.
func storedUsers(ctx context.Context, t *testing.T, cl *kgo.Client) map[string]bool {
	t.Helper()
	d, err := kadm.NewClient(cl).DescribeUserSCRAMs(ctx)
	if err != nil {
		t.Fatalf("DescribeUserScramCredentials: %v", err)
	}
	users := map[string]bool{}
	for u, r := range d {
		if r.Err == nil && len(r.CredInfos) > 0 {
			users[u] = true
		}
	}
	return users
}

func scramLogin(ctx context.Context, addr, user string) error {
	return login(ctx, addr, scram.Auth{User: user, Pass: user + "-pw"}.AsSha256Mechanism())
}

// produceAndFetch writes one record to topic and reads it back from its
// offset: the broker's data path works.
func produceAndFetch(ctx context.Context, cl *kgo.Client, topic, value string) error {
	r := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte(value)})
	if err := r.FirstErr(); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	rec := r[0].Record
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxBytes = 1 << 20
	req.SessionEpoch = -1
	ft := kmsg.NewFetchRequestTopic()
	ft.Topic = topic
	fp := kmsg.NewFetchRequestTopicPartition()
	fp.Partition = rec.Partition
	fp.FetchOffset = rec.Offset
	fp.PartitionMaxBytes = 1 << 20
	ft.Partitions = append(ft.Partitions, fp)
	req.Topics = append(req.Topics, ft)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	p := resp.Topics[0].Partitions[0]
	if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	if !strings.Contains(string(p.RecordBatches), value) {
		return fmt.Errorf("fetch at offset %d did not return %q", rec.Offset, value)
	}
	return nil
}
