// Package migrations holds Lagboard's numbered SQL migrations, embedded in the binary.
// Files are named NNNN_description.sql and applied in order by internal/storage.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
