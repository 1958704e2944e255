package consume

import "errors"

var (
	// ErrOptions is wrapped by Subscribe for Options it cannot work with;
	// the message names the field.
	ErrOptions = errors.New("consume: invalid options")
	// ErrNoDeadLetterStream is wrapped by Subscribe when no stream stores
	// the dead-letter subject (the message names it): a dead letter would
	// be lost. Create one, or set Options.CreateDeadLetterStream.
	ErrNoDeadLetterStream = errors.New("consume: no stream stores the dead-letter subject")
	// ErrDeadLetterLoop is wrapped by Subscribe when the consumer would
	// read its own dead letters: the dead-letter subject is stored by the
	// stream it reads, and one of its filter subjects matches it.
	ErrDeadLetterLoop = errors.New("consume: the consumer's filter matches its dead-letter subject")
	// ErrNotJSON is wrapped by [Event.Decode] for a body whose content type
	// is not JSON.
	ErrNotJSON = errors.New("consume: body is not JSON")
	// ErrPanic is wrapped by the error of a handler that panicked: it is
	// retried as any other error.
	ErrPanic = errors.New("consume: handler panicked")
)

// PermanentError marks a handler's error as final: the message is not
// tried again but dead-lettered at once. Make one with [Permanent], detect
// one with errors.As.
type PermanentError struct {
	Err error
}

// Error returns the error's message, marked as permanent.
func (e *PermanentError) Error() string {
	if e.Err == nil {
		return "permanent error"
	}
	return "permanent: " + e.Err.Error()
}

// Unwrap returns the error that was made permanent.
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent returns err marked as permanent: a handler returns it for a
// message that no retry will fix (a body it cannot parse, an event it does
// not know). Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// isPermanent reports whether err, or an error it wraps, is a
// PermanentError.
func isPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}
