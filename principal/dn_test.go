package principal

import (
	"bufio"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readFixture reads a TAB-separated, percent-encoded fixture written by
// one of the Java generators under testdata.
func readFixture(t *testing.T, path string, cols int) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		fields := strings.Split(line, "\t")
		if len(fields) != cols {
			t.Fatalf("%s: %d columns in %q", path, len(fields), line)
		}
		for i, f := range fields {
			v, err := url.PathUnescape(f)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			fields[i] = v
		}
		rows = append(rows, fields)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// rawSubject returns the subject of a PEM certificate as DER. It walks the
// ASN.1 itself because crypto/x509 refuses some of the fixture subjects
// (INTEGER or UniversalString values, invalid UTF-8), which Java accepts;
// such certificates never reach a principal builder in minikafka, whose
// TLS stack would reject them, but the formatter must still be right.
func rawSubject(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	if c, err := x509.ParseCertificate(blk.Bytes); err == nil {
		return c.RawSubject
	}
	var cert struct {
		TBS asn1.RawValue
	}
	if _, err := asn1.Unmarshal(blk.Bytes, &cert); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	rest := cert.TBS.Bytes
	var field asn1.RawValue
	// version [0], serialNumber, signature, issuer, validity, subject
	for i := 0; i < 6; i++ {
		if rest, err = asn1.Unmarshal(rest, &field); err != nil {
			t.Fatalf("%s: field %d: %v", path, i, err)
		}
	}
	return field.FullBytes
}

// TestJavaDNFixture checks JavaDN, javaLower and javaUpper against what
// Java 17 printed for each certificate in testdata/dn (see regen.sh there).
func TestJavaDNFixture(t *testing.T) {
	rows := readFixture(t, "testdata/dn/dn_fixtures.tsv", 4)
	if len(rows) < 20 {
		t.Fatalf("only %d fixture rows", len(rows))
	}
	for _, row := range rows {
		name, want, wantLower, wantUpper := row[0], row[1], row[2], row[3]
		t.Run(name, func(t *testing.T) {
			got, err := JavaDN(rawSubject(t, filepath.Join("testdata/dn", name+".pem")))
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("JavaDN = %q, Java printed %q", got, want)
			}
			if l := javaLower(want); l != wantLower {
				t.Errorf("javaLower = %q, Java %q", l, wantLower)
			}
			if u := javaUpper(want); u != wantUpper {
				t.Errorf("javaUpper = %q, Java %q", u, wantUpper)
			}
		})
	}
}

// TestJavaDNHandWritten spells out, for the cases that matter most, the
// string the spec's rules give (written by hand, independently of the
// Java-generated fixture).
func TestJavaDNHandWritten(t *testing.T) {
	tests := map[string]string{
		"typical":          "CN=alice,OU=Kafka,O=Example Inc,L=San Francisco,ST=California,C=US",
		"multi-valued":     "CN=alice+UID=a1,O=Example",
		"email":            "1.2.840.113549.1.9.1=#16116361726f6c406578616d706c652e636f6d,CN=carol,O=Example",
		"dc-uid":           "UID=dave,OU=people,DC=example,DC=com",
		"escape-specials":  `CN=x\=y\#z,O=a\,b\+c\"d\\e\<f\>g\;h`,
		"escape-spaces":    `CN=trailing\ \ ,OU=\ \ two leading`,
		"kafka-docs-admin": "CN=adminUser,OU=Admin,O=Unknown,L=Unknown,ST=Unknown,C=Unknown",
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := JavaDN(rawSubject(t, filepath.Join("testdata/dn", name+".pem")))
			if err != nil || got != want {
				t.Errorf("JavaDN = %q, %v; want %q", got, err, want)
			}
		})
	}
}

func TestJavaDNInvalid(t *testing.T) {
	for name, raw := range map[string][]byte{
		"empty input":   nil,
		"not sequence":  {0x02, 0x01, 0x00},
		"truncated":     {0x30, 0x05, 0x31},
		"trailing data": {0x30, 0x00, 0x00},
	} {
		if _, err := JavaDN(raw); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
