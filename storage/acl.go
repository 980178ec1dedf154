package storage

import (
	"context"

	"github.com/minikafka/minikafka/authorizer"
)

// ACLStore persists ACL bindings. The ACL authorizer keeps its working
// copy in memory and writes through a store; the store is read once, at
// startup. Implementations must be safe for concurrent use.
//
// An ACL is identified by all seven of its fields, compared exactly
// (Kafka's StandardAcl equality): adding one that is already stored keeps
// one copy, deleting one that is not stored is not an error.
type ACLStore interface {
	// LoadACLs returns every stored ACL, in no particular order. A record
	// that cannot be decoded is an error naming it; the caller must not
	// start serving with a partial set.
	LoadACLs(ctx context.Context) ([]authorizer.ACL, error)
	// AddACLs stores acls atomically: when it returns nil every one of them
	// is durable (a persistent store has synced it to disk); on error none
	// was added.
	AddACLs(ctx context.Context, acls []authorizer.ACL) error
	// DeleteACLs removes acls atomically and durably, with the same
	// guarantees as AddACLs.
	DeleteACLs(ctx context.Context, acls []authorizer.ACL) error
}
