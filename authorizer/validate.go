package authorizer

import (
	"fmt"
	"strings"
)

// ACLError is a per-ACL or per-request failure of an ACLManager with the
// Kafka error code the broker must send and Kafka's message.
type ACLError struct {
	Code    int16 // Kafka error code, e.g. 42 INVALID_REQUEST, -1 UNKNOWN_SERVER_ERROR
	Message string
}

func (e *ACLError) Error() string { return e.Message }

// Kafka error codes used by ACLError.
const (
	CodeUnknownServerError int16 = -1
	CodeInvalidRequest     int16 = 42
)

// invalidRequest builds a 42 INVALID_REQUEST ACLError.
func invalidRequest(format string, args ...any) *ACLError {
	return &ACLError{Code: CodeInvalidRequest, Message: fmt.Sprintf(format, args...)}
}

// ValidateNewACL applies Kafka's CreateAcls checks for one binding, in
// Kafka's order (AclApis, then AclControlManager.validateNewAcl), and
// returns a 42 INVALID_REQUEST ACLError with Kafka's message, or nil.
func ValidateNewACL(a *ACL) *ACLError {
	if a.ResourceType == ResourceCluster && a.ResourceName != ClusterName {
		return invalidRequest("The only valid name for the CLUSTER resource is %s", ClusterName)
	}
	if a.ResourceName == "" {
		return invalidRequest("Invalid empty resource name")
	}
	switch a.ResourceType {
	case ResourceTopic, ResourceGroup, ResourceCluster, ResourceTransactionalID, ResourceDelegationToken, ResourceUser:
	default:
		return invalidRequest("Invalid resourceType %s", a.ResourceType)
	}
	if a.PatternType != PatternLiteral && a.PatternType != PatternPrefixed {
		return invalidRequest("Invalid patternType %s", a.PatternType)
	}
	if a.Operation <= OpAny || int(a.Operation) >= len(opNames) {
		return invalidRequest("Invalid operation %s", a.Operation)
	}
	if a.Permission != PermAllow && a.Permission != PermDeny {
		return invalidRequest("Invalid permissionType %s", a.Permission)
	}
	if !strings.Contains(a.Principal, ":") {
		return invalidRequest("Could not parse principal from `%s` (no colon is present separating the principal type from the principal name)", a.Principal)
	}
	return nil
}

// ValidateBinding applies the checks Kafka makes while building an
// AclBinding from a CreateAcls request (ResourcePattern and
// AccessControlEntry constructors). A failure there fails the whole
// request: every result becomes UNKNOWN_SERVER_ERROR.
func ValidateBinding(a *ACL) error {
	switch {
	case a.ResourceType == ResourceAny:
		return &ACLError{Code: CodeUnknownServerError, Message: "resourceType must not be ANY"}
	case a.PatternType == PatternMatch || a.PatternType == PatternAny:
		return &ACLError{Code: CodeUnknownServerError, Message: "patternType must not be " + a.PatternType.String()}
	case a.Operation == OpAny:
		return &ACLError{Code: CodeUnknownServerError, Message: "operation must not be ANY"}
	case a.Permission == PermAny:
		return &ACLError{Code: CodeUnknownServerError, Message: "permissionType must not be ANY"}
	}
	return nil
}

// ValidateFilter is AclControlManager.validateFilter: a filter with an
// UNKNOWN resource or pattern type, or an UNKNOWN operation or permission,
// is a 42 INVALID_REQUEST.
func ValidateFilter(f *ACLFilter) *ACLError {
	if f.ResourceType == ResourceUnknown || f.PatternType == PatternUnknown ||
		int(f.ResourceType) >= len(resourceNames) || int(f.PatternType) >= len(patternNames) || f.ResourceType < 0 || f.PatternType < 0 {
		return invalidRequest("Unknown patternFilter.")
	}
	if f.Operation == OpUnknown || f.Permission == PermUnknown ||
		int(f.Operation) >= len(opNames) || int(f.Permission) >= len(permNames) || f.Operation < 0 || f.Permission < 0 {
		return invalidRequest("Unknown entryFilter.")
	}
	return nil
}
