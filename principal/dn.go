package principal

import (
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The DN string Kafka maps with ssl.principal.mapping.rules is Java's
// X500Principal.getName(), the RFC 2253 form, which Go's pkix.Name.String()
// does not reproduce (it rebuilds the RDNs from parsed fields, so order and
// grouping are lost, and its keyword table differs). JavaDN formats the raw
// RDNSequence instead; testdata/dn holds certificates and what Java 17
// printed for them.

// rawATV is one AttributeTypeAndValue with its value kept as DER.
type rawATV struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// rawRDNSET is one RDN; the SET suffix tells encoding/asn1 it is a SET OF.
type rawRDNSET []rawATV

// javaKeywords are the only attribute types Java names in RFC 2253 form;
// every other type is written as a dotted OID with a #hex DER value.
var javaKeywords = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.9":                    "STREET",
	"0.9.2342.19200300.100.1.25": "DC",
	"0.9.2342.19200300.100.1.1":  "UID",
}

// javaStringTags are the universal tags Java prints as text in RFC 2253
// form (PrintableString, T61String, IA5String, GeneralString, BMPString,
// UTF8String). Java decodes all of them as UTF-8 bytes, BMPString
// included.
func javaStringTag(v asn1.RawValue) bool {
	if v.Class != asn1.ClassUniversal || v.IsCompound {
		return false
	}
	switch v.Tag {
	case asn1.TagPrintableString, asn1.TagT61String, asn1.TagIA5String, 27, 30, asn1.TagUTF8String:
		return true
	}
	return false
}

// JavaDN formats a DER-encoded X.509 Name (a certificate's RawSubject) the
// way Java's X500Principal.getName() does: RDNs in reverse order separated
// by ",", multi-valued RDNs joined by "+" in encoded order, keywords only
// for CN C L ST O OU STREET DC UID, any other type as OID=#hex, and Java's
// escaping of values. An error means the name is not valid DER.
func JavaDN(rawSubject []byte) (string, error) {
	var rdns []rawRDNSET
	rest, err := asn1.Unmarshal(rawSubject, &rdns)
	if err != nil {
		return "", fmt.Errorf("parsing certificate subject: %w", err)
	}
	if len(rest) != 0 {
		return "", errors.New("parsing certificate subject: trailing data")
	}
	var sb strings.Builder
	for i := len(rdns) - 1; i >= 0; i-- {
		if i != len(rdns)-1 {
			sb.WriteByte(',')
		}
		for j, atv := range rdns[i] {
			if j > 0 {
				sb.WriteByte('+')
			}
			writeJavaATV(&sb, atv)
		}
	}
	return sb.String(), nil
}

func writeJavaATV(sb *strings.Builder, atv rawATV) {
	kw, ok := javaKeywords[atv.Type.String()]
	if !ok {
		kw = atv.Type.String()
	}
	sb.WriteString(kw)
	sb.WriteByte('=')
	if !ok || !javaStringTag(atv.Value) {
		sb.WriteByte('#')
		sb.WriteString(hex.EncodeToString(atv.Value.FullBytes))
		return
	}
	writeJavaValue(sb, javaUTF8(atv.Value.Bytes))
}

// writeJavaValue escapes a value as Java's AVA.toRFC2253String: a
// backslash before each of , = + < > # ; " \ anywhere in the value, NUL as
// \00, other characters as they are; then a backslash before each leading
// and trailing space or carriage return.
func writeJavaValue(sb *strings.Builder, v string) {
	var esc strings.Builder
	for _, r := range v {
		switch r {
		case ',', '=', '+', '<', '>', '#', ';', '"', '\\':
			esc.WriteByte('\\')
			esc.WriteRune(r)
		case 0:
			esc.WriteString(`\00`)
		default:
			esc.WriteRune(r)
		}
	}
	e := esc.String()
	blank := func(c byte) bool { return c == ' ' || c == '\r' }
	lead := 0
	for lead < len(e) && blank(e[lead]) {
		lead++
	}
	trail := len(e)
	for trail > lead && blank(e[trail-1]) {
		trail--
	}
	for i := 0; i < lead; i++ {
		sb.WriteByte('\\')
		sb.WriteByte(e[i])
	}
	sb.WriteString(e[lead:trail])
	for i := trail; i < len(e); i++ {
		sb.WriteByte('\\')
		sb.WriteByte(e[i])
	}
}

// javaUTF8 decodes bytes as Java's new String(b, UTF_8) does: each maximal
// ill-formed subsequence becomes one U+FFFD (with Java's treatment of
// encoded surrogates, see illFormedLen).
func javaUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r != utf8.RuneError || n > 1 {
			sb.WriteRune(r)
			b = b[n:]
			continue
		}
		sb.WriteRune(utf8.RuneError)
		b = b[illFormedLen(b):]
	}
	return sb.String()
}

// illFormedLen is the length of the maximal prefix of b that starts a
// well-formed UTF-8 sequence but does not complete one (at least 1).
func illFormedLen(b []byte) int {
	need, lo, hi := 0, byte(0x80), byte(0xBF)
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c >= 0xE1 && c <= 0xEF:
		// Java accepts ED A0..BF here: an encoded surrogate is one
		// ill-formed sequence of three bytes, not three of one.
		need = 2
	case c == 0xF0:
		need, lo = 3, 0x90
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for i := 1; i <= need && i < len(b); i++ {
		if b[i] < lo || b[i] > hi {
			break
		}
		n++
		lo, hi = 0x80, 0xBF
	}
	return n
}
