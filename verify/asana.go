package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

func init() {
	register(Preset{
		Name:        "asana",
		Scheme:      "hmac-sha256",
		Description: "Asana: X-Hook-Signature <hex> HMAC-SHA256 over the body, keyed with the secret Asana sends in the X-Hook-Secret handshake (learned into secret_file, or configured)",
		Headers:     []string{asanaSignatureHeader, asanaSecretHeader},
		// A delivery batches events and carries no delivery ID: the
		// body's SHA-256 identifies it.
		EventType: []string{"events.0.resource.resource_type", "events.0.action"},
		CreatedAt: "events.0.created_at",
		Options:   []string{"secret_file"},
		NoSecret:  true,
		Handshake: "webhook creation POSTs an X-Hook-Secret header: answered 200 echoing it, once it is written to secret_file (only when no secret is known yet, or it is the known one); a heartbeat (an empty events list) is answered 200 and not recorded",
		// The handshake's header is the secret itself.
		Credentials: []string{asanaSecretHeader},
		New:         newWith(newAsana),
		Sign:        signWith(newAsana),
	})
}

const (
	asanaSignatureHeader = "X-Hook-Signature"
	asanaSecretHeader    = "X-Hook-Secret"
)

// asanaVerifier checks Asana's webhooks. Asana chooses the secret: the
// POST that confirms a new webhook carries it in X-Hook-Secret, and every
// later delivery the hex HMAC-SHA256 of the body keyed with it in
// X-Hook-Signature. The handshake is not authenticated (trust on first
// use): hookgate answers it, and writes the secret to the secret file,
// only while it knows no secret, so that a second webhook cannot take over
// the provider entry. A delivery is checked with the configured secrets,
// then with the file's. It is safe for concurrent use.
type asanaVerifier struct {
	secrets []string // configured
	file    string   // "" when no secret_file
	dryRun  bool     // Options.DryRun: a handshake writes nothing
	mu      sync.Mutex
	cache   asanaFileSecret // the file's secret, as last read; under mu
}

// asanaFileSecret is the secret file as last read: its content (trimmed;
// "" when absent or empty) and what identifies that version of the file.
type asanaFileSecret struct {
	secret string
	exists bool
	mod    time.Time
	size   int64
	info   fs.FileInfo // for os.SameFile: a file replaced by another
}

var _ Verifier = (*asanaVerifier)(nil)

func newAsana(o Options) (*asanaVerifier, error) {
	if len(o.Secrets) == 0 && o.SecretFile == "" {
		return nil, fmt.Errorf("asana: set option secret_file (where the secret Asana sends in the handshake is kept) or secrets: %w", ErrConfig)
	}
	v := &asanaVerifier{secrets: o.Secrets, file: o.SecretFile, dryRun: o.DryRun}
	if v.file != "" {
		if fi, err := os.Stat(filepath.Dir(v.file)); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("asana: option secret_file %q: its directory does not exist: %w", v.file, ErrConfig)
		}
		if _, err := v.fileSecret(); err != nil {
			return nil, fmt.Errorf("asana: option secret_file: %v: %w", err, ErrConfig)
		}
	}
	return v, nil
}

// fileSecret returns the secret file's secret ("" when the file is absent
// or empty, or none is configured), reading it again when its size or
// modification time changed since the last read: one stat per call. An
// error means the file exists but cannot be read.
func (v *asanaVerifier) fileSecret() (string, error) {
	if v.file == "" {
		return "", nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.fileSecretLocked()
}

func (v *asanaVerifier) fileSecretLocked() (string, error) {
	fi, err := os.Stat(v.file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		v.cache = asanaFileSecret{}
		return "", nil
	case err != nil:
		return "", err
	case v.cache.exists && fi.ModTime().Equal(v.cache.mod) && fi.Size() == v.cache.size && os.SameFile(fi, v.cache.info):
		// The same file, unchanged: a replacement (a new inode) of the
		// same size and time, as a coarse clock allows, is read again.
		return v.cache.secret, nil
	case fi.Size() > 4<<10:
		return "", fmt.Errorf("%s: %d bytes, not a secret", v.file, fi.Size())
	}
	b, err := os.ReadFile(v.file)
	if errors.Is(err, fs.ErrNotExist) {
		v.cache = asanaFileSecret{}
		return "", nil
	}
	if err != nil {
		return "", err
	}
	v.cache = asanaFileSecret{secret: strings.TrimSpace(string(b)), exists: true, mod: fi.ModTime(), size: fi.Size(), info: fi}
	return v.cache.secret, nil
}

// fingerprint identifies a secret in logs and errors without revealing
// it: the first 12 hex digits of its SHA-256.
func fingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:6])
}

// Verify implements Verifier. A request with X-Hook-Secret is the
// handshake; any other must carry X-Hook-Signature. A delivery whose
// events list is empty is a heartbeat, answered 200 and not recorded: when
// signed, once verified; when not, as it is (it records nothing).
func (v *asanaVerifier) Verify(r *Request, _ time.Time) (Result, error) {
	if s := r.Header.Get(asanaSecretHeader); s != "" {
		return v.handshake(s)
	}
	sig, err := requireHeader(r, asanaSignatureHeader)
	if err != nil {
		if xeroIntent(r.Body) {
			// A heartbeat without a signature: answered, as it records
			// nothing and tells nothing, so that Asana keeps the webhook
			// whether or not it signs its heartbeats.
			return handshake(&Response{Status: http.StatusOK, Log: "asana heartbeat (no events), not signed"}), nil
		}
		return Result{}, err
	}
	var want [sha256.Size]byte
	if err := readMAC(want[:], asanaSignatureHeader, sig, "", encHex); err != nil {
		return Result{}, err
	}
	learned, err := v.fileSecret()
	if err != nil {
		return Result{}, fmt.Errorf("asana: secret_file: %v: %w", err, ErrKeysUnavailable)
	}
	keys := v.secrets
	if learned != "" {
		keys = append(keys[:len(keys):len(keys)], learned)
	}
	if len(keys) == 0 {
		return Result{}, fmt.Errorf("asana: no secret known yet (no handshake written to %s): %w", v.file, ErrMismatch)
	}
	for i, k := range keys {
		m := hmac.New(sha256.New, []byte(k))
		m.Write(r.Body)
		if hmac.Equal(m.Sum(nil), want[:]) {
			res := Result{SecretIndex: i}
			if xeroIntent(r.Body) {
				res.Response = &Response{Status: http.StatusOK, Log: "asana heartbeat (no events)"}
			}
			return res, nil
		}
	}
	return Result{}, fmt.Errorf("header %s: signature matches none of %d secrets: %w", asanaSignatureHeader, len(keys), ErrMismatch)
}

// handshake answers the X-Hook-Secret handshake: with the secret echoed
// when it is the one already known (a retry), or when none is known and it
// was written to the secret file; it is refused when another secret is
// known, which a second webhook on the same provider entry would replace.
func (v *asanaVerifier) handshake(s string) (Result, error) {
	if err := echoableToken(asanaSecretHeader, s); err != nil {
		return Result{}, err
	}
	answer := func(log string) (Result, error) {
		return handshake(&Response{Status: http.StatusOK, Header: http.Header{asanaSecretHeader: {s}}, Log: log}), nil
	}
	fp := fingerprint(s)
	sums := secretSums(v.secrets)
	if matchSecret(sums, []byte(s)) >= 0 {
		return answer(fmt.Sprintf("asana handshake: secret %s is a configured secret; answered", fp))
	}
	if v.file == "" {
		return Result{}, fmt.Errorf("asana handshake refused (no secret_file to learn it into): secret %s is none of the %d configured: %w", fp, len(v.secrets), ErrMismatch)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	known, err := v.fileSecretLocked()
	if err != nil {
		return Result{}, fmt.Errorf("asana handshake: secret_file: %v: %w", err, ErrKeysUnavailable)
	}
	switch {
	case known != "" && hmac.Equal([]byte(known), []byte(s)):
		return answer(fmt.Sprintf("asana handshake: secret %s is the one in %s already; answered", fp, v.file))
	case known != "":
		return Result{}, fmt.Errorf("asana handshake refused (a second webhook would replace the first: delete the file to accept it, or give it its own provider entry): "+
			"%s holds secret %s, the new webhook's is %s: %w", v.file, fingerprint(known), fp, ErrMismatch)
	case len(v.secrets) > 0:
		return Result{}, fmt.Errorf("asana handshake refused (remove the configured secrets to learn a new one): secret %s is none of the %d configured: %w", fp, len(v.secrets), ErrMismatch)
	}
	if v.dryRun {
		return answer(fmt.Sprintf("asana handshake: would learn secret %s into %s (dry run: nothing written)", fp, v.file))
	}
	written, err := v.writeSecretLocked(s)
	if err != nil {
		return Result{}, fmt.Errorf("asana handshake: writing secret_file: %v: %w", err, ErrKeysUnavailable)
	}
	if written != s {
		// Another process wrote the file first.
		return Result{}, fmt.Errorf("asana handshake refused (another replica learned a secret first): %s holds secret %s, not %s: %w", v.file, fingerprint(written), fp, ErrMismatch)
	}
	return answer(fmt.Sprintf("asana handshake: learned secret %s and wrote it to %s; other replicas must share this file or have this secret configured", fp, v.file))
}

// writeSecretLocked writes s to the secret file, mode 0600, atomically: to
// a temporary file in the same directory, then linked into place, which
// fails if the file appeared meanwhile (another process sharing it), so
// the first writer wins; an empty file left in place is replaced by
// rename. It returns the secret the file holds afterwards.
func (v *asanaVerifier) writeSecretLocked(s string) (string, error) {
	dir := filepath.Dir(v.file)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(v.file)+".tmp-*")
	if err != nil {
		return "", err
	}
	name := tmp.Name()
	defer os.Remove(name)
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", err
	}
	if _, err := tmp.WriteString(s + "\n"); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	err = os.Link(name, v.file)
	switch {
	case errors.Is(err, fs.ErrExist):
		// Someone else wrote it; an empty file is replaced.
		if got, err := v.fileSecretLocked(); err != nil || got != "" {
			return got, err
		}
		err = os.Rename(name, v.file)
	case err != nil:
		// A file system without hard links: refuse rather than rename,
		// which would replace a secret another replica just wrote (the
		// first handshake must win).
		return "", fmt.Errorf("linking the secret into place: %v (the file system must support hard links; or configure the secret in secrets)", err)
	}
	if err != nil {
		return "", err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	v.cache = asanaFileSecret{}
	return v.fileSecretLocked()
}

// sign sets X-Hook-Signature with the first configured secret, or the
// file's when none is configured.
func (v *asanaVerifier) sign(r *Request, _ time.Time) error {
	key := ""
	if len(v.secrets) > 0 {
		key = v.secrets[0]
	} else {
		s, err := v.fileSecret()
		if err != nil {
			return fmt.Errorf("asana: secret_file: %v: %w", err, ErrConfig)
		}
		if s == "" {
			return fmt.Errorf("asana: no secret to sign with: %s holds none yet: %w", v.file, ErrConfig)
		}
		key = s
	}
	m := hmac.New(sha256.New, []byte(key))
	m.Write(r.Body)
	r.Header.Set(asanaSignatureHeader, hex.EncodeToString(m.Sum(nil)))
	return nil
}
