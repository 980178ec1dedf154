package storage

import (
	"errors"
	"strings"
	"syscall"
)

// IOError is a write that the disk under a persistent store refused: the
// data directory is full, read-only or failing (ENOSPC, EROFS, EDQUOT,
// EFBIG, EIO, ...). The change was not made (the store is as before) and
// the store stays usable: the same write succeeds once the disk has room
// again. Brokers answer it with KAFKA_STORAGE_ERROR and keep serving.
type IOError struct {
	Op   string // what was being written, e.g. "adding ACLs"
	Path string // the database file
	Err  error  // the underlying error
}

// Error implements error.
func (e *IOError) Error() string { return e.Op + " in " + e.Path + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *IOError) Unwrap() error { return e.Err }

// ioErrnos are the failures Reason recognizes in an error's text when a
// library flattened the syscall.Errno into a string (bbolt does for file
// resize and sync errors).
var ioErrnos = []syscall.Errno{syscall.ENOSPC, syscall.EROFS, syscall.EDQUOT, syscall.EFBIG,
	syscall.EIO, syscall.EACCES, syscall.EPERM, syscall.ENOMEM}

// Reason is the operating system's description of the failure (e.g. "no
// space left on device"), never a file path: it may be shown to clients.
func (e *IOError) Reason() string {
	var errno syscall.Errno
	if errors.As(e.Err, &errno) {
		return errno.Error()
	}
	msg := e.Err.Error()
	for _, en := range ioErrnos {
		if strings.HasSuffix(msg, en.Error()) {
			return en.Error()
		}
	}
	return "write failed"
}
