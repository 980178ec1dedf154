package principal

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MappingRules is a parsed ssl.principal.mapping.rules value (Kafka's
// SslPrincipalMapper), also used for minikafka.principal.sasl.name.rules:
// a comma-separated list of DEFAULT and RULE:pattern/replacement/[L|U].
// Rules are tried in order; a RULE applies only when its pattern matches
// the whole name, and then yields name.replaceAll(pattern, replacement)
// with Java's replacement syntax ($n, ${name}, \x); DEFAULT yields the
// name unchanged.
//
// Patterns are Java regular expressions run by Go's regexp (RE2):
// look-around, back-references and possessive quantifiers are refused at
// parse time.
//
// A nil *MappingRules is DEFAULT.
type MappingRules struct {
	rules []*mappingRule
}

type mappingRule struct {
	isDefault bool
	src       string         // the pattern as written
	repl      string         // the replacement as written
	full      *regexp.Regexp // ^(?:pattern)\z: Java's matches()
	re        *regexp.Regexp // the pattern, for replaceAll
	mid       *regexp.Regexp // the pattern with ^ never matching (see emptyAt)
	tmpl      []replPiece    // the replacement, ready to expand
	tmplErr   error          // a replacement Java would reject when applying it
	lower     bool
	upper     bool
}

// replPiece is a literal (group < 0) or a reference to a group.
type replPiece struct {
	lit   string
	group int
}

// The grammar of Kafka's SslPrincipalMapper: one entry is DEFAULT,
// RULE:pattern/replacement/[LU] with anything after the flag (refused
// later), or anything else (refused unless empty).
const ruleGrammar = `(DEFAULT)|RULE:((?:\\.|[^\\/])*)/((?:\\.|[^\\/])*)/([LU]?).*?|(.*?)`

var (
	ruleSplitter = regexp.MustCompile(`\s*(` + ruleGrammar + `)\s*(?:,\s*|$)`)
	ruleParser   = regexp.MustCompile(`^(?:` + ruleGrammar + `)`)
	backRef      = regexp.MustCompile(`\$(\d+)`)
)

// ErrNoMatchingRule is wrapped by the error of Map when no rule applies.
var ErrNoMatchingRule = errors.New("no matching rule")

// ParseMappingRules parses a rules value. The errors are Kafka's
// ("Invalid rule: `RULE:a/b/Lx`, unmatched substring: `x`") or name the
// pattern Go's regexp cannot run. An empty value (after trimming) has no
// rule at all, so that every name fails to map, as in Kafka; callers that
// want DEFAULT for an unset value pass "DEFAULT" or use a nil
// *MappingRules.
func ParseMappingRules(s string) (*MappingRules, error) {
	mr := &MappingRules{}
	for _, entry := range splitRules(s) {
		loc := ruleParser.FindStringSubmatchIndex(entry)
		if loc[1] != len(entry) {
			return nil, javaErrorf(nil, "Invalid rule: `%s`, unmatched substring: `%s`", entry, entry[loc[1]:])
		}
		switch {
		case loc[2] >= 0:
			mr.rules = append(mr.rules, &mappingRule{isDefault: true})
		case loc[4] >= 0:
			r, err := compileRule(entry[loc[4]:loc[5]], entry[loc[6]:loc[7]], entry[loc[8]:loc[9]])
			if err != nil {
				return nil, javaErrorf(err, "Invalid rule: `%s`", entry)
			}
			mr.rules = append(mr.rules, r)
		}
		// anything else is an empty entry: ignored
	}
	return mr, nil
}

// splitRules cuts the value into entries the way Kafka's RULE_SPLITTER
// does with Matcher.find(): after an empty match the next search starts
// one character later.
func splitRules(s string) []string {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' }) // Java's String.trim
	var out []string
	for pos := 0; pos <= len(s); {
		loc := ruleSplitter.FindStringSubmatchIndex(s[pos:])
		if loc == nil {
			break
		}
		out = append(out, s[pos+loc[2]:pos+loc[3]])
		if loc[0] == loc[1] {
			_, n := utf8.DecodeRuneInString(s[pos+loc[1]:])
			pos += loc[1] + max(n, 1)
		} else {
			pos += loc[1]
		}
	}
	return out
}

func compileRule(pattern, repl, flag string) (*mappingRule, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("pattern not supported by Go's regexp (RE2 syntax, no look-around or back-references): %w", err)
	}
	// Wrap the parsed form, not the text: a trailing \Q would swallow
	// the wrapper.
	t, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, err
	}
	full, err := regexp.Compile(`^(?:` + t.String() + `)\z`)
	if err != nil {
		return nil, err
	}
	mid, err := neverAtStart(t)
	if err != nil {
		return nil, err
	}
	r := &mappingRule{src: pattern, repl: repl, full: full, re: re, mid: mid, lower: flag == "L", upper: flag == "U"}
	r.tmpl, r.tmplErr = parseJavaReplacement(kafkaEscapeBackRefs(repl, re.NumSubexp()), re)
	return r, nil
}

// neverAtStart compiles the pattern with every beginning-of-text assertion
// replaced by one that never matches, to evaluate it at a position that is
// not the start of the input.
func neverAtStart(parsed *syntax.Regexp) (*regexp.Regexp, error) {
	t := copyTree(parsed)
	var walk func(*syntax.Regexp)
	walk = func(n *syntax.Regexp) {
		if n.Op == syntax.OpBeginText || n.Op == syntax.OpBeginLine {
			*n = syntax.Regexp{Op: syntax.OpNoMatch}
			return
		}
		for _, s := range n.Sub {
			walk(s)
		}
	}
	walk(t)
	return regexp.Compile(t.String())
}

func copyTree(n *syntax.Regexp) *syntax.Regexp {
	c := *n
	c.Sub = make([]*syntax.Regexp, len(n.Sub))
	for i, s := range n.Sub {
		c.Sub[i] = copyTree(s)
	}
	c.Sub0 = [1]*syntax.Regexp{}
	return &c
}

// kafkaEscapeBackRefs is what Kafka does to a replacement before using it
// (SslPrincipalMapper.escapeLiteralBackReferences): a back-reference to a
// group beyond the group count is kept literally by escaping its "$";
// "$12" with 3 groups stays a reference to group 1 followed by "2". Like
// Kafka, it finds the references in the original string but inserts into
// the already-escaped one, so a second invalid reference is escaped one
// character too early; Kafka users see that too.
func kafkaEscapeBackRefs(repl string, groups int) string {
	if groups == 0 {
		return repl
	}
	value := repl
	for _, m := range backRef.FindAllStringSubmatchIndex(repl, -1) {
		digits := repl[m[2]:m[3]]
		if digits[0] == '0' {
			continue
		}
		n, err := strconv.Atoi(digits)
		if err != nil || len(digits) > 9 {
			// Java's Integer.parseInt throws here, failing the mapping.
			return "$" // an illegal replacement: parseJavaReplacement reports it
		}
		for n > groups && n >= 10 {
			n /= 10
		}
		if n > groups {
			at := m[2] - 1
			value = value[:at] + `\` + value[at:]
		}
	}
	return value
}

// parseJavaReplacement parses Java's Matcher.appendReplacement syntax:
// \x is a literal x; $n is the longest group number not above the group
// count (its first digit always counts); ${name} is a named group.
func parseJavaReplacement(repl string, re *regexp.Regexp) ([]replPiece, error) {
	var pieces []replPiece
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			pieces = append(pieces, replPiece{lit: lit.String(), group: -1})
			lit.Reset()
		}
	}
	groups := re.NumSubexp()
	for i := 0; i < len(repl); {
		c := repl[i]
		switch c {
		case '\\':
			i++
			if i == len(repl) {
				return nil, errors.New("character to be escaped is missing")
			}
			_, n := utf8.DecodeRuneInString(repl[i:])
			lit.WriteString(repl[i : i+n])
			i += n
		case '$':
			i++
			if i == len(repl) {
				return nil, javaErrorf(nil, "Illegal group reference: group index is missing")
			}
			var ref int
			if repl[i] == '{' {
				j := i + 1
				for j < len(repl) && isASCIIAlnum(repl[j]) {
					j++
				}
				name := repl[i+1 : j]
				switch {
				case name == "":
					return nil, errors.New("named capturing group has 0 length name")
				case j == len(repl) || repl[j] != '}':
					return nil, errors.New("named capturing group is missing trailing '}'")
				case name[0] >= '0' && name[0] <= '9':
					return nil, fmt.Errorf("capturing group name {%s} starts with digit character", name)
				}
				ref = re.SubexpIndex(name)
				if ref < 0 {
					return nil, javaErrorf(nil, "No group with name {%s}", name)
				}
				i = j + 1
			} else {
				if repl[i] < '0' || repl[i] > '9' {
					return nil, javaErrorf(nil, "Illegal group reference")
				}
				ref = int(repl[i] - '0')
				i++
				for i < len(repl) && repl[i] >= '0' && repl[i] <= '9' {
					next := ref*10 + int(repl[i]-'0')
					if next > groups {
						break
					}
					ref = next
					i++
				}
				if ref > groups {
					return nil, javaErrorf(nil, "No group %d", ref)
				}
			}
			flush()
			pieces = append(pieces, replPiece{group: ref})
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return pieces, nil
}

func isASCIIAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// Map returns the name the first applicable rule yields. An error wraps
// ErrNoMatchingRule when no rule applies, or says why a matching rule's
// replacement failed (Java would throw then too).
func (mr *MappingRules) Map(name string) (string, error) {
	if mr == nil {
		return name, nil
	}
	for _, r := range mr.rules {
		if r.isDefault {
			return name, nil
		}
		if !r.full.MatchString(name) {
			continue
		}
		out, err := r.replaceAll(name)
		if err != nil {
			return "", fmt.Errorf("applying %s to %q: %w", r, name, err)
		}
		switch {
		case r.lower:
			out = javaLower(out)
		case r.upper:
			out = javaUpper(out)
		}
		return out, nil
	}
	return "", javaErrorf(ErrNoMatchingRule, "No rules apply to %s, rules %s", name, mr)
}

// replaceAll is Java's String.replaceAll: every match found by successive
// find() calls is replaced. Java, unlike Go, also takes an empty match
// right where the previous match ended.
func (r *mappingRule) replaceAll(s string) (string, error) {
	if r.tmplErr != nil {
		return "", r.tmplErr
	}
	var sb strings.Builder
	last := 0
	emit := func(m []int) {
		sb.WriteString(s[last:m[0]])
		for _, p := range r.tmpl {
			if p.group < 0 {
				sb.WriteString(p.lit)
			} else if m[2*p.group] >= 0 {
				sb.WriteString(s[m[2*p.group]:m[2*p.group+1]])
			}
		}
		last = m[1]
	}
	for _, m := range r.re.FindAllStringSubmatchIndex(s, -1) {
		emit(m)
		if m[1] > m[0] {
			if e := r.emptyAt(s, m[1]); e != nil {
				emit(e)
			}
		}
	}
	sb.WriteString(s[last:])
	return sb.String(), nil
}

// emptyAt returns the submatch indexes of an empty match at position p
// (p > 0) when that is the match Java's find() would take there. A \b or
// \B at p is judged without the character before p.
func (r *mappingRule) emptyAt(s string, p int) []int {
	m := r.mid.FindStringSubmatchIndex(s[p:])
	if m == nil || m[0] != 0 || m[1] != 0 {
		return nil
	}
	for i := range m {
		if m[i] >= 0 {
			m[i] += p
		}
	}
	return m
}

// String returns the rules as Kafka prints them: [RULE:p/r/L, DEFAULT].
func (mr *MappingRules) String() string {
	if mr == nil {
		return "[DEFAULT]"
	}
	parts := make([]string, len(mr.rules))
	for i, r := range mr.rules {
		parts[i] = r.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func (r *mappingRule) String() string {
	if r.isDefault {
		return "DEFAULT"
	}
	s := "RULE:" + r.src + "/" + r.repl
	switch {
	case r.lower:
		s += "/L"
	case r.upper:
		s += "/U"
	}
	return s
}

// javaError is an error whose text is Java's or Kafka's, verbatim
// (capitalized as they write it), optionally wrapping a cause.
type javaError struct {
	msg string
	err error
}

func javaErrorf(cause error, format string, args ...any) error {
	return &javaError{msg: fmt.Sprintf(format, args...), err: cause}
}

func (e *javaError) Error() string {
	if e.err != nil {
		return e.msg + ": " + e.err.Error()
	}
	return e.msg
}

func (e *javaError) Unwrap() error { return e.err }
