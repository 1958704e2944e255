package verify

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"
)

func init() {
	register(Preset{
		Name:        "eventgrid",
		Aliases:     []string{"azure-event-grid"},
		Scheme:      "token",
		Description: "Azure Event Grid: a secret in a query parameter of the endpoint URL (option query_param) or in a delivery-property header (option header), body not signed; SubscriptionValidation and CloudEvents OPTIONS answered",
		Headers:     []string{eventGridTypeHeader, eventGridOriginHeader},
		// Event Grid schema: a JSON array of events. A single CloudEvent
		// (an object) reports its id and type in Result instead.
		EventID:   "0.id",
		EventType: []string{"0.eventType"},
		CreatedAt: "0.eventTime",
		Options:   []string{"header", "query_param"},
		Methods:   []string{http.MethodPost, http.MethodOptions},
		Handshake: "Event Grid schema: the SubscriptionValidationEvent (aeg-event-type: SubscriptionValidation) is answered {\"validationResponse\":\"<data.validationCode>\"}; CloudEvents schema: OPTIONS with WebHook-Request-Origin is answered 200 with WebHook-Allowed-Origin; both only with the secret",
		// The secret is a shared value in the URL or a header: it proves
		// the sender knows it, not what the body says.
		BodyUnsigned: true,
		New:          newWith(newEventGrid),
		Sign:         signWith(newEventGrid),
	})
}

const (
	eventGridTypeHeader     = "Aeg-Event-Type"
	eventGridOriginHeader   = "WebHook-Request-Origin"
	eventGridAllowedHeader  = "WebHook-Allowed-Origin"
	eventGridValidationType = "Microsoft.EventGrid.SubscriptionValidationEvent"
)

// eventGridVerifier checks Azure Event Grid deliveries to a webhook. Event
// Grid signs nothing; a subscription can deliver a secret in a query
// parameter of its endpoint URL or in a static header (a delivery
// property), and the secret is compared in constant time. The validation
// handshakes hit the same URL, so they too must carry it (a header
// delivery property must then reach the validation request as well). It is
// safe for concurrent use.
type eventGridVerifier struct {
	header string // canonical; "" when the secret is in the query
	param  string
	sums   [][32]byte
	first  string
}

var _ Verifier = (*eventGridVerifier)(nil)

func newEventGrid(o Options) (*eventGridVerifier, error) {
	switch {
	case o.Header == "" && o.QueryParam == "":
		return nil, fmt.Errorf("eventgrid: set option query_param (the query parameter of the endpoint URL holding the secret) or header (the delivery-property header holding it): %w", ErrConfig)
	case o.Header != "" && o.QueryParam != "":
		return nil, fmt.Errorf("eventgrid: set option query_param or header, not both: %w", ErrConfig)
	case o.Header != "" && !validHeaderName(o.Header):
		return nil, fmt.Errorf("eventgrid: option header %q is not a valid header name: %w", o.Header, ErrConfig)
	}
	v := &eventGridVerifier{param: o.QueryParam, sums: secretSums(o.Secrets)}
	if o.Header != "" {
		v.header = textproto.CanonicalMIMEHeaderKey(o.Header)
	}
	if len(o.Secrets) > 0 {
		v.first = o.Secrets[0]
	}
	return v, nil
}

// where names the place of the secret, for errors.
func (v *eventGridVerifier) where() string {
	if v.header != "" {
		return "header " + v.header
	}
	return "query parameter " + v.param
}

// Verify implements Verifier. The secret is checked first, on every
// request; then an OPTIONS request is the CloudEvents abuse-protection
// handshake, and a request with aeg-event-type SubscriptionValidation the
// Event Grid schema's validation, both answered and not recorded. Any
// other request is a delivery: for a CloudEvent sent alone (a JSON object
// rather than an array) its id and type are reported in Result, and for a
// batch of CloudEvents the first one's type.
func (v *eventGridVerifier) Verify(r *Request, _ time.Time) (Result, error) {
	var got string
	if v.header != "" {
		got = r.Header.Get(v.header)
	} else {
		got = queryValue(r.URL, v.param)
	}
	if got == "" {
		return Result{}, fmt.Errorf("%s: %w", v.where(), ErrNoSignature)
	}
	i := matchSecret(v.sums, []byte(got))
	if i < 0 {
		return Result{}, fmt.Errorf("%s: matches none of %d secrets: %w", v.where(), len(v.sums), ErrMismatch)
	}
	if r.Method == http.MethodOptions {
		origin := r.Header.Get(eventGridOriginHeader)
		if origin == "" {
			return Result{}, fmt.Errorf("OPTIONS without header %s: %w", eventGridOriginHeader, ErrMalformed)
		}
		if err := echoableToken(eventGridOriginHeader, origin); err != nil {
			return Result{}, err
		}
		h := http.Header{}
		h.Set(eventGridAllowedHeader, origin)
		return Result{SecretIndex: i, Response: &Response{Status: http.StatusOK, Header: h}}, nil
	}
	first, err := readEventGridFirst(r.Body)
	if err != nil {
		return Result{}, fmt.Errorf("body: %v: %w", err, ErrMalformed)
	}
	if strings.EqualFold(r.Header.Get(eventGridTypeHeader), "SubscriptionValidation") {
		switch {
		case first.eventType != eventGridValidationType:
			return Result{}, fmt.Errorf("aeg-event-type SubscriptionValidation with an event of type %q: %w", truncate(first.eventType), ErrMalformed)
		case first.code == "":
			return Result{}, fmt.Errorf("validation event without data.validationCode: %w", ErrMalformed)
		case len(first.code) > maxChallenge:
			return Result{}, fmt.Errorf("data.validationCode: %d bytes, at most %d: %w", len(first.code), maxChallenge, ErrMalformed)
		}
		body, _ := json.Marshal(map[string]string{"validationResponse": first.code})
		return Result{SecretIndex: i, Response: &Response{ContentType: "application/json", Body: body}}, nil
	}
	res := Result{SecretIndex: i}
	switch {
	case first.object:
		res.ID, res.Type = first.id, first.typ
	case first.eventType == "":
		res.Type = first.typ
	}
	return res, nil
}

// eventGridEvent is what Verify reads of the first event of a delivery.
type eventGridEvent struct {
	object    bool   // the body is one event (a CloudEvent), not an array
	id        string // id
	eventType string // eventType (Event Grid schema)
	typ       string // type (CloudEvents)
	code      string // data.validationCode
}

// readEventGridFirst reads the first event of body: an array of events,
// or a single CloudEvent. Only the first event is read; the rest of the
// body is skipped unparsed. An empty array has no event.
func readEventGridFirst(body []byte) (eventGridEvent, error) {
	var ev eventGridEvent
	rd := jsonReader{b: body}
	member := func(key []byte) (bool, error) {
		var err error
		switch string(key) {
		case "id":
			ev.id, err = rd.scalar()
		case "eventType":
			ev.eventType, err = rd.scalar()
		case "type":
			ev.typ, err = rd.scalar()
		case "data":
			if rd.peek() != '{' {
				return false, nil
			}
			err = rd.object(func(k []byte) (bool, error) {
				if string(k) != "validationCode" {
					return false, nil
				}
				var err error
				ev.code, err = rd.scalar()
				return true, err
			})
		default:
			return false, nil
		}
		return true, err
	}
	var err error
	switch rd.peek() {
	case '{':
		ev.object = true
		err = rd.object(member)
	case '[':
		err = rd.array(func(n int) error {
			if n > 0 {
				return rd.skip()
			}
			return rd.object(member)
		})
	default:
		return ev, fmt.Errorf("not a JSON array of events or a CloudEvent")
	}
	if err == nil {
		err = rd.end()
	}
	return ev, err
}

// sign puts the first secret where the verifier looks for it.
func (v *eventGridVerifier) sign(r *Request, _ time.Time) error {
	if v.header != "" {
		r.Header.Set(v.header, v.first)
		return nil
	}
	return setQueryValue(r, v.param, v.first)
}

// setQueryValue sets the query parameter name of r's URL to value.
func setQueryValue(r *Request, name, value string) error {
	u, err := url.Parse(r.URL)
	if err != nil {
		return fmt.Errorf("request URL: %v: %w", err, ErrMalformed)
	}
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	r.URL = u.String()
	return nil
}
