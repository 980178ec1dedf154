package storage

import (
	"context"
	"errors"
)

// ErrCorruptRecord marks a stored record that cannot be decoded. Errors
// wrapping it name the bucket and key of the record.
var ErrCorruptRecord = errors.New("corrupt record")

// ScramCredential is one user's SCRAM credential for one mechanism, as
// Kafka's UserScramCredentialRecord holds it: never the password.
type ScramCredential struct {
	Mechanism  string // SCRAM-SHA-256 or SCRAM-SHA-512
	Salt       []byte
	StoredKey  []byte
	ServerKey  []byte
	Iterations int32
}

// ScramUser is a user and its credentials, ordered by mechanism name.
type ScramUser struct {
	Name        string
	Credentials []ScramCredential
}

// ScramStore keeps SCRAM credentials. Implementations are safe for
// concurrent use; the values they return are copies the caller may keep.
// Any error other than "not found" (which is ok=false) means the store
// could not be read or written; callers fail the request and log it.
type ScramStore interface {
	// GetScram returns the credential of user for mechanism; ok=false
	// when there is none.
	GetScram(ctx context.Context, user, mechanism string) (cred ScramCredential, ok bool, err error)
	// ListScram returns every user that has at least one credential,
	// ordered by name.
	ListScram(ctx context.Context) ([]ScramUser, error)
	// PutScram creates or replaces the credential of user for
	// cred.Mechanism.
	PutScram(ctx context.Context, user string, cred ScramCredential) error
	// DeleteScram removes the credential of user for mechanism; ok=false
	// when there was none.
	DeleteScram(ctx context.Context, user, mechanism string) (ok bool, err error)
	// SeedScram stores cred unless this user and mechanism were seeded
	// before, whatever happened to the credential since (changed or
	// deleted through AlterUserScramCredentials): configuration seeds a
	// store once, like Kafka's `kafka-storage format --add-scram`.
	// applied reports whether cred was stored.
	SeedScram(ctx context.Context, user string, cred ScramCredential) (applied bool, err error)
}
