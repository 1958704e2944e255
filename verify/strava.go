package verify

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

func init() {
	register(Preset{
		Name:        "strava",
		Scheme:      "token",
		Description: "Strava: events are not signed; with secrets, the callback URL's query parameter (option query_param, default token) must hold one; GET hub.challenge handshake checked against verify_token",
		// An event has no ID: the body's SHA-256 identifies it. Its
		// natural version is event_time, per object: an activity and an
		// athlete may share an object_id, so the key is both, as the
		// JSON array ["activity",1360128428] made a string (a gjson
		// multipath and its @tostr modifier).
		EventType: []string{"object_type", "aspect_type"},
		CreatedAt: "event_time",
		Ordering:  &OrderingInfo{Key: "[object_type,object_id]|@tostr", Version: "event_time", Format: "unix"},
		Options:   []string{"verify_token", "query_param"},
		Methods:   []string{http.MethodGet, http.MethodPost},
		NoSecret:  true,
		Handshake: "subscription creation sends GET ?hub.mode=subscribe&hub.challenge=...&hub.verify_token=...: answered 200 {\"hub.challenge\":\"...\"} when hub.verify_token equals verify_token",
		// Nothing is signed; a token in the URL proves only that the
		// sender knows it.
		BodyUnsigned: true,
		// Strava asks for a 200 to every event, within two seconds.
		Success: &Response{Status: http.StatusOK},
		New:     newWith(newStrava),
		Sign:    signWith(newStrava),
	})
}

// stravaDefaultParam is the query parameter of the callback URL that holds
// the secret when query_param is not set.
const stravaDefaultParam = "token"

// stravaVerifier checks Strava's webhook events, which carry no signature
// or token of Strava's own. With secrets configured, the callback URL given
// to Strava must hold one in a query parameter (callback_url
// https://host/path?token=<secret>), and every event must arrive with it;
// without secrets every event is accepted, and anyone who learns the URL
// can post events. The GET subscription validation is answered when its
// hub.verify_token equals Options.VerifyToken. It is safe for concurrent
// use.
type stravaVerifier struct {
	param       string
	sums        [][32]byte // nil: events are not checked
	first       string
	verifyToken [][32]byte // nil: no handshake is answered
}

var _ Verifier = (*stravaVerifier)(nil)

func newStrava(o Options) (*stravaVerifier, error) {
	v := &stravaVerifier{param: o.QueryParam}
	if v.param == "" {
		v.param = stravaDefaultParam
	}
	if len(o.Secrets) > 0 {
		v.sums, v.first = secretSums(o.Secrets), o.Secrets[0]
	}
	if o.VerifyToken != "" {
		v.verifyToken = secretSums([]string{o.VerifyToken})
	}
	return v, nil
}

// Verify implements Verifier. A GET is the subscription validation; any
// other request is an event, checked for the URL's secret when secrets are
// configured.
func (v *stravaVerifier) Verify(r *Request, _ time.Time) (Result, error) {
	if r.Method == http.MethodGet {
		return v.handshake(r)
	}
	if v.sums == nil {
		return Result{}, nil
	}
	got := queryValue(r.URL, v.param)
	if got == "" {
		return Result{}, fmt.Errorf("query parameter %s: %w", v.param, ErrNoSignature)
	}
	i := matchSecret(v.sums, []byte(got))
	if i < 0 {
		return Result{}, fmt.Errorf("query parameter %s: matches none of %d secrets: %w", v.param, len(v.sums), ErrMismatch)
	}
	return Result{SecretIndex: i}, nil
}

// handshake answers Strava's GET ?hub.mode=subscribe&hub.challenge=...
// &hub.verify_token=... with {"hub.challenge": ...} as JSON, when the verify
// token matches; without verify_token configured, none is answered.
func (v *stravaVerifier) handshake(r *Request) (Result, error) {
	challenge, err := hubChallenge(r, v.verifyToken)
	if err != nil {
		return Result{}, err
	}
	body, _ := json.Marshal(map[string]string{"hub.challenge": challenge})
	return handshake(&Response{Status: http.StatusOK, ContentType: "application/json", Body: body}), nil
}

// sign puts the first secret in the URL's query parameter, as the callback
// URL given to Strava holds it. Without secrets there is nothing to add.
func (v *stravaVerifier) sign(r *Request, _ time.Time) error {
	if v.sums == nil {
		return nil
	}
	return setQueryValue(r, v.param, v.first)
}
