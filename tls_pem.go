package minikafka

// PEM key and trust stores as Kafka reads them (ssl.keystore.type=PEM,
// KIP-651): certificate chains and keys inline or in files, PEM text that
// may have lost its line breaks (Java properties continuation lines join
// them), and PKCS#8 private keys optionally encrypted with ssl.key.password
// (PBES2: PBKDF2 with HMAC-SHA1/224/256/384/512, AES-CBC or DES-EDE3-CBC).

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"regexp"
	"strings"
)

// PEMTLS is a server TLS configuration in Kafka's PEM form.
type PEMTLS struct {
	// CertificateChain is the server certificate followed by its
	// intermediates (ssl.keystore.certificate.chain, or the certificates of
	// the ssl.keystore.location file).
	CertificateChain []byte
	// Key is the private key (ssl.keystore.key, or the key of the
	// ssl.keystore.location file): PKCS#8, encrypted when KeyPassword is
	// set; unencrypted PKCS#1 and SEC1 keys are accepted too.
	Key []byte
	// KeyPassword is ssl.key.password.
	KeyPassword string
	// Truststore holds the CA certificates client certificates are checked
	// against (ssl.truststore.certificates or ssl.truststore.location).
	// Empty: the system roots.
	Truststore []byte
	// ClientAuth is ssl.client.auth: none (default), requested or required.
	ClientAuth string
}

// TLSConfig builds the server *tls.Config (TLS 1.2 minimum).
func (p PEMTLS) TLSConfig() (*tls.Config, error) {
	chain, err := pemCertificates(p.CertificateChain)
	if err != nil {
		return nil, fmt.Errorf("certificate chain: %w", err)
	}
	if len(chain) == 0 {
		return nil, errors.New("certificate chain: no certificate")
	}
	key, err := pemPrivateKey(p.Key, p.KeyPassword)
	if err != nil {
		return nil, err
	}
	cert := tls.Certificate{PrivateKey: key}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.Raw)
	}
	leaf := chain[0]
	cert.Leaf = leaf
	if err := checkKeyMatches(leaf, key); err != nil {
		return nil, err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if len(p.Truststore) > 0 {
		cas, err := pemCertificates(p.Truststore)
		if err != nil {
			return nil, fmt.Errorf("truststore: %w", err)
		}
		if len(cas) == 0 {
			return nil, errors.New("truststore: no certificate")
		}
		pool := x509.NewCertPool()
		for _, c := range cas {
			pool.AddCert(c)
		}
		cfg.ClientCAs = pool
	}
	switch strings.ToLower(p.ClientAuth) {
	case "", "none":
		cfg.ClientAuth = tls.NoClientCert
	case "requested":
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	case "required":
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	default:
		return nil, fmt.Errorf("ssl.client.auth %q: want none, requested or required", p.ClientAuth)
	}
	return cfg, nil
}

func checkKeyMatches(leaf *x509.Certificate, key any) error {
	pk, ok := key.(crypto.Signer)
	if !ok {
		return errors.New("private key: unsupported key type")
	}
	type equaler interface{ Equal(x crypto.PublicKey) bool }
	if eq, ok := pk.Public().(equaler); ok && !eq.Equal(leaf.PublicKey) {
		return errors.New("private key does not match the first certificate of the chain")
	}
	return nil
}

var pemBlockRE = regexp.MustCompile(`(?s)-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END ([A-Z0-9 ]+)-----`)

type pemBlock struct {
	Type  string
	Bytes []byte
}

// pemBlocks finds every PEM block in s, tolerating missing line breaks as
// Kafka's PEM parser does. Blocks with headers (legacy OpenSSL encryption)
// are rejected with a hint.
func pemBlocks(s []byte) ([]pemBlock, error) {
	var out []pemBlock
	for _, m := range pemBlockRE.FindAllSubmatch(s, -1) {
		typ := string(m[1])
		if string(m[3]) != typ {
			return nil, fmt.Errorf("PEM block BEGIN %s ends with END %s", typ, m[3])
		}
		body := string(m[2])
		if strings.Contains(body, ":") {
			return nil, fmt.Errorf("PEM %s has headers (legacy OpenSSL encryption); convert the key to PKCS#8: openssl pkcs8 -topk8 -v2 aes-256-cbc", typ)
		}
		body = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\\' {
				return -1
			}
			return r
		}, body)
		der, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return nil, fmt.Errorf("PEM %s: bad base64: %w", typ, err)
		}
		out = append(out, pemBlock{Type: typ, Bytes: der})
	}
	return out, nil
}

func pemCertificates(s []byte) ([]*x509.Certificate, error) {
	blocks, err := pemBlocks(s)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for _, b := range blocks {
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(out)+1, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// pemPrivateKey returns the only private key in s.
func pemPrivateKey(s []byte, password string) (any, error) {
	blocks, err := pemBlocks(s)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	var keys []pemBlock
	for _, b := range blocks {
		if strings.HasSuffix(b.Type, "PRIVATE KEY") {
			keys = append(keys, b)
		}
	}
	if len(keys) != 1 {
		return nil, fmt.Errorf("private key: want exactly one PEM private key, found %d", len(keys))
	}
	b := keys[0]
	switch b.Type {
	case "ENCRYPTED PRIVATE KEY":
		if password == "" {
			return nil, errors.New("private key is encrypted: set ssl.key.password")
		}
		der, err := decryptPKCS8(b.Bytes, password)
		if err != nil {
			return nil, fmt.Errorf("private key: %w", err)
		}
		k, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, errors.New("private key: wrong ssl.key.password or corrupt key")
		}
		return k, nil
	case "PRIVATE KEY":
		if password != "" {
			return nil, errors.New("private key is not encrypted but ssl.key.password is set")
		}
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("private key: %w", err)
		}
		return k, nil
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("private key: %w", err)
		}
		return k, nil
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("private key: %w", err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("private key: unsupported PEM type %q", b.Type)
}

var (
	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
	prfs          = map[string]func() hash.Hash{
		"1.2.840.113549.2.7":  sha1.New,
		"1.2.840.113549.2.8":  sha256.New224,
		"1.2.840.113549.2.9":  sha256.New,
		"1.2.840.113549.2.10": sha512.New384,
		"1.2.840.113549.2.11": sha512.New,
	}
)

type encryptedPrivateKeyInfo struct {
	Algo          pkixAlgorithm
	EncryptedData []byte
}

type pkixAlgorithm struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type pbes2Params struct {
	KDF    pkixAlgorithm
	Scheme pkixAlgorithm
}

type pbkdf2Params struct {
	Salt       []byte
	Iterations int
	KeyLength  int           `asn1:"optional"`
	PRF        pkixAlgorithm `asn1:"optional"`
}

// decryptPKCS8 decrypts a PBES2 EncryptedPrivateKeyInfo.
func decryptPKCS8(der []byte, password string) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if rest, err := asn1.Unmarshal(der, &info); err != nil || len(rest) > 0 {
		return nil, errors.New("malformed encrypted PKCS#8 key")
	}
	if !info.Algo.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("encryption %v not supported (want PBES2: openssl pkcs8 -topk8 -v2 aes-256-cbc)", info.Algo.Algorithm)
	}
	var params pbes2Params
	if _, err := asn1.Unmarshal(info.Algo.Parameters.FullBytes, &params); err != nil {
		return nil, errors.New("malformed PBES2 parameters")
	}
	if !params.KDF.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("key derivation %v not supported (want PBKDF2)", params.KDF.Algorithm)
	}
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(params.KDF.Parameters.FullBytes, &kdf); err != nil {
		return nil, errors.New("malformed PBKDF2 parameters")
	}
	prf := sha1.New
	if len(kdf.PRF.Algorithm) > 0 {
		var ok bool
		if prf, ok = prfs[kdf.PRF.Algorithm.String()]; !ok {
			return nil, fmt.Errorf("PBKDF2 PRF %v not supported", kdf.PRF.Algorithm)
		}
	}
	var keyLen int
	var newCipher func([]byte) (cipher.Block, error)
	switch s := params.Scheme.Algorithm; {
	case s.Equal(oidAES128CBC):
		keyLen, newCipher = 16, aes.NewCipher
	case s.Equal(oidAES192CBC):
		keyLen, newCipher = 24, aes.NewCipher
	case s.Equal(oidAES256CBC):
		keyLen, newCipher = 32, aes.NewCipher
	case s.Equal(oidDESEDE3CBC):
		keyLen, newCipher = 24, des.NewTripleDESCipher
	default:
		return nil, fmt.Errorf("cipher %v not supported (want AES-CBC or DES-EDE3-CBC)", s)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.Scheme.Parameters.FullBytes, &iv); err != nil {
		return nil, errors.New("malformed cipher IV")
	}
	if kdf.Iterations <= 0 || kdf.Iterations > 10_000_000 {
		return nil, fmt.Errorf("PBKDF2 iteration count %d out of range", kdf.Iterations)
	}
	key, err := pbkdf2.Key(prf, password, kdf.Salt, kdf.Iterations, keyLen)
	if err != nil {
		return nil, err
	}
	block, err := newCipher(key)
	if err != nil {
		return nil, err
	}
	data := info.EncryptedData
	if len(iv) != block.BlockSize() || len(data) == 0 || len(data)%block.BlockSize() != 0 {
		return nil, errors.New("malformed encrypted key data")
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, data)
	pad := int(out[len(out)-1])
	if pad == 0 || pad > block.BlockSize() || !hmac.Equal(out[len(out)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, errors.New("wrong ssl.key.password or corrupt key")
	}
	return out[:len(out)-pad], nil
}
