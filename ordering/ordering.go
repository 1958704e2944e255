// Package ordering implements last-writer-wins per entity: an event whose
// version is strictly older than the last one applied for its entity is stale.
//
// The package owns the entity_versions table and its migrations. Apply runs on
// the caller's transaction so that the version moves forward only if the rest
// of the caller's decision commits.
package ordering

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Migrations holds the versioned schema of the entity_versions table, one
// file per version, applied in name order.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// Errors returned by the package.
var (
	// ErrInvalid is returned for arguments that cannot be recorded.
	ErrInvalid = errors.New("ordering: invalid argument")
	// ErrVersion is returned by ParseVersion for a value that is not a version.
	ErrVersion = errors.New("ordering: unparsable version")
)

// Format says how a version value is read.
type Format string

// Version formats. Auto reads an RFC 3339 string as a time and an integer as
// an integer, so sequences, unix seconds and unix milliseconds all order
// correctly as long as one entity's versions keep one form. Unix and UnixMs
// read an integer as unix seconds or milliseconds and an RFC 3339 string as
// a time, all on one time scale, so the two can be mixed for one entity.
// RFC3339 reads RFC 3339 strings only: a plain number's unit is unknown.
const (
	Auto     Format = "auto"
	RFC3339  Format = "rfc3339"
	Unix     Format = "unix"
	UnixMs   Format = "unix_ms"
	Sequence Format = "sequence"
)

// Kind is what a comparable version counts. Versions of two kinds do not
// compare: a number under auto may be a sequence or a unix time in seconds
// or milliseconds, and nothing says how it stands to a time. So when a
// provider's format changes (a reload), an entity's next version of another
// kind is taken as its first: forwarded, and recorded in place of the old.
type Kind uint8

// Kinds of versions.
const (
	// AnyKind is a version that says nothing of its kind: one recorded
	// before versions had kinds. It compares with a version of any kind,
	// as a plain integer, as all versions did then.
	AnyKind Kind = iota
	// Number is an integer whose unit hookgate does not know: a sequence,
	// or an integer read by auto.
	Number
	// Time is a time in unix microseconds: an RFC 3339 time, or an integer
	// read by unix or unix_ms.
	Time
)

// String returns "number", "time", or "any" for AnyKind.
func (k Kind) String() string {
	switch k {
	case Number:
		return "number"
	case Time:
		return "time"
	case AnyKind:
		return "any"
	default:
		return "kind(" + strconv.Itoa(int(k)) + ")"
	}
}

// Compares reports whether versions of kinds k and o compare: they are of
// one kind, or one of them is AnyKind.
func (k Kind) Compares(o Kind) bool { return k == o || k == AnyKind || o == AnyKind }

// ParseFormat returns the Format named s; "" is Auto.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case "":
		return Auto, nil
	case Auto, RFC3339, Unix, UnixMs, Sequence:
		return f, nil
	default:
		return "", fmt.Errorf("%w: unknown version format %q (want auto, rfc3339, unix, unix_ms or sequence)", ErrInvalid, s)
	}
}

// ParseVersion turns a raw version (as found in a header or JSON field) into
// a comparable integer and its kind. Times become unix microseconds (a finer fraction of
// a second is cut); sequences stay as they are. Under Unix and UnixMs an
// integer is a time in seconds or milliseconds, and an RFC 3339 string is a
// time too; under RFC3339 an integer is refused, since its unit is unknown.
// A JSON number with a fraction, a negative integer or anything else that
// does not fit the format is an error wrapping ErrVersion.
func ParseVersion(raw string, f Format) (int64, Kind, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return 0, 0, fmt.Errorf("%w: empty", ErrVersion)
	}
	digits := isDigits(s)
	switch {
	case f == RFC3339 && digits:
		return 0, 0, fmt.Errorf("%w: %q is a number, not an RFC 3339 time (its unit is unknown: for unix seconds or milliseconds, set the format unix or unix_ms)", ErrVersion, raw)
	case f == Sequence && !digits:
		return 0, 0, fmt.Errorf("%w: %q is not a non-negative integer", ErrVersion, raw)
	case !digits:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil && f == RFC3339 {
			return 0, 0, fmt.Errorf("%w: %q is not an RFC 3339 time", ErrVersion, raw)
		}
		if err != nil {
			return 0, 0, fmt.Errorf("%w: %q is neither an RFC 3339 time nor a non-negative integer", ErrVersion, raw)
		}
		return t.UnixMicro(), Time, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %q is out of range", ErrVersion, raw)
	}
	var scale int64
	switch f {
	case Unix:
		scale = 1e6
	case UnixMs:
		scale = 1e3
	default: // auto, sequence
		return n, Number, nil
	}
	if n > math.MaxInt64/scale {
		return 0, 0, fmt.Errorf("%w: %q is out of range for %s", ErrVersion, raw, f)
	}
	return n * scale, Time, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Execer is the part of *sql.Tx or *sql.DB that the package needs.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// The upsert of Apply: the new version replaces the entity's entry when
// the entry expired, the two versions are of kinds that do not compare
// (Kind.Compares; kind 0 is AnyKind), or the version wins (ties win, or
// with applyDropTiesStatement lose). Two constants rather than one built
// per call: the statement cache finds them without a new string each time.
const (
	applyUpsert = `
		INSERT INTO entity_versions (entity, version, kind, expires_at) VALUES (?1, ?2, ?5, ?3)
		ON CONFLICT (entity) DO UPDATE SET version = excluded.version, kind = excluded.kind, expires_at = excluded.expires_at
		WHERE entity_versions.expires_at <= ?4
			OR (excluded.kind <> entity_versions.kind AND excluded.kind <> 0 AND entity_versions.kind <> 0)
			OR excluded.version `
	applyStatement         = applyUpsert + `>= entity_versions.version`
	applyDropTiesStatement = applyUpsert + `> entity_versions.version`
)

// Apply compares version, of kind kind, with the last version applied for
// entity and records it when it wins. It returns true when the event
// should be forwarded: the entity is unseen (or its entry expired, or
// holds a version of a kind that does not compare with kind), the version
// is newer, or it is equal and ties are not dropped. It returns false for
// a stale event and then changes nothing. A recorded entry lives until
// now+ttl (or the year 2262, the last that Unix nanoseconds hold, for a
// longer ttl) and is renewed each time the entity's version is applied.
func Apply(ctx context.Context, tx Execer, entity string, version int64, kind Kind, dropTies bool, now time.Time, ttl time.Duration) (bool, error) {
	if entity == "" {
		return false, fmt.Errorf("%w: empty entity", ErrInvalid)
	}
	if ttl <= 0 {
		return false, fmt.Errorf("%w: ttl %s is not positive", ErrInvalid, ttl)
	}
	stmt := applyStatement
	if dropTies {
		stmt = applyDropTiesStatement
	}
	res, err := tx.ExecContext(ctx, stmt, entity, version, expiry(now, ttl), now.UnixNano(), kind)
	if err != nil {
		return false, fmt.Errorf("ordering: apply %q: %w", entity, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("ordering: apply %q: %w", entity, err)
	}
	return n == 1, nil
}

// expiry is now+ttl in Unix nanoseconds, or the latest there is when that
// is past it: never a time wrapped around into the past, which would make
// an entry born expired.
func expiry(now time.Time, ttl time.Duration) int64 {
	n := now.UnixNano()
	if int64(ttl) > math.MaxInt64-max(n, 0) {
		return math.MaxInt64
	}
	return n + int64(ttl)
}

// SweepStatement deletes at most ?2 entries that expired at or before ?1
// (Unix nanoseconds); see dedupe.SweepStatement for how to run it.
const SweepStatement = `DELETE FROM entity_versions WHERE entity IN (
	SELECT entity FROM entity_versions WHERE expires_at <= ?1 LIMIT ?2)`

// Querier is the part of *sql.Tx or *sql.DB that Current needs.
type Querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Current returns the last version applied for entity, live at now, and
// whether there is one.
func Current(ctx context.Context, q Querier, entity string, now time.Time) (int64, bool, error) {
	var v int64
	err := q.QueryRowContext(ctx, `SELECT version FROM entity_versions WHERE entity = ?1 AND expires_at > ?2`, entity, now.UnixNano()).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("ordering: current %q: %w", entity, err)
	}
	return v, true, nil
}
