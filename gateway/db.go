package gateway

import (
	"context"

	"github.com/hookgate/hookgate/store"
)

// OpenDB opens the gateway's database in dir: store.Open, with the
// gateway's own table (the quarantine) migrated too.
func OpenDB(ctx context.Context, dir string, o store.Options) (*store.DB, error) {
	o.Schemas = append(o.Schemas, store.Schema{Component: "gateway", Files: quarantineMigrations})
	return store.Open(ctx, dir, o)
}
