package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
)

func init() { commands = append(commands, aclCommand) }

// aclSubcommands lets other files add `minikafka acl <sub>` commands.
var aclSubcommands []func() *cobra.Command

// aclFlags mirror kafka-acls.sh.
type aclFlags struct {
	allowPrincipals, denyPrincipals []string
	principals                      []string
	allowHosts, denyHosts           []string
	operations                      []string
	topics, groups, txnIDs          []string
	cluster                         bool
	pattern                         string
}

func (a *aclFlags) register(cmd *cobra.Command, forCreate bool) {
	fl := cmd.Flags()
	fl.StringArrayVar(&a.topics, "topic", nil, "topic name ('*' for all; repeatable)")
	fl.StringArrayVar(&a.groups, "group", nil, "consumer group name (repeatable)")
	fl.StringArrayVar(&a.txnIDs, "transactional-id", nil, "transactional id (repeatable)")
	fl.BoolVar(&a.cluster, "cluster", false, "the cluster resource")
	fl.StringArrayVar(&a.operations, "operation", nil, "Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, All (repeatable)")
	fl.StringArrayVar(&a.allowPrincipals, "allow-principal", nil, "principal to allow, e.g. User:alice or Group:ops (repeatable)")
	fl.StringArrayVar(&a.denyPrincipals, "deny-principal", nil, "principal to deny (repeatable)")
	fl.StringArrayVar(&a.allowHosts, "allow-host", nil, "host to allow from (default *)")
	fl.StringArrayVar(&a.denyHosts, "deny-host", nil, "host to deny from (default *)")
	def := "literal"
	help := "literal or prefixed"
	if !forCreate {
		def = "any"
		help = "literal, prefixed, match or any"
		fl.StringArrayVar(&a.principals, "principal", nil, "only ACLs of this principal (repeatable)")
	}
	fl.StringVar(&a.pattern, "resource-pattern-type", def, help)
}

type aclResource struct {
	rt   az.ResourceType
	name string
}

func (a *aclFlags) resources(requireOne bool) ([]aclResource, error) {
	var rs []aclResource
	for _, t := range a.topics {
		rs = append(rs, aclResource{az.ResourceTopic, t})
	}
	for _, g := range a.groups {
		rs = append(rs, aclResource{az.ResourceGroup, g})
	}
	for _, x := range a.txnIDs {
		rs = append(rs, aclResource{az.ResourceTransactionalID, x})
	}
	if a.cluster {
		rs = append(rs, aclResource{az.ResourceCluster, az.ClusterName})
	}
	if requireOne && len(rs) == 0 {
		return nil, fmt.Errorf("name a resource: --topic, --group, --transactional-id or --cluster")
	}
	return rs, nil
}

func (a *aclFlags) ops(def az.Operation) ([]az.Operation, error) {
	if len(a.operations) == 0 {
		return []az.Operation{def}, nil
	}
	var out []az.Operation
	for _, s := range a.operations {
		op, err := az.ParseOperation(s)
		if err != nil {
			return nil, fmt.Errorf("--operation: %w", err)
		}
		out = append(out, op)
	}
	return out, nil
}

func (a *aclFlags) patternType() (az.PatternType, error) {
	pt, err := az.ParsePatternType(a.pattern)
	if err != nil {
		return 0, fmt.Errorf("--resource-pattern-type: %w", err)
	}
	return pt, nil
}

func checkPrincipal(p string) error {
	if !strings.Contains(p, ":") {
		return fmt.Errorf("principal %q: expected Type:name, e.g. User:alice or Group:ops", p)
	}
	return nil
}

func aclCommand() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{Use: "acl", Short: "Add, list, remove and explain ACLs (flags as kafka-acls.sh)"}
	f.register(cmd)

	var add aclFlags
	addCmd := &cobra.Command{
		Use:   "add",
		Short: "Add ACLs (CreateAcls)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rs, err := add.resources(true)
			if err != nil {
				return err
			}
			ops, err := add.ops(az.OpUnknown)
			if err != nil {
				return err
			}
			if len(add.operations) == 0 {
				return fmt.Errorf("--operation is required")
			}
			pt, err := add.patternType()
			if err != nil {
				return err
			}
			if pt != az.PatternLiteral && pt != az.PatternPrefixed {
				return fmt.Errorf("--resource-pattern-type: ACLs are literal or prefixed")
			}
			if len(add.allowPrincipals)+len(add.denyPrincipals) == 0 {
				return fmt.Errorf("--allow-principal or --deny-principal is required")
			}
			req := kmsg.NewPtrCreateACLsRequest()
			addEntries := func(principals, hosts []string, perm az.Permission) error {
				if len(hosts) == 0 {
					hosts = []string{"*"}
				}
				for _, p := range principals {
					if err := checkPrincipal(p); err != nil {
						return err
					}
					for _, h := range hosts {
						for _, r := range rs {
							for _, op := range ops {
								c := kmsg.NewCreateACLsRequestCreation()
								c.ResourceType = kmsg.ACLResourceType(r.rt)
								c.ResourceName = r.name
								c.ResourcePatternType = kmsg.ACLResourcePatternType(pt)
								c.Principal, c.Host = p, h
								c.Operation = kmsg.ACLOperation(op)
								c.PermissionType = kmsg.ACLPermissionType(perm)
								req.Creations = append(req.Creations, c)
							}
						}
					}
				}
				return nil
			}
			if err := addEntries(add.allowPrincipals, add.allowHosts, az.PermAllow); err != nil {
				return err
			}
			if err := addEntries(add.denyPrincipals, add.denyHosts, az.PermDeny); err != nil {
				return err
			}
			cl, err := f.client()
			if err != nil {
				return err
			}
			defer cl.Close()
			ctx, cancel := f.ctx()
			defer cancel()
			resp, err := req.RequestWith(ctx, cl)
			if err != nil {
				return fmt.Errorf("CreateAcls: %w", err)
			}
			var rows [][]string
			failed := 0
			for i, r := range resp.Results {
				c := req.Creations[i]
				status := "created"
				if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
					failed++
					status = errText(err, deref(r.ErrorMessage))
				}
				rows = append(rows, aclRow(c.Principal, az.Permission(c.PermissionType), az.Operation(c.Operation), c.Host,
					az.ResourceType(c.ResourceType), az.PatternType(c.ResourcePatternType), c.ResourceName, status))
			}
			if err := printRows(cmd.OutOrStdout(), f.output, aclHeader("STATUS"), rows); err != nil {
				return err
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d ACLs were not created", failed, len(resp.Results))
			}
			return nil
		},
	}
	add.register(addCmd, true)

	var list aclFlags
	listCmd := &cobra.Command{
		Use:   "list",
		Short: "List ACLs (DescribeAcls), optionally filtered",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			filters, err := list.filters()
			if err != nil {
				return err
			}
			cl, err := f.client()
			if err != nil {
				return err
			}
			defer cl.Close()
			ctx, cancel := f.ctx()
			defer cancel()
			var rows [][]string
			for _, flt := range filters {
				req := kmsg.NewPtrDescribeACLsRequest()
				req.ResourceType, req.ResourceName, req.ResourcePatternType = flt.ResourceType, flt.ResourceName, flt.ResourcePatternType
				req.Principal, req.Host, req.Operation, req.PermissionType = flt.Principal, flt.Host, flt.Operation, flt.PermissionType
				resp, err := req.RequestWith(ctx, cl)
				if err != nil {
					return fmt.Errorf("DescribeAcls: %w", err)
				}
				if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
					return fmt.Errorf("DescribeAcls: %s", errText(err, deref(resp.ErrorMessage)))
				}
				for _, r := range resp.Resources {
					for _, a := range r.ACLs {
						rows = append(rows, aclRow(a.Principal, az.Permission(a.PermissionType), az.Operation(a.Operation), a.Host,
							az.ResourceType(r.ResourceType), az.PatternType(r.ResourcePatternType), r.ResourceName))
					}
				}
			}
			sortRows(rows)
			return printRows(cmd.OutOrStdout(), f.output, aclHeader(), rows)
		},
	}
	list.register(listCmd, false)

	var rm aclFlags
	rmCmd := &cobra.Command{
		Use:   "remove",
		Short: "Remove the ACLs matching the filters (DeleteAcls)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(rm.topics)+len(rm.groups)+len(rm.txnIDs)+len(rm.principals)+len(rm.allowPrincipals)+len(rm.denyPrincipals) == 0 && !rm.cluster {
				return fmt.Errorf("refusing to remove every ACL: name a resource or a principal")
			}
			filters, err := rm.filters()
			if err != nil {
				return err
			}
			req := kmsg.NewPtrDeleteACLsRequest()
			req.Filters = filters
			cl, err := f.client()
			if err != nil {
				return err
			}
			defer cl.Close()
			ctx, cancel := f.ctx()
			defer cancel()
			resp, err := req.RequestWith(ctx, cl)
			if err != nil {
				return fmt.Errorf("DeleteAcls: %w", err)
			}
			var rows [][]string
			for _, r := range resp.Results {
				if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
					return fmt.Errorf("DeleteAcls: %s", errText(err, deref(r.ErrorMessage)))
				}
				for _, a := range r.MatchingACLs {
					rows = append(rows, aclRow(a.Principal, az.Permission(a.PermissionType), az.Operation(a.Operation), a.Host,
						az.ResourceType(a.ResourceType), az.PatternType(a.ResourcePatternType), a.ResourceName, "removed"))
				}
			}
			sortRows(rows)
			return printRows(cmd.OutOrStdout(), f.output, aclHeader("STATUS"), rows)
		},
	}
	rm.register(rmCmd, false)

	cmd.AddCommand(addCmd, listCmd, rmCmd)
	for _, sub := range aclSubcommands {
		cmd.AddCommand(sub())
	}
	return cmd
}

// filters builds DescribeAcls/DeleteAcls filters from the flags: one per
// named resource (or one matching every resource), per principal.
func (a *aclFlags) filters() ([]kmsg.DeleteACLsRequestFilter, error) {
	rs, err := a.resources(false)
	if err != nil {
		return nil, err
	}
	pt, err := a.patternType()
	if err != nil {
		return nil, err
	}
	type res struct {
		rt   kmsg.ACLResourceType
		name *string
	}
	var resList []res
	for _, r := range rs {
		n := r.name
		resList = append(resList, res{kmsg.ACLResourceType(r.rt), &n})
	}
	if len(resList) == 0 {
		resList = []res{{kmsg.ACLResourceType(az.ResourceAny), nil}}
	}
	principals := append(append(append([]string{}, a.principals...), a.allowPrincipals...), a.denyPrincipals...)
	var ps []*string
	for _, p := range principals {
		if err := checkPrincipal(p); err != nil {
			return nil, err
		}
		p := p
		ps = append(ps, &p)
	}
	if len(ps) == 0 {
		ps = []*string{nil}
	}
	perm := az.PermAny
	switch {
	case len(a.allowPrincipals) > 0 && len(a.denyPrincipals) == 0:
		perm = az.PermAllow
	case len(a.denyPrincipals) > 0 && len(a.allowPrincipals) == 0:
		perm = az.PermDeny
	}
	ops := []az.Operation{az.OpAny}
	if len(a.operations) > 0 {
		if ops, err = a.ops(az.OpAny); err != nil {
			return nil, err
		}
	}
	var out []kmsg.DeleteACLsRequestFilter
	for _, r := range resList {
		for _, p := range ps {
			for _, op := range ops {
				flt := kmsg.NewDeleteACLsRequestFilter()
				flt.ResourceType, flt.ResourceName = r.rt, r.name
				flt.ResourcePatternType = kmsg.ACLResourcePatternType(pt)
				flt.Principal = p
				flt.Operation = kmsg.ACLOperation(op)
				flt.PermissionType = kmsg.ACLPermissionType(perm)
				out = append(out, flt)
			}
		}
	}
	return out, nil
}

func aclHeader(extra ...string) []string {
	return append([]string{"PRINCIPAL", "PERMISSION", "OPERATION", "HOST", "RESOURCE TYPE", "PATTERN", "RESOURCE"}, extra...)
}

func aclRow(principal string, perm az.Permission, op az.Operation, host string, rt az.ResourceType, pt az.PatternType, name string, extra ...string) []string {
	return append([]string{principal, perm.String(), op.String(), host, rt.String(), pt.String(), name}, extra...)
}

func sortRows(rows [][]string) {
	sort.Slice(rows, func(i, j int) bool { return strings.Join(rows[i], "\x00") < strings.Join(rows[j], "\x00") })
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
