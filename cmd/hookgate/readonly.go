package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	_ "github.com/mattn/go-sqlite3"

	"hookgate/config"
	"hookgate/gateway"
	"hookgate/store"
)

// openReadOnly opens the gateway database in cfg's data_dir read-only, for
// the commands that read beside a running gateway (events, quarantine).
// A missing database is an error wrapping gateway.ErrStorage: opening it
// would create an empty one.
func openReadOnly(cfg *config.Config) (*sql.DB, error) {
	path := filepath.Join(cfg.DataDir, store.File)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%w: %w", gateway.ErrStorage, err)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", gateway.ErrStorage, err)
	}
	return db, nil
}
