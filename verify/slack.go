package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"time"
)

func init() {
	p := stampMAC{
		name:      "slack",
		sigHeader: "X-Slack-Signature", tsHeader: "X-Slack-Request-Timestamp", sigPrefix: "v0=", before: "v0:", sep: ":", enc: encHex,
		unit: stampSeconds, tolerance: 5 * time.Minute,
		desc:    "Slack: X-Slack-Signature v0=<hex> over v0:{X-Slack-Request-Timestamp}:{body}; answers url_verification; form posts typed slash_command or by the interaction payload's type, with their trigger_id as ID",
		eventID: "event_id",
		// Events API: "event_callback.message"; other envelopes
		// (app_rate_limited, ...) have no inner event and keep their type.
		eventType: []string{"type", "event.type"},
		handshake: slackHandshake,
		identify:  slackForm,
	}.preset()
	p.Handshake = "url_verification, signed like events: the challenge echoed as text/plain"
	register(p)
}

// slackHandshake answers the Events API url_verification request, which
// Slack signs like any other, with its challenge in plain text: the first
// of the three answers Slack's url_verification page documents.
func slackHandshake(_ *stampVerifier, body []byte, _ int) (*Response, error) {
	var m struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
	}
	if !decodeMarked(body, "url_verification", &m) || m.Type != "url_verification" {
		return nil, nil // a form body or an event that mentions the word
	}
	if m.Challenge == "" {
		return nil, fmt.Errorf("body: url_verification without a challenge: %w", ErrMalformed)
	}
	return &Response{ContentType: "text/plain", Body: []byte(m.Challenge)}, nil
}

// slackForm identifies Slack's form posts (application/x-www-form-urlencoded),
// in which no JSON field gives the event's ID or type:
//
//   - a slash command carries the fields token, team_id, channel_id,
//     user_id, command ("/weather"), text, response_url, trigger_id,
//     api_app_id, ... and no type, per
//     https://api.slack.com/interactivity/slash-commands#app_command_handling:
//     its type is "slash_command" and its ID the trigger_id ("a short-lived
//     ID that will allow your app to open a modal");
//   - an interaction (block_actions, view_submission, view_closed,
//     shortcut, message_action, ...) carries one field, payload, holding
//     JSON whose type field names the interaction and which, for most
//     types, has a trigger_id, per
//     https://api.slack.com/interactivity/handling#payloads and
//     https://api.slack.com/reference/interaction-payloads: its type and
//     trigger_id are the event's, and the JSON is the Payload, where JSON
//     paths are read.
//
// Neither has an event_id; without a trigger_id the body's hash names the
// event. A JSON body (the Events API) is left to the preset's JSON
// sources, and a payload that is not a JSON object, or repeats type or
// trigger_id, gives nothing. Only the fields needed are unescaped, and only
// the payload's top-level type and trigger_id are decoded.
func slackForm(body []byte, res Result) Result {
	if b := bytes.TrimLeft(body, " \t\r\n"); len(b) == 0 || b[0] == '{' {
		return res
	}
	if payload, ok := formValue(body, "payload"); ok {
		var typ, trigger string
		r := jsonReader{b: []byte(payload)}
		err := r.object(func(key []byte) (bool, error) {
			var err error
			switch string(key) {
			case "type":
				typ, err = r.scalar()
			case "trigger_id":
				trigger, err = r.scalar()
			default:
				return false, nil
			}
			return true, err
		})
		if err != nil || r.end() != nil {
			return res
		}
		res.Type, res.ID, res.Payload = typ, trigger, r.b
		return res
	}
	if _, ok := formValue(body, "command"); ok {
		res.Type = "slash_command"
		res.ID, _ = formValue(body, "trigger_id")
	}
	return res
}

// formValue returns the unescaped value of the first field name in a form
// body, and whether it is there. Other fields' values are not unescaped; a
// value that does not unescape counts as absent.
func formValue(body []byte, name string) (string, bool) {
	return unescapeField(formField(body, name, 1))
}

// formValueOnce is formValue for a field that a scheme verifies: it must
// appear at most once, since a consumer whose form parser keeps the last
// value would read one that was not verified.
func formValueOnce(body []byte, name string) (string, bool, error) {
	v, n := formField(body, name, 2)
	if n > 1 {
		return "", false, fmt.Errorf("form field %s appears more than once: %w", name, ErrMalformed)
	}
	uv, ok := unescapeField(v, n)
	return uv, ok, nil
}

// unescapeField unescapes a field's raw value; absent (n == 0) or not
// unescaping, there is none.
func unescapeField(v string, n int) (string, bool) {
	if n == 0 {
		return "", false
	}
	uv, err := url.QueryUnescape(v)
	return uv, err == nil
}

// formField returns the raw (escaped) value of the first field name in a
// form body, and how many times the field appears, counting up to most.
func formField(body []byte, name string, most int) (first string, n int) {
	for rest := body; len(rest) > 0 && n < most; {
		var kv []byte
		kv, rest, _ = bytes.Cut(rest, []byte("&"))
		k, v, _ := bytes.Cut(kv, []byte("="))
		if string(k) != name {
			if !bytes.ContainsAny(k, "%+") {
				continue
			}
			if uk, err := url.QueryUnescape(string(k)); err != nil || uk != name {
				continue
			}
		}
		if n == 0 {
			first = string(v)
		}
		n++
	}
	return first, n
}

// decodeMarked decodes the JSON body into v if the body contains marker,
// and reports whether it did: a handshake's check of every request, in
// which the common case (no marker) costs no JSON decoding.
func decodeMarked(body []byte, marker string, v any) bool {
	return bytes.Contains(body, []byte(marker)) && json.Unmarshal(body, v) == nil
}
