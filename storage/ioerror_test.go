package storage

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
)

func TestIOErrorReason(t *testing.T) {
	tests := map[string]struct {
		err  error
		want string
	}{
		"errno in the chain": {&os.PathError{Op: "write", Path: "/d/minikafka.db", Err: syscall.ENOSPC}, "no space left on device"},
		"flattened by bbolt": {fmt.Errorf("file resize error: %s", &os.PathError{Op: "truncate", Path: "/d/minikafka.db", Err: syscall.EFBIG}), "file too large"},
		"read-only":          {fmt.Errorf("commit: %w", syscall.EROFS), "read-only file system"},
		"unknown":            {errors.New("mmap allocate error: something odd at /d/minikafka.db"), "write failed"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := &IOError{Op: "adding ACLs", Path: "/d/minikafka.db", Err: tc.err}
			if got := e.Reason(); got != tc.want {
				t.Errorf("Reason() = %q, want %q", got, tc.want)
			}
			if !errors.Is(e, tc.err) {
				t.Error("IOError does not unwrap to its cause")
			}
		})
	}
}
