package store

import "embed"

// migrationFS holds the versioned schema migrations, one directory per dialect.
//
//go:embed migrations
var migrationFS embed.FS
