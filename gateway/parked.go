package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/store"
)

// StatusParked is the status that lists the outbox rows the relay parked
// (`hookgate events -status parked`, GET /admin/events?status=parked):
// events accepted and answered 2xx that the NATS server refused again and
// again. They are not in the archive; they wait in the parked table until
// they are sent again.
const StatusParked = "parked"

// ParkedQuery checks that q asks only what parked rows can be filtered by
// (provider and limit), for GET /admin/events?status=parked and `hookgate
// events -status parked`, and returns their query.
func ParkedQuery(q forward.Query) (forward.ParkedQuery, error) {
	if q.EventID != "" || !q.Since.IsZero() || !q.Until.IsZero() || q.Before != 0 {
		return forward.ParkedQuery{}, fmt.Errorf("status %s: parked rows are listed by provider and limit only", StatusParked)
	}
	return forward.ParkedQuery{Provider: q.Provider, Limit: q.Limit}, nil
}

// ResendParked sends parked rows again (store.ResendParked)
// and wakes the relay.
func (s *Server) ResendParked(ctx context.Context, seqs []int64) (int64, error) {
	n, bytes, err := store.ResendParked(ctx, s.db, seqs, s.now())
	if err != nil {
		return 0, err
	}
	if n > 0 {
		s.outbox.Add(n, bytes)
		s.relay.Notify()
		s.log.Info("parked rows sent again", "rows", n)
	}
	return n, nil
}

// parked returns the number of parked rows (0 if it cannot be read).
func (s *Server) parked() int64 {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	n, _, err := forward.ParkedCount(ctx, s.db.Read)
	if err != nil {
		return 0
	}
	return n
}

// parkedJSON is a parked row as the admin API shows it.
type parkedJSON struct {
	Seq       int64     `json:"seq"`
	MsgID     string    `json:"msg_id"`
	Subject   string    `json:"subject"`
	Bytes     int       `json:"bytes"`
	Replay    string    `json:"replay,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ParkedAt  time.Time `json:"parked_at"`
	Attempts  int       `json:"attempts"`
	Error     string    `json:"error"`
}

func (s *Server) adminParked(c echo.Context, q forward.Query) error {
	pq, err := ParkedQuery(q)
	if err != nil {
		return c.JSON(http.StatusBadRequest, map[string]string{"error": err.Error()})
	}
	if v := c.QueryParam("after"); v != "" {
		if pq.After, err = strconv.ParseInt(v, 10, 64); err != nil {
			return c.JSON(http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("after: %q is not a number", v)})
		}
	}
	rows, err := forward.ParkedRows(c.Request().Context(), s.db.Read, pq, true)
	if err != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
	}
	out := make([]parkedJSON, len(rows))
	for i, p := range rows {
		out[i] = parkedJSON{Seq: p.Seq, MsgID: p.Message.ID, Subject: p.Message.Subject, Bytes: len(p.Message.Body), Replay: p.Replay,
			CreatedAt: p.CreatedAt.UTC(), ParkedAt: p.ParkedAt.UTC(), Attempts: p.Attempts, Error: p.Error}
	}
	return c.JSON(http.StatusOK, map[string]any{"parked": out})
}

// errNothingParked is the answer to a resend that matched no parked row.
var errNothingParked = errors.New("no parked row matches")
