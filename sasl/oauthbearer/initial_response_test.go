package oauthbearer

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

func TestParseClientInitialResponse(t *testing.T) {
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln"
	tests := map[string]struct {
		in      string
		authzid string
		token   string
		ext     map[string]string
		err     string // substring; "" = success
	}{
		"kafka client":              {in: "n,,\x01auth=Bearer " + jwt + "\x01\x01", token: jwt, ext: map[string]string{}},
		"franz-go with ext":         {in: "n,,\x01auth=Bearer " + jwt + "\x01a=1\x01traceId=x y\x01\x01", token: jwt, ext: map[string]string{"a": "1", "traceId": "x y"}},
		"ext before auth":           {in: "n,,\x01k=v\x01auth=Bearer t\x01\x01", token: "t", ext: map[string]string{"k": "v"}},
		"authzid":                   {in: "n,a=alice,\x01auth=Bearer t\x01\x01", authzid: "alice", token: "t", ext: map[string]string{}},
		"authzid escapes kept raw":  {in: "n,a=a=2Cb=3Dc,\x01auth=Bearer t\x01\x01", authzid: "a=2Cb=3Dc", token: "t", ext: map[string]string{}},
		"scheme case-insensitive":   {in: "n,,\x01auth=bEaReR t\x01\x01", token: "t", ext: map[string]string{}},
		"several spaces":            {in: "n,,\x01auth=Bearer   t\x01\x01", token: "t", ext: map[string]string{}},
		"b64token chars and pad":    {in: "n,,\x01auth=Bearer a-b_c~d+e/f.g==\x01\x01", token: "a-b_c~d+e/f.g==", ext: map[string]string{}},
		"value with = and tab":      {in: "n,,\x01auth=Bearer t\x01k=a=b\tc\x01\x01", token: "t", ext: map[string]string{"k": "a=b\tc"}},
		"repeated key last wins":    {in: "n,,\x01k=1\x01k=2\x01auth=Bearer t\x01\x01", token: "t", ext: map[string]string{"k": "2"}},
		"repeated auth last wins":   {in: "n,,\x01auth=Bearer a\x01auth=Bearer b\x01\x01", token: "b", ext: map[string]string{}},
		"gs2 y":                     {in: "y,,\x01auth=Bearer t\x01\x01", err: "Invalid OAUTHBEARER client first message"},
		"gs2 p":                     {in: "p=tls-unique,,\x01auth=Bearer t\x01\x01", err: "Invalid OAUTHBEARER client first message"},
		"empty":                     {in: "", err: "Invalid OAUTHBEARER client first message"},
		"no auth":                   {in: "n,,\x01k=v\x01\x01", err: "'auth' not specified"},
		"no pairs":                  {in: "n,,\x01\x01", err: "'auth' not specified"},
		"missing final separator":   {in: "n,,\x01auth=Bearer t\x01", err: "Invalid OAUTHBEARER client first message"},
		"missing separator after ,": {in: "n,,auth=Bearer t\x01\x01", err: "Invalid OAUTHBEARER client first message"},
		"bad key digit":             {in: "n,,\x01k1=v\x01auth=Bearer t\x01\x01", err: "Invalid OAUTHBEARER client first message"},
		"empty key":                 {in: "n,,\x01=v\x01auth=Bearer t\x01\x01", err: "Invalid OAUTHBEARER client first message"},
		"empty value":               {in: "n,,\x01k=\x01auth=Bearer t\x01\x01", err: "Invalid OAUTHBEARER client first message"},
		"control char in value":     {in: "n,,\x01k=a\x02\x01auth=Bearer t\x01\x01", err: "Invalid OAUTHBEARER client first message"},
		"non-ascii value":           {in: "n,,\x01k=é\x01auth=Bearer t\x01\x01", err: "Invalid OAUTHBEARER client first message"},
		"bad authzid escape":        {in: "n,a=a=2D,\x01auth=Bearer t\x01\x01", err: "Invalid OAUTHBEARER client first message"},
		"empty authzid":             {in: "n,a=,\x01auth=Bearer t\x01\x01", err: "Invalid OAUTHBEARER client first message"},
		"basic scheme":              {in: "n,,\x01auth=Basic dXNlcg==\x01\x01", err: "invalid scheme Basic"},
		"no scheme":                 {in: "n,,\x01auth=t\x01\x01", err: "invalid 'auth' format"},
		"token with space":          {in: "n,,\x01auth=Bearer a b\x01\x01", err: "invalid 'auth' format"},
		"token only padding":        {in: "n,,\x01auth=Bearer ==\x01\x01", err: "invalid 'auth' format"},
		"token padding in middle":   {in: "n,,\x01auth=Bearer a=b\x01\x01", err: "invalid 'auth' format"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := ParseClientInitialResponse([]byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				if !errors.Is(err, ErrInvalidInitialResponse) {
					t.Fatalf("err %v does not wrap ErrInvalidInitialResponse", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if r.AuthorizationID != tc.authzid || r.Token != tc.token || !maps.Equal(r.Extensions, tc.ext) {
				t.Fatalf("got %+v, want authzid %q token %q ext %v", r, tc.authzid, tc.token, tc.ext)
			}
		})
	}
}

func FuzzParseClientInitialResponse(f *testing.F) {
	for _, s := range []string{
		"n,,\x01auth=Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.\x01\x01",
		"n,a=alice,\x01auth=Bearer t\x01traceId=123\x01\x01",
		"n,a=a=2C,\x01k=v\x01auth=bearer x==\x01\x01",
		"y,,\x01\x01", "\x01", "n,,", "n,a=\x01,\x01auth=Bearer t\x01\x01",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseClientInitialResponse(b)
		if err != nil {
			if r != nil || !errors.Is(err, ErrInvalidInitialResponse) {
				t.Fatalf("bad failure shape: %v %v", r, err)
			}
			return
		}
		if r.Token == "" || !validB64Token(r.Token) {
			t.Fatalf("accepted invalid token %q", r.Token)
		}
		if _, ok := r.Extensions["auth"]; ok {
			t.Fatal("auth returned as an extension")
		}
		for k, v := range r.Extensions {
			if !validKey(k) || !validValue(v) {
				t.Fatalf("accepted invalid extension %q=%q", k, v)
			}
		}
	})
}
