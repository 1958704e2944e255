package verify

import (
	"encoding/json"
	"testing"
)

// FuzzLinearMember checks the top-level member finder against encoding/json
// on valid JSON, and that it never panics or returns a bad range on the
// rest; and that stamping a valid object keeps it valid, with the member
// found where it was put.
func FuzzLinearMember(f *testing.F) {
	for _, v := range mustLoadVectors(f) {
		f.Add([]byte(v.Body))
	}
	for _, s := range []string{"", "{", "}", "{}", " { } ", "[]", `{"webhookTimestamp":1}`, `{"a":{"webhookTimestamp":1},"webhookTimestamp":2}`,
		`{"a":"\"}","webhookTimestamp":[1,{"b":"]"}]}`, `{"webhook\u0054imestamp":1}`, `{"a":1,}`, `{"a" 1}`, `{"a":}`, `{"a":"`, `{"a":[`, `{"\`,
		`{"webhookTimestamp":1,"webhookTimestamp":2}`, `"webhookTimestamp"`, `{"a":1}x`, "null"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		start, end, found, isObject := linearMember(body, linearTSField)
		if found && (start < 0 || start > end || end > len(body) || !isObject) {
			t.Fatalf("linearMember(%q) = %d, %d, %v, %v; want a range in the body", body, start, end, found, isObject)
		}
		if !json.Valid(body) {
			return
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) != nil || m == nil { // null decodes to a nil map
			if isObject || found {
				t.Errorf("linearMember(%q) = object %v, found %v; want neither for a non-object", body, isObject, found)
			}
			return
		}
		_, has := m[linearTSField]
		if !isObject || found != has {
			t.Errorf("linearMember(%q) = object %v, found %v; want true, %v", body, isObject, found, has)
		}
		if found && !json.Valid(body[start:end]) {
			t.Errorf("linearMember(%q) = value %q; want valid JSON", body, body[start:end])
		}
		const ms = "1700000000000"
		out := stampLinear(body, ms)
		if !json.Valid(out) {
			t.Fatalf("stampLinear(%q) = %q; want valid JSON", body, out)
		}
		start, end, found, _ = linearMember(out, linearTSField)
		if !found || string(out[start:end]) != ms {
			t.Errorf("stampLinear(%q) = %q; want the member set to %s", body, out, ms)
		}
	})
}

func FuzzVerifyLinear(f *testing.F) {
	fuzzVerify(f, "linear", "linear", Options{}, "Linear-Signature", "Linear-Timestamp")
}
