package principal

import (
	"errors"
	"regexp"
	"regexp/syntax"
	"strings"
	"testing"
)

// TestJavaReplaceAllFixture checks the Java replacement syntax and
// replaceAll's find() semantics against what Java 17 printed for
// testdata/replace/cases.tsv (see regen.sh there).
func TestJavaReplaceAllFixture(t *testing.T) {
	rows := readFixture(t, "testdata/replace/replace_fixtures.tsv", 4)
	if len(rows) < 20 {
		t.Fatalf("only %d fixture rows", len(rows))
	}
	for _, row := range rows {
		in, pattern, repl, want := row[0], row[1], row[2], row[3]
		t.Run(pattern+"→"+repl, func(t *testing.T) {
			re := regexp.MustCompile(pattern)
			tree, err := syntax.Parse(pattern, syntax.Perl)
			if err != nil {
				t.Fatal(err)
			}
			mid, err := neverAtStart(tree)
			if err != nil {
				t.Fatal(err)
			}
			r := &mappingRule{re: re, mid: mid}
			r.tmpl, r.tmplErr = parseJavaReplacement(repl, re)
			got, err := r.replaceAll(in)
			if err != nil {
				got = "!" + err.Error()
			}
			if got != want {
				t.Errorf("%q.replaceAll(%q, %q) = %q, Java: %q", in, pattern, repl, got, want)
			}
		})
	}
}

func TestMappingRulesMap(t *testing.T) {
	kafkaDocs := `RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,
RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,
RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L,
DEFAULT`
	kafkaTest := strings.Join([]string{
		"RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L",
		"RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L",
		"RULE:^cn=(.*?),ou=(.*?),dc=(.*?),dc=(.*?)$/$1@$2/U",
		"RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U",
		"DEFAULT",
	}, ", ")
	tests := map[string]struct {
		rules, name, want string
		noMatch           bool // want ErrNoMatchingRule
		mapErr            string
	}{
		"docs service user":         {rules: kafkaDocs, name: "CN=serviceuser,OU=ServiceUsers,O=Unknown,L=Unknown,ST=Unknown,C=Unknown", want: "serviceuser"},
		"docs admin":                {rules: kafkaDocs, name: "CN=adminUser,OU=Admin,O=Unknown,L=Unknown,ST=Unknown,C=Unknown", want: "adminuser@admin"},
		"docs any cn":               {rules: kafkaDocs, name: "OU=x,CN=Bob.Smith,O=y", want: "bob.smith"},
		"docs default":              {rules: kafkaDocs, name: "OU=JavaSoft,O=Sun", want: "OU=JavaSoft,O=Sun"},
		"kafka lower":               {rules: kafkaTest, name: "CN=Duke,OU=ServiceUsers,O=Org,C=US", want: "duke"},
		"kafka two groups":          {rules: kafkaTest, name: "CN=Duke,OU=SME,O=mycp,L=Fulton,ST=MD,C=US", want: "duke@sme"},
		"kafka upper":               {rules: kafkaTest, name: "cn=duke,ou=sme,dc=mycp,dc=com", want: "DUKE@SME"},
		"kafka mixed-case cn":       {rules: kafkaTest, name: "cN=duke,OU=JavaSoft,O=Sun Microsystems", want: "DUKE"},
		"kafka falls to default":    {rules: kafkaTest, name: "OU=JavaSoft,O=Sun Microsystems,C=US", want: "OU=JavaSoft,O=Sun Microsystems,C=US"},
		"escaped comma in cn":       {rules: `RULE:^CN=((\\, *|\w)+)(,.*|$)/$1/,DEFAULT`, name: `CN=Tkac\, Adam,OU=ITZ,DC=geodis,DC=cz`, want: `Tkac\, Adam`},
		"not a full match":          {rules: "RULE:CN=([^,]+)/$1/", name: "CN=alice,OU=Kafka", noMatch: true},
		"redpanda style":            {rules: "RULE:.*CN=([^,]+).*/$1/", name: "CN=alice,OU=Kafka", want: "alice"},
		"default first wins":        {rules: "DEFAULT,RULE:.*/x/", name: "CN=a", want: "CN=a"},
		"no rule":                   {rules: "", name: "CN=a", noMatch: true},
		"only empty entries":        {rules: ",   , , ", name: "CN=a", noMatch: true},
		"ref beyond groups literal": {rules: "RULE:^CN=(.*?),OU=(.*?),O=(.*?)$/$1@$4/", name: "CN=a,OU=b,O=c", want: "a@$4"},
		"ref 12 with 3 groups":      {rules: "RULE:^CN=(.*?),OU=(.*?),O=(.*?)$/$12/", name: "CN=a,OU=b,O=c", want: "a2"},
		"ref 0 whole match":         {rules: "RULE:^CN=(.*)$/<$0>/", name: "CN=a", want: "<CN=a>"},
		"escaped slash":             {rules: `RULE:^CN=a\/b$/ok/`, name: "CN=a/b", want: "ok"},
		"comma in replacement":      {rules: "RULE:^CN=(.*),OU=(.*)$/$2,$1/", name: "CN=a,OU=b", want: "b,a"},
		"upper unicode":             {rules: "RULE:^O=(.*)$/$1/U", name: "O=Straße", want: "STRASSE"},
		// Kafka inserts the second escape one character early, so Java
		// then sees a reference to group 5 and throws.
		"two refs beyond groups": {rules: "RULE:^CN=(.*)$/$4$5/", name: "CN=a", mapErr: "No group 5"},
		"ref without any group":  {rules: "RULE:^CN=.*$/$1/", name: "CN=a", mapErr: "No group 1"},
		"bad ref not matching":   {rules: "RULE:^CN=x$/$1/,DEFAULT", name: "CN=a", want: "CN=a"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			mr, err := ParseMappingRules(tc.rules)
			if err != nil {
				t.Fatal(err)
			}
			got, err := mr.Map(tc.name)
			switch {
			case tc.noMatch:
				if !errors.Is(err, ErrNoMatchingRule) {
					t.Fatalf("Map = %q, %v; want no matching rule", got, err)
				}
			case tc.mapErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.mapErr) || errors.Is(err, ErrNoMatchingRule) {
					t.Fatalf("Map = %q, %v; want error %q", got, err, tc.mapErr)
				}
			case err != nil || got != tc.want:
				t.Fatalf("Map = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestMappingRulesNil(t *testing.T) {
	var mr *MappingRules
	if got, err := mr.Map("CN=x"); err != nil || got != "CN=x" {
		t.Fatalf("nil rules: %q, %v", got, err)
	}
	if mr.String() != "[DEFAULT]" {
		t.Fatal(mr.String())
	}
}

// TestMappingRulesSplitting follows Kafka's rule splitting: entries, the
// whitespace around them and empty entries.
func TestMappingRulesSplitting(t *testing.T) {
	tests := map[string]string{
		"":                               "[]",
		"DEFAULT":                        "[DEFAULT]",
		"RULE://":                        "[RULE:/]",
		"RULE:/.*/":                      "[RULE:/.*]",
		"RULE:/.*/L":                     "[RULE:/.*/L]",
		"RULE://,DEFAULT":                "[RULE:/, DEFAULT]",
		"  RULE:// ,  DEFAULT  ":         "[RULE:/, DEFAULT]",
		"  RULE:   /     / ,  DEFAULT  ": "[RULE:   /     , DEFAULT]",
		"  RULE:  /     /U   ,DEFAULT  ": "[RULE:  /     /U, DEFAULT]",
		",   , , ,      , , ,   ":        "[]",
		",,RULE://,,,DEFAULT,,":          "[RULE:/, DEFAULT]",
		",  , RULE: /   /    ,,,   DEFAULT, ,   ": "[RULE: /   , DEFAULT]",
		`RULE:\/\\\(\)\n\t/\/\//`:                 `[RULE:\/\\\(\)\n\t/\/\/]`,
		`RULE:\**\/+/*/L,RULE:\/*\**/**/`:         `[RULE:\**\/+/*/L, RULE:\/*\**/**]`,
		`RULE:,RULE:,/,RULE:,\//U,RULE:,/RULE:,/,RULE:,RULE:,/L,RULE:,/L,RULE:, DEFAULT, /DEFAULT/,DEFAULT`: `[RULE:,RULE:,/,RULE:,\//U, RULE:,/RULE:,, RULE:,RULE:,/L,RULE:,/L, RULE:, DEFAULT, /DEFAULT, DEFAULT]`,
	}
	for in, want := range tests {
		mr, err := ParseMappingRules(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if mr.String() != want {
			t.Errorf("%q: rules %s, want %s", in, mr, want)
		}
	}
}

func TestMappingRulesInvalid(t *testing.T) {
	tests := map[string]string{
		"default":                               "Invalid rule: `default`, unmatched substring: `default`",
		"DEFAUL":                                "Invalid rule: `DEFAUL`, unmatched substring: `DEFAUL`",
		"DEFAULT/L":                             "Invalid rule: `DEFAULT/L`, unmatched substring: `/L`",
		"DEFAULT/U":                             "Invalid rule: `DEFAULT/U`, unmatched substring: `/U`",
		"RULE:CN=(.*?),OU=ServiceUsers.*/$1":    "Invalid rule: `RULE:CN=(.*?)`, unmatched substring: `RULE:CN=(.*?)`",
		"rule:^CN=(.*?),OU=ServiceUsers.*$/$1/": "unmatched substring",
		"RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L/U": "Invalid rule: `RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L/U`, unmatched substring: `/U`",
		"RULE:^CN=(.*?),OU=ServiceUsers.*$/L":      "unmatched substring",
		"RULE:^CN=(.*?),OU=ServiceUsers.*$/U":      "unmatched substring",
		"RULE:^CN=(.*?),OU=ServiceUsers.*$/LU":     "unmatched substring",
		"RULE:a/b/Lxyz":                            "Invalid rule: `RULE:a/b/Lxyz`, unmatched substring: `xyz`",
		"RULE:^(?=CN).*$/x/":                       "Go's regexp",
		"RULE:^CN=(a)\\1$/x/":                      "Go's regexp",
		"DEFAULT, RULE:[/x/":                       "Invalid rule: `RULE:[/x/`",
	}
	for in, want := range tests {
		_, err := ParseMappingRules(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to contain %q", in, err, want)
		}
	}
	// Kafka's valid examples parse.
	for _, in := range []string{
		"DEFAULT",
		"RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/",
		"RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, DEFAULT",
		"RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/",
		"RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L",
		"RULE:^cn=(.?),ou=(.?),dc=(.?),dc=(.?)$/$1@$2/U",
		"RULE:^CN=([^,ADEFLTU,]+)(,.*|$)/$1/",
		"RULE:^CN=([^,DEFAULT,]+)(,.*|$)/$1/",
	} {
		if _, err := ParseMappingRules(in); err != nil {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func TestKafkaEscapeBackRefs(t *testing.T) {
	tests := []struct {
		repl   string
		groups int
		want   string
	}{
		{"$1@$2", 3, "$1@$2"},
		{"$1@$4", 3, `$1@\$4`},
		{"$12", 3, "$12"},
		{"$45", 3, `\$45`},
		{"$0", 3, "$0"},
		{"$4", 0, "$4"},
		{"$4$5", 1, `\$\4$5`}, // Kafka's offset quirk
	}
	for _, tc := range tests {
		if got := kafkaEscapeBackRefs(tc.repl, tc.groups); got != tc.want {
			t.Errorf("kafkaEscapeBackRefs(%q, %d) = %q, want %q", tc.repl, tc.groups, got, tc.want)
		}
	}
}
