package gateway

import (
	"errors"
	"net/http"

	"hookgate/verify"
)

// Errors that decide a response. Only this package maps errors to status
// codes, in statusOf.
var (
	// ErrMalformed means the request lacks something the pipeline needs (a
	// JSON body where a field is read, an unparsable ordering version).
	ErrMalformed = errors.New("gateway: malformed request")
	// ErrTooLarge means the body is over the provider's cap.
	ErrTooLarge = errors.New("gateway: body too large")
	// ErrStorage means the database could not record the decision; nothing
	// was recorded for the request.
	ErrStorage = errors.New("gateway: storage unavailable")
	// ErrOutboxFull means the outbox is at its bound (NATS is down or slow);
	// nothing was recorded for the request.
	ErrOutboxFull = errors.New("gateway: outbox full")
	// ErrShuttingDown means the gateway stopped taking new events.
	ErrShuttingDown = errors.New("gateway: shutting down")
)

// retryAfter is the Retry-After value sent with a 503, in seconds.
const retryAfter = "5"

// statusOf maps an error from any step of the pipeline to the status code
// and the public message of DESIGN.md's table. Signature failures share one
// public message; the detail goes to logs only.
func statusOf(err error) (int, string) {
	switch {
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge, "body too large"
	case errors.Is(err, verify.ErrNoSignature), errors.Is(err, verify.ErrMalformed):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, verify.ErrMismatch), errors.Is(err, verify.ErrTooOld), errors.Is(err, verify.ErrTooNew):
		return http.StatusUnauthorized, "invalid signature"
	case errors.Is(err, ErrMalformed):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, ErrShuttingDown):
		return http.StatusServiceUnavailable, "shutting down"
	case errors.Is(err, ErrOutboxFull):
		return http.StatusServiceUnavailable, "outbox full, retry later"
	case errors.Is(err, ErrStorage):
		return http.StatusServiceUnavailable, "temporarily unavailable"
	default:
		return http.StatusInternalServerError, "internal error"
	}
}
