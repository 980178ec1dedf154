package jaas

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	const plain = "org.apache.kafka.common.security.plain.PlainLoginModule"
	tests := map[string]struct {
		in   string
		want []Entry
		err  string
	}{
		"kafka docs example": {
			in: plain + ` required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";`,
			want: []Entry{{LoginModule: plain, ControlFlag: Required, Options: map[string]string{
				"username": "admin", "password": "admin-secret", "user_admin": "admin-secret", "user_alice": "alice-secret"}}},
		},
		"no options": {
			in:   "org.apache.kafka.common.security.scram.ScramLoginModule required;",
			want: []Entry{{LoginModule: "org.apache.kafka.common.security.scram.ScramLoginModule", ControlFlag: Required, Options: map[string]string{}}},
		},
		"unquoted values and flag case": {
			in:   plain + " REQUIRED user_bob=bob-secret user_carol = c4rol ;",
			want: []Entry{{LoginModule: plain, ControlFlag: Required, Options: map[string]string{"user_bob": "bob-secret", "user_carol": "c4rol"}}},
		},
		"single quotes and escapes": {
			in:   plain + ` optional user_a='it"s' user_b="tab\there" user_c="q\"uote" user_d="back\\slash" user_e="\101\7" user_f="\u";`,
			want: []Entry{{LoginModule: plain, ControlFlag: Optional, Options: map[string]string{"user_a": `it"s`, "user_b": "tab\there", "user_c": `q"uote`, "user_d": `back\slash`, "user_e": "A\x07", "user_f": "u"}}},
		},
		"values with separators inside quotes": {
			in:   plain + ` required user_x="a;b=c/d//e";`,
			want: []Entry{{LoginModule: plain, ControlFlag: Required, Options: map[string]string{"user_x": "a;b=c/d//e"}}},
		},
		"comments and newlines": {
			in:   "/* leading */ " + plain + " sufficient // the flag\n user_a=\"x\" /* inline */ user_b=\"y\"\n;",
			want: []Entry{{LoginModule: plain, ControlFlag: Sufficient, Options: map[string]string{"user_a": "x", "user_b": "y"}}},
		},
		"two modules": {
			in: "a.B required x=1; c.D requisite y=\"2\";",
			want: []Entry{
				{LoginModule: "a.B", ControlFlag: Required, Options: map[string]string{"x": "1"}},
				{LoginModule: "c.D", ControlFlag: Requisite, Options: map[string]string{"y": "2"}},
			},
		},
		"later duplicate wins": {
			in:   plain + ` required user_a="1" user_a="2";`,
			want: []Entry{{LoginModule: plain, ControlFlag: Required, Options: map[string]string{"user_a": "2"}}},
		},
		"unicode": {
			in:   plain + ` required user_jörg="pässwört";`,
			want: []Entry{{LoginModule: plain, ControlFlag: Required, Options: map[string]string{"user_jörg": "pässwört"}}},
		},
		"empty":                  {in: "  // nothing\n", err: "Login module not specified in JAAS config"},
		"no flag":                {in: plain, err: "Login module control flag not specified in JAAS config"},
		"bad flag":               {in: plain + " mandatory;", err: "Invalid login module control flag 'mandatory' in JAAS config"},
		"flag is a separator":    {in: plain + " ;", err: "Login module control flag is not available in the JAAS config"},
		"missing semicolon":      {in: plain + ` required user_a="x"`, err: "JAAS config entry not terminated by semi-colon"},
		"missing value":          {in: plain + ` required user_a=;`, err: "Value not specified for key 'user_a' in JAAS config"},
		"missing equals":         {in: plain + ` required user_a "x";`, err: "Value not specified for key 'user_a' in JAAS config"},
		"value at end of input":  {in: plain + ` required user_a=`, err: "Value not specified for key 'user_a' in JAAS config"},
		"equals as key":          {in: plain + ` required ="x";`, err: "Value not specified for key 'null' in JAAS config"},
		"unterminated quote eol": {in: plain + " required user_a=\"x\n;", want: []Entry{{LoginModule: plain, ControlFlag: Required, Options: map[string]string{"user_a": "x"}}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("Parse error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Parse = %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestParseOne(t *testing.T) {
	if _, err := ParseOne("a.B required; c.D required;"); err == nil || err.Error() != "JAAS config property contains 2 login modules, should be 1 module" {
		t.Fatalf("ParseOne two modules: %v", err)
	}
	e, err := ParseOne(`a.B required k="v";`)
	if err != nil || e.Options["k"] != "v" {
		t.Fatalf("ParseOne = %+v, %v", e, err)
	}
	if keys := (&Entry{Options: map[string]string{"b": "", "a": ""}}).OptionKeys(); !reflect.DeepEqual(keys, []string{"a", "b"}) {
		t.Fatalf("OptionKeys = %v", keys)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";`,
		`a required k='v\n\101' /* c */ x=y; // z`,
		`"q" "required" "k"="v";`,
		"a required k=\"\\",
		"/*",
		"a b c = ; ; =",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		entries, err := Parse(s)
		if err == nil && len(entries) == 0 {
			t.Fatal("no entries and no error")
		}
	})
}
