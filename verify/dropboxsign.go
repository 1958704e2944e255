package verify

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"strconv"
	"time"
)

func init() {
	register(Preset{
		Name:    "dropbox-sign",
		Aliases: []string{"hellosign"},
		Scheme:  "hmac-sha256",
		Description: "Dropbox Sign (HelloSign): event.event_hash = hex HMAC-SHA256 of event_time + event_type keyed with the API key, " +
			"in the json field of a multipart form (or a url-encoded form, or a JSON body); the rest of the body is NOT signed; answered 200 Hello API Event Received",
		Headers: []string{"Content-Type"},
		// event_time is signed but is the event's time, which Dropbox
		// Sign's retries keep: they come 5 min, 15 min, 45 min, 2 h 15,
		// 6 h 45 and 20 h 15 after the previous attempt (about 30 h 20
		// in all, faq.hellosign.com "How many times does the Hellosign
		// API retry my callback"), so the window covers them. It also
		// bounds how long a captured event_hash can carry a forged body.
		Tolerance: 32 * time.Hour,
		// The hash covers only the time and type: there is no signed ID,
		// and the same type at the same second gives the same hash. The
		// event is identified by the hash of the json field (the
		// Payload), which a retry repeats, where the multipart
		// boundary of the raw body may change.
		EventType:    []string{"event.event_type"},
		BodyUnsigned: true,
		// "Your endpoint must respond with a 200 and the text 'Hello API
		// Event Received'", or the callback counts as failed, is retried,
		// and repeated failures disable the callback URL.
		Success:   &Response{Status: 200, ContentType: "text/plain; charset=utf-8", Body: []byte(dropboxSignAck)},
		Handshake: "callback_test event (sent when a callback URL is set or tested), checked like any event, answered 200 " + dropboxSignAck + " and not recorded",
		New:       newWith(newDropboxSign),
		Sign:      signWith(newDropboxSign),
	})
}

// dropboxSignAck is the answer Dropbox Sign requires to every callback.
const dropboxSignAck = "Hello API Event Received"

// dropboxSignMaxParts bounds the parts of a multipart body read in search
// of the json field: Dropbox Sign sends one.
const dropboxSignMaxParts = 16

// dropboxSignVerifier checks Dropbox Sign's event callbacks, per the
// official SDKs' EventCallbackHelper.is_valid (dropbox-sign-python,
// -ruby, -php, -node, -java, -dotnet, generated from
// hellosign/hellosign-openapi): event.event_hash is the hex HMAC-SHA256 of
// event.event_time and event.event_type concatenated, keyed with the
// account's API key. The event JSON is the json field of a multipart/form-data
// body (as Dropbox Sign posts it), of an x-www-form-urlencoded body, or
// the body itself. It is safe for concurrent use.
type dropboxSignVerifier struct {
	tol  time.Duration
	macs *macSet
}

var _ Verifier = (*dropboxSignVerifier)(nil)

func newDropboxSign(o Options) (*dropboxSignVerifier, error) {
	return &dropboxSignVerifier{tol: o.Tolerance, macs: newMACSet(rawKeys(o.Secrets), sha256.New)}, nil
}

// dropboxSignEvent is the event object of a callback.
type dropboxSignEvent struct {
	time, typ, hash string
}

// Verify implements Verifier. The hash is checked before the time, so
// ErrTooOld and ErrTooNew mean a genuine but replayed or mistimed event.
// The event JSON is the Payload, where the event's fields are read; a
// callback_test event is answered as a handshake.
func (v *dropboxSignVerifier) Verify(r *Request, now time.Time) (Result, error) {
	doc, where, err := dropboxSignJSON(r)
	if err != nil {
		return Result{}, err
	}
	ev, found, err := parseDropboxSign(doc)
	switch {
	case err != nil:
		return Result{}, fmt.Errorf("%s: %v: %w", where, err, ErrMalformed)
	case !found:
		return Result{}, fmt.Errorf("%s: field event: %w", where, ErrNoSignature)
	}
	for _, f := range [...]struct{ name, val string }{{"event_hash", ev.hash}, {"event_time", ev.time}, {"event_type", ev.typ}} {
		if f.val == "" {
			return Result{}, fmt.Errorf("%s: field event.%s: %w", where, f.name, ErrNoSignature)
		}
	}
	at, err := stampSeconds.read(where+":", "field event.event_time", ev.time)
	if err != nil {
		return Result{}, err
	}
	var sigs sigList
	if ok, _ := sigs.add(ev.hash, encHex); !ok {
		return Result{}, fmt.Errorf("%s: field event.event_hash: not 64 hex digits: %w", where, ErrMalformed)
	}
	i := v.macs.find(func(st *macState) bool {
		st.write(ev.time, ev.typ)
		return sigs.match(st.sum())
	})
	if i < 0 {
		return Result{}, fmt.Errorf("%s: field event.event_hash: matches none of %d secrets: %w", where, len(v.macs.pools), ErrMismatch)
	}
	if err := checkWindow(where+":", "field event.event_time", ev.time, at, now, v.tol); err != nil {
		return Result{}, err
	}
	res := Result{SecretIndex: i, Payload: doc}
	if ev.typ == "callback_test" {
		res.Response = &Response{Status: 200, ContentType: "text/plain; charset=utf-8", Body: []byte(dropboxSignAck)}
	}
	return res, nil
}

// dropboxSignJSON returns the event JSON of a callback and where it was
// found, for messages: the json field of a multipart/form-data or
// x-www-form-urlencoded body (by the Content-Type), or else the body, if
// it is a JSON object. Its errors wrap ErrNoSignature or ErrMalformed.
func dropboxSignJSON(r *Request) ([]byte, string, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		mt = "" // no or an unreadable Content-Type: the body is the JSON
	}
	switch mt {
	case "multipart/form-data":
		doc, err := multipartField(r.Body, params["boundary"], "json")
		if err != nil {
			return nil, "", err
		}
		return doc, "json form field", nil
	case "application/x-www-form-urlencoded":
		doc, ok, err := formValueOnce(r.Body, "json")
		if err != nil {
			return nil, "", err
		}
		if !ok {
			return nil, "", fmt.Errorf("json form field: %w", ErrNoSignature)
		}
		return []byte(doc), "json form field", nil
	}
	if b := bytes.TrimLeft(r.Body, " \t\r\n"); len(b) == 0 || b[0] != '{' {
		return nil, "", fmt.Errorf("body: neither a form with a json field nor a JSON object: %w", ErrNoSignature)
	}
	return r.Body, "body", nil
}

// multipartField returns the content of the one part named name of a
// multipart/form-data body, reading at most dropboxSignMaxParts parts. A
// body without it is ErrNoSignature; one that does not parse, or has the
// field twice, ErrMalformed. The content is bounded by the body, which the
// gateway bounds.
func multipartField(body []byte, boundary, name string) ([]byte, error) {
	if boundary == "" {
		return nil, fmt.Errorf("header Content-Type: multipart/form-data without a boundary: %w", ErrMalformed)
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var field []byte
	for n := 0; ; n++ {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("multipart body: %v: %w", err, ErrMalformed)
		}
		if n == dropboxSignMaxParts {
			return nil, fmt.Errorf("multipart body: more than %d parts: %w", dropboxSignMaxParts, ErrMalformed)
		}
		if p.FormName() != name {
			continue
		}
		if field != nil {
			return nil, fmt.Errorf("multipart body: field %s appears twice: %w", name, ErrMalformed)
		}
		if field, err = io.ReadAll(p); err != nil {
			return nil, fmt.Errorf("multipart body: field %s: %v: %w", name, err, ErrMalformed)
		}
		if field == nil {
			field = []byte{}
		}
	}
	if field == nil {
		return nil, fmt.Errorf("%s form field: %w", name, ErrNoSignature)
	}
	return field, nil
}

// parseDropboxSign reads the event object of a callback's JSON, and
// whether it has one. A repeated key in the document or the event object
// is an error (see jsonReader.object). Its errors are plain details for
// the caller to wrap.
func parseDropboxSign(doc []byte) (dropboxSignEvent, bool, error) {
	var ev dropboxSignEvent
	found, err := memberScalars(doc, "event", map[string]*string{
		"event_time": &ev.time, "event_type": &ev.typ, "event_hash": &ev.hash,
	})
	return ev, found, err
}

// sign sets event.event_time to now and event.event_hash to its hash with
// the first secret, in the event object of r's JSON body (which must have
// an event.event_type), as Dropbox Sign does, and posts it as Dropbox Sign
// does: the json field of a multipart form. A body that is a form already
// is signed in place of its json field.
func (v *dropboxSignVerifier) sign(r *Request, now time.Time) error {
	doc, _, err := dropboxSignJSON(r)
	if err != nil {
		return fmt.Errorf("dropbox-sign: the body to sign: %v", err)
	}
	ev, found, err := parseDropboxSign(doc)
	if err != nil || !found || ev.typ == "" {
		return errors.New("dropbox-sign: the body to sign must be a JSON object with an event object that has an event_type")
	}
	t := strconv.FormatInt(now.Unix(), 10)
	hash := v.macs.mac(0, encHex, func(st *macState) { st.write(t, ev.typ) })
	doc, err = setEventFields(doc, map[string]string{"event_time": t, "event_hash": hash})
	if err != nil {
		return fmt.Errorf("dropbox-sign: the body to sign: %v", err)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("json", string(doc)); err != nil {
		return err
	}
	if err := mw.Close(); err != nil {
		return err
	}
	r.Body = buf.Bytes()
	r.Header.Set("Content-Type", mw.FormDataContentType())
	return nil
}

// setEventFields sets string members of the event object of doc, which
// is re-encoded (its keys sorted).
func setEventFields(doc []byte, fields map[string]string) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		return nil, err
	}
	var ev map[string]json.RawMessage
	if err := json.Unmarshal(m["event"], &ev); err != nil {
		return nil, err
	}
	for k, val := range fields {
		ev[k], _ = json.Marshal(val)
	}
	m["event"], _ = json.Marshal(ev)
	return json.Marshal(m)
}
