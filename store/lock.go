package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LockFile is the name of the lock file inside data_dir. A running gateway
// holds an exclusive lock on it and writes its pid, host and start time
// into it.
const LockFile = "hookgate.lock"

// ErrLocked means that another gateway holds the data directory: two
// gateways on one database would both relay its outbox.
var ErrLocked = errors.New("store: data directory in use")

// DirLock is the exclusive lock a gateway holds on its data directory. The
// kernel releases it when the process ends, however it ends.
type DirLock struct {
	f *os.File
}

// Lock takes the exclusive lock on dir's LockFile without waiting,
// creating dir and the file if needed, and writes the holder's pid, host
// and start time (now) into it. When another process holds it, the error
// wraps ErrLocked and names dir and the holder. Release it with Release.
func Lock(dir string, now time.Time) (*DirLock, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("storage: lock: %w", err)
	}
	locked, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("storage: lock %s: %w", path, err)
	}
	if !locked {
		f.Close()
		name := dir
		if abs, err := filepath.Abs(dir); err == nil {
			name = abs
		}
		return nil, fmt.Errorf("%w: data_dir %s is held by %s (lock file %s): run one gateway per data directory",
			ErrLocked, name, lockHolder(path), LockFile)
	}
	host, _ := os.Hostname()
	info := fmt.Sprintf("pid %d\nhost %s\nstarted %s\n", os.Getpid(), host, now.UTC().Format(time.RFC3339))
	err = f.Truncate(0)
	if err == nil {
		_, err = f.WriteAt([]byte(info), 0)
	}
	if err != nil {
		unlock(f)
		f.Close()
		return nil, fmt.Errorf("storage: lock %s: %w", path, err)
	}
	return &DirLock{f: f}, nil
}

// lockHolder describes the process named in the lock file at path. The
// holder writes the file just after it takes the lock, so an empty file is
// read again for a moment.
func lockHolder(path string) string {
	var b []byte
	for range 20 {
		if b, _ = os.ReadFile(path); len(bytes.TrimSpace(b)) > 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	fields := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok {
			fields[k] = v
		}
	}
	if fields["pid"] == "" {
		return "another process (its pid is not in the lock file yet)"
	}
	return fmt.Sprintf("pid %s on host %s, started %s", fields["pid"], fields["host"], fields["started"])
}

// Release empties the lock file and drops the lock. A nil lock releases
// nothing.
func (l *DirLock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.f.Truncate(0)
	err := errors.Join(unlock(l.f), l.f.Close())
	l.f = nil
	return err
}
