package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// setBodyField puts field: value (JSON) into a JSON object body, for the
// Sign of schemes that carry their signature or secret in the body
// (Mailgun, Figma): as the first member when found reports the body has no
// such field, replacing it otherwise (the body is then re-encoded, its keys
// sorted). An empty body becomes {field: value}. who names the scheme in
// errors.
func setBodyField(who string, body []byte, field string, value []byte, found func([]byte) (bool, error)) ([]byte, error) {
	body = bytes.TrimSpace(body)
	head := []byte(`{"` + field + `":`)
	if len(body) == 0 {
		return slices.Concat(head, value, []byte("}")), nil
	}
	if body[0] != '{' || !json.Valid(body) {
		return nil, fmt.Errorf("%s: the body to sign is not a JSON object", who)
	}
	if has, err := found(body); err != nil || has {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, fmt.Errorf("%s: the body to sign: %v", who, err)
		}
		m[field] = value
		out, _ := json.Marshal(m)
		return out, nil
	}
	rest := bytes.TrimSpace(body[1:])
	sep := []byte(",")
	if rest[0] == '}' {
		sep = nil
	}
	return slices.Concat(head, value, sep, rest), nil
}
