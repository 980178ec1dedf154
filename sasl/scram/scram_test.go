package scram

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	xscram "github.com/xdg-go/scram"

	"github.com/minikafka/minikafka/sasl"
)

type store map[string]Credential // key: mechanism + "/" + user

func (s store) lookup(_ context.Context, user, mech string) (Credential, bool, error) {
	if user == "broken" {
		return Credential{}, false, errors.New("disk on fire")
	}
	c, ok := s[mech+"/"+user]
	return c, ok, nil
}

func newStore(t *testing.T) store {
	t.Helper()
	s := store{}
	add := func(mech, user, pass string, iters int) {
		c, err := NewCredential(mech, pass, NewSalt(), iters)
		if err != nil {
			t.Fatal(err)
		}
		s[mech+"/"+user] = c
	}
	for _, m := range []string{sasl.ScramSHA256, sasl.ScramSHA512} {
		add(m, "alice", "alice-secret", 4096)
		add(m, "a,b=c", "comma-secret", 4096)
		add(m, "slow", "slow-secret", 16384)
		add(m, "weak", "weak-secret", 1000)
	}
	return s
}

// xdgLogin runs a whole exchange with xdg-go/scram's client and reports
// the server's error, if any, and whether the client accepted the server.
func xdgLogin(t *testing.T, m *Mechanism, user, pass, authzid string) (sasl.Session, error) {
	t.Helper()
	h := xscram.SHA256
	if m.Name() == sasl.ScramSHA512 {
		h = xscram.SHA512
	}
	cl, err := h.NewClient(user, pass, authzid)
	if err != nil {
		t.Fatal(err)
	}
	conv := cl.NewConversation()
	sess := m.NewSession(sasl.ConnInfo{})
	msg, err := conv.Step("")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		out, done, err := sess.Step(context.Background(), []byte(msg))
		if err != nil {
			return sess, err
		}
		if done != (i == 1) {
			t.Fatalf("round %d: done=%v", i, done)
		}
		msg, err = conv.Step(string(out))
		if err != nil {
			t.Fatalf("client rejected round %d %q: %v", i, out, err)
		}
	}
	if !conv.Valid() {
		t.Fatal("client did not validate the server signature")
	}
	return sess, nil
}

func TestLogin(t *testing.T) {
	s := newStore(t)
	for _, mech := range []string{sasl.ScramSHA256, sasl.ScramSHA512} {
		m, err := New(mech, s.lookup)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(mech, func(t *testing.T) {
			for _, user := range []string{"alice", "a,b=c", "slow"} {
				pass := map[string]string{"alice": "alice-secret", "a,b=c": "comma-secret", "slow": "slow-secret"}[user]
				sess, err := xdgLogin(t, m, user, pass, "")
				if err != nil {
					t.Fatalf("%s: %v", user, err)
				}
				if got := sess.Identity().AuthorizationID; got != user {
					t.Fatalf("identity %q, want %q", got, user)
				}
			}
			if _, err := xdgLogin(t, m, "alice", "alice-secret", "alice"); err != nil {
				t.Fatalf("same authzid: %v", err)
			}
		})
	}
}

func TestFailures(t *testing.T) {
	s := newStore(t)
	m, _ := New(sasl.ScramSHA256, s.lookup)
	generic := sasl.GenericMessage(sasl.ScramSHA256, false)
	tests := map[string]struct {
		user, pass, authzid string
		clientMsg           string // what the client is told
		detail              string // substring of the server-side error
	}{
		"wrong password":   {user: "alice", pass: "nope", clientMsg: generic, detail: "Invalid client credentials"},
		"unknown user":     {user: "mallory", pass: "x", clientMsg: generic, detail: "Authentication failed: Invalid user credentials"},
		"store failure":    {user: "broken", pass: "x", clientMsg: generic, detail: "Credentials could not be obtained"},
		"authzid mismatch": {user: "alice", pass: "alice-secret", authzid: "admin", clientMsg: MsgAuthzidMismatch},
		"too few iters":    {user: "weak", pass: "weak-secret", clientMsg: generic, detail: "Iterations 1000 is less than the minimum 4096 for SCRAM_SHA_256"},
		"unknown + authz":  {user: "mallory", pass: "x", authzid: "admin", clientMsg: generic, detail: "Invalid user credentials"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := xdgLogin(t, m, tc.user, tc.pass, tc.authzid)
			if err == nil {
				t.Fatal("login succeeded")
			}
			if got := sasl.ClientMessage(err, m.Name(), false); got != tc.clientMsg {
				t.Fatalf("client message %q, want %q", got, tc.clientMsg)
			}
			if !strings.Contains(err.Error(), tc.detail) {
				t.Fatalf("error %q does not contain %q", err, tc.detail)
			}
		})
	}
}

// rawClient is an independent RFC 5802 client (not xdg-go) that lets the
// tests send malformed and unusual messages.
type rawClient struct {
	mech, pass string
	bare       string
}

// final builds client-final. The AuthMessage it signs leaves out ext
// unless signExt, as Kafka's does.
func (c *rawClient) final(t *testing.T, serverFirst, cbind, nonceOverride, ext string, signExt bool) string {
	t.Helper()
	f := map[string]string{}
	for _, kv := range strings.Split(serverFirst, ",") {
		k, v, _ := strings.Cut(kv, "=")
		f[k] = v
	}
	salt, _ := base64.StdEncoding.DecodeString(f["s"])
	var iters int
	fmt.Sscan(f["i"], &iters)
	nonce := f["r"]
	if nonceOverride != "" {
		nonce = nonceOverride
	}
	sp, err := SaltedPassword(c.mech, c.pass, salt, iters)
	if err != nil {
		t.Fatal(err)
	}
	cred, _ := CredentialFromSaltedPassword(c.mech, salt, sp, iters)
	h, _, _ := newHash(c.mech)
	withoutProof := "c=" + base64.StdEncoding.EncodeToString([]byte(cbind)) + ",r=" + nonce
	signed := withoutProof
	if signExt {
		signed += ext
	}
	withoutProof += ext
	authMsg := c.bare + "," + serverFirst + "," + signed
	mac := hmac.New(h, cred.StoredKey)
	mac.Write([]byte(authMsg))
	sig := mac.Sum(nil)
	ck := hmac.New(h, sp)
	ck.Write([]byte("Client Key"))
	clientKey := ck.Sum(nil)
	proof := make([]byte, len(sig))
	for i := range sig {
		proof[i] = sig[i] ^ clientKey[i]
	}
	return withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof)
}

func TestMessages(t *testing.T) {
	s := newStore(t)
	m, _ := New(sasl.ScramSHA256, s.lookup)
	tests := map[string]struct {
		first      string
		cbind      string // gs2 header echoed in c=
		nonce      string // override of the nonce in client-final
		finalExt   string
		signExt    bool
		bare       string // client-first-bare the client signs (default: as sent)
		wantFirst  string // substring of the client-first error; empty: accepted
		wantFinal  string // substring of the client-final error; empty: success
		wantServer string // regexp the server-first must match
	}{
		"plain":                {first: "n,,n=alice,r=abc", cbind: "n,,", wantServer: `^r=abc[0-9a-z]+,s=[A-Za-z0-9+/=]+,i=4096$`},
		"escaped name":         {first: "n,,n=a=2Cb=3Dc,r=abc", cbind: "n,,"},
		"16384 iterations":     {first: "n,,n=slow,r=abc", cbind: "n,,", wantServer: `,i=16384$`},
		"unknown extension":    {first: "n,,n=alice,r=abc,foo=bar", cbind: "n,,"},
		"authzid":              {first: "n,a=alice,n=alice,r=abc", cbind: "n,a=alice,"},
		"gs2 y":                {first: "y,,n=alice,r=abc", wantFirst: "Invalid SCRAM client first message format"},
		"gs2 p":                {first: "p=tls-unique,,n=alice,r=abc", wantFirst: "Invalid SCRAM client first message format"},
		"bad escape":           {first: "n,,n=a=b,r=abc", wantFirst: "Invalid SCRAM client first message format"},
		"non-ascii name":       {first: "n,,n=jörg,r=abc", wantFirst: "Invalid SCRAM client first message format"},
		"extension key digit":  {first: "n,,n=alice,r=abc,k1=v", wantFirst: "Invalid SCRAM client first message format"},
		"no nonce":             {first: "n,,n=alice", wantFirst: "Invalid SCRAM client first message format"},
		"empty":                {first: "", wantFirst: "Invalid SCRAM client first message format"},
		"token auth":           {first: "n,,n=alice,r=abc,tokenauth=true", wantFirst: "Token Authentication failed: Invalid tokenId : alice"},
		"token auth false":     {first: "n,,n=alice,r=abc,tokenauth=false", cbind: "n,,"},
		"wrong nonce":          {first: "n,,n=alice,r=abc", cbind: "n,,", nonce: "abcdef", wantFinal: "Invalid client nonce in the final client message."},
		"librdkafka doubled":   {first: "n,,n=alice,r=abc", cbind: "n,,", nonce: "doubled"},
		"nonce prefix only":    {first: "n,,n=alice,r=abc", cbind: "n,,", nonce: "abc", wantFinal: "Invalid client nonce in the final client message."},
		"final with extension": {first: "n,,n=alice,r=abc", cbind: "n,,", finalExt: ",x=y"},
		"final ext signed":     {first: "n,,n=alice,r=abc", cbind: "n,,", finalExt: ",x=y", signExt: true, wantFinal: "Invalid client credentials"},
		"channel binding y":    {first: "n,,n=alice,r=abc", cbind: "y,,"},
		"reserved m dropped":   {first: "n,,m=ext,n=alice,r=abc", cbind: "n,,", bare: "n=alice,r=abc"},
		"reserved m signed":    {first: "n,,m=ext,n=alice,r=abc", cbind: "n,,", wantFinal: "Invalid client credentials"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sess := m.NewSession(sasl.ConnInfo{})
			out, done, err := sess.Step(context.Background(), []byte(tc.first))
			if tc.wantFirst != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantFirst) {
					t.Fatalf("client-first error %v, want %q", err, tc.wantFirst)
				}
				var ae *sasl.AuthError
				if errors.As(err, &ae) {
					t.Fatalf("format errors must not reach the client verbatim: %v", err)
				}
				return
			}
			if err != nil || done {
				t.Fatalf("client-first: %v done=%v", err, done)
			}
			if tc.wantServer != "" && !regexp.MustCompile(tc.wantServer).Match(out) {
				t.Fatalf("server-first %q does not match %s", out, tc.wantServer)
			}
			_, bare, _ := strings.Cut(strings.TrimPrefix(tc.first, "n,"), ",")
			if tc.bare != "" {
				bare = tc.bare
			}
			c := &rawClient{mech: sasl.ScramSHA256, pass: map[bool]string{true: "comma-secret", false: "alice-secret"}[strings.Contains(tc.first, "=2C")], bare: bare}
			if strings.Contains(tc.first, "slow") {
				c.pass = "slow-secret"
			}
			nonce := tc.nonce
			if nonce == "doubled" { // librdkafka < 2.7
				nonce = "abc" + strings.TrimPrefix(strings.Split(string(out), ",")[0], "r=")
			}
			final := c.final(t, string(out), tc.cbind, nonce, tc.finalExt, tc.signExt)
			out, done, err = sess.Step(context.Background(), []byte(final))
			if tc.wantFinal != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantFinal) {
					t.Fatalf("client-final error %v, want %q", err, tc.wantFinal)
				}
				return
			}
			if err != nil || !done || !strings.HasPrefix(string(out), "v=") {
				t.Fatalf("client-final = %q, %v, %v", out, done, err)
			}
			if _, _, err := sess.Step(context.Background(), []byte("x")); err == nil {
				t.Fatal("step after completion accepted")
			}
		})
	}
}

func TestMalformedFinal(t *testing.T) {
	s := newStore(t)
	m, _ := New(sasl.ScramSHA512, s.lookup)
	for _, final := range []string{"", "c=biws", "c=biws,r=x", "c=biws,r=abc,p=***", "garbage"} {
		sess := m.NewSession(sasl.ConnInfo{})
		if _, _, err := sess.Step(context.Background(), []byte("n,,n=alice,r=abc")); err != nil {
			t.Fatal(err)
		}
		_, done, err := sess.Step(context.Background(), []byte(final))
		if err == nil || done {
			t.Fatalf("final %q accepted", final)
		}
		if got := sasl.ClientMessage(err, m.Name(), false); got != sasl.GenericMessage(sasl.ScramSHA512, false) {
			t.Fatalf("final %q: client told %q", final, got)
		}
	}
}

func TestHelpers(t *testing.T) {
	if n := Nonce(); !regexp.MustCompile(`^[0-9a-z]{1,26}$`).MatchString(n) {
		t.Fatalf("nonce %q", n)
	}
	if n1, n2 := Nonce(), Nonce(); n1 == n2 {
		t.Fatal("nonces repeat")
	}
	if got := Username(SaslName("a,b=c=2C")); got != "a,b=c=2C" {
		t.Fatalf("round trip %q", got)
	}
	c, err := NewCredential(sasl.ScramSHA512, "pw", []byte("salt"), 4096)
	if err != nil || len(c.StoredKey) != 64 || len(c.ServerKey) != 64 || KeySize(sasl.ScramSHA512) != 64 || KeySize("x") != 0 {
		t.Fatalf("credential %+v %v", c, err)
	}
	if !Matches(sasl.ScramSHA512, "pw", c) || Matches(sasl.ScramSHA512, "pW", c) {
		t.Fatal("Matches")
	}
	// RFC 7677 test vector: user "user", password "pencil",
	// salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096 iterations.
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	c, _ = NewCredential(sasl.ScramSHA256, "pencil", salt, 4096)
	sess := (&Mechanism{name: sasl.ScramSHA256, hash: xscram.SHA256, nonce: func() string { return "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0" },
		lookup: func(context.Context, string, string) (Credential, bool, error) { return c, true, nil }}).NewSession(sasl.ConnInfo{})
	out, _, err := sess.Step(context.Background(), []byte("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"))
	if err != nil || string(out) != "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096" {
		t.Fatalf("server-first %q %v", out, err)
	}
	out, done, err := sess.Step(context.Background(), []byte("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="))
	if err != nil || !done || string(out) != "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=" {
		t.Fatalf("server-final %q %v %v", out, done, err)
	}
	if _, err := New("SCRAM-SHA-1", nil); err == nil {
		t.Fatal("SCRAM-SHA-1 accepted")
	}
}

func FuzzClientFirst(f *testing.F) {
	for _, s := range []string{"n,,n=alice,r=abc", "n,a=x,n=a=2C,r=%,ext=v", "n,,n=alice,r=abc,tokenauth=true", "y,,n=a,r=b", "n,,m=x,n=a,r=b"} {
		f.Add(s, "c=biws,r=abc,p=AAAA")
	}
	lookup := func(_ context.Context, user, mech string) (Credential, bool, error) {
		c, err := NewCredential(mech, "pw", []byte("salt"), 4096)
		return c, user == "alice", err
	}
	m, _ := New(sasl.ScramSHA256, lookup)
	f.Fuzz(func(t *testing.T, first, final string) {
		sess := m.NewSession(sasl.ConnInfo{})
		if _, done, err := sess.Step(context.Background(), []byte(first)); err != nil || done {
			return
		}
		if _, done, err := sess.Step(context.Background(), []byte(final)); err == nil || done {
			t.Fatalf("forged final %q accepted", final)
		}
	})
}
