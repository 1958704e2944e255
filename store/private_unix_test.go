//go:build unix

package store

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestOpenPrivateFiles: the database and its -wal and -shm files are
// readable by their owner only, under a umask of 022 and in a directory
// made before (as the deploy files make it), and a database an older
// version left readable is made private on opening.
func TestOpenPrivateFiles(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	for _, tc := range []struct {
		name   string
		before func(t *testing.T, dir string)
	}{
		{"new", func(*testing.T, string) {}},
		{"left readable", func(t *testing.T, dir string) {
			for _, f := range []string{File, File + "-wal", File + "-shm"} {
				if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			tc.before(t, dir)
			db, err := Open(context.Background(), dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Write.Exec(`CREATE TABLE t (x)`); err != nil { // the -wal and -shm files exist now
				t.Fatal(err)
			}
			for _, f := range []string{File, File + "-wal", File + "-shm"} {
				fi, err := os.Stat(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				if perm := fi.Mode().Perm(); perm&0o077 != 0 {
					t.Errorf("%s has mode %v; want no access for group and others", f, perm)
				}
			}
		})
	}
}
