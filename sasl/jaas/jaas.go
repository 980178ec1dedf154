// Package jaas parses the JAAS login-module lines Kafka users write in
// `sasl.jaas.config` and `listener.name.<l>.<mech>.sasl.jaas.config`:
//
//	org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";
//
// It reproduces Kafka's JaasConfig tokenizer (a java.io.StreamTokenizer
// with Kafka's syntax table): bytes up to space are whitespace; ';' and
// '=' are separators; '"' and '\” quote, with Java escapes (\n, \t, \\,
// octal, ...); '/' starts a comment ('//', '/* */' or a lone '/' to end of
// line); everything else is part of a word. The error messages are
// Kafka's. It imports nothing else of minikafka.
package jaas

import (
	"fmt"
	"sort"
	"strings"
)

// Control flags of a login module, as JAAS names them.
const (
	Required   = "required"
	Requisite  = "requisite"
	Sufficient = "sufficient"
	Optional   = "optional"
)

// Entry is one login module: its class, control flag and options.
type Entry struct {
	LoginModule string
	ControlFlag string // lower case: required, requisite, sufficient or optional
	Options     map[string]string
}

// OptionKeys returns the option names in sorted order.
func (e *Entry) OptionKeys() []string {
	keys := make([]string, 0, len(e.Options))
	for k := range e.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Parse parses a JAAS configuration value into its login modules. An error
// carries Kafka's message (e.g. "JAAS config entry not terminated by
// semi-colon"); the caller adds where the value came from.
func Parse(s string) ([]Entry, error) {
	t := &tokenizer{s: s}
	var entries []Entry
	for {
		tok := t.next()
		if tok.kind == tokEOF {
			break
		}
		e, err := parseEntry(t, tok)
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	if len(entries) == 0 {
		return nil, &Error{Msg: "Login module not specified in JAAS config"}
	}
	return entries, nil
}

// ParseOne parses a value that must hold exactly one login module, as
// Kafka requires of `sasl.jaas.config`.
func ParseOne(s string) (Entry, error) {
	entries, err := Parse(s)
	if err != nil {
		return Entry{}, err
	}
	if len(entries) != 1 {
		return Entry{}, errorf("JAAS config property contains %d login modules, should be 1 module", len(entries))
	}
	return entries[0], nil
}

func parseEntry(t *tokenizer, first token) (Entry, error) {
	e := Entry{LoginModule: first.sval(), Options: map[string]string{}}
	flagTok := t.next()
	if flagTok.kind == tokEOF {
		return Entry{}, &Error{Msg: "Login module control flag not specified in JAAS config"}
	}
	flag, err := controlFlag(flagTok)
	if err != nil {
		return Entry{}, err
	}
	e.ControlFlag = flag
	var tok token
	for {
		tok = t.next()
		if tok.kind == tokEOF || tok.isChar(';') {
			break
		}
		key := tok.sval()
		eq := t.next()
		if !eq.isChar('=') {
			return Entry{}, errorf("Value not specified for key '%s' in JAAS config", key)
		}
		val := t.next()
		if val.kind != tokWord && val.kind != tokQuoted {
			return Entry{}, errorf("Value not specified for key '%s' in JAAS config", key)
		}
		e.Options[key] = val.text
	}
	if !tok.isChar(';') {
		return Entry{}, &Error{Msg: "JAAS config entry not terminated by semi-colon"}
	}
	return e, nil
}

func controlFlag(tok token) (string, error) {
	if tok.kind != tokWord && tok.kind != tokQuoted {
		return "", &Error{Msg: "Login module control flag is not available in the JAAS config"}
	}
	switch f := strings.ToLower(tok.text); f {
	case Required, Requisite, Sufficient, Optional:
		return f, nil
	}
	return "", errorf("Invalid login module control flag '%s' in JAAS config", tok.text)
}

// Error is a malformed JAAS configuration, with Kafka's message.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

type tokKind int8

const (
	tokEOF    tokKind = iota
	tokWord           // unquoted word
	tokQuoted         // quoted string
	tokChar           // an ordinary character: ';' or '='
)

type token struct {
	kind tokKind
	text string
	ch   byte
}

func (t token) isChar(c byte) bool { return t.kind == tokChar && t.ch == c }

// sval is StreamTokenizer.sval as Kafka uses it in messages: the word or
// quoted text, "null" for an ordinary character.
func (t token) sval() string {
	if t.kind == tokWord || t.kind == tokQuoted {
		return t.text
	}
	return "null"
}

// tokenizer reproduces java.io.StreamTokenizer with Kafka's syntax table.
type tokenizer struct {
	s   string
	pos int
}

func isSpace(c byte) bool { return c <= ' ' }

// isWord reports whether a byte belongs to a word: Kafka sets 32..128 and
// 160..255 as word characters, then overrides space, ';', '=', '/', '"' and
// '\”. Bytes 129..159 are ordinary; non-ASCII text arrives here as UTF-8
// bytes ≥ 128, which we treat as word bytes (Java sees the decoded
// characters, which are ≥ 256 and therefore word characters too).
func isWord(c byte) bool {
	switch c {
	case ';', '=', '/', '"', '\'':
		return false
	}
	return c > ' '
}

func (t *tokenizer) next() token {
	for {
		for t.pos < len(t.s) && isSpace(t.s[t.pos]) {
			t.pos++
		}
		if t.pos >= len(t.s) {
			return token{kind: tokEOF}
		}
		c := t.s[t.pos]
		switch {
		case c == '/':
			t.skipComment()
			continue
		case c == '"' || c == '\'':
			t.pos++
			return token{kind: tokQuoted, text: t.quoted(c)}
		case isWord(c):
			start := t.pos
			for t.pos < len(t.s) && isWord(t.s[t.pos]) {
				t.pos++
			}
			return token{kind: tokWord, text: t.s[start:t.pos]}
		default:
			t.pos++
			return token{kind: tokChar, ch: c}
		}
	}
}

// skipComment skips '//' and lone '/' comments to the end of the line and
// '/* ... */' comments (to the end of input when unterminated).
func (t *tokenizer) skipComment() {
	t.pos++
	if t.pos < len(t.s) && t.s[t.pos] == '*' {
		end := strings.Index(t.s[t.pos+1:], "*/")
		if end < 0 {
			t.pos = len(t.s)
			return
		}
		t.pos += 1 + end + 2
		return
	}
	for t.pos < len(t.s) && t.s[t.pos] != '\n' && t.s[t.pos] != '\r' {
		t.pos++
	}
}

// quoted reads a quoted string after its opening quote. Like
// StreamTokenizer, it ends at the matching quote, at an end of line or at
// the end of input, and decodes Java escapes.
func (t *tokenizer) quoted(q byte) string {
	var sb strings.Builder
	for t.pos < len(t.s) {
		c := t.s[t.pos]
		if c == q {
			t.pos++
			return sb.String()
		}
		if c == '\n' || c == '\r' {
			return sb.String()
		}
		t.pos++
		if c != '\\' || t.pos >= len(t.s) {
			sb.WriteByte(c)
			continue
		}
		c = t.s[t.pos]
		t.pos++
		switch c {
		case 'a':
			sb.WriteByte(7)
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'v':
			sb.WriteByte('\v')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			sb.WriteRune(t.octal(c))
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// octal decodes \o, \oo or \ooo (three digits only when the first is ≤ 3),
// as StreamTokenizer does.
func (t *tokenizer) octal(first byte) rune {
	v := rune(first - '0')
	maxDigits := 2
	if first > '3' {
		maxDigits = 1
	}
	for i := 0; i < maxDigits && t.pos < len(t.s) && t.s[t.pos] >= '0' && t.s[t.pos] <= '7'; i++ {
		v = v*8 + rune(t.s[t.pos]-'0')
		t.pos++
	}
	return v
}
