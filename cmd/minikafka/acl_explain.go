package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka"
	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/authorizer/acl"
	"github.com/minikafka/minikafka/principal"
	"github.com/minikafka/minikafka/storage/bolt"
)

func init() { aclSubcommands = append(aclSubcommands, aclExplainCommand) }

type explainFlags struct {
	principal     string
	groups        []string
	host          string
	operation     string
	topic         string
	group         string
	cluster       bool
	txnID         string
	token         string
	userResource  string
	dataDir       string
	config        string
	superUsers    string
	allowEveryone bool
	// Inherited from `minikafka acl`: --bootstrap-server (used only when
	// given, or when there is no data directory), --command-config,
	// --output and --timeout.
	client clientFlags
	remote bool
}

func aclExplainCommand() *cobra.Command {
	var f explainFlags
	cmd := &cobra.Command{
		Use:   "explain",
		Short: "Explain why a principal may or may not perform an operation on a resource",
		Long: `Decide one action as the broker would (super users, then the ACLs, then
allow.everyone.if.no.acl.found) and list every ACL on the resource: those
that match and those that nearly do (same resource, other principal, host or
operation), with the reason.

The ACLs come from a broker's data directory (--data-dir, or log.dirs of
--config; the broker must be stopped: the database is locked while it runs)
or from a running broker (--bootstrap-server and --command-config, through
DescribeAcls with a MATCH filter; the caller needs DESCRIBE on the cluster).
super.users and allow.everyone.if.no.acl.found are read from --config or
given as flags. -o json prints the explanation as JSON.

Example:
  minikafka acl explain --principal User:alice --group-principal Group:ops \
    --host 10.0.0.9 --operation WRITE --topic orders --data-dir /var/lib/minikafka`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			inherited := func(name string) string {
				if fl := cmd.Flag(name); fl != nil {
					return fl.Value.String()
				}
				return ""
			}
			f.client = clientFlags{bootstrap: inherited("bootstrap-server"), commandConfig: inherited("command-config"), output: inherited("output"), timeout: 15 * time.Second}
			if d, err := time.ParseDuration(inherited("timeout")); err == nil && d > 0 {
				f.client.timeout = d
			}
			if fl := cmd.Flag("bootstrap-server"); fl != nil && fl.Changed {
				f.remote = true
			}
			if err := f.client.validate(); err != nil {
				return err
			}
			return runExplain(cmd.Context(), cmd.OutOrStdout(), &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.principal, "principal", "", "the user principal, e.g. User:alice (required)")
	fl.StringArrayVar(&f.groups, "group-principal", nil, "a group of the principal, e.g. Group:ops (repeatable)")
	fl.StringVar(&f.host, "host", "", "the client IP address (required)")
	fl.StringVar(&f.operation, "operation", "", "the operation: READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE, CREATE_TOKENS, DESCRIBE_TOKENS (required)")
	fl.StringVar(&f.topic, "topic", "", "the resource: a topic")
	fl.StringVar(&f.group, "group", "", "the resource: a consumer group")
	fl.BoolVar(&f.cluster, "cluster", false, "the resource: the cluster")
	fl.StringVar(&f.txnID, "transactional-id", "", "the resource: a transactional id")
	fl.StringVar(&f.token, "delegation-token", "", "the resource: a delegation token")
	fl.StringVar(&f.userResource, "user-resource", "", "the resource: a user (for CREATE_TOKENS, DESCRIBE_TOKENS)")
	fl.StringVar(&f.dataDir, "data-dir", "", "read the ACLs from this broker data directory")
	fl.StringVarP(&f.config, "config", "c", "", "the broker's server.properties (super.users, allow.everyone.if.no.acl.found, log.dirs, seeded ACLs)")
	fl.StringVar(&f.superUsers, "super-users", "", "super.users (;-separated Type:name), added to those of --config")
	fl.BoolVar(&f.allowEveryone, "allow-everyone-if-no-acl-found", false, "allow.everyone.if.no.acl.found=true")
	return cmd
}

// explainRequest is the parsed command line.
type explainRequest struct {
	ctx    *az.RequestContext
	action az.Action
	opts   acl.ExplainOptions
}

func parseExplain(f *explainFlags) (*explainRequest, error) {
	if f.principal == "" || f.host == "" || f.operation == "" {
		return nil, errors.New("--principal, --host and --operation are required")
	}
	user, err := principal.Parse(f.principal)
	if err != nil {
		return nil, fmt.Errorf("--principal: %w", err)
	}
	s := &principal.Subject{User: user}
	for _, g := range f.groups {
		gp, err := principal.Parse(g)
		if err != nil {
			return nil, fmt.Errorf("--group-principal: %w", err)
		}
		s.Groups = append(s.Groups, gp)
	}
	addr, err := netip.ParseAddr(f.host)
	if err != nil {
		return nil, fmt.Errorf("--host: %q is not an IP address (ACLs match the client IP, never a host name)", f.host)
	}
	op, err := az.ParseOperation(f.operation)
	if err != nil || op == az.OpAll {
		return nil, fmt.Errorf("--operation: unknown operation %q", f.operation)
	}
	var res []az.Resource
	add := func(set bool, rt az.ResourceType, name string) {
		if set {
			res = append(res, az.Resource{Type: rt, Name: name})
		}
	}
	add(f.topic != "", az.ResourceTopic, f.topic)
	add(f.group != "", az.ResourceGroup, f.group)
	add(f.cluster, az.ResourceCluster, az.ClusterName)
	add(f.txnID != "", az.ResourceTransactionalID, f.txnID)
	add(f.token != "", az.ResourceDelegationToken, f.token)
	add(f.userResource != "", az.ResourceUser, f.userResource)
	if len(res) != 1 {
		return nil, errors.New("give exactly one resource: --topic, --group, --cluster, --transactional-id, --delegation-token or --user-resource")
	}
	req := &explainRequest{
		ctx:    &az.RequestContext{Subject: s, Host: addr.Unmap().String()},
		action: az.NewAction(op, res[0].Type, res[0].Name),
	}
	if f.superUsers != "" {
		ps, err := az.ParseSuperUsers(f.superUsers)
		if err != nil {
			return nil, fmt.Errorf("--super-users: %w", err)
		}
		req.opts.SuperUsers = ps
	}
	req.opts.AllowEveryoneIfNoACL = f.allowEveryone
	return req, nil
}

func runExplain(ctx context.Context, out io.Writer, f *explainFlags) error {
	if ctx == nil {
		ctx = context.Background()
	}
	req, err := parseExplain(f)
	if err != nil {
		return err
	}
	var seeds []az.ACL
	dataDir := f.dataDir
	if f.config != "" {
		cfg, _, err := minikafka.LoadProperties(f.config)
		if err != nil {
			return err
		}
		for _, s := range cfg.Authorizer.SuperUsers {
			p, err := principal.Parse(s)
			if err != nil {
				return fmt.Errorf("%s: super.users: %w", f.config, err)
			}
			req.opts.SuperUsers = append(req.opts.SuperUsers, p)
		}
		req.opts.AllowEveryoneIfNoACL = req.opts.AllowEveryoneIfNoACL || cfg.Authorizer.AllowEveryoneIfNoACL
		seeds = cfg.Authorizer.ACLs
		if dataDir == "" {
			dataDir = cfg.DataDir
		}
	}
	var acls []az.ACL
	switch {
	case f.remote && dataDir != "":
		return errors.New("give either --bootstrap-server or a data directory, not both")
	case dataDir != "":
		acls, err = localACLs(ctx, dataDir)
	default: // a running broker (--bootstrap-server, default 127.0.0.1:9092)
		acls, err = remoteACLs(ctx, &f.client, req.action.Resource)
	}
	if err != nil {
		return err
	}
	z, err := acl.NewMemory(append(acls, seeds...)...)
	if err != nil {
		return err
	}
	ex := z.Explain(req.ctx, req.action, req.opts)
	if f.client.output == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(explainJSON(&ex))
	}
	_, err = io.WriteString(out, ex.String())
	return err
}

// localACLs reads the ACL bucket of a stopped broker's database.
func localACLs(ctx context.Context, dir string) ([]az.ACL, error) {
	db, err := bolt.OpenReadOnly(dir)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	s, err := bolt.NewACLStore(db)
	if err != nil {
		return nil, err
	}
	return s.LoadACLs(ctx)
}

// remoteACLs asks a running broker for the ACLs that apply to the resource
// (DescribeAcls with a MATCH pattern filter: LITERAL equal, the LITERAL
// wildcard and PREFIXED prefixes of the name).
func remoteACLs(ctx context.Context, cf *clientFlags, res az.Resource) ([]az.ACL, error) {
	cl, err := cf.client()
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, cf.timeout)
	defer cancel()
	req := kmsg.NewPtrDescribeACLsRequest()
	req.ResourceType = kmsg.ACLResourceType(res.Type)
	req.ResourceName = &res.Name
	req.ResourcePatternType = kmsg.ACLResourcePatternTypeMatch
	req.Operation = kmsg.ACLOperationAny
	req.PermissionType = kmsg.ACLPermissionTypeAny
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("DescribeAcls from %s: %w", cf.bootstrap, err)
	}
	if resp.ErrorCode != 0 {
		msg := ""
		if resp.ErrorMessage != nil {
			msg = ": " + *resp.ErrorMessage
		}
		return nil, fmt.Errorf("DescribeAcls: %v%s", kerr.ErrorForCode(resp.ErrorCode), msg)
	}
	var out []az.ACL
	for _, r := range resp.Resources {
		for _, a := range r.ACLs {
			out = append(out, az.ACL{
				ResourceType: az.ResourceType(r.ResourceType), ResourceName: r.ResourceName, PatternType: az.PatternType(r.ResourcePatternType),
				Principal: a.Principal, Host: a.Host, Operation: az.Operation(a.Operation), Permission: az.Permission(a.PermissionType),
			})
		}
	}
	return out, nil
}

type jsonACL struct {
	ResourceType string   `json:"resource_type"`
	ResourceName string   `json:"resource_name"`
	PatternType  string   `json:"pattern_type"`
	Principal    string   `json:"principal"`
	Host         string   `json:"host"`
	Operation    string   `json:"operation"`
	Permission   string   `json:"permission"`
	Deciding     bool     `json:"deciding,omitempty"`
	MatchedVia   string   `json:"matched_via,omitempty"`
	Reasons      []string `json:"reasons,omitempty"`
}

type jsonExplanation struct {
	Allowed         bool      `json:"allowed"`
	Rule            string    `json:"rule"`
	Principal       string    `json:"principal"`
	Groups          []string  `json:"groups"`
	Host            string    `json:"host"`
	Operation       string    `json:"operation"`
	Resource        string    `json:"resource"`
	SuperUser       string    `json:"super_user,omitempty"`
	MatchedVia      string    `json:"matched_via,omitempty"`
	ResourceHasACLs bool      `json:"resource_has_acls"`
	Matched         []jsonACL `json:"matched"`
	NearMisses      []jsonACL `json:"near_misses"`
}

func explainJSON(ex *acl.Explanation) jsonExplanation {
	j := jsonExplanation{
		Allowed: ex.Decision.Allowed(), Rule: ex.Decision.RuleString(), Principal: ex.Subject.User.String(), Groups: []string{},
		Host: ex.Host, Operation: ex.Action.Operation.String(), Resource: ex.Action.Resource.Type.PascalName() + ":" + ex.Action.Resource.Name,
		ResourceHasACLs: ex.ResourceHasACLs, Matched: []jsonACL{}, NearMisses: []jsonACL{},
	}
	for _, g := range ex.Subject.Groups {
		j.Groups = append(j.Groups, g.String())
	}
	if ex.SuperUser != nil {
		j.SuperUser = ex.SuperUser.String()
	}
	if ex.Decision.Principal.Type != "" {
		j.MatchedVia = ex.Decision.Principal.String()
	}
	conv := func(e acl.ExplainedACL) jsonACL {
		a := e.ACL
		out := jsonACL{ResourceType: a.ResourceType.String(), ResourceName: a.ResourceName, PatternType: a.PatternType.String(), Principal: a.Principal,
			Host: a.Host, Operation: a.Operation.String(), Permission: a.Permission.String(), Deciding: e.Deciding, Reasons: e.Reasons}
		if e.Principal.Type != "" {
			out.MatchedVia = e.Principal.String()
		}
		return out
	}
	for _, m := range ex.Matched {
		j.Matched = append(j.Matched, conv(m))
	}
	for _, m := range ex.NearMisses {
		j.NearMisses = append(j.NearMisses, conv(m))
	}
	return j
}
