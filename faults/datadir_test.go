package faults

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/minikafka/minikafka/internal/brokerproc"
	"github.com/minikafka/minikafka/storage/bolt"
)

// How a data directory is made to refuse writes:
//   - "tmpfs": the data dir is on a 1 MiB tmpfs that the test fills with
//     a file (ENOSPC, a real full disk). Mounting needs root
//     (CAP_SYS_ADMIN), as in the CI container.
//   - "fsize": the broker's RLIMIT_FSIZE is lowered to the database's
//     current size with prlimit(2) (EFBIG as soon as bbolt must grow the
//     file). Works unprivileged.
//
// A running broker's data dir cannot be remounted read-only: the kernel
// refuses (EBUSY) while the database is open for writing. The read-only
// case is therefore a broker started on a read-only data dir.

// fillMethods returns the methods this machine supports: both as root,
// fsize alone otherwise (said in the test log).
func fillMethods(t *testing.T) []string {
	dir := t.TempDir()
	if err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).Run(); err != nil {
		t.Logf("cannot mount a tmpfs (%v): the full-disk case runs with RLIMIT_FSIZE only", err)
		return []string{"fsize"}
	}
	_ = exec.Command("umount", dir).Run()
	return []string{"tmpfs", "fsize"}
}

// mountTmpfs mounts a tmpfs of size at a new directory, unmounted at
// cleanup (lazily, in case a killed broker still held it).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes a file into dir until the file system is full; removing the
// file makes room again.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", dir, err)
			}
			break
		}
	}
	if err := f.Close(); err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Fatal(err)
	}
	return path
}

// setFileSizeLimit sets the soft RLIMIT_FSIZE of process pid (the hard
// limit is left alone, so that it can be raised again).
func setFileSizeLimit(t *testing.T, pid int, soft uint64) {
	t.Helper()
	var old syscall.Rlimit
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), uintptr(syscall.RLIMIT_FSIZE), 0, uintptr(unsafe.Pointer(&old)), 0, 0); e != 0 {
		t.Fatalf("prlimit(%d, RLIMIT_FSIZE) read: %v", pid, e)
	}
	lim := syscall.Rlimit{Cur: min(soft, old.Max), Max: old.Max}
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), uintptr(syscall.RLIMIT_FSIZE), uintptr(unsafe.Pointer(&lim)), 0, 0, 0); e != 0 {
		t.Fatalf("prlimit(%d, RLIMIT_FSIZE, %d): %v", pid, soft, e)
	}
}

const rlimInfinity = ^uint64(0)

// TestDataDirFull makes the data directory of the running binary refuse
// writes (see fillMethods). ACL and SCRAM changes then fail with
// KAFKA_STORAGE_ERROR and the operating system's reason (no hang, no
// closed connection), the broker logs the failure at ERROR, and it keeps
// serving: produce and fetch, SCRAM logins, DescribeAcls (with every
// acknowledged ACL and none of the refused ones). Once the disk has room
// again the same changes succeed without a restart, and after a restart
// every acknowledged ACL and user is still there.
func TestDataDirFull(t *testing.T) {
	for _, method := range fillMethods(t) {
		t.Run(method, func(t *testing.T) {
			var dataDir string
			if method == "tmpfs" {
				dataDir = filepath.Join(mountTmpfs(t, "1m"), "data")
			} else {
				dataDir = filepath.Join(t.TempDir(), "data")
			}
			cfg := adminBrokerConfig(dataDir)
			proc := startBinary(t, cfg)
			addr := proc.Addr("SASL_PLAINTEXT")
			ctx := testContext(t)
			adm := adminClient(t, addr, kgo.AllowAutoTopicCreation())
			if err := produceAndFetch(ctx, adm, "datadir", "before"); err != nil {
				t.Fatal(err)
			}
			acked := map[string]bool{}
			if codes, msgs, err := createACLs(ctx, adm, "acl-before"); err != nil || codes[0] != 0 {
				t.Fatalf("CreateAcls before the fault: %v %v %v", codes, msgs, err)
			}
			acked["acl-before"] = true
			if r, err := upsertUser(ctx, adm, "user-before"); err != nil || r.Err != nil {
				t.Fatalf("creating user-before: %v %+v", err, r)
			}

			var filler, reason string
			switch method {
			case "tmpfs":
				filler = fill(t, filepath.Dir(dataDir))
				reason = "no space left on device"
			case "fsize":
				fi, err := os.Stat(filepath.Join(dataDir, bolt.FileName))
				if err != nil {
					t.Fatal(err)
				}
				setFileSizeLimit(t, proc.PID(), uint64(fi.Size()))
				reason = "file too large"
			}

			// Changes until the disk refuses one (bbolt reuses free pages
			// first); names are long so that each needs new pages.
			var refused []string
			long := strings.Repeat("x", 3000)
			for i := 0; i < 300 && len(refused) < 3; i++ {
				name := fmt.Sprintf("acl-%03d-%s", i, long)
				codes, msgs, err := createACLs(ctx, adm, name)
				if err != nil {
					t.Fatalf("CreateAcls %d got no answer (hang or closed connection): %v", i, err)
				}
				switch codes[0] {
				case 0:
					acked[name] = true
				case kerr.KafkaStorageError.Code:
					refused = append(refused, name)
					want := "The ACL change could not be saved: the broker's data directory is not writable (" + reason + ")"
					if msgs[0] != want {
						t.Errorf("CreateAcls refused with message %q, want %q", msgs[0], want)
					}
				default:
					t.Fatalf("CreateAcls %d: error code %d %q, want 0 or KAFKA_STORAGE_ERROR", i, codes[0], msgs[0])
				}
			}
			if len(refused) == 0 {
				t.Fatalf("no CreateAcls was refused with the data directory full (%d acknowledged)", len(acked))
			}
			var userRefused bool
			for i := 0; i < 100 && !userRefused; i++ {
				name := fmt.Sprintf("user-%03d", i)
				r, err := upsertUser(ctx, adm, name)
				if err != nil {
					t.Fatalf("AlterUserScramCredentials got no answer: %v", err)
				}
				switch {
				case r.Err == nil:
				case errors.Is(r.Err, kerr.KafkaStorageError):
					userRefused = true
					if want := "The SCRAM credential of " + name + " could not be saved: the broker's data directory is not writable (" + reason + ")"; r.ErrMessage != want {
						t.Errorf("AlterUserScramCredentials refused with %q, want %q", r.ErrMessage, want)
					}
				default:
					t.Fatalf("AlterUserScramCredentials %s: %v %s, want success or KAFKA_STORAGE_ERROR", name, r.Err, r.ErrMessage)
				}
			}
			if !userRefused {
				t.Error("no SCRAM change was refused with the data directory full")
			}

			// Still serving.
			if err := produceAndFetch(ctx, adm, "datadir", "during"); err != nil {
				t.Errorf("the broker stopped serving data with a full data dir: %v", err)
			}
			if err := scramLogin(ctx, addr, "user-before"); err != nil {
				t.Errorf("SCRAM login with a full data dir: %v", err)
			}
			stored := storedACLNames(ctx, t, adm)
			for name := range acked {
				if !stored[name] {
					t.Errorf("acknowledged ACL %.20s... is not described", name)
				}
			}
			for _, name := range refused {
				if stored[name] {
					t.Errorf("refused ACL %.20s... is described", name)
				}
			}
			log := proc.Log()
			if !strings.Contains(log, "level=ERROR") || !strings.Contains(log, `msg="CreateAcls failed"`) || !strings.Contains(log, reason) {
				t.Errorf("the broker log has no ERROR line for the refused CreateAcls with %q", reason)
			}

			// Room again: the same changes succeed without a restart.
			if filler != "" {
				if err := os.Remove(filler); err != nil {
					t.Fatal(err)
				}
			} else {
				setFileSizeLimit(t, proc.PID(), rlimInfinity)
			}
			for _, name := range refused {
				if codes, msgs, err := createACLs(ctx, adm, name); err != nil || codes[0] != 0 {
					t.Fatalf("CreateAcls once the disk has room: %v %v %v", codes, msgs, err)
				}
				acked[name] = true
			}
			if r, err := upsertUser(ctx, adm, "user-after"); err != nil || r.Err != nil {
				t.Fatalf("creating user-after once the disk has room: %v %+v", err, r)
			}
			if err := scramLogin(ctx, addr, "user-after"); err != nil {
				t.Errorf("user-after cannot log in: %v", err)
			}

			// And it is all on disk.
			if err := proc.Stop(20 * time.Second); err != nil {
				t.Fatal(err)
			}
			proc = startBinary(t, cfg)
			addr = proc.Addr("SASL_PLAINTEXT")
			adm = adminClient(t, addr)
			stored = storedACLNames(ctx, t, adm)
			for name := range acked {
				if !stored[name] {
					t.Errorf("after a restart, acknowledged ACL %.20s... is missing", name)
				}
			}
			users := storedUsers(ctx, t, adm)
			for _, u := range []string{"user-before", "user-after"} {
				if !users[u] {
					t.Errorf("after a restart, user %s is missing", u)
				}
			}
			if err := scramLogin(ctx, addr, "user-after"); err != nil {
				t.Errorf("user-after cannot log in after a restart: %v", err)
			}
		})
	}
}

// TestDataDirReadOnly starts the binary on a data directory that holds a
// database but cannot be written (a tmpfs remounted read-only as root,
// else a directory and file without write permission): the broker refuses
// to start, exits non-zero and says which file and why, as Kafka shuts
// down when its log directories are unusable. Made writable again, it
// starts with every ACL and user it had.
func TestDataDirReadOnly(t *testing.T) {
	mounted := len(fillMethods(t)) == 2
	var dataDir, mnt string
	if mounted {
		mnt = mountTmpfs(t, "4m")
		dataDir = filepath.Join(mnt, "data")
	} else {
		dataDir = filepath.Join(t.TempDir(), "data")
	}
	cfg := adminBrokerConfig(dataDir)
	proc := startBinary(t, cfg)
	ctx := testContext(t)
	adm := adminClient(t, proc.Addr("SASL_PLAINTEXT"))
	if codes, _, err := createACLs(ctx, adm, "acl-ro"); err != nil || codes[0] != 0 {
		t.Fatalf("CreateAcls: %v %v", codes, err)
	}
	if r, err := upsertUser(ctx, adm, "user-ro"); err != nil || r.Err != nil {
		t.Fatalf("creating user-ro: %v %+v", err, r)
	}
	adm.Close()
	if err := proc.Stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}

	reason := "read-only file system"
	var makeWritable func()
	if mounted {
		if out, err := exec.Command("mount", "-o", "remount,ro", mnt).CombinedOutput(); err != nil {
			t.Fatalf("remount ro: %v %s", err, out)
		}
		makeWritable = func() {
			if out, err := exec.Command("mount", "-o", "remount,rw", mnt).CombinedOutput(); err != nil {
				t.Fatalf("remount rw: %v %s", err, out)
			}
		}
	} else {
		reason = "permission denied"
		db := filepath.Join(dataDir, bolt.FileName)
		if err := os.Chmod(db, 0o400); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dataDir, 0o500); err != nil {
			t.Fatal(err)
		}
		makeWritable = func() {
			_ = os.Chmod(dataDir, 0o755)
			_ = os.Chmod(db, 0o600)
		}
	}
	t.Cleanup(makeWritable)

	cfg.Binary, cfg.Dir = binPath, t.TempDir()
	_, err := brokerproc.Start(cfg)
	if err == nil {
		t.Fatal("the broker started on a read-only data directory")
	}
	msg := err.Error()
	for _, want := range []string{"exited before it was ready", filepath.Join(dataDir, bolt.FileName), reason} {
		if !strings.Contains(msg, want) {
			t.Errorf("the startup failure does not say %q:\n%s", want, msg)
		}
	}

	makeWritable()
	proc = startBinary(t, cfg)
	adm = adminClient(t, proc.Addr("SASL_PLAINTEXT"))
	if !storedACLNames(ctx, t, adm)["acl-ro"] {
		t.Error("acl-ro is missing once the data directory is writable again")
	}
	if !storedUsers(ctx, t, adm)["user-ro"] {
		t.Error("user-ro is missing once the data directory is writable again")
	}
}
