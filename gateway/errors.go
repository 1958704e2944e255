package gateway

import (
	"errors"
	"net/http"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/jsstore"
	"github.com/hookgate/hookgate/route"
	"github.com/hookgate/hookgate/store"
	"github.com/hookgate/hookgate/verify"
)

// Errors that decide a response. Only this package maps errors to status
// codes, in classify.
var (
	// ErrMalformed means the request lacks something the pipeline needs (a
	// JSON body where a field is read, an unparsable ordering version).
	ErrMalformed = errors.New("gateway: malformed request")
	// ErrValueTooLong means a value that travels in a NATS header (event
	// ID, type, ordering key or version, a passed header) is over its
	// length limit; nothing was recorded.
	ErrValueTooLong = errors.New("gateway: value too long")
	// ErrTooLarge means the body is over the provider's cap.
	ErrTooLarge = errors.New("gateway: body too large")
	// ErrBodyTimeout means the body did not arrive within
	// http.body_timeout; nothing was recorded.
	ErrBodyTimeout = errors.New("gateway: body not received in time")
	// ErrStorage means the database could not record (or read) what was
	// asked; nothing was recorded. It is the store's own error.
	ErrStorage = store.ErrStorage
)

// retryAfter is the Retry-After value sent with a 503, in seconds.
const retryAfter = "5"

// errorClass is how one kind of error is answered and counted.
type errorClass struct {
	err    error
	status int
	msg    string // public message; "" means the error's own text
	reason string // metrics label
}

// errorClasses is README.md's status table for errors, in the order they
// are matched. Signature failures share one public message; the detail goes
// to logs and to the reason label only.
var errorClasses = []errorClass{
	{ErrTooLarge, http.StatusRequestEntityTooLarge, "body too large", "body_too_large"},
	{ErrBodyTimeout, http.StatusRequestTimeout, "body not received in time", "body_timeout"},
	{verify.ErrNoSignature, http.StatusBadRequest, "", "missing_signature"},
	{verify.ErrMalformed, http.StatusBadRequest, "", "malformed_signature"},
	{verify.ErrMismatch, http.StatusUnauthorized, "invalid signature", "signature_mismatch"},
	{verify.ErrTooOld, http.StatusUnauthorized, "invalid signature", "timestamp_too_old"},
	{verify.ErrTooNew, http.StatusUnauthorized, "invalid signature", "timestamp_too_new"},
	{verify.ErrSecretExpired, http.StatusUnauthorized, "invalid signature", "secret_expired"},
	{verify.ErrClaims, http.StatusUnauthorized, "invalid signature", "claims_rejected"},
	{ErrMalformed, http.StatusBadRequest, "", "malformed_request"},
	{forward.ErrInvalidMessage, http.StatusBadRequest, "", "malformed_request"},
	{ErrValueTooLong, http.StatusBadRequest, "", "value_too_long"},
	{ErrForbidden, http.StatusForbidden, "forbidden", "forbidden"},
	{ErrRateLimited, http.StatusTooManyRequests, "rate limited", "rate_limited"},
	{ErrBusy, http.StatusServiceUnavailable, "", "busy"}, // names the limit reached
	{verify.ErrKeysUnavailable, http.StatusServiceUnavailable, "signing keys unavailable, retry later", "keys_unavailable"},
	{store.ErrClosed, http.StatusServiceUnavailable, "shutting down", "shutting_down"},
	{store.ErrOutboxFull, http.StatusServiceUnavailable, "outbox full, retry later", "outbox_full"},
	{store.ErrStorage, http.StatusServiceUnavailable, "temporarily unavailable", "storage"},
	{jsstore.ErrUnavailable, http.StatusServiceUnavailable, "stream unavailable, retry later", "stream_unavailable"},
	{jsstore.ErrContended, http.StatusServiceUnavailable, "entity busy, retry later", "contended"},
	{jsstore.ErrRefused, http.StatusInternalServerError, "the stream refused the event", "stream_refused"},
	{route.ErrTimeout, http.StatusServiceUnavailable, "routing took too long, retry later", "route_timeout"},
}

// classify maps an error from any step of the pipeline to its status code,
// public message and metrics reason.
func classify(err error) (status int, msg, reason string) {
	for _, c := range errorClasses {
		if errors.Is(err, c.err) {
			msg = c.msg
			if msg == "" {
				msg = err.Error()
			}
			return c.status, msg, c.reason
		}
	}
	return http.StatusInternalServerError, "internal error", "internal"
}

// isVerifyFailure reports whether a reason is a signature check's.
func isVerifyFailure(reason string) bool {
	switch reason {
	case "missing_signature", "malformed_signature", "signature_mismatch", "timestamp_too_old",
		"timestamp_too_new", "secret_expired", "claims_rejected":
		return true
	}
	return false
}
