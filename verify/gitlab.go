package verify

import (
	"fmt"
	"time"
)

func init() {
	register(Preset{
		Name:         "gitlab-token",
		BodyUnsigned: true,
		Aliases:      []string{"gitlab"},
		Scheme:       "token",
		Description:  "GitLab secret token: X-Gitlab-Token equal to the secret, compared in constant time, body not signed",
		Headers:      []string{gitlabTokenHeader},
		// Idempotency-Key (GitLab 17.4+) stays the same across retries.
		// Older instances do not send it and their events are identified
		// by the body's hash; event_id: header:X-Gitlab-Event-UUID is the
		// alternative there.
		EventID:   "header:Idempotency-Key",
		EventType: []string{"header:X-Gitlab-Event"},
		New:       newWith(newGitLabToken),
		Sign:      signWith(newGitLabToken),
	})
	register(Preset{
		Name:           "gitlab-signing-token",
		IDSourceSigned: true,
		Scheme:         "hmac-sha256",
		Description: "GitLab signing token: Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature v1,<b64> " +
			"over {id}.{ts}.{body}, whsec_ secret) with Idempotency-Key equal to the signed webhook-id",
		Headers:   []string{webhookHeaders.id, webhookHeaders.ts, webhookHeaders.sig, gitlabIdempotencyHeader},
		Tolerance: 5 * time.Minute,
		EventID:   "header:" + gitlabIdempotencyHeader,
		EventType: []string{"header:X-Gitlab-Event"},
		New: func(o Options) (Verifier, error) {
			o.NotAfter = nil // New wraps the result
			v, err := New("standard-webhooks", o)
			if err != nil {
				return nil, err
			}
			return &gitlabSigned{sw: v}, nil
		},
		Sign: func(r *Request, o Options, now time.Time) error {
			if id := r.Header.Get(gitlabIdempotencyHeader); id != "" && r.Header.Get(webhookHeaders.id) == "" {
				r.Header.Set(webhookHeaders.id, id)
			}
			if err := Sign("standard-webhooks", r, o, now); err != nil {
				return err
			}
			r.Header.Set(gitlabIdempotencyHeader, r.Header.Get(webhookHeaders.id))
			return nil
		},
	})
}

const (
	gitlabTokenHeader       = "X-Gitlab-Token"
	gitlabIdempotencyHeader = "Idempotency-Key"
)

// newGitLabToken builds GitLab's secret token scheme.
func newGitLabToken(o Options) (*tokenVerifier, error) {
	return newToken("gitlab-token", gitlabTokenHeader, "", o.Secrets)
}

// gitlabSigned checks GitLab's signing token (MR 230944): a Standard
// Webhooks signature, plus Idempotency-Key, which GitLab sets equal to
// webhook-id. Requiring the two to be equal makes the event ID the gateway
// deduplicates on a signed value: a replay inside the window cannot dodge
// the dedupe by changing it. It is safe for concurrent use.
type gitlabSigned struct {
	sw Verifier
}

var _ Verifier = (*gitlabSigned)(nil)

// Verify implements Verifier.
func (v *gitlabSigned) Verify(r *Request, now time.Time) (Result, error) {
	res, err := v.sw.Verify(r, now)
	if err != nil {
		return res, err
	}
	key, err := requireHeader(r, gitlabIdempotencyHeader)
	if err != nil {
		return Result{}, err
	}
	// res.ID is the ID the signature covers: webhook-id, or svix-id when
	// the request was signed under the svix-* names (then a webhook-id
	// header is not signed).
	if key != res.ID {
		return Result{}, fmt.Errorf("header %s: differs from the signed %s: %w", gitlabIdempotencyHeader, webhookHeaders.id, ErrMismatch)
	}
	return res, nil
}
