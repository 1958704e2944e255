package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	_ "github.com/mattn/go-sqlite3"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/gateway"
	"github.com/hookgate/hookgate/store"
)

// readOnly opens the gateway database in cfg's data_dir read-only and
// runs read on it, for the commands that read beside a running gateway
// (events, quarantine). Its errors, and a missing database (opening it
// would create an empty one), wrap gateway.ErrStorage.
func readOnly[T any](cfg *config.Config, read func(*sql.DB) (T, error)) (T, error) {
	var zero T
	path := filepath.Join(cfg.DataDir, store.File)
	if _, err := os.Stat(path); err != nil {
		return zero, fmt.Errorf("%w: %w", gateway.ErrStorage, err)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return zero, fmt.Errorf("%w: %w", gateway.ErrStorage, err)
	}
	defer db.Close()
	v, err := read(db)
	if err != nil {
		return zero, fmt.Errorf("%w: %w", gateway.ErrStorage, err)
	}
	return v, nil
}
