package plain

import (
	"context"
	"errors"
	"testing"

	"github.com/minikafka/minikafka/sasl"
)

func TestStep(t *testing.T) {
	m := New(map[string]string{"alice": "alice-secret", "bob": "b"})
	tests := map[string]struct {
		msg      string
		wantUser string
		wantMsg  string // AuthError message; empty: success
	}{
		"ok":                       {msg: "\x00alice\x00alice-secret", wantUser: "alice"},
		"ok with same authzid":     {msg: "alice\x00alice\x00alice-secret", wantUser: "alice"},
		"short password ok":        {msg: "\x00bob\x00b", wantUser: "bob"},
		"wrong password":           {msg: "\x00alice\x00nope", wantMsg: MsgInvalidCredentials},
		"password prefix":          {msg: "\x00alice\x00alice-secre", wantMsg: MsgInvalidCredentials},
		"unknown user":             {msg: "\x00mallory\x00alice-secret", wantMsg: MsgInvalidCredentials},
		"empty user":               {msg: "\x00\x00alice-secret", wantMsg: MsgUsernameNotSpecified},
		"empty password":           {msg: "\x00alice\x00", wantMsg: MsgPasswordNotSpecified},
		"authzid mismatch":         {msg: "bob\x00alice\x00alice-secret", wantMsg: MsgAuthzidMismatch},
		"authzid with bad pass":    {msg: "bob\x00alice\x00x", wantMsg: MsgInvalidCredentials},
		"one token":                {msg: "alice", wantMsg: "Invalid SASL/PLAIN response: expected 3 tokens, got 1"},
		"two tokens":               {msg: "alice\x00alice-secret", wantMsg: "Invalid SASL/PLAIN response: expected 3 tokens, got 2"},
		"four tokens":              {msg: "\x00alice\x00alice-secret\x00", wantMsg: "Invalid SASL/PLAIN response: expected 3 tokens, got 4"},
		"five NULs still four":     {msg: "a\x00b\x00c\x00d\x00e\x00f", wantMsg: "Invalid SASL/PLAIN response: expected 3 tokens, got 4"},
		"empty message":            {msg: "", wantMsg: "Invalid SASL/PLAIN response: expected 3 tokens, got 1"},
		"empty user checked first": {msg: "x\x00\x00", wantMsg: MsgUsernameNotSpecified},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := m.NewSession(sasl.ConnInfo{})
			out, done, err := s.Step(context.Background(), []byte(tc.msg))
			if tc.wantMsg != "" {
				var ae *sasl.AuthError
				if !errors.As(err, &ae) || ae.Message != tc.wantMsg {
					t.Fatalf("Step error = %v, want AuthError %q", err, tc.wantMsg)
				}
				if done {
					t.Fatal("done on failure")
				}
				return
			}
			if err != nil || !done || out == nil || len(out) != 0 {
				t.Fatalf("Step = %q, %v, %v; want empty non-nil challenge, done", out, done, err)
			}
			if got := s.Identity().AuthorizationID; got != tc.wantUser {
				t.Fatalf("identity %q, want %q", got, tc.wantUser)
			}
		})
	}
}

func TestCheckError(t *testing.T) {
	m := NewWithCheck(func(context.Context, string, string) (bool, error) { return false, errors.New("ldap down") })
	_, _, err := m.NewSession(sasl.ConnInfo{}).Step(context.Background(), []byte("\x00alice\x00x"))
	var ae *sasl.AuthError
	if !errors.As(err, &ae) || ae.Message != MsgNotVerified || ae.Reason == "" {
		t.Fatalf("err = %#v", err)
	}
	if got := sasl.ClientMessage(err, "PLAIN", false); got != MsgNotVerified {
		t.Fatalf("client message %q", got)
	}
	if m.Name() != "PLAIN" {
		t.Fatal(m.Name())
	}
}

func TestInvalidUTF8(t *testing.T) {
	// Java decodes malformed UTF-8 to U+FFFD; a password that is not valid
	// UTF-8 therefore matches the configured one with U+FFFD in its place.
	m := New(map[string]string{"alice": "p\uFFFD"})
	_, done, err := m.NewSession(sasl.ConnInfo{}).Step(context.Background(), []byte("\x00alice\x00p\xff"))
	if err != nil || !done {
		t.Fatalf("done=%v err=%v", done, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"\x00alice\x00alice-secret", "a\x00b\x00c\x00d", "", "\xff\x00\xfe\x00"} {
		f.Add([]byte(s))
	}
	m := New(map[string]string{"alice": "alice-secret"})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _, _ = Parse(b)
		_, done, err := m.NewSession(sasl.ConnInfo{}).Step(context.Background(), b)
		if done == (err != nil) {
			t.Fatalf("done=%v err=%v", done, err)
		}
		var ae *sasl.AuthError
		if err != nil && !errors.As(err, &ae) {
			t.Fatalf("non-AuthError %v", err)
		}
	})
}
