// Package faults holds minikafka's fault-injection tests: each breaks one
// real dependency of a running broker and checks what the broker does
// about it, with real parts only (a JWKS served over HTTP, OpenLDAP's
// slapd, a full tmpfs, kill -9 of the built binary). RELIABILITY.md
// ("Faults") lists what each test shows.
//
//   - TestJWKSOutage: the JWKS endpoint down, slow (answering after the
//     fetch timeout) or returning garbage, then back.
//   - TestLDAPDown, TestLDAPSlow: the directory behind group resolution
//     stopped, or stalled by a TCP relay, under both failure policies.
//   - TestDataDirFull, TestDataDirReadOnly: ACL and SCRAM changes on a
//     data directory that has no room left, or is mounted read-only.
//   - TestKill9DuringAdminBursts: kill -9 during bursts of CreateAcls and
//     AlterUserScramCredentials, restart, everything acknowledged is there.
//
// The package has no API; everything is in its tests.
package faults
