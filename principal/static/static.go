// Package static resolves groups from a file mapping users to groups,
// reloaded when it changes. It imports nothing else of minikafka.
//
// The format is one user per line, the principal name (without "User:"),
// a colon and a comma-separated list of groups:
//
//	# users and their groups
//	alice: kafka-producers, engineering
//	bob:   kafka-consumers
//	CN=svc,OU=Services,O=Example: services
//
// Blank lines and lines starting with # are ignored; spaces around names
// are trimmed; a user name may not contain ": " and a group name may not
// contain a comma. The user name ends at the last ": " of the line, or at
// its last colon when it has no ": ". A user listed twice is an error.
package static

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minikafka/minikafka/principal"
)

// Config configures a Resolver.
type Config struct {
	// Path is the mapping file.
	Path string
	// ReloadInterval is how often the file's modification time and size
	// are checked (default 5 s; negative: never reload). A change is read
	// once it has stayed the same for one interval.
	ReloadInterval time.Duration
	// Logger receives one line per reload and per failed reload (nil:
	// discard).
	Logger *slog.Logger
}

// Resolver answers from the last good version of the file.
type Resolver struct {
	cfg     Config
	mapping atomic.Pointer[map[string][]string]

	mu             sync.Mutex // serializes reloads
	modTime        time.Time  // of the mapping in use
	size           int64
	pendingModTime time.Time // of a change seen by the last poll
	pendingSize    int64

	stop chan struct{}
	done chan struct{}
}

// New reads the file (an error names file:line) and starts watching it.
// Close stops the watching.
func New(cfg Config) (*Resolver, error) {
	if cfg.Path == "" {
		return nil, errors.New("static groups: no file given")
	}
	if cfg.ReloadInterval == 0 {
		cfg.ReloadInterval = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Resolver{cfg: cfg, stop: make(chan struct{}), done: make(chan struct{})}
	if _, err := r.Reload(); err != nil {
		return nil, err
	}
	if cfg.ReloadInterval > 0 {
		go r.watch()
	} else {
		close(r.done)
	}
	return r, nil
}

// Groups returns the groups listed for the user's name. The slice is
// shared: callers must not modify it.
func (r *Resolver) Groups(_ context.Context, user principal.Principal, _ *principal.AuthContext) ([]string, error) {
	return (*r.mapping.Load())[user.Name], nil
}

// Reload reads the file again if its modification time or size changed.
// It reports whether a new mapping is in use; on a parse error the old one
// stays and the error names file:line.
func (r *Resolver) Reload() (bool, error) {
	return r.reload(false)
}

// reload reads the file if it changed; with settle, only once it has kept
// the same modification time and size for one poll, so that a file being
// written is not read half-way.
func (r *Resolver) reload(settle bool) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fi, err := os.Stat(r.cfg.Path)
	if err != nil {
		return false, fmt.Errorf("static groups: %w", err)
	}
	if r.mapping.Load() != nil && fi.ModTime().Equal(r.modTime) && fi.Size() == r.size {
		return false, nil
	}
	if settle && (!fi.ModTime().Equal(r.pendingModTime) || fi.Size() != r.pendingSize) {
		r.pendingModTime, r.pendingSize = fi.ModTime(), fi.Size()
		return false, nil
	}
	data, err := os.ReadFile(r.cfg.Path)
	if err != nil {
		return false, fmt.Errorf("static groups: %w", err)
	}
	m, err := Parse(data, r.cfg.Path)
	if err != nil {
		return false, err
	}
	r.mapping.Store(&m)
	r.modTime, r.size = fi.ModTime(), fi.Size()
	return true, nil
}

func (r *Resolver) watch() {
	defer close(r.done)
	t := time.NewTicker(r.cfg.ReloadInterval)
	defer t.Stop()
	var lastErr string
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
		}
		changed, err := r.reload(true)
		switch {
		case err != nil && err.Error() != lastErr:
			r.cfg.Logger.Warn("static groups: reload failed, keeping the previous mapping", "err", err)
			lastErr = err.Error()
		case changed:
			r.cfg.Logger.Info("static groups: reloaded", "file", r.cfg.Path, "users", len(*r.mapping.Load()))
			lastErr = ""
		}
	}
}

// Close stops watching the file.
func (r *Resolver) Close() error {
	select {
	case <-r.stop:
	default:
		close(r.stop)
	}
	<-r.done
	return nil
}

// Parse reads the mapping format; file names the source in errors
// ("file:line: ...").
func Parse(data []byte, file string) (map[string][]string, error) {
	m := map[string][]string{}
	lines := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndex(line, ": ")
		if i < 0 {
			i = strings.LastIndexByte(line, ':')
		}
		if i < 0 {
			return nil, fmt.Errorf("%s:%d: want \"user: group1, group2\", got %q", file, n, line)
		}
		user := strings.TrimSpace(line[:i])
		if user == "" {
			return nil, fmt.Errorf("%s:%d: empty user name", file, n)
		}
		if prev, dup := lines[user]; dup {
			return nil, fmt.Errorf("%s:%d: user %q is already listed at line %d", file, n, user, prev)
		}
		lines[user] = n
		groups := []string{}
		for _, g := range strings.Split(line[i+1:], ",") {
			if g = strings.TrimSpace(g); g != "" && !slices.Contains(groups, g) {
				groups = append(groups, g)
			}
		}
		m[user] = groups
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return m, nil
}
