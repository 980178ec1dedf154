package principal

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// javaLower is Java's String.toLowerCase(Locale.ENGLISH) for the /L flag
// of mapping rules: Go's simple case mapping plus the context and special
// cases Java applies in every locale (İ becomes i + combining dot above, a
// word-final capital sigma becomes ς).
func javaLower(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	var sb strings.Builder
	for i, r := range s {
		switch r {
		case 'İ':
			sb.WriteString("i\u0307")
		case 'Σ':
			if finalSigma(s, i) {
				sb.WriteRune('ς')
			} else {
				sb.WriteRune('σ')
			}
		default:
			sb.WriteRune(unicode.ToLower(r))
		}
	}
	return sb.String()
}

// finalSigma reports whether the Σ at byte i ends a word: a cased letter
// comes before it and none follows (ignoring combining marks).
func finalSigma(s string, i int) bool {
	before := false
	for j := i; j > 0; {
		r, n := utf8.DecodeLastRuneInString(s[:j])
		j -= n
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		before = unicode.IsLetter(r) && (unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r))
		break
	}
	if !before {
		return false
	}
	for _, r := range s[i+len("Σ"):] {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		return !(unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r))
	}
	return true
}

// javaUpperSpecial are the unconditional one-to-many upper-case mappings
// of Unicode's SpecialCasing.txt that Java applies and Go's simple mapping
// does not (the common ones: sharp s and the Latin ligatures).
var javaUpperSpecial = map[rune]string{
	'ß': "SS", 'ŉ': "ʼN", 'ǰ': "J̌", 'ﬀ': "FF", 'ﬁ': "FI", 'ﬂ': "FL", 'ﬃ': "FFI", 'ﬄ': "FFL", 'ﬅ': "ST", 'ﬆ': "ST",
}

// javaUpper is Java's String.toUpperCase(Locale.ENGLISH) for the /U flag.
func javaUpper(s string) string {
	if isASCII(s) {
		return strings.ToUpper(s)
	}
	var sb strings.Builder
	for _, r := range s {
		if m, ok := javaUpperSpecial[r]; ok {
			sb.WriteString(m)
		} else {
			sb.WriteRune(unicode.ToUpper(r))
		}
	}
	return sb.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
