package bolt

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"time"

	bbolt "go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"

	"github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/storage"
)

// aclBucket holds one record per ACL. The key is the ACL's canonical
// encoding (so an ACL is stored once); the value is
//
//	version(1)=1 | key | crc32c(version|key) (4, big endian)
//
// where key is
//
//	resourceType(1) patternType(1) operation(1) permission(1)
//	uvarint len + resourceName, uvarint len + principal, uvarint len + host
var aclBucket = []byte("acls")

// aclRecordVersion is the version byte of ACL records written by this
// minikafka.
const aclRecordVersion = 1

// ErrCorruptACL marks an ACL record that does not decode; the error text
// names the bucket and key.
var ErrCorruptACL = errors.New("corrupt ACL record")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ACLStore is the storage.ACLStore kept in the "acls" bucket of the shared
// database. Every AddACLs and DeleteACLs is one bbolt transaction, synced
// to disk before it returns.
type ACLStore struct {
	db *DB
}

// NewACLStore creates the ACL bucket if needed and returns the store. The
// caller keeps ownership of db (closing it is the broker's job).
func NewACLStore(db *DB) (*ACLStore, error) {
	if !db.IsReadOnly() {
		err := db.Update(func(tx *bbolt.Tx) error {
			_, err := tx.CreateBucketIfNotExists(aclBucket)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("creating bucket %s in %s: %w", aclBucket, db.path, err)
		}
	}
	return &ACLStore{db: db}, nil
}

// LoadACLs decodes every record; the first corrupt one is an error
// wrapping ErrCorruptACL that names its key.
func (s *ACLStore) LoadACLs(ctx context.Context) ([]authorizer.ACL, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []authorizer.ACL
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(aclBucket)
		if b == nil {
			return nil
		}
		out = make([]authorizer.ACL, 0, b.Stats().KeyN)
		return b.ForEach(func(k, v []byte) error {
			a, err := DecodeACLRecord(k, v)
			if err != nil {
				return err
			}
			out = append(out, a)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("loading ACLs from %s: %w", s.db.path, err)
	}
	return out, nil
}

// AddACLs writes acls in one transaction and syncs it.
func (s *ACLStore) AddACLs(ctx context.Context, acls []authorizer.ACL) error {
	return s.update(ctx, "adding", func(b *bbolt.Bucket) error {
		for i := range acls {
			k := EncodeACLKey(&acls[i])
			if err := b.Put(k, aclValue(k)); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteACLs removes acls in one transaction and syncs it.
func (s *ACLStore) DeleteACLs(ctx context.Context, acls []authorizer.ACL) error {
	return s.update(ctx, "deleting", func(b *bbolt.Bucket) error {
		for i := range acls {
			if err := b.Delete(EncodeACLKey(&acls[i])); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *ACLStore) update(ctx context.Context, what string, fn func(b *bbolt.Bucket) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.db.update(what+" ACLs", func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(aclBucket)
		if err != nil {
			return err
		}
		return fn(b)
	})
	if err == nil && s.db.NoSync {
		// bbolt fsyncs every commit unless NoSync is set; an acknowledged
		// ACL must be on disk either way.
		if err := s.db.Sync(); err != nil {
			return &storage.IOError{Op: "syncing " + what + " ACLs", Path: s.db.path, Err: err}
		}
	}
	return err
}

// EncodeACLKey returns the canonical key of an ACL.
func EncodeACLKey(a *authorizer.ACL) []byte {
	k := make([]byte, 0, 4+3*binary.MaxVarintLen32+len(a.ResourceName)+len(a.Principal)+len(a.Host))
	k = append(k, byte(a.ResourceType), byte(a.PatternType), byte(a.Operation), byte(a.Permission))
	for _, s := range [...]string{a.ResourceName, a.Principal, a.Host} {
		k = binary.AppendUvarint(k, uint64(len(s)))
		k = append(k, s...)
	}
	return k
}

func aclValue(key []byte) []byte {
	v := make([]byte, 0, 1+len(key)+4)
	v = append(v, aclRecordVersion)
	v = append(v, key...)
	return binary.BigEndian.AppendUint32(v, crc32.Checksum(v, castagnoli))
}

// DecodeACLRecord decodes one record of the ACL bucket. Any inconsistency
// (unknown version, bad checksum, truncated or trailing bytes, an enum out
// of range, a value that does not match its key) is an error wrapping
// ErrCorruptACL that names the key; it never panics.
func DecodeACLRecord(key, value []byte) (authorizer.ACL, error) {
	fail := func(format string, args ...any) (authorizer.ACL, error) {
		return authorizer.ACL{}, fmt.Errorf("bucket %s key %q: %w: %s", aclBucket, key, ErrCorruptACL, fmt.Sprintf(format, args...))
	}
	if len(value) < 1+4+3+4 {
		return fail("record of %d bytes is too short", len(value))
	}
	if value[0] != aclRecordVersion {
		return fail("record version %d, this minikafka reads version %d", value[0], aclRecordVersion)
	}
	body, sum := value[:len(value)-4], binary.BigEndian.Uint32(value[len(value)-4:])
	if got := crc32.Checksum(body, castagnoli); got != sum {
		return fail("checksum %08x, stored %08x", got, sum)
	}
	payload := body[1:]
	if string(payload) != string(key) {
		return fail("record does not match its key")
	}
	a := authorizer.ACL{
		ResourceType: authorizer.ResourceType(payload[0]),
		PatternType:  authorizer.PatternType(payload[1]),
		Operation:    authorizer.Operation(payload[2]),
		Permission:   authorizer.Permission(payload[3]),
	}
	rest := payload[4:]
	var strs [3]string
	for i := range strs {
		n, w := binary.Uvarint(rest)
		if w <= 0 || n > uint64(len(rest)-w) {
			return fail("field %d: bad length", i)
		}
		strs[i] = string(rest[w : w+int(n)])
		rest = rest[w+int(n):]
	}
	if len(rest) != 0 {
		return fail("%d trailing bytes", len(rest))
	}
	a.ResourceName, a.Principal, a.Host = strs[0], strs[1], strs[2]
	if a.ResourceType < authorizer.ResourceTopic || a.ResourceType > authorizer.ResourceUser ||
		(a.PatternType != authorizer.PatternLiteral && a.PatternType != authorizer.PatternPrefixed) ||
		a.Operation < authorizer.OpAll || a.Operation > authorizer.OpDescribeTokens ||
		(a.Permission != authorizer.PermAllow && a.Permission != authorizer.PermDeny) {
		return fail("enum out of range (%d %d %d %d)", a.ResourceType, a.PatternType, a.Operation, a.Permission)
	}
	return a, nil
}

// OpenReadOnly opens the database in dir for reading only (for offline
// tools such as `minikafka acl explain`). It fails after a short timeout
// while a broker holds the database open.
func OpenReadOnly(dir string) (*DB, error) {
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, bberrors.ErrTimeout) {
			return nil, fmt.Errorf("opening %s: the database is locked (is a broker running on this data directory?): %w", path, err)
		}
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	err = db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(metaBucket)
		if b == nil {
			return fmt.Errorf("no %s bucket", metaBucket)
		}
		v := b.Get(versionKey)
		if len(v) != 4 {
			return fmt.Errorf("bucket %s key %s: corrupt schema version (%d bytes)", metaBucket, versionKey, len(v))
		}
		if got := binary.BigEndian.Uint32(v); got != SchemaVersion {
			return fmt.Errorf("schema version %d, this minikafka reads version %d", got, SchemaVersion)
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return &DB{DB: db, path: path}, nil
}
