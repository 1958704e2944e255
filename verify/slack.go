package verify

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

func init() {
	register(Preset{
		Name:        "slack",
		Scheme:      "hmac-sha256",
		Description: "Slack: X-Slack-Signature v0=<hex> over v0:{X-Slack-Request-Timestamp}:{body}; answers url_verification; form posts typed slash_command or by the interaction payload's type, with their trigger_id as ID",
		Headers:     []string{slackSigHeader, slackTSHeader},
		Tolerance:   5 * time.Minute,
		EventID:     "event_id",
		// Events API: "event_callback.message"; other envelopes
		// (app_rate_limited, ...) have no inner event and keep their type.
		EventType: []string{"type", "event.type"},
		New: func(o Options) (Verifier, error) {
			v := newV0(slackSigHeader, slackTSHeader, o, slackHandshake)
			v.identify = slackForm
			return v, nil
		},
		Sign: func(r *Request, o Options, now time.Time) error {
			newV0(slackSigHeader, slackTSHeader, o, nil).sign(r, now)
			return nil
		},
	})
}

const (
	slackSigHeader = "X-Slack-Signature"
	slackTSHeader  = "X-Slack-Request-Timestamp"
)

// v0Verifier checks the scheme Slack and Zoom share: the signature header
// carries "v0=" and the hex HMAC-SHA256 of "v0:{timestamp}:{body}", the
// timestamp header unix seconds. The secret is used raw.
type v0Verifier struct {
	sigHeader, tsHeader string
	tol                 time.Duration
	macs                *macSet
	// handshake, when not nil, is called for a verified request and may
	// return the answer to a handshake; i is the secret that matched.
	handshake func(v *v0Verifier, body []byte, i int) (*Response, error)
	// identify, when not nil, is called for a verified request that is not
	// a handshake and may set the event's ID, type and payload in res.
	identify func(body []byte, res *Result)
}

var _ Verifier = (*v0Verifier)(nil)

func newV0(sigHeader, tsHeader string, o Options, hs func(*v0Verifier, []byte, int) (*Response, error)) *v0Verifier {
	return &v0Verifier{
		sigHeader: sigHeader,
		tsHeader:  tsHeader,
		tol:       o.Tolerance,
		macs:      newMACSet(rawKeys(o.Secrets), sha256.New),
		handshake: hs,
	}
}

// Verify implements Verifier. The signature is checked before the
// timestamp, so ErrTooOld and ErrTooNew mean a genuine but replayed or
// mistimed request; the handshake is answered last.
func (v *v0Verifier) Verify(r *Request, now time.Time) (Result, error) {
	s := r.Header.Get(v.sigHeader)
	if s == "" {
		return Result{}, fmt.Errorf("header %s: %w", v.sigHeader, ErrNoSignature)
	}
	t := r.Header.Get(v.tsHeader)
	if t == "" {
		return Result{}, fmt.Errorf("header %s: %w", v.tsHeader, ErrNoSignature)
	}
	at, err := stampSeconds.read("header", v.tsHeader, t)
	if err != nil {
		return Result{}, err
	}
	if len(s) < 3 || !strings.EqualFold(s[:3], "v0=") {
		return Result{}, fmt.Errorf("header %s: does not start with v0=: %w", v.sigHeader, ErrMalformed)
	}
	var sig [sha256.Size]byte
	if !decodeMAC(sig[:], s[3:], encHex) {
		return Result{}, fmt.Errorf("header %s: not a 32-byte hex MAC: %w", v.sigHeader, ErrMalformed)
	}
	for i := range v.macs.pools {
		st := v.macs.get(i)
		v.write(st, t, r.Body)
		ok := hmac.Equal(st.sum(), sig[:])
		v.macs.put(i, st)
		if !ok {
			continue
		}
		if err := checkWindow("header", v.tsHeader, t, at, now, v.tol); err != nil {
			return Result{}, err
		}
		res := Result{SecretIndex: i}
		if v.handshake != nil {
			resp, err := v.handshake(v, r.Body, i)
			if err != nil {
				return Result{}, err
			}
			res.Response = resp
		}
		if res.Response == nil && v.identify != nil {
			v.identify(r.Body, &res)
		}
		return res, nil
	}
	return Result{}, fmt.Errorf("header %s: signature matches none of %d secrets: %w", v.sigHeader, len(v.macs.pools), ErrMismatch)
}

// write feeds "v0:{t}:{body}" to st.
func (v *v0Verifier) write(st *macState, t string, body []byte) {
	st.buf = append(st.buf[:0], "v0:"...)
	st.buf = append(st.buf, t...)
	st.buf = append(st.buf, ':')
	st.h.Write(st.buf)
	st.h.Write(body)
}

func (v *v0Verifier) sign(r *Request, now time.Time) {
	t := strconv.FormatInt(now.Unix(), 10)
	st := v.macs.get(0)
	v.write(st, t, r.Body)
	r.Header.Set(v.tsHeader, t)
	r.Header.Set(v.sigHeader, "v0="+encHex.encode(st.sum()))
	v.macs.put(0, st)
}

// slackHandshake answers the Events API url_verification request, which
// Slack signs like any other, with its challenge in plain text: the first
// of the three answers Slack's url_verification page documents.
func slackHandshake(_ *v0Verifier, body []byte, _ int) (*Response, error) {
	if !bytes.Contains(body, []byte("url_verification")) {
		return nil, nil // the common case costs no JSON decoding
	}
	var m struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
	}
	if json.Unmarshal(body, &m) != nil || m.Type != "url_verification" {
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
func slackForm(body []byte, res *Result) {
	if b := bytes.TrimLeft(body, " \t\r\n"); len(b) == 0 || b[0] == '{' {
		return
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
			return
		}
		res.Type, res.ID, res.Payload = typ, trigger, r.b
		return
	}
	if _, ok := formValue(body, "command"); ok {
		res.Type = "slash_command"
		res.ID, _ = formValue(body, "trigger_id")
	}
}

// formValue returns the unescaped value of the first field name in a form
// body, and whether it is there. Other fields' values are not unescaped; a
// value that does not unescape counts as absent.
func formValue(body []byte, name string) (string, bool) {
	for rest := body; len(rest) > 0; {
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
		uv, err := url.QueryUnescape(string(v))
		return uv, err == nil
	}
	return "", false
}
