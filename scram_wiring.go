package minikafka

// SCRAM wiring: the "SCRAM-SHA-256" and "SCRAM-SHA-512" mechanism
// factories, the credential store (bbolt in the shared database when
// DataDir is set, in memory otherwise), the broker's ScramManager for
// Describe/AlterUserScramCredentials, and the users seeded from the
// configuration.
//
// Seeding semantics (like Kafka's `kafka-storage format --add-scram`, which
// writes credentials once when the storage is formatted): each configured
// user and mechanism is written the first time a data directory sees it.
// Afterwards the stored credential wins: a password changed or a user
// deleted through AlterUserScramCredentials stays changed or deleted
// across restarts, and a configured password that no longer matches the
// stored one is logged as a warning. A user or mechanism added to the
// configuration later is seeded at the next start. Without a data
// directory every start seeds everything.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/minikafka/minikafka/broker"
	"github.com/minikafka/minikafka/sasl"
	"github.com/minikafka/minikafka/sasl/jaas"
	"github.com/minikafka/minikafka/sasl/scram"
	"github.com/minikafka/minikafka/storage"
	"github.com/minikafka/minikafka/storage/bolt"
	"github.com/minikafka/minikafka/storage/mem"
)

// ScramUser is a SCRAM user seeded at startup (the Go form of KIP-900's
// `--add-scram 'SCRAM-SHA-256=[name=alice,password=alice-secret]'`).
type ScramUser struct {
	Name string
	// Mechanism is SCRAM-SHA-256 or SCRAM-SHA-512; empty seeds both.
	Mechanism string
	// Password is the clear-text password. Alternatively Salt and
	// SaltedPassword give a pre-computed credential (then Mechanism is
	// required).
	Password       string
	Salt           []byte
	SaltedPassword []byte
	// Iterations is between 4096 and 16384; 0 means 4096.
	Iterations int
}

func init() {
	mechanismFactories[sasl.ScramSHA256] = newScramMechanism(sasl.ScramSHA256)
	mechanismFactories[sasl.ScramSHA512] = newScramMechanism(sasl.ScramSHA512)
	wirers = append(wirers, wireScram)
	propertySections = append(propertySections, scramProperties)
}

// scramStore returns the broker's SCRAM credential store, opening it on
// first use.
func (mb *Broker) scramStore() (storage.ScramStore, error) {
	if mb.scram != nil {
		return mb.scram, nil
	}
	db, err := mb.boltDB()
	if err != nil {
		return nil, err
	}
	if db == nil {
		mb.scram = mem.NewScramStore()
		return mb.scram, nil
	}
	s, err := bolt.NewScramStore(db)
	if err != nil {
		return nil, fmt.Errorf("minikafka: SCRAM store: %w", err)
	}
	mb.scram = s
	return s, nil
}

func newScramMechanism(name string) func(mb *Broker, l *Listener) (sasl.Mechanism, error) {
	return func(mb *Broker, _ *Listener) (sasl.Mechanism, error) {
		st, err := mb.scramStore()
		if err != nil {
			return nil, err
		}
		return scram.New(name, func(ctx context.Context, user, mech string) (scram.Credential, bool, error) {
			c, ok, err := st.GetScram(ctx, user, mech)
			if err != nil || !ok {
				return scram.Credential{}, ok, err
			}
			return scram.Credential{Salt: c.Salt, StoredKey: c.StoredKey, ServerKey: c.ServerKey, Iterations: int(c.Iterations)}, true, nil
		})
	}
}

// wireScram seeds the configured users and hands the broker its
// ScramManager.
func wireScram(mb *Broker, bc *broker.Config) error {
	st, err := mb.scramStore()
	if err != nil {
		return err
	}
	ctx := context.Background()
	for i, u := range mb.cfg.SASL.ScramUsers {
		if err := seedScramUser(ctx, mb, st, u); err != nil {
			return fmt.Errorf("minikafka: config: SASL.ScramUsers[%d] (%q): %w", i, u.Name, err)
		}
	}
	bc.Scram = scramManager{st}
	return nil
}

func seedScramUser(ctx context.Context, mb *Broker, st storage.ScramStore, u ScramUser) error {
	mechs := []string{u.Mechanism}
	if u.Mechanism == "" {
		if u.Password == "" {
			return errors.New("a Mechanism is required with Salt and SaltedPassword")
		}
		mechs = []string{sasl.ScramSHA256, sasl.ScramSHA512}
	}
	for _, mech := range mechs {
		cred, err := u.credential(mech)
		if err != nil {
			return err
		}
		applied, err := st.SeedScram(ctx, u.Name, cred)
		if err != nil {
			return fmt.Errorf("seeding %s: %w", mech, err)
		}
		if applied || u.Password == "" {
			continue
		}
		stored, ok, err := st.GetScram(ctx, u.Name, mech)
		switch {
		case err != nil:
			return fmt.Errorf("reading %s: %w", mech, err)
		case !ok:
			mb.logger.Warn("SCRAM user from the configuration was deleted through AlterUserScramCredentials; not re-creating it", "user", u.Name, "mechanism", mech)
		case !scram.Matches(mech, u.Password, scram.Credential{Salt: stored.Salt, StoredKey: stored.StoredKey, ServerKey: stored.ServerKey, Iterations: int(stored.Iterations)}):
			mb.logger.Warn("SCRAM password in the configuration differs from the stored one (changed through AlterUserScramCredentials?); keeping the stored credential", "user", u.Name, "mechanism", mech)
		}
	}
	return nil
}

// credential derives the stored credential of u for mech.
func (u ScramUser) credential(mech string) (storage.ScramCredential, error) {
	if scram.KeySize(mech) == 0 {
		return storage.ScramCredential{}, fmt.Errorf("unknown SCRAM mechanism %q (want SCRAM-SHA-256 or SCRAM-SHA-512)", mech)
	}
	if u.Name == "" {
		return storage.ScramCredential{}, errors.New("empty user name")
	}
	iters := u.Iterations
	if iters == 0 {
		iters = scram.MinIterations
	}
	if iters < scram.MinIterations || iters > scram.MaxIterations {
		return storage.ScramCredential{}, fmt.Errorf("iterations %d outside %d..%d", iters, scram.MinIterations, scram.MaxIterations)
	}
	var c scram.Credential
	var err error
	switch {
	case u.Password != "" && (u.Salt != nil || u.SaltedPassword != nil):
		return storage.ScramCredential{}, errors.New("give either Password or Salt and SaltedPassword, not both")
	case u.Password != "":
		salt := u.Salt
		if salt == nil {
			salt = scram.NewSalt()
		}
		c, err = scram.NewCredential(mech, u.Password, salt, iters)
	case len(u.Salt) > 0 && len(u.SaltedPassword) > 0:
		c, err = scram.CredentialFromSaltedPassword(mech, u.Salt, u.SaltedPassword, iters)
	default:
		return storage.ScramCredential{}, errors.New("no Password (or Salt and SaltedPassword)")
	}
	if err != nil {
		return storage.ScramCredential{}, err
	}
	return storage.ScramCredential{Mechanism: mech, Salt: c.Salt, StoredKey: c.StoredKey, ServerKey: c.ServerKey, Iterations: int32(iters)}, nil
}

// scramManager serves the broker's SCRAM user APIs from the store.
type scramManager struct{ st storage.ScramStore }

func (m scramManager) Describe(ctx context.Context, user string) (map[string]int32, bool, error) {
	out := map[string]int32{}
	for _, mech := range []string{sasl.ScramSHA256, sasl.ScramSHA512} {
		c, ok, err := m.st.GetScram(ctx, user, mech)
		if err != nil {
			return nil, false, err
		}
		if ok {
			out[mech] = c.Iterations
		}
	}
	return out, len(out) > 0, nil
}

func (m scramManager) List(ctx context.Context) ([]string, error) {
	users, err := m.st.ListScram(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(users))
	for i, u := range users {
		names[i] = u.Name
	}
	return names, nil
}

func (m scramManager) Upsert(ctx context.Context, user, mech string, iterations int32, salt, saltedPassword []byte) error {
	if len(saltedPassword) == 0 {
		return kafkaMessage("Empty key") // what Java's SecretKeySpec says, as Kafka reports it
	}
	c, err := scram.CredentialFromSaltedPassword(mech, salt, saltedPassword, int(iterations))
	if err != nil {
		return err
	}
	return m.st.PutScram(ctx, user, storage.ScramCredential{Mechanism: mech, Salt: c.Salt, StoredKey: c.StoredKey, ServerKey: c.ServerKey, Iterations: iterations})
}

func (m scramManager) Delete(ctx context.Context, user, mech string) (bool, error) {
	return m.st.DeleteScram(ctx, user, mech)
}

// scramProperties reads minikafka.scram.users (KIP-900 `--add-scram`
// arguments) and checks the SCRAM JAAS lines of SASL listeners.
func scramProperties(p *Properties, c *Config) error {
	const key = "minikafka.scram.users"
	if v, ok := p.Get(key); ok {
		args, err := splitAddScram(v)
		if err != nil {
			return p.Errorf(key, "%v", err)
		}
		for _, a := range args {
			u, err := ParseAddScram(a)
			if err != nil {
				return p.Errorf(key, "%v", err)
			}
			if _, err := u.credential(u.Mechanism); err != nil {
				return p.Errorf(key, "%s: %v", u.Name, err)
			}
			c.SASL.ScramUsers = append(c.SASL.ScramUsers, u)
		}
	}
	for _, l := range c.Listeners {
		for _, mech := range []string{sasl.ScramSHA256, sasl.ScramSHA512} {
			k := "listener.name." + strings.ToLower(listenerName(&l)) + "." + strings.ToLower(mech) + ".sasl.jaas.config"
			v, ok := p.Get(k)
			if !ok {
				continue
			}
			e, err := jaas.ParseOne(v)
			if err != nil {
				return p.Errorf(k, "%v", err)
			}
			if e.LoginModule != scramLoginModule {
				return p.Errorf(k, "login module %s is not %s", e.LoginModule, scramLoginModule)
			}
			// Its options (username, password) are for inter-broker
			// connections; SCRAM users live in the credential store.
		}
	}
	return nil
}

// splitAddScram splits a list of `MECH=[...]` arguments separated by
// commas, semicolons or spaces.
func splitAddScram(s string) ([]string, error) {
	var out []string
	for {
		s = strings.TrimLeft(s, " \t\n,;")
		if s == "" {
			return out, nil
		}
		start := strings.IndexByte(s, '[')
		if start < 0 {
			return nil, fmt.Errorf("%q: expected MECHANISM=[name=...,password=...]", s)
		}
		end := -1
		for i := start; i < len(s); i++ {
			if s[i] != ']' {
				continue
			}
			rest := strings.TrimLeft(s[i+1:], " \t\n,;")
			if rest == "" || strings.HasPrefix(rest, "SCRAM-") {
				end = i
				break
			}
		}
		if end < 0 {
			return nil, fmt.Errorf("%q: Expected configuration string to end with ]", s)
		}
		out = append(out, s[:end+1])
		s = s[end+1:]
	}
}

// ParseAddScram parses one KIP-900 `--add-scram` argument, e.g.
// `SCRAM-SHA-256=[name=alice,password=alice-secret,iterations=8192]` or
// `SCRAM-SHA-512=[name=bob,salt="<base64>",saltedpassword="<base64>"]`,
// with the messages of Kafka's ScramParser.
func ParseAddScram(arg string) (ScramUser, error) {
	arg = strings.TrimSpace(arg)
	mech, conf, ok := strings.Cut(arg, "=")
	if !ok {
		return ScramUser{}, kafkaErrorf("Failed to find equals sign in SCRAM argument '%s'", arg)
	}
	if scram.KeySize(mech) == 0 {
		return ScramUser{}, kafkaErrorf("The add-scram mechanism %s is not supported.", mech)
	}
	if !strings.HasPrefix(conf, "[") {
		return ScramUser{}, kafkaMessage("Expected configuration string to start with [")
	}
	if !strings.HasSuffix(conf, "]") {
		return ScramUser{}, kafkaMessage("Expected configuration string to end with ]")
	}
	comps := map[string]string{}
	for _, comp := range strings.Split(conf[1:len(conf)-1], ",") {
		k, v, ok := strings.Cut(comp, "=")
		if !ok {
			return ScramUser{}, kafkaErrorf("No equals sign found in SCRAM component: %s", comp)
		}
		if len(v) >= 2 && strings.HasPrefix(v, `"`) && strings.HasSuffix(v, `"`) {
			v = v[1 : len(v)-1]
		}
		comps[k] = v
	}
	u := ScramUser{Mechanism: mech, Name: comps["name"], Password: comps["password"]}
	if _, ok := comps["name"]; !ok {
		return ScramUser{}, kafkaMessage("You must supply 'name' to add-scram")
	}
	var err error
	if s, ok := comps["salt"]; ok {
		if u.Salt, err = base64.StdEncoding.DecodeString(s); err != nil {
			return ScramUser{}, kafkaErrorf("Failed to decode given salt: %s", s)
		}
	}
	if s, ok := comps["iterations"]; ok {
		if u.Iterations, err = strconv.Atoi(s); err != nil {
			return ScramUser{}, kafkaErrorf("Failed to parse iterations count: %s", s)
		}
	}
	_, hasPw := comps["password"]
	sp, hasSalted := comps["saltedpassword"]
	switch {
	case !hasPw && !hasSalted:
		return ScramUser{}, kafkaMessage("You must supply one of 'password' or 'saltedpassword' to add-scram")
	case !hasPw && u.Salt == nil:
		return ScramUser{}, kafkaMessage("You must supply 'salt' with 'saltedpassword' to add-scram")
	case !hasPw:
		if u.SaltedPassword, err = base64.StdEncoding.DecodeString(sp); err != nil {
			return ScramUser{}, kafkaErrorf("Failed to decode given saltedPassword: %s", sp)
		}
	}
	for _, k := range []string{"name", "salt", "iterations", "password", "saltedpassword"} {
		delete(comps, k)
	}
	if len(comps) > 0 {
		keys := make([]string, 0, len(comps))
		for k := range comps {
			keys = append(keys, k)
		}
		return ScramUser{}, kafkaErrorf("Unknown SCRAM configurations: %s", strings.Join(keys, ", "))
	}
	return u, nil
}

// kafkaMessage is an error whose text is copied from Kafka verbatim.
type kafkaMessage string

func (m kafkaMessage) Error() string { return string(m) }

func kafkaErrorf(format string, args ...any) error { return kafkaMessage(fmt.Sprintf(format, args...)) }
