package verify

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
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
		"Svix (Clerk, Resend, Goody, ...): Standard Webhooks with svix-id, svix-timestamp, svix-signature (webhook-* also accepted)")
	svix.Aliases = []string{"clerk", "resend", "goody"} // senders that deliver through Svix
	register(svix)
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
		keys := make([][]byte, len(o.Secrets))
		for i, s := range o.Secrets {
			k, err := decodeWhsec(s)
			if err != nil {
				return nil, fmt.Errorf("%s: secret %d: %v: %w", name, i, err, ErrConfig)
			}
			keys[i] = k
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
		New:         func(o Options) (Verifier, error) { return verifier(build(o)) },
		Sign: func(r *Request, o Options, now time.Time) error {
			v, err := build(o)
			if err != nil {
				return err
			}
			v.sign(r, now)
			return nil
		},
	}
}

// decodeWhsec turns a Standard Webhooks secret into the HMAC key: the
// optional whsec_ prefix is stripped and the rest base64-decoded (standard
// alphabet, padding optional, as the Python SDK accepts). It never quotes
// the secret in its error.
func decodeWhsec(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimPrefix(s, "whsec_"), "=")
	k, err := base64.RawStdEncoding.DecodeString(s)
	switch {
	case err != nil:
		return nil, errors.New("not base64 after the whsec_ prefix")
	case len(k) == 0:
		return nil, errors.New("empty key after the whsec_ prefix")
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
// a genuine but replayed or mistimed event.
func (v *swVerifier) Verify(r *Request, now time.Time) (Result, error) {
	f := v.families[0]
	sig := r.Header.Get(f.sig)
	if sig == "" {
		if s := r.Header.Get(v.families[1].sig); s != "" {
			f, sig = v.families[1], s
		} else {
			return Result{}, fmt.Errorf("header %s: %w", f.sig, ErrNoSignature)
		}
	}
	id := r.Header.Get(f.id)
	if id == "" {
		return Result{}, fmt.Errorf("header %s: %w", f.id, ErrNoSignature)
	}
	t := r.Header.Get(f.ts)
	if t == "" {
		return Result{}, fmt.Errorf("header %s: %w", f.ts, ErrNoSignature)
	}
	ts, ok := parseUnix(t)
	if !ok {
		return Result{}, fmt.Errorf("header %s: %q is not unix seconds: %w", f.ts, truncate(t), ErrMalformed)
	}
	sigs, err := parseSWSignatures(sig)
	if err != nil {
		return Result{}, fmt.Errorf("header %s: %v: %w", f.sig, err, ErrMalformed)
	}
	for i := range v.macs.pools {
		st := v.macs.get(i)
		st.writeParts(id, t)
		st.h.Write(r.Body)
		ok := sigs.match(st.sum())
		v.macs.put(i, st)
		if ok {
			if err := checkTime(f.ts, "", ts, now, v.tol); err != nil {
				return Result{}, err
			}
			return Result{SecretIndex: i}, nil
		}
	}
	return Result{}, fmt.Errorf("header %s: no v1 signature matches any of %d secrets: %w", f.sig, len(v.macs.pools), ErrMismatch)
}

// sign sets the preferred family's headers on r, keeping a message ID that
// r already carries and generating one otherwise.
func (v *swVerifier) sign(r *Request, now time.Time) {
	f := v.families[0]
	id := r.Header.Get(f.id)
	if id == "" {
		id = "msg_" + rand.Text()
	}
	t := strconv.FormatInt(now.Unix(), 10)
	st := v.macs.get(0)
	st.writeParts(id, t)
	st.h.Write(r.Body)
	r.Header.Set(f.id, id)
	r.Header.Set(f.ts, t)
	r.Header.Set(f.sig, "v1,"+encBase64.encode(st.sum()))
	v.macs.put(0, st)
}

// parseSWSignatures parses a webhook-signature list. Entries are separated
// by spaces; entries of other versions (v1a, ...), without a comma, or whose
// v1 signature is not a base64 SHA-256 MAC are ignored. It is malformed when
// no v1 signature remains or there are more than maxSigs. Its errors are
// plain details for the caller to wrap.
func parseSWSignatures(s string) (sigList, error) {
	var l sigList
	for rest := s; rest != ""; {
		var e string
		e, rest, _ = strings.Cut(rest, " ")
		ver, sig, ok := strings.Cut(e, ",")
		if !ok || ver != "v1" {
			continue
		}
		if _, full := l.add(sig, encBase64); full {
			return l, fmt.Errorf("more than %d v1 signatures", maxSigs)
		}
	}
	if l.n == 0 {
		return l, errors.New("no valid v1 signature")
	}
	return l, nil
}
