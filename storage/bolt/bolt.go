// Package bolt is the persistent implementation of minikafka's stores
// (ACLs, SCRAM credentials) in one bbolt file under the data directory.
// Every bucket carries a schema version; a record that does not decode is
// an error naming its bucket and key, never a panic.
package bolt

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/minikafka/minikafka/storage"
)

// FileName is the database file inside the data directory.
const FileName = "minikafka.db"

// SchemaVersion is the on-disk format version written to the meta bucket.
const SchemaVersion = 1

var (
	metaBucket = []byte("meta")
	versionKey = []byte("schema_version")
)

// DB is the shared bbolt database of one broker.
type DB struct {
	*bbolt.DB
	path string
}

// Open opens (creating if needed) the database in dir and checks its
// schema version.
func Open(dir string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating data dir %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(metaBucket)
		if err != nil {
			return err
		}
		v := b.Get(versionKey)
		if v == nil {
			return b.Put(versionKey, binary.BigEndian.AppendUint32(nil, SchemaVersion))
		}
		if len(v) != 4 {
			return fmt.Errorf("bucket %s key %s: corrupt schema version (%d bytes)", metaBucket, versionKey, len(v))
		}
		if got := binary.BigEndian.Uint32(v); got != SchemaVersion {
			return fmt.Errorf("%s: schema version %d, this minikafka reads version %d", path, got, SchemaVersion)
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return &DB{DB: db, path: path}, nil
}

// Path is the database file path.
func (db *DB) Path() string { return db.path }

// update runs fn in a read-write transaction. When the commit fails (the
// disk refused the write: bbolt writes, grows and syncs the file only
// then) the error is a *storage.IOError of op; an error of fn itself is
// returned wrapped with op and the file name. Either way nothing changed.
func (db *DB) update(op string, fn func(tx *bbolt.Tx) error) error {
	var fnErr error
	err := db.Update(func(tx *bbolt.Tx) error {
		fnErr = fn(tx)
		return fnErr
	})
	switch {
	case err == nil:
		return nil
	case fnErr == nil:
		return &storage.IOError{Op: op, Path: db.path, Err: err}
	}
	return fmt.Errorf("%s in %s: %w", op, db.path, err)
}
