//go:build !unix

package store

import "os"

// tryLock does not lock on systems without flock: there, nothing stops a
// second gateway on the same data directory.
func tryLock(*os.File) (bool, error) { return true, nil }

func unlock(*os.File) error { return nil }
