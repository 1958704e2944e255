package gateway

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"

	"github.com/tidwall/gjson"

	"github.com/hookgate/hookgate/config"
)

// This file is dedupe.body_hash: a second idempotency key, the SHA-256 of
// the raw body, for providers whose event ID the signature does not cover
// (GitHub's X-GitHub-Delivery): a captured request sent again under a new
// ID has the same body, and is a duplicate.

// bodyKey returns the event's second idempotency key,
// "<provider>#sha256:<hex>" ('#' is never in a provider name, so it cannot
// meet a "<provider>:<event id>" key), or "" when dedupe.body_hash is off
// or the event ID is the body's SHA-256 already.
func (p *provider) bodyKey(id string, body []byte) string {
	if !p.bodyHash {
		return ""
	}
	sum := sha256.Sum256(body)
	h := "sha256:" + hex.EncodeToString(sum[:])
	if id == h {
		return ""
	}
	return p.name + "#" + h
}

// rawBody returns the request body that a message read back from the
// stream was made of (for CatchUp's reclaim): the message's body, or what
// the json envelope wrapped. ok is false for a json envelope it cannot
// read.
//
// json() writes a JSON body in UTF-8 byte for byte as the last member,
// data; any other UTF-8 body (an empty one too) as the string data;
// anything else (a JSON body that is not UTF-8 too) as data_base64. A string data is taken as such a text body: a body that is
// a bare JSON string literal, which no provider sends, would be misread,
// and its body claim missed by a catch-up after a crash.
func (e envelope) rawBody(msg []byte) ([]byte, bool) {
	if e.kind != config.EnvelopeJSON {
		return msg, true
	}
	if d := gjson.GetBytes(msg, "data_base64"); d.Type == gjson.String {
		b, err := base64.StdEncoding.DecodeString(d.Str)
		return b, err == nil
	}
	d := gjson.GetBytes(msg, "data")
	if !d.Exists() {
		return nil, false
	}
	if d.Type == gjson.String {
		return []byte(d.Str), true
	}
	// Byte for byte: from just after `"data":` to the closing brace.
	start := bytes.LastIndex(msg[:d.Index], []byte(`"data":`))
	if start < 0 || len(msg) == 0 || msg[len(msg)-1] != '}' {
		return nil, false
	}
	return msg[start+len(`"data":`) : len(msg)-1], true
}
