package principal

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
)

// FuzzMappingRules: parsing any rules value and mapping any name with it
// returns a result or an error, never a panic.
func FuzzMappingRules(f *testing.F) {
	for _, seed := range []string{
		"DEFAULT",
		"RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,DEFAULT",
		"RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L",
		`RULE:^CN=((\\, *|\w)+)(,.*|$)/$1/,DEFAULT`,
		"RULE:(.*)/x$1$12${n}\\$/U",
		"RULE:^CN=\\Qa.b/ok/",
		",,RULE://,,,DEFAULT,,",
		"RULE:a/b/Lxyz",
	} {
		f.Add(seed, "CN=alice,OU=ServiceUsers,O=Example")
	}
	f.Fuzz(func(t *testing.T, rules, name string) {
		mr, err := ParseMappingRules(rules)
		if err != nil {
			return
		}
		_, _ = mr.Map(name)
		_ = mr.String()
	})
}

// FuzzJavaDN: any bytes give a DN or an error, never a panic.
func FuzzJavaDN(f *testing.F) {
	files, _ := filepath.Glob("testdata/dn/*.pem")
	for _, file := range files {
		b, _ := os.ReadFile(file)
		if blk, _ := pem.Decode(b); blk != nil {
			if c, err := x509.ParseCertificate(blk.Bytes); err == nil {
				f.Add(c.RawSubject)
			}
		}
	}
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, _ = JavaDN(raw)
	})
}
