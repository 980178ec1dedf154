package oauthbearer

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/minikafka/minikafka/sasl"
)

func newUnsecuredMech(t *testing.T, cfg Config, ucfg UnsecuredConfig) (*Mechanism, *logBuf) {
	t.Helper()
	v, err := NewUnsecuredValidator(ucfg)
	if err != nil {
		t.Fatal(err)
	}
	logger, lb := newLog()
	cfg.Validator = v
	cfg.Logger = logger
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m, lb
}

func unsecured(t *testing.T, claims map[string]any) string {
	return unsignedJWT(t, map[string]any{"alg": "none"}, claims)
}

func TestExchangeInvalidTokenChallenge(t *testing.T) {
	m, lb := newUnsecuredMech(t, Config{}, UnsecuredConfig{})
	now := time.Now()
	expired := unsecured(t, map[string]any{"sub": "alice", "exp": now.Add(-time.Minute).Unix()})
	s := m.NewSession(sasl.ConnInfo{Listener: "L"})
	ctx := context.Background()
	ch, done, err := s.Step(ctx, initialResponse(expired))
	if err != nil || done || string(ch) != `{"status":"invalid_token"}` {
		t.Fatalf("round 1: %q %v %v", ch, done, err)
	}
	if !strings.Contains(lb.String(), "level=WARN msg=OAUTHBEARER: token validation failed listener=L status=invalid_token reason=The indicated time") {
		t.Fatalf("log: %s", lb.String())
	}
	// The client's 0x01 fails with the JSON as the message.
	_, _, err = s.Step(ctx, []byte{0x01})
	var ae *sasl.AuthError
	if !errors.As(err, &ae) || ae.Message != `{"status":"invalid_token"}` {
		t.Fatalf("after 0x01: %v", err)
	}
	// Anything else than 0x01 after the challenge is a new initial response.
	s = m.NewSession(sasl.ConnInfo{Listener: "L"})
	if _, _, err := s.Step(ctx, initialResponse(expired)); err != nil {
		t.Fatal(err)
	}
	good := unsecured(t, map[string]any{"sub": "alice", "exp": now.Add(time.Minute).Unix()})
	ch, done, err = s.Step(ctx, initialResponse(good, "traceId", "abc"))
	if err != nil || !done || len(ch) != 0 {
		t.Fatalf("retry: %q %v %v", ch, done, err)
	}
	id := s.Identity()
	if id.AuthorizationID != "alice" || id.Extensions["traceId"] != "abc" || id.Expiry.Unix() != now.Add(time.Minute).Unix() || id.Claims["sub"] != "alice" {
		t.Fatalf("identity %+v", id)
	}
	// A 0x01 that does not follow an error challenge is a malformed message.
	s = m.NewSession(sasl.ConnInfo{Listener: "L"})
	_, _, err = s.Step(ctx, []byte{0x01})
	if !errors.Is(err, ErrInvalidInitialResponse) || errors.As(err, &ae) {
		t.Fatalf("lone 0x01: %v", err)
	}
	if got := sasl.ClientMessage(err, "OAUTHBEARER", false); got != "Authentication failed during authentication due to invalid credentials with SASL mechanism OAUTHBEARER" {
		t.Fatalf("client message %q", got)
	}
}

func TestExchangeFailureReason(t *testing.T) {
	m, lb := newUnsecuredMech(t, Config{FailureReason: true}, UnsecuredConfig{})
	tok := unsecured(t, map[string]any{"exp": time.Now().Add(time.Minute).Unix()})
	_, _, done, err := step(m, initialResponse(tok))
	var ae *sasl.AuthError
	if done || !errors.As(err, &ae) {
		t.Fatalf("want a one-round AuthError, got %v", err)
	}
	re := regexp.MustCompile(`^Token validation failed: No principal name in JWT claim: sub \(ErrId: ([0-9a-f]{8})\)$`)
	mm := re.FindStringSubmatch(ae.Message)
	if mm == nil {
		t.Fatalf("message %q", ae.Message)
	}
	if !strings.Contains(lb.String(), "errid="+mm[1]) {
		t.Fatalf("ErrId %s not logged: %s", mm[1], lb.String())
	}
}

func TestExchangeAuthzidAndExtensions(t *testing.T) {
	m, _ := newUnsecuredMech(t, Config{ValidateExtensions: func(ext map[string]string, tok *Token) map[string]string {
		bad := map[string]string{}
		for k, v := range ext {
			if v == "bad" {
				bad[k] = "value is bad for " + tok.Principal
			}
		}
		return bad
	}}, UnsecuredConfig{})
	tok := unsecured(t, map[string]any{"sub": "alice", "exp": time.Now().Add(time.Minute).Unix()})
	_, _, _, err := step(m, []byte("n,a=bob,\x01auth=Bearer "+tok+"\x01\x01"))
	var ae *sasl.AuthError
	if !errors.As(err, &ae) || ae.Message != "Authentication failed: Client requested an authorization id (bob) that is different from the token's principal name (alice)" {
		t.Fatalf("authzid mismatch: %v", err)
	}
	if _, _, done, err := step(m, []byte("n,a=alice,\x01auth=Bearer "+tok+"\x01\x01")); err != nil || !done {
		t.Fatalf("matching authzid: %v", err)
	}
	_, _, _, err = step(m, initialResponse(tok, "b", "bad", "a", "bad", "c", "ok"))
	if !errors.As(err, &ae) || ae.Message != "Authentication failed: 2 extensions are invalid! They are: a: value is bad for alice; b: value is bad for alice" {
		t.Fatalf("extensions: %v", err)
	}
}

type brokenValidator struct{}

func (brokenValidator) Validate(context.Context, string) (*Token, error) {
	return nil, errors.New("keystore on fire")
}

func TestExchangeInternalError(t *testing.T) {
	m, err := New(Config{Validator: brokenValidator{}})
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, err = step(m, initialResponse("a.b.c"))
	var ae *sasl.AuthError
	if err == nil || errors.As(err, &ae) || !strings.Contains(err.Error(), "keystore on fire") {
		t.Fatalf("err %v", err)
	}
	if _, err := New(Config{}); err == nil {
		t.Fatal("mechanism without validator")
	}
}

func TestUnsecuredValidator(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	exp := now.Add(time.Hour).Unix()
	tests := map[string]struct {
		cfg    UnsecuredConfig
		token  string
		status string // "" = accepted
		scope  string
		reason string
		sub    string
	}{
		"kcat token": {token: "eyJhbGciOiJub25lIn0." + b64(`{"sub":"alice","scope":["kafka"],"iat":1799999990,"exp":1800000600}`) + ".", sub: "alice"},
		"principal claim option": {cfg: UnsecuredConfig{PrincipalClaim: " user "},
			token: unsecuredRaw(`{"user":"bob","exp":` + itoa(exp) + `}`), sub: "bob"},
		"required scope present": {cfg: UnsecuredConfig{RequiredScopes: []string{"a", "b"}},
			token: unsecuredRaw(`{"sub":"a","scope":["b","a"],"exp":` + itoa(exp) + `}`), sub: "a"},
		"required scope string claim": {cfg: UnsecuredConfig{ScopeClaim: "scp", RequiredScopes: []string{"x"}},
			token: unsecuredRaw(`{"sub":"a","scp":" x ","exp":` + itoa(exp) + `}`), sub: "a"},
		"required scope missing": {cfg: UnsecuredConfig{RequiredScopes: []string{"LOGIN_TO_KAFKA"}},
			token: unsecuredRaw(`{"sub":"a","scope":"other","exp":` + itoa(exp) + `}`), status: "insufficient_scope", scope: "[LOGIN_TO_KAFKA]",
			reason: "The provided scope ([other]) was missing a required scope (LOGIN_TO_KAFKA).  All required scope elements: [LOGIN_TO_KAFKA]"},
		"signed alg":      {token: "eyJhbGciOiJSUzI1NiJ9." + b64(`{"sub":"a","exp":1}`) + ".", status: "invalid_token", reason: "Unsecured JWS must have 'none' for an algorithm"},
		"signature":       {token: unsecuredRaw(`{"sub":"a","exp":`+itoa(exp)+`}`) + "c2ln", status: "invalid_token", reason: "Unsecured JWS must not contain a digital signature"},
		"no exp":          {token: unsecuredRaw(`{"sub":"a"}`), status: "invalid_token", reason: "No expiration time in JWT"},
		"exp string":      {token: unsecuredRaw(`{"sub":"a","exp":"x"}`), status: "invalid_token", reason: "The value of the 'exp' claim is not the expected type"},
		"no sub":          {token: unsecuredRaw(`{"exp":` + itoa(exp) + `}`), status: "invalid_token", reason: "No principal name in JWT claim: sub"},
		"numeric sub":     {token: unsecuredRaw(`{"sub":5,"exp":` + itoa(exp) + `}`), status: "invalid_token", reason: "The 'sub' claim was not of type String: Number"},
		"expired":         {token: unsecuredRaw(`{"sub":"a","exp":` + itoa(now.Unix()) + `}`), status: "invalid_token", reason: "was on or after the Expiration Time value"},
		"expired in skew": {cfg: UnsecuredConfig{AllowableClockSkew: 2 * time.Second}, token: unsecuredRaw(`{"sub":"a","exp":` + itoa(now.Unix()-1) + `}`), sub: "a"},
		"iat in future":   {token: unsecuredRaw(`{"sub":"a","iat":` + itoa(now.Unix()+10) + `,"exp":` + itoa(exp) + `}`), status: "invalid_token", reason: "The Issued At value"},
		"exp before iat":  {token: unsecuredRaw(`{"sub":"a","iat":` + itoa(exp) + `,"exp":` + itoa(exp) + `}`), cfg: UnsecuredConfig{AllowableClockSkew: 2 * time.Hour}, status: "invalid_token", reason: "was not after the Issued At time"},
		"nbf ignored":     {token: unsecuredRaw(`{"sub":"a","nbf":` + itoa(exp+100) + `,"exp":` + itoa(exp) + `}`), sub: "a"},
		"two dots":        {token: "a..b", status: "invalid_token", reason: "Malformed compact serialization contains '..'"},
		"two sections":    {token: "eyJhbGciOiJub25lIn0.e30", status: "invalid_token", reason: "must have 3 dot-separated Base64URL-encoded values"},
		"bad json":        {token: "eyJhbGciOiJub25lIn0.bm9wZQ.", status: "invalid_token", reason: "malformed JSON"},
		"std base64 accepted": {token: "eyJhbGciOiJub25lIn0." + strings.TrimRight(stdB64(`{"sub":"a?>","exp":`+itoa(exp)+`}`), "=") + ".",
			sub: "a?>"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.cfg.Now = clock
			v, err := NewUnsecuredValidator(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := v.Validate(context.Background(), tc.token)
			if tc.status == "" {
				if err != nil || tok.Principal != tc.sub {
					t.Fatalf("got %v %v, want principal %q", tok, err, tc.sub)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Status != tc.status || ve.Scope != tc.scope || !strings.Contains(ve.Reason, tc.reason) {
				t.Fatalf("got %#v, want %s %q %q", err, tc.status, tc.scope, tc.reason)
			}
		})
	}
	if _, err := NewUnsecuredValidator(UnsecuredConfig{AllowableClockSkew: -time.Millisecond}); err == nil {
		t.Fatal("negative skew accepted")
	}
}

func TestInsufficientScopeJSON(t *testing.T) {
	m, _ := newUnsecuredMech(t, Config{}, UnsecuredConfig{RequiredScopes: ParseRequiredScope(" LOGIN_TO_KAFKA  KAFKA_BROKER ")})
	tok := unsecured(t, map[string]any{"sub": "a", "exp": time.Now().Add(time.Minute).Unix(), "scope": "LOGIN_TO_KAFKA"})
	_, ch, _, err := step(m, initialResponse(tok))
	if err != nil || string(ch) != `{"status":"insufficient_scope", "scope":"[LOGIN_TO_KAFKA, KAFKA_BROKER]"}` {
		t.Fatalf("challenge %q %v", ch, err)
	}
	ve := &ValidationError{Status: "invalid_token", Scope: "s", OpenIDConfiguration: "https://x/.well-known/openid-configuration"}
	if got := ve.JSON(); got != `{"status":"invalid_token", "scope":"s", "openid-configuration":"https://x/.well-known/openid-configuration"}` {
		t.Fatal(got)
	}
}
