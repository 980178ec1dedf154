package storage

import (
	"errors"
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
	Err  error  // the underlying error (wraps a syscall.Errno)
}

// Error implements error.
func (e *IOError) Error() string { return e.Op + " in " + e.Path + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *IOError) Unwrap() error { return e.Err }

// Reason is the operating system's description of the failure (e.g. "no
// space left on device"), without the file path.
func (e *IOError) Reason() string {
	var errno syscall.Errno
	if errors.As(e.Err, &errno) {
		return errno.Error()
	}
	return e.Err.Error()
}

// AsIOError returns err as an *IOError of op on path when the operating
// system refused the write (the chain holds a syscall.Errno), else nil.
func AsIOError(op, path string, err error) *IOError {
	var errno syscall.Errno
	if err == nil || !errors.As(err, &errno) {
		return nil
	}
	return &IOError{Op: op, Path: path, Err: err}
}
