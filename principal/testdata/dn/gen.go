//go:build ignore

// gen.go writes the certificates of the DN fixture (one PEM per case) with
// hand-built subjects, so that the RDN order, the multi-valued RDNs and the
// ASN.1 string types are exactly what each case needs. Run it through
// regen.sh, which then asks Java for X500Principal.getName().
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"log"
	"math/big"
	"os"
	"time"
	"unicode/utf16"
)

type atv struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// rdnSET is one RDN; the SET suffix makes encoding/asn1 encode a SET OF.
type rdnSET []atv

var (
	oidCN     = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidC      = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidL      = asn1.ObjectIdentifier{2, 5, 4, 7}
	oidST     = asn1.ObjectIdentifier{2, 5, 4, 8}
	oidStreet = asn1.ObjectIdentifier{2, 5, 4, 9}
	oidO      = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOU     = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidTitle  = asn1.ObjectIdentifier{2, 5, 4, 12}
	oidSerial = asn1.ObjectIdentifier{2, 5, 4, 5}
	oidPostal = asn1.ObjectIdentifier{2, 5, 4, 17}
	oidDC     = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}
	oidUID    = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}
	oidEmail  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
)

func str(tag int, s string) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassUniversal, Tag: tag, Bytes: []byte(s)}
}

func ps(s string) asn1.RawValue  { return str(asn1.TagPrintableString, s) }
func u8(s string) asn1.RawValue  { return str(asn1.TagUTF8String, s) }
func ia5(s string) asn1.RawValue { return str(asn1.TagIA5String, s) }

func bmp(s string) asn1.RawValue {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return str(30, string(b))
}

// wrap encodes a short TLV (contents under 128 bytes).
func wrap(tag byte, content []byte) []byte {
	return append([]byte{tag, byte(len(content))}, content...)
}

func one(t asn1.ObjectIdentifier, v asn1.RawValue) rdnSET { return rdnSET{{t, v}} }

var cases = []struct {
	name string
	rdns []rdnSET
}{
	{"typical", []rdnSET{one(oidC, ps("US")), one(oidST, u8("California")), one(oidL, u8("San Francisco")),
		one(oidO, u8("Example Inc")), one(oidOU, u8("Kafka")), one(oidCN, u8("alice"))}},
	{"kafka-docs-admin", []rdnSET{one(oidC, ps("Unknown")), one(oidST, ps("Unknown")), one(oidL, ps("Unknown")),
		one(oidO, ps("Unknown")), one(oidOU, ps("Admin")), one(oidCN, ps("adminUser"))}},
	{"cn-only", []rdnSET{one(oidCN, u8("bob"))}},
	{"multi-valued", []rdnSET{one(oidO, u8("Example")), {{oidCN, u8("alice")}, {oidUID, u8("a1")}}}},
	{"multi-valued-three", []rdnSET{{{oidOU, u8("ops")}, {oidCN, u8("svc")}, {oidL, ps("Paris")}}}},
	{"email", []rdnSET{one(oidO, u8("Example")), one(oidCN, u8("carol")), one(oidEmail, ia5("carol@example.com"))}},
	{"dc-uid", []rdnSET{one(oidDC, ia5("com")), one(oidDC, ia5("example")), one(oidOU, u8("people")), one(oidUID, u8("dave"))}},
	{"street-serial-postal-title", []rdnSET{one(oidStreet, u8("1 Main St")), one(oidPostal, u8("75001")),
		one(oidSerial, ps("12345")), one(oidTitle, u8("Engineer")), one(oidCN, u8("erin"))}},
	{"escape-specials", []rdnSET{one(oidO, u8(`a,b+c"d\e<f>g;h`)), one(oidCN, u8("x=y#z"))}},
	{"escape-leading-hash", []rdnSET{one(oidCN, u8("#hash"))}},
	{"escape-spaces", []rdnSET{one(oidOU, u8("  two leading")), one(oidCN, u8("trailing  "))}},
	{"only-spaces", []rdnSET{one(oidCN, u8("   "))}},
	{"control-chars", []rdnSET{one(oidCN, u8("nul\x00mid")), one(oidOU, u8("\rcr")), one(oidO, u8("new\nline"))}},
	{"unicode", []rdnSET{one(oidO, u8("Straße GmbH")), one(oidCN, u8("Jürgen İnce ΣΟΦΟΣ"))}},
	{"bmpstring", []rdnSET{one(oidCN, bmp("bmp-€"))}},
	{"t61string", []rdnSET{one(oidCN, str(20, "t61"))}},
	{"universalstring", []rdnSET{one(oidCN, str(28, "\x00\x00\x00u"))}},
	{"cn-integer", []rdnSET{one(oidCN, asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagInteger, Bytes: []byte{0x2a}})}},
	{"unknown-oid", []rdnSET{one(asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, u8("custom")), one(oidCN, u8("frank"))}},
	{"invalid-utf8", []rdnSET{one(oidCN, u8("bad\xffbyte"))}},
	{"truncated-utf8", []rdnSET{one(oidCN, u8("a\xe2\x82b\xed\xa0\x80c\xf0\x9f\x98"))}},
	{"empty", nil},
}

// rawCases are hand-encoded subjects, for what encoding/asn1 would not
// write.
var rawCases = map[string]func() []byte{
	// A multi-valued RDN whose SET is not in DER order: Java keeps the
	// encoded order.
	"multi-valued-unsorted": func() []byte {
		uid, _ := asn1.Marshal(atv{oidUID, u8("a1")})
		cn, _ := asn1.Marshal(atv{oidCN, u8("alice")})
		return wrap(0x30, wrap(0x31, append(uid, cn...)))
	},
}

func main() {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	caRaw, _ := asn1.Marshal([]rdnSET{one(oidCN, u8("dn-fixture-ca"))})
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1000),
		RawSubject:            caRaw,
		NotBefore:             time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2045, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	subjects := map[string][]byte{}
	for _, c := range cases {
		seq := c.rdns
		if seq == nil {
			seq = []rdnSET{}
		}
		raw, err := asn1.Marshal(seq)
		if err != nil {
			log.Fatalf("%s: %v", c.name, err)
		}
		subjects[c.name] = raw
	}
	for name, f := range rawCases {
		subjects[name] = f()
	}
	i := 0
	for name, raw := range subjects {
		i++
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i)),
			RawSubject:   raw,
			NotBefore:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
			NotAfter:     time.Date(2045, 1, 1, 0, 0, 0, 0, time.UTC),
		}
		if len(raw) == 2 { // an empty SEQUENCE
			// An empty subject needs a (critical) subjectAltName.
			tmpl.DNSNames = []string{"empty.example"}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, key)
		if err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		if err := os.WriteFile(name+".pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
