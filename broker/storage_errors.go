package broker

// A change that the disk under the data directory refused (full,
// read-only, failing) is answered with KAFKA_STORAGE_ERROR (56, Kafka's
// code for a log directory it cannot use) and a message naming what could
// not be saved and why, instead of UNKNOWN_SERVER_ERROR without a message:
// the client learns that the request is well formed and what to fix. The
// broker logs it once at ERROR and keeps serving everything else (produce
// and fetch do not touch the data directory's database; reads of stored
// ACLs and credentials still work).

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/minikafka/minikafka/storage"
)

// storageFailure returns the code and message of a store write that
// failed on the disk, and false for any other error. what names the
// change, e.g. "the ACL change".
func storageFailure(err error, what string) (int16, string, bool) {
	var ioe *storage.IOError
	if !errors.As(err, &ioe) {
		return 0, "", false
	}
	return kerr.KafkaStorageError.Code,
		fmt.Sprintf("%s could not be saved: the broker's data directory is not writable (%s)", what, ioe.Reason()), true
}

// storeFailureLevel is the log level of a failed store change: ERROR when
// the disk refused it (an operator must act), INFO otherwise (the request
// was invalid).
func storeFailureLevel(err error) slog.Level {
	var ioe *storage.IOError
	if errors.As(err, &ioe) {
		return slog.LevelError
	}
	return slog.LevelInfo
}
