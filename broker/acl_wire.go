package broker

// Conversions between the ACL APIs' wire fields (29 DescribeAcls, 30
// CreateAcls, 31 DeleteAcls) and package authorizer, with Kafka's request
// validation: a field equal to UNKNOWN (or an unrecognised code) fails
// request parsing, which closes the connection without a response
// (RequestContext.parseRequest → InvalidRequestException), and version 0
// serves LITERAL patterns only.

import (
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
)

// Kafka's messages when no authorizer is configured.
const (
	noAuthorizerDescribe = "No Authorizer is configured on the broker"
	noAuthorizerChange   = "No Authorizer is configured."
)

// errUnknownACLElement is the parse failure of an ACL request with an
// UNKNOWN (or unrecognised) enum.
var errUnknownACLElement = errors.New("contains UNKNOWN elements")

// errV0Pattern is the parse failure of a v0 ACL request with a pattern
// type other than LITERAL.
var errV0Pattern = errors.New("version 0 only supports literal resource pattern types")

// wireACLFilter converts a DescribeAcls / DeleteAcls filter.
func wireACLFilter(version int16, rt kmsg.ACLResourceType, name *string, pt kmsg.ACLResourcePatternType, principal, host *string,
	op kmsg.ACLOperation, perm kmsg.ACLPermissionType) (az.ACLFilter, error) {
	f := az.ACLFilter{
		ResourceType: az.ResourceTypeFromCode(int8(rt)),
		ResourceName: name,
		PatternType:  az.PatternTypeFromCode(int8(pt)),
		Principal:    principal,
		Host:         host,
		Operation:    az.OperationFromCode(int8(op)),
		Permission:   az.PermissionFromCode(int8(perm)),
	}
	if version == 0 {
		switch f.PatternType {
		case az.PatternAny:
			f.PatternType = az.PatternLiteral
		case az.PatternLiteral:
		default:
			return f, errV0Pattern
		}
	}
	if f.ResourceType == az.ResourceUnknown || f.PatternType == az.PatternUnknown || f.Operation == az.OpUnknown || f.Permission == az.PermUnknown {
		return f, fmt.Errorf("ACL filter %s: %w", filterString(&f), errUnknownACLElement)
	}
	return f, nil
}

// wireACLCreation converts a CreateAcls creation, with the same parse
// failures as a filter (UNKNOWN elements; v0: LITERAL only).
func wireACLCreation(version int16, cr *kmsg.CreateACLsRequestCreation) (az.ACL, error) {
	a := az.ACL{
		ResourceType: az.ResourceTypeFromCode(int8(cr.ResourceType)),
		ResourceName: cr.ResourceName,
		PatternType:  az.PatternTypeFromCode(int8(cr.ResourcePatternType)),
		Principal:    cr.Principal,
		Host:         cr.Host,
		Operation:    az.OperationFromCode(int8(cr.Operation)),
		Permission:   az.PermissionFromCode(int8(cr.PermissionType)),
	}
	if version == 0 && a.PatternType != az.PatternLiteral {
		return a, errV0Pattern
	}
	if a.ResourceType == az.ResourceUnknown || a.PatternType == az.PatternUnknown || a.Operation == az.OpUnknown || a.Permission == az.PermUnknown {
		return a, errUnknownACLElement
	}
	return a, nil
}

func filterString(f *az.ACLFilter) string {
	s := func(p *string) string {
		if p == nil {
			return "null"
		}
		return *p
	}
	return fmt.Sprintf("(pattern=(resourceType=%s, name=%s, patternType=%s), entry=(principal=%s, host=%s, operation=%s, permissionType=%s))",
		f.ResourceType, s(f.ResourceName), f.PatternType, s(f.Principal), s(f.Host), f.Operation, f.Permission)
}

// aclResultCode maps an ACLManager error to the Kafka code and message the
// response carries: an *authorizer.ACLError keeps its code and message
// (UNKNOWN_SERVER_ERROR never carries one, as Kafka's ApiError); a write
// the disk refused is KAFKA_STORAGE_ERROR with its reason
// (storage_errors.go); any other error is UNKNOWN_SERVER_ERROR without a
// message.
func aclResultCode(err error) (int16, *string) {
	if err == nil {
		return 0, nil
	}
	if code, msg, ok := storageFailure(err, "The ACL change"); ok {
		return code, &msg
	}
	var ae *az.ACLError
	if errors.As(err, &ae) && ae.Code != kerr.UnknownServerError.Code {
		msg := ae.Message
		return ae.Code, &msg
	}
	return kerr.UnknownServerError.Code, nil
}

// clusterDenied is the message of a Cluster authorization failure on an
// ACL API (Kafka: "Request <request> is not authorized.").
func clusterDenied(key int16) *string {
	return strp(fmt.Sprintf("Request %s is not authorized.", apiName(key)))
}
