// Package osgroups resolves a user's groups from the broker host's
// accounts, like Hadoop's ShellBasedUnixGroupsMapping and
// JniBasedUnixGroupsMapping: the principal name is looked up as an OS user
// name. It imports nothing else of minikafka.
package osgroups

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"os/user"
	"strings"
	"time"

	"github.com/minikafka/minikafka/principal"
)

// Methods of looking groups up.
const (
	// Lookup uses os/user: getgrouplist through NSS when built with cgo,
	// /etc/passwd and /etc/group otherwise.
	Lookup = "lookup"
	// ID runs `id -Gn -- <user>` (Hadoop's shell-based mapping), which
	// sees whatever NSS sees (sssd, LDAP, ...) without cgo.
	ID = "id"
)

// Config configures a Resolver.
type Config struct {
	// Method is Lookup (default) or ID.
	Method string
	// Command is the id program for ID (default "id" on PATH).
	Command string
	// Timeout bounds one lookup (default 5 s).
	Timeout time.Duration
}

// Resolver looks users up on the host. A name that is not a host user has
// no groups.
type Resolver struct {
	cfg Config
}

// New validates cfg.
func New(cfg Config) (*Resolver, error) {
	switch cfg.Method {
	case "":
		cfg.Method = Lookup
	case Lookup, ID:
	default:
		return nil, fmt.Errorf("os groups: unknown method %q (want %s or %s)", cfg.Method, Lookup, ID)
	}
	if cfg.Command == "" {
		cfg.Command = "id"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	return &Resolver{cfg: cfg}, nil
}

// Groups returns the names of the user's groups, primary group first.
func (r *Resolver) Groups(ctx context.Context, u principal.Principal, _ *principal.AuthContext) ([]string, error) {
	if u.Name == "" {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	if r.cfg.Method == ID {
		return r.id(ctx, u.Name)
	}
	type result struct {
		groups []string
		err    error
	}
	// os/user cannot be canceled; a hung NSS call leaves this goroutine
	// behind but not the connection.
	ch := make(chan result, 1)
	go func() {
		g, err := lookup(u.Name)
		ch <- result{g, err}
	}()
	select {
	case res := <-ch:
		return res.groups, res.err
	case <-ctx.Done():
		return nil, fmt.Errorf("os groups of %q: %w", u.Name, ctx.Err())
	}
}

func lookup(name string) ([]string, error) {
	u, err := user.Lookup(name)
	if err != nil {
		var unknown user.UnknownUserError
		if errors.As(err, &unknown) {
			return nil, nil
		}
		return nil, fmt.Errorf("os groups of %q: %w", name, err)
	}
	gids, err := u.GroupIds()
	if err != nil {
		return nil, fmt.Errorf("os groups of %q: %w", name, err)
	}
	// The primary group first, as id -Gn prints it.
	for i, gid := range gids {
		if gid == u.Gid && i > 0 {
			gids[0], gids[i] = gids[i], gids[0]
		}
	}
	out := make([]string, 0, len(gids))
	for _, gid := range gids {
		g, err := user.LookupGroupId(gid)
		if err != nil {
			var unknown user.UnknownGroupIdError
			if errors.As(err, &unknown) {
				continue // a gid without a name
			}
			return nil, fmt.Errorf("os groups of %q: group %s: %w", name, gid, err)
		}
		out = append(out, g.Name)
	}
	return out, nil
}

func (r *Resolver) id(ctx context.Context, name string) ([]string, error) {
	cmd := exec.CommandContext(ctx, r.cfg.Command, "-Gn", "--", name)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = time.Second // don't wait for a killed command's children
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(strings.ToLower(msg), "no such user") {
			return nil, nil
		}
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		if msg != "" {
			return nil, fmt.Errorf("os groups of %q: %s -Gn: %w: %s", name, r.cfg.Command, err, msg)
		}
		return nil, fmt.Errorf("os groups of %q: %s -Gn: %w", name, r.cfg.Command, err)
	}
	return strings.Fields(string(out)), nil
}
