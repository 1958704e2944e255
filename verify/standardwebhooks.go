package verify

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"time"
)

func init() {
	sw := standardWebhooksPreset("standard-webhooks", webhookHeaders, svixHeaders,
		"Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature v1,<b64> over {id}.{ts}.{body} (svix-* also accepted)")
	sw.Aliases = []string{"replicate"} // replicate.com/docs/topics/webhooks/verify-webhook
	register(sw)
	svix := standardWebhooksPreset("svix", svixHeaders, webhookHeaders,
		"Svix (Goody, ...; Clerk and Resend have their own presets): Standard Webhooks with svix-id, svix-timestamp, svix-signature (webhook-* also accepted)")
	svix.Aliases = []string{"goody"} // senders that deliver through Svix
	register(svix)

	// Clerk and Resend deliver through Svix: the svix scheme, with their
	// own identify defaults.
	//
	// Clerk (clerk.com/docs/webhooks/overview, the backend SDK's
	// verifyWebhook): {"data": {...}, "object": "event", "type":
	// "user.created", "instance_id": ..., "timestamp": <unix ms>}. The
	// timestamp is in milliseconds, which CreatedAt (unix seconds or RFC
	// 3339) cannot read, so Clerk has none.
	clerk := standardWebhooksPreset("clerk", svixHeaders, webhookHeaders,
		"Clerk: Svix-signed (svix-id, svix-timestamp, svix-signature v1,<b64> over {id}.{ts}.{body}, whsec_ secret); type e.g. user.created")
	register(clerk)
	// Resend (resend.com/docs/dashboard/webhooks/event-types): {"type":
	// "email.sent", "created_at": "2024-02-22T23:41:12.126Z", "data":
	// {...}}.
	resend := standardWebhooksPreset("resend", svixHeaders, webhookHeaders,
		"Resend: Svix-signed (svix-id, svix-timestamp, svix-signature v1,<b64> over {id}.{ts}.{body}, whsec_ secret); type e.g. email.sent")
	resend.CreatedAt = "created_at"
	register(resend)
}

// swHeaders names the three headers of one Standard Webhooks header family.
type swHeaders struct{ id, ts, sig string }

var (
	webhookHeaders = swHeaders{"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"}
	svixHeaders    = swHeaders{"Svix-Id", "Svix-Timestamp", "Svix-Signature"}
)

// standardWebhooksPreset builds a preset that verifies both header families,
// preferring first, and signs and identifies events with first.
func standardWebhooksPreset(name string, first, second swHeaders, desc string) Preset {
	build := func(o Options) (*swVerifier, error) {
		keys, err := parseSecrets(name, o.Secrets, decodeWhsec)
		if err != nil {
			return nil, err
		}
		return &swVerifier{
			families: [2]swHeaders{first, second},
			tol:      o.Tolerance,
			macs:     newMACSet(keys, sha256.New),
		}, nil
	}
	return Preset{
		Name:        name,
		Scheme:      "hmac-sha256",
		Description: desc,
		Headers:     []string{first.id, first.ts, first.sig, second.id, second.ts, second.sig},
		Tolerance:   5 * time.Minute,
		EventID:     "header:" + first.id,
		EventType:   []string{"type"},
		// The signature covers {id}.{timestamp}.{body}: the ID header
		// of the family verified (reported in Result.ID) is signed.
		IDSourceSigned: true,
		New:            newWith(build),
		Sign:           signWith(build),
	}
}

// decodeWhsec turns a Standard Webhooks secret into the HMAC key: the
// optional whsec_ prefix is stripped and the rest base64-decoded (standard
// alphabet, padding optional, as the Python SDK accepts). It never quotes
// the secret in its error.
func decodeWhsec(s string) ([]byte, error) {
	k, err := decodeBase64Key(strings.TrimPrefix(s, "whsec_"))
	if err != nil {
		return nil, fmt.Errorf("%v after the whsec_ prefix", err)
	}
	return k, nil
}

// swVerifier checks the Standard Webhooks v1 scheme: HMAC-SHA256 over
// "{id}.{timestamp}.{body}", base64, in a space-separated list of
// "<version>,<signature>" entries.
type swVerifier struct {
	families [2]swHeaders // the preferred one first
	tol      time.Duration
	macs     *macSet
}

var _ Verifier = (*swVerifier)(nil)

// Verify implements Verifier. It reads the first header family whose
// signature header is present, and all three headers from that family. The
// signature is checked before the timestamp, so ErrTooOld and ErrTooNew mean
// a genuine but replayed or mistimed event. Result.ID is that family's
// message ID, which the signature covers: an ID header of the other family
// is not signed and is ignored.
func (v *swVerifier) Verify(r *Request, now time.Time) (Result, error) {
	var d swDelivery
	if err := readSW(r, &v.families, "v1", sha256.Size, &d); err != nil {
		return Result{}, err
	}
	i := v.macs.find(func(st *macState) bool {
		writeSW(st, d.id, d.t, r.Body)
		return d.sigs.match(st.sum())
	})
	if i < 0 {
		return Result{}, fmt.Errorf("header %s: no v1 signature matches any of %d secrets: %w", d.f.sig, len(v.macs.pools), ErrMismatch)
	}
	if err := checkWindow("header", d.f.ts, d.t, d.at, now, v.tol); err != nil {
		return Result{}, err
	}
	return Result{SecretIndex: i, ID: d.id}, nil
}

// writeSW feeds st the signed content, "{id}.{t}.{body}".
func writeSW(st *macState, id, t string, body []byte) {
	st.write(id, ".", t, ".")
	st.h.Write(body)
}

// sign sets the preferred family's headers on r, keeping a message ID that
// r already carries and generating one otherwise.
func (v *swVerifier) sign(r *Request, now time.Time) error {
	id, t := stampSW(r, v.families[0], now)
	r.Header.Set(v.families[0].sig, "v1,"+v.macs.mac(0, encBase64, func(st *macState) { writeSW(st, id, t, r.Body) }))
	return nil
}

// stampSW sets the ID and timestamp headers of family f on r, keeping an ID
// that r already carries and generating one otherwise, and returns them as
// they are signed.
func stampSW(r *Request, f swHeaders, now time.Time) (id, t string) {
	id = r.Header.Get(f.id)
	if id == "" {
		id = "msg_" + rand.Text()
	}
	t = strconv.FormatInt(now.Unix(), 10)
	r.Header.Set(f.id, id)
	r.Header.Set(f.ts, t)
	return id, t
}

// swDelivery is what a Standard Webhooks request carries in one header
// family.
type swDelivery struct {
	f    swHeaders // the family it was read from
	id   string
	t    string    // the timestamp as sent, which is what was signed
	at   time.Time // t parsed
	sigs wideSigList
}

// readSW reads into d the first of families whose signature header r
// carries, and the ID and timestamp headers of that family, keeping the
// signatures of version ver ("v1", "v1a") that are the base64 of size
// bytes. Its errors wrap ErrNoSignature or ErrMalformed and name the header.
func readSW(r *Request, families *[2]swHeaders, ver string, size int, d *swDelivery) error {
	d.f = families[0]
	sig := r.Header.Get(d.f.sig)
	if sig == "" {
		if s := r.Header.Get(families[1].sig); s != "" {
			d.f, sig = families[1], s
		} else {
			return fmt.Errorf("header %s: %w", d.f.sig, ErrNoSignature)
		}
	}
	var err error
	if d.id, err = requireHeader(r, d.f.id); err != nil {
		return err
	}
	if d.t, err = requireHeader(r, d.f.ts); err != nil {
		return err
	}
	if d.at, err = stampSeconds.read("header", d.f.ts, d.t); err != nil {
		return err
	}
	if err := parseSWSignatures(sig, ver, size, &d.sigs); err != nil {
		return fmt.Errorf("header %s: %v: %w", d.f.sig, err, ErrMalformed)
	}
	return nil
}

// parseSWSignatures parses a webhook-signature list into l. Entries are
// separated by spaces; entries of other versions than ver (v1a for v1, v1
// for v1a, ...), without a comma, or whose signature is not the base64 of
// size bytes are ignored. It is malformed when no signature remains or
// there are more than maxSigs. Its errors are plain details for the caller
// to wrap.
func parseSWSignatures(s, ver string, size int, l *wideSigList) error {
	for rest := s; rest != ""; {
		var e string
		e, rest, _ = strings.Cut(rest, " ")
		v, sig, ok := strings.Cut(e, ",")
		if !ok || v != ver {
			continue
		}
		if !l.add(sig, size, encBase64) {
			return fmt.Errorf("more than %d %s signatures", maxSigs, ver)
		}
	}
	if l.n == 0 {
		return fmt.Errorf("no valid %s signature", ver)
	}
	return nil
}
