package verify

import (
	"crypto/hmac"
	"crypto/sha1"
	"fmt"
	"net/http"
	"time"
)

func init() {
	register(Preset{
		Name:        "trello",
		Handshake:   "HEAD when the webhook is created: answered 200",
		Scheme:      "hmac-sha1",
		Description: "Trello: X-Trello-Webhook <base64> HMAC-SHA1 over {body}{callbackURL}, application (OAuth) secret raw; HEAD check answered",
		Headers:     []string{trelloHeader},
		// Actions have IDs; a webhook delivers each action once per
		// model it watches.
		EventID:   "action.id",
		EventType: []string{"action.type"},
		Options:   []string{"public_url"},
		Methods:   []string{http.MethodHead, http.MethodPost},
		New:       newWith(newTrello),
		Sign:      signWith(newTrello),
	})
}

const trelloHeader = "X-Trello-Webhook"

// trelloVerifier checks Trello's scheme: base64 HMAC-SHA1 of the body
// followed by the callback URL the webhook was created with, keyed with the
// application's secret.
type trelloVerifier struct{ urlMACs }

var _ Verifier = (*trelloVerifier)(nil)

func newTrello(o Options) (*trelloVerifier, error) {
	u, err := newURLMACs("trello", o, sha1.New)
	if err != nil {
		return nil, err
	}
	return &trelloVerifier{u}, nil
}

// Verify implements Verifier. Trello checks a new webhook's callback URL
// with a HEAD request, which is answered 200. The callback URL is the
// request's, with scheme and host replaced by public_url when set.
func (v *trelloVerifier) Verify(r *Request, _ time.Time) (Result, error) {
	if r.Method == http.MethodHead {
		return handshake(&Response{}), nil
	}
	s, err := requireHeader(r, trelloHeader)
	if err != nil {
		return Result{}, err
	}
	var sig [sha1.Size]byte
	if err := readMAC(sig[:], trelloHeader, s, "", encBase64); err != nil {
		return Result{}, err
	}
	u, err := checkedURL(r, v.base, trelloHeader)
	if err != nil {
		return Result{}, err
	}
	i := v.macs.find(func(st *macState) bool {
		writeTrello(st, r.Body, u)
		return hmac.Equal(st.sum(), sig[:])
	})
	if i < 0 {
		return Result{}, fmt.Errorf("header %s: signature over the body and %s matches none of %d secrets: %w", trelloHeader, truncate(u), len(v.macs.pools), ErrMismatch)
	}
	return Result{SecretIndex: i}, nil
}

// writeTrello feeds st the signed content: the body, then the callback URL.
func writeTrello(st *macState, body []byte, u string) {
	st.h.Write(body)
	st.write(u)
}

func (v *trelloVerifier) sign(r *Request, _ time.Time) error {
	u, err := signingURL(r, v.base, "trello")
	if err != nil {
		return err
	}
	r.Header.Set(trelloHeader, v.macs.mac(0, encBase64, func(st *macState) { writeTrello(st, r.Body, u) }))
	return nil
}
