package authorizer

import (
	"fmt"
	"strings"
)

// ResourceType is Kafka's ResourceType with its wire codes.
type ResourceType int8

const (
	ResourceUnknown         ResourceType = 0
	ResourceAny             ResourceType = 1
	ResourceTopic           ResourceType = 2
	ResourceGroup           ResourceType = 3
	ResourceCluster         ResourceType = 4
	ResourceTransactionalID ResourceType = 5
	ResourceDelegationToken ResourceType = 6
	ResourceUser            ResourceType = 7
)

var resourceNames = [...]string{"UNKNOWN", "ANY", "TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID", "DELEGATION_TOKEN", "USER"}
var resourcePascal = [...]string{"Unknown", "Any", "Topic", "Group", "Cluster", "TransactionalId", "DelegationToken", "User"}

// String returns the enum name (TOPIC, GROUP, ...).
func (t ResourceType) String() string {
	if t >= 0 && int(t) < len(resourceNames) {
		return resourceNames[t]
	}
	return "UNKNOWN"
}

// PascalName returns the audit-log name (Topic, Group, TransactionalId, ...).
func (t ResourceType) PascalName() string {
	if t >= 0 && int(t) < len(resourcePascal) {
		return resourcePascal[t]
	}
	return "Unknown"
}

// ResourceTypeFromCode maps a wire byte; unknown bytes map to ResourceUnknown.
func ResourceTypeFromCode(c int8) ResourceType {
	if c >= 0 && int(c) < len(resourceNames) {
		return ResourceType(c)
	}
	return ResourceUnknown
}

// PatternType is Kafka's PatternType.
type PatternType int8

const (
	PatternUnknown  PatternType = 0
	PatternAny      PatternType = 1
	PatternMatch    PatternType = 2
	PatternLiteral  PatternType = 3
	PatternPrefixed PatternType = 4
)

var patternNames = [...]string{"UNKNOWN", "ANY", "MATCH", "LITERAL", "PREFIXED"}

func (p PatternType) String() string {
	if p >= 0 && int(p) < len(patternNames) {
		return patternNames[p]
	}
	return "UNKNOWN"
}

// PatternTypeFromCode maps a wire byte.
func PatternTypeFromCode(c int8) PatternType {
	if c >= 0 && int(c) < len(patternNames) {
		return PatternType(c)
	}
	return PatternUnknown
}

// Operation is Kafka's AclOperation; its code is also its bit in
// authorized-operations bitfields.
type Operation int8

const (
	OpUnknown         Operation = 0
	OpAny             Operation = 1
	OpAll             Operation = 2
	OpRead            Operation = 3
	OpWrite           Operation = 4
	OpCreate          Operation = 5
	OpDelete          Operation = 6
	OpAlter           Operation = 7
	OpDescribe        Operation = 8
	OpClusterAction   Operation = 9
	OpDescribeConfigs Operation = 10
	OpAlterConfigs    Operation = 11
	OpIdempotentWrite Operation = 12
	OpCreateTokens    Operation = 13
	OpDescribeTokens  Operation = 14
)

var opNames = [...]string{"UNKNOWN", "ANY", "ALL", "READ", "WRITE", "CREATE", "DELETE", "ALTER", "DESCRIBE", "CLUSTER_ACTION", "DESCRIBE_CONFIGS", "ALTER_CONFIGS", "IDEMPOTENT_WRITE", "CREATE_TOKENS", "DESCRIBE_TOKENS"}

func (o Operation) String() string {
	if o >= 0 && int(o) < len(opNames) {
		return opNames[o]
	}
	return "UNKNOWN"
}

// OperationFromCode maps a wire byte.
func OperationFromCode(c int8) Operation {
	if c >= 0 && int(c) < len(opNames) {
		return Operation(c)
	}
	return OpUnknown
}

// Permission is Kafka's AclPermissionType.
type Permission int8

const (
	PermUnknown Permission = 0
	PermAny     Permission = 1
	PermDeny    Permission = 2
	PermAllow   Permission = 3
)

var permNames = [...]string{"UNKNOWN", "ANY", "DENY", "ALLOW"}

func (p Permission) String() string {
	if p >= 0 && int(p) < len(permNames) {
		return permNames[p]
	}
	return "UNKNOWN"
}

// PermissionFromCode maps a wire byte.
func PermissionFromCode(c int8) Permission {
	if c >= 0 && int(c) < len(permNames) {
		return Permission(c)
	}
	return PermUnknown
}

func parseEnum(names []string, s string) (int, bool) {
	s = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", "_"))
	for i, n := range names {
		if n == s || strings.ReplaceAll(n, "_", "") == s {
			return i, true
		}
	}
	return 0, false
}

// ParseOperation parses READ, write, Describe-Configs, ... .
func ParseOperation(s string) (Operation, error) {
	if i, ok := parseEnum(opNames[:], s); ok && i > 1 {
		return Operation(i), nil
	}
	return OpUnknown, fmt.Errorf("unknown operation %q", s)
}

// ParseResourceType parses TOPIC, group, TransactionalId, ... .
func ParseResourceType(s string) (ResourceType, error) {
	if i, ok := parseEnum(resourceNames[:], s); ok && i > 1 {
		return ResourceType(i), nil
	}
	return ResourceUnknown, fmt.Errorf("unknown resource type %q", s)
}

// ParsePatternType parses LITERAL or PREFIXED (and MATCH / ANY for filters).
func ParsePatternType(s string) (PatternType, error) {
	if i, ok := parseEnum(patternNames[:], s); ok && i > 0 {
		return PatternType(i), nil
	}
	return PatternUnknown, fmt.Errorf("unknown pattern type %q", s)
}

// SupportedOperations is Kafka's AclEntry.supportedOperations, used for
// authorized-operations bitfields.
func SupportedOperations(t ResourceType) []Operation {
	switch t {
	case ResourceTopic:
		return []Operation{OpRead, OpWrite, OpCreate, OpDescribe, OpDelete, OpAlter, OpDescribeConfigs, OpAlterConfigs}
	case ResourceGroup:
		return []Operation{OpRead, OpDescribe, OpDelete, OpDescribeConfigs, OpAlterConfigs}
	case ResourceCluster:
		return []Operation{OpCreate, OpClusterAction, OpDescribeConfigs, OpAlterConfigs, OpIdempotentWrite, OpAlter, OpDescribe}
	case ResourceTransactionalID:
		return []Operation{OpDescribe, OpWrite}
	case ResourceDelegationToken:
		return []Operation{OpDescribe}
	case ResourceUser:
		return []Operation{OpCreateTokens, OpDescribeTokens}
	}
	return nil
}

// ACL is one access-control entry bound to a resource pattern.
type ACL struct {
	ResourceType ResourceType
	ResourceName string
	PatternType  PatternType // LITERAL or PREFIXED
	Principal    string      // "Type:name", e.g. User:alice, Group:ops, User:*
	Host         string      // "*" or an IP
	Operation    Operation
	Permission   Permission
}

// StandardString renders the ACL as Kafka's StandardAcl.toString, for the
// audit log.
func (a *ACL) StandardString() string {
	return "StandardAcl(resourceType=" + a.ResourceType.String() + ", resourceName=" + a.ResourceName +
		", patternType=" + a.PatternType.String() + ", principal=" + a.Principal + ", host=" + a.Host +
		", operation=" + a.Operation.String() + ", permissionType=" + a.Permission.String() + ")"
}

// String is a short human form.
func (a ACL) String() string {
	return fmt.Sprintf("%s %s %s:%s:%s from %s", a.Principal, a.Permission, a.Operation, a.ResourceType.PascalName(), a.PatternType, a.Host) + " " + a.ResourceName
}

// ACLFilter selects ACLs as Kafka's AclBindingFilter. Nil string pointers
// match anything; enum ANY values match anything; PatternMatch matches the
// ACLs that would apply to the named resource.
type ACLFilter struct {
	ResourceType ResourceType
	ResourceName *string
	PatternType  PatternType
	Principal    *string
	Host         *string
	Operation    Operation
	Permission   Permission
}

// Matches reports whether a matches the filter, with Kafka's
// ResourcePatternFilter and AccessControlEntryFilter semantics.
func (f *ACLFilter) Matches(a *ACL) bool {
	if f.ResourceType != ResourceAny && f.ResourceType != a.ResourceType {
		return false
	}
	if f.PatternType != PatternAny && f.PatternType != PatternMatch && f.PatternType != a.PatternType {
		return false
	}
	if f.ResourceName != nil {
		name := *f.ResourceName
		if f.PatternType == PatternMatch {
			switch a.PatternType {
			case PatternLiteral:
				if a.ResourceName != name && a.ResourceName != "*" {
					return false
				}
			case PatternPrefixed:
				if !strings.HasPrefix(name, a.ResourceName) {
					return false
				}
			default:
				return false
			}
		} else if a.ResourceName != name {
			return false
		}
	}
	if f.Principal != nil && *f.Principal != a.Principal {
		return false
	}
	if f.Host != nil && *f.Host != a.Host {
		return false
	}
	if f.Operation != OpAny && f.Operation != a.Operation {
		return false
	}
	if f.Permission != PermAny && f.Permission != a.Permission {
		return false
	}
	return true
}
