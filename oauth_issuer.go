package minikafka

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/minikafka/minikafka/sasl/oauthbearer"
)

// Paths of the development issuer on the admin listener.
const (
	issuerTokenPath     = "/oauth/token"
	issuerJWKSPath      = "/oauth/jwks"
	issuerDiscoveryPath = "/.well-known/openid-configuration"
	issuerASMetaPath    = "/.well-known/oauth-authorization-server"
)

// issuer is the built-in development token issuer.
type issuer struct {
	cfg     OAuthIssuerConfig
	now     func() time.Time
	log     *slog.Logger
	signKey jwk.Key
	kid     string
	jwks    []byte // public JWKS document
	keys    *oauthbearer.KeySet
	url     atomic.Pointer[string]
}

func newIssuer(cfg OAuthIssuerConfig, now func() time.Time, log *slog.Logger) (*issuer, error) {
	if cfg.Audience == "" {
		cfg.Audience = "kafka"
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = time.Hour
	}
	if cfg.TokenTTL < 0 {
		return nil, errors.New("token TTL must be positive")
	}
	for id, c := range cfg.Clients {
		if id == "" || c.Secret == "" {
			return nil, fmt.Errorf("client %q needs a non-empty id and secret", id)
		}
	}
	if cfg.Key == nil {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("generating the signing key: %w", err)
		}
		cfg.Key = k
	}
	sk, err := jwk.FromRaw(cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	tp, err := sk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("signing key thumbprint: %w", err)
	}
	iss := &issuer{cfg: cfg, now: now, log: log, signKey: sk, kid: base64.RawURLEncoding.EncodeToString(tp)[:16]}
	for k, v := range map[string]any{jwk.KeyIDKey: iss.kid, jwk.AlgorithmKey: jwa.RS256, jwk.KeyUsageKey: "sig"} {
		if err := sk.Set(k, v); err != nil {
			return nil, err
		}
	}
	pub, err := sk.PublicKey()
	if err != nil {
		return nil, err
	}
	set := jwk.NewSet()
	if err := set.AddKey(pub); err != nil {
		return nil, err
	}
	if iss.jwks, err = json.Marshal(set); err != nil {
		return nil, err
	}
	iss.keys = oauthbearer.NewKeySet(set)
	u := cfg.URL
	if u == "" {
		u = "urn:minikafka:issuer"
	}
	iss.url.Store(&u)
	return iss, nil
}

// setAdminAddr makes the issuer URL http://<addr> unless one is configured.
func (iss *issuer) setAdminAddr(addr string) {
	if iss.cfg.URL == "" {
		u := "http://" + addr
		iss.url.Store(&u)
	}
}

func (iss *issuer) issuerURL() string { return *iss.url.Load() }

// mint signs a token for sub. Claims override the defaults; a nil value
// removes a claim (to build invalid tokens in tests).
func (iss *issuer) mint(sub string, claims map[string]any, ttl time.Duration) (string, error) {
	now := iss.now()
	jti := make([]byte, 12)
	_, _ = rand.Read(jti)
	c := map[string]any{
		"iss": iss.issuerURL(),
		"sub": sub,
		"aud": iss.cfg.Audience,
		"iat": now.Unix(),
		"exp": now.Add(ttl).Unix(),
		"jti": hex.EncodeToString(jti),
	}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encoding claims: %w", err)
	}
	h := jws.NewHeaders()
	_ = h.Set(jws.KeyIDKey, iss.kid)
	_ = h.Set(jws.TypeKey, "at+jwt")
	tok, err := jws.Sign(payload, jws.WithKey(jwa.RS256, iss.signKey, jws.WithProtectedHeaders(h)))
	if err != nil {
		return "", fmt.Errorf("signing: %w", err)
	}
	return string(tok), nil
}

// routes mounts the issuer's endpoints.
func (iss *issuer) routes(mux *http.ServeMux) {
	mux.HandleFunc(issuerTokenPath, iss.handleToken)
	mux.HandleFunc(issuerJWKSPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(iss.jwks)
	})
	disc := func(w http.ResponseWriter, r *http.Request) {
		base := iss.issuerURL()
		issuerJSON(w, http.StatusOK, map[string]any{
			"issuer":                                base,
			"token_endpoint":                        base + issuerTokenPath,
			"jwks_uri":                              base + issuerJWKSPath,
			"grant_types_supported":                 []string{"client_credentials"},
			"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
			"response_types_supported":              []string{"token"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"scopes_supported":                      iss.allScopes(),
		})
	}
	mux.HandleFunc(issuerDiscoveryPath, disc)
	mux.HandleFunc(issuerASMetaPath, disc)
}

func (iss *issuer) allScopes() []string {
	set := map[string]bool{}
	for _, c := range iss.cfg.Clients {
		for _, s := range c.Scopes {
			set[s] = true
		}
	}
	return append([]string{}, slices.Sorted(maps.Keys(set))...)
}

// handleToken is the OAuth 2.0 token endpoint (RFC 6749 §4.4, client
// credentials grant).
func (iss *issuer) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		issuerError(w, http.StatusMethodNotAllowed, "invalid_request", "the token endpoint accepts POST only")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		issuerError(w, http.StatusBadRequest, "invalid_request", "malformed form body")
		return
	}
	form := r.PostForm
	id, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749 §2.3.1: client id and secret are form-urlencoded before
		// Basic encoding; most clients do not, so accept both.
		if u, err := url.QueryUnescape(id); err == nil && iss.client(id) == nil {
			id = u
		}
		if form.Get("client_secret") != "" {
			issuerError(w, http.StatusBadRequest, "invalid_request", "use one client authentication method, not Basic and client_secret together")
			return
		}
	} else {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	c := iss.client(id)
	if c == nil || !secretMatches(c.Secret, secret) {
		iss.log.Info("development issuer: client authentication failed", "client_id", id, "remote", r.RemoteAddr)
		if basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="minikafka"`)
		}
		issuerError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	if gt := form.Get("grant_type"); gt != "client_credentials" {
		issuerError(w, http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("grant_type %q is not supported (use client_credentials)", gt))
		return
	}
	scopes := strings.Fields(form.Get("scope"))
	for _, s := range scopes {
		if len(c.Scopes) > 0 && !slices.Contains(c.Scopes, s) {
			issuerError(w, http.StatusBadRequest, "invalid_scope", fmt.Sprintf("scope %q is not allowed for client %s", s, id))
			return
		}
	}
	claims := maps.Clone(c.Claims)
	if claims == nil {
		claims = map[string]any{}
	}
	claims["client_id"] = id
	if len(scopes) > 0 {
		claims["scope"] = strings.Join(scopes, " ")
	}
	tok, err := iss.mint(id, claims, iss.cfg.TokenTTL)
	if err != nil {
		iss.log.Error("development issuer: minting a token", "client_id", id, "err", err)
		issuerError(w, http.StatusInternalServerError, "server_error", "could not sign the token")
		return
	}
	resp := map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int64(iss.cfg.TokenTTL.Seconds())}
	if len(scopes) > 0 {
		resp["scope"] = strings.Join(scopes, " ")
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	issuerJSON(w, http.StatusOK, resp)
}

func (iss *issuer) client(id string) *OAuthIssuerClient {
	c, ok := iss.cfg.Clients[id]
	if !ok {
		return nil
	}
	return &c
}

func secretMatches(want, got string) bool {
	if subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1 {
		return true
	}
	u, err := url.QueryUnescape(got)
	return err == nil && u != got && subtle.ConstantTimeCompare([]byte(want), []byte(u)) == 1
}

func issuerError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Cache-Control", "no-store")
	issuerJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func issuerJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
