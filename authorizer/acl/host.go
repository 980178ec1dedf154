package acl

import "net/netip"

// CanonicalHost returns the form in which an ACL host is compared with the
// client address of a request:
//
//   - "*" (any host) is kept;
//   - an IP address in any textual form becomes Go's canonical text:
//     IPv4 as a dotted quad, IPv6 as RFC 5952 (lower case, longest run of
//     zero groups compressed, e.g. "::1" and "fe80::1%eth0"), an
//     IPv4-mapped IPv6 address as its IPv4 form;
//   - anything else (a host name, a CIDR block) is kept as is and never
//     matches, as in Kafka, which does no resolution.
//
// The broker renders client addresses the same way, so an ACL written by
// Kafka's tools with Java's uncompressed form ("0:0:0:0:0:0:0:1") and one
// written as "::1" both match a client connecting from ::1. (Kafka itself
// compares strings with Java's getHostAddress form, where only the
// uncompressed spelling matches.) The stored ACL keeps the text it was
// created with; only matching uses the canonical form.
func CanonicalHost(h string) string {
	if h == "*" || h == "" {
		return h
	}
	a, err := netip.ParseAddr(h)
	if err != nil {
		return h
	}
	return a.Unmap().String()
}
