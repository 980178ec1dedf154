package minikafka

import (
	"fmt"
	"strings"
)

// jaasEntry is one login module entry of a sasl.jaas.config value:
// `<class> <flag> key=value ... ;`.
type jaasEntry struct {
	Class   string
	Flag    string
	Options map[string]string
}

// parseJAASEntries parses a sasl.jaas.config value (Kafka's JaasConfig
// syntax: values are bare tokens or double-quoted strings with backslash
// escapes; each entry ends with a semicolon).
func parseJAASEntries(s string) ([]jaasEntry, error) {
	var out []jaasEntry
	toks, err := jaasTokens(s)
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(toks); {
		if i+1 >= len(toks) || toks[i].semi || toks[i+1].semi {
			return nil, fmt.Errorf("JAAS config entry must be <LoginModuleClass> <ControlFlag> [options] ;")
		}
		e := jaasEntry{Class: toks[i].text, Flag: strings.ToLower(toks[i+1].text), Options: map[string]string{}}
		switch e.Flag {
		case "required", "requisite", "sufficient", "optional":
		default:
			return nil, fmt.Errorf("JAAS config: invalid control flag %q for %s", toks[i+1].text, e.Class)
		}
		i += 2
		for ; i < len(toks) && !toks[i].semi; i++ {
			k, v, ok := strings.Cut(toks[i].text, "=")
			if toks[i].quoted || !ok || k == "" {
				return nil, fmt.Errorf("JAAS config: option %q of %s is not key=value", toks[i].text, e.Class)
			}
			if v == "" && i+1 < len(toks) && toks[i+1].quoted {
				v = toks[i+1].text
				i++
			}
			e.Options[k] = v
		}
		if i >= len(toks) {
			return nil, fmt.Errorf("JAAS config: entry %s does not end with ';'", e.Class)
		}
		i++ // the semicolon
		out = append(out, e)
	}
	return out, nil
}

type jaasToken struct {
	text   string
	quoted bool
	semi   bool
}

func jaasTokens(s string) ([]jaasToken, error) {
	var out []jaasToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == ';':
			out = append(out, jaasToken{semi: true})
			i++
		case c == '"':
			var sb strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				sb.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("JAAS config: unterminated quoted value")
			}
			out = append(out, jaasToken{text: sb.String(), quoted: true})
			i = j + 1
		default:
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '\t' && s[j] != '\n' && s[j] != '\r' && s[j] != ';' && s[j] != '"' {
				j++
			}
			out = append(out, jaasToken{text: s[i:j]})
			i = j
		}
	}
	return out, nil
}
