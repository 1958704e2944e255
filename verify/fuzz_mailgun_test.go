package verify

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseMailgun fuzzes the body parser of mailgun: it must not panic,
// and a body it accepts is valid JSON whose signature fields it read.
func FuzzParseMailgun(f *testing.F) {
	for _, v := range mustLoadVectors(f) {
		if v.Scheme == "mailgun" {
			f.Add([]byte(v.Body))
		}
	}
	for _, s := range []string{"", "{}", "[]", `{"signature":{}}`, `{"signature":null}`, `{"signature":{"token":1e999}}`,
		`{"signature":{"timestamp":"1","timestamp":"2"}}`, `{"a":[{"b":` + strings.Repeat("[", 100) + `}]}`, `{"signature":{"token":"x"}} {}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, _, err := parseMailgun(body); err == nil && !json.Valid(body) {
			t.Errorf("parseMailgun(%q) = nil; want an error for invalid JSON", body)
		}
	})
}

// FuzzJSONReader checks the reader behind parseMailgun and parseAdyen
// against encoding/json: it accepts exactly the valid documents, and reads
// a valid UTF-8 string as json.Unmarshal does.
func FuzzJSONReader(f *testing.F) {
	for _, v := range mustLoadVectors(f) {
		f.Add([]byte(v.Body))
	}
	for _, s := range []string{"", " ", "{}", "[]", "0", "-0", "01", "1.", "1e", "1e+5", "-", `"\u00e9"`, `"\ud800"`, `"a\x"`, "\"\t\"",
		"tru", "nul", `{"a":1,}`, `[1,]`, `{"a" 1}`, `{"a":1 "b":2}`, "[[[[]]]]", "{} {}", "\x00", "\xff", `"\xff"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		r := jsonReader{b: doc}
		err := r.skip()
		if err == nil {
			err = r.end()
		}
		if valid := json.Valid(doc); (err == nil) != valid {
			t.Errorf("jsonReader(%q) = %v; json.Valid = %v", doc, err, valid)
		}
		// encoding/json replaces invalid UTF-8, which the reader, like
		// gjson, keeps as sent.
		if len(doc) > 0 && doc[0] == '"' && utf8.Valid(doc) {
			var want string
			r := jsonReader{b: doc}
			got, err := r.str()
			if json.Unmarshal(doc[:r.i], &want) == nil && err == nil && string(got) != want {
				t.Errorf("jsonReader.str(%q) = %q; want %q", doc, got, want)
			}
		}
	})
}

func FuzzVerifyMailgun(f *testing.F) {
	fuzzVerify(f, "mailgun", "mailgun", Options{})
}
