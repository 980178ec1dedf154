package oauthbearer

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"slices"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// KeySet is an immutable, pre-processed set of verification keys (a JWKS
// with each key already converted to its crypto form).
type KeySet struct {
	keys    []verificationKey
	skipped []string // why keys were left out, for the log
}

type verificationKey struct {
	kid string
	kty jwa.KeyType
	alg string // the JWK's alg member, "" if none
	crv string // EC curve name
	raw any    // *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey or []byte (oct)
}

// NewKeySet converts a JWKS. Keys that cannot verify signatures (use
// "enc", key_ops without "verify", private-only or unknown types) are left
// out and listed by Skipped; the set may end up empty.
func NewKeySet(set jwk.Set) *KeySet {
	ks := &KeySet{}
	for i := 0; i < set.Len(); i++ {
		k, _ := set.Key(i)
		vk, why := convertKey(k)
		if why != "" {
			ks.skipped = append(ks.skipped, fmt.Sprintf("key %d (kid %q): %s", i, k.KeyID(), why))
			continue
		}
		ks.keys = append(ks.keys, vk)
	}
	return ks
}

// ParseKeySet parses a JWKS document. Unparseable keys are skipped (an IdP
// may publish key types this library does not know); a document that is
// not a JWKS at all is an error.
func ParseKeySet(doc []byte) (*KeySet, error) {
	set, err := jwk.Parse(doc, jwk.WithIgnoreParseError(true))
	if err != nil {
		return nil, fmt.Errorf("parsing JWKS: %w", err)
	}
	return NewKeySet(set), nil
}

// Len returns the number of usable keys.
func (ks *KeySet) Len() int { return len(ks.keys) }

// Skipped describes the keys of the JWKS that were left out.
func (ks *KeySet) Skipped() []string { return slices.Clone(ks.skipped) }

// KeyIDs returns the kid of every usable key.
func (ks *KeySet) KeyIDs() []string {
	out := make([]string, 0, len(ks.keys))
	for _, k := range ks.keys {
		out = append(out, k.kid)
	}
	return out
}

func convertKey(k jwk.Key) (verificationKey, string) {
	if u := k.KeyUsage(); u != "" && u != string(jwk.ForSignature) {
		return verificationKey{}, "use is " + u
	}
	if ops := k.KeyOps(); len(ops) > 0 && !slices.Contains(ops, jwk.KeyOpVerify) {
		return verificationKey{}, "key_ops lacks verify"
	}
	vk := verificationKey{kid: k.KeyID(), kty: k.KeyType()}
	if a := k.Algorithm(); a != nil {
		vk.alg = a.String()
	}
	switch k.KeyType() {
	case jwa.RSA:
		pub, err := jwk.PublicRawKeyOf(k)
		if err != nil {
			return vk, err.Error()
		}
		p, ok := pub.(*rsa.PublicKey)
		if !ok {
			return vk, fmt.Sprintf("unexpected RSA key type %T", pub)
		}
		vk.raw = p
	case jwa.EC:
		pub, err := jwk.PublicRawKeyOf(k)
		if err != nil {
			return vk, err.Error()
		}
		p, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return vk, fmt.Sprintf("unexpected EC key type %T", pub)
		}
		vk.raw = p
		vk.crv = p.Curve.Params().Name
	case jwa.OKP:
		pub, err := jwk.PublicRawKeyOf(k)
		if err != nil {
			return vk, err.Error()
		}
		p, ok := pub.(ed25519.PublicKey)
		if !ok {
			return vk, fmt.Sprintf("OKP key %T is not Ed25519", pub)
		}
		vk.raw = p
	case jwa.OctetSeq:
		var b []byte
		if err := k.Raw(&b); err != nil {
			return vk, err.Error()
		}
		vk.raw = b
	default:
		return vk, "unsupported kty " + k.KeyType().String()
	}
	return vk, ""
}

// fits reports whether key k may verify a JWS with algorithm alg: the key
// type must be the one the algorithm is defined for (an HMAC algorithm
// never uses an RSA, EC or OKP key, whatever its bytes), the curve must
// match for ECDSA, and a JWK that names an alg must name this one.
func (k *verificationKey) fits(alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		return k.kty == jwa.RSA
	case "ES256":
		return k.kty == jwa.EC && k.crv == "P-256"
	case "ES384":
		return k.kty == jwa.EC && k.crv == "P-384"
	case "ES512":
		return k.kty == jwa.EC && k.crv == "P-521"
	case "EdDSA":
		return k.kty == jwa.OKP
	case "HS256", "HS384", "HS512":
		return k.kty == jwa.OctetSeq
	}
	return false
}

// candidates returns the keys that may verify a JWS with kid and alg; with
// no kid in the header every fitting key is a candidate.
func (ks *KeySet) candidates(kid, alg string) []*verificationKey {
	var out []*verificationKey
	for i := range ks.keys {
		k := &ks.keys[i]
		if kid != "" && k.kid != kid {
			continue
		}
		if k.fits(alg) {
			out = append(out, k)
		}
	}
	return out
}
