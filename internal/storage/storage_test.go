package storage_test

import (
	"context"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
	"github.com/lagboard/lagboard/migrations"
)

func TestMain(m *testing.M) { stacktest.Main(m) }

func TestMigrateIsIdempotentAndCurrent(t *testing.T) {
	ctx := context.Background()
	pool := stacktest.DB(t) // already migrated from the template
	migs, err := storage.LoadMigrations(migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if err := storage.MigrationsCurrent(ctx, pool, migs); err != nil {
		t.Fatalf("template database not current: %v", err)
	}
	applied, err := storage.Migrate(ctx, pool, migs)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Fatalf("second migrate applied %v, want nothing", applied)
	}
	// A binary with one migration more is not current until it migrates.
	more := append(slices.Clone(migs), storage.Migration{Version: len(migs) + 1, Name: "extra", SQL: "CREATE TABLE extra (id int)"})
	if err := storage.MigrationsCurrent(ctx, pool, more); err == nil {
		t.Fatal("MigrationsCurrent = nil with a pending migration")
	}
	applied, err = storage.Migrate(ctx, pool, more)
	if err != nil || !slices.Equal(applied, []int{len(more)}) {
		t.Fatalf("Migrate = %v, %v; want [%d]", applied, err, len(more))
	}
	// And an older binary refuses a newer database rather than running against it.
	if _, err := storage.Migrate(ctx, pool, migs); err == nil {
		t.Fatal("older migrations accepted a newer database")
	}
}

func TestLoadMigrationsRefusesGaps(t *testing.T) {
	tests := map[string]fstest.MapFS{
		"gap":       {"0001_a.sql": {}, "0003_c.sql": {}},
		"duplicate": {"0001_a.sql": {}, "0001_b.sql": {}},
		"bad name":  {"first.sql": {}},
	}
	for name, fsys := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := storage.LoadMigrations(fsys); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestUpsertCluster(t *testing.T) {
	ctx := context.Background()
	pool := stacktest.DB(t)
	a, err := storage.UpsertCluster(ctx, pool, "prod", []string{"10.0.0.1:9876"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := storage.UpsertCluster(ctx, pool, "prod", []string{"10.0.0.1:9876"})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || !b.UpdatedAt.Equal(a.UpdatedAt) {
		t.Fatalf("unchanged upsert changed the row: %+v then %+v", a, b)
	}
	c, err := storage.UpsertCluster(ctx, pool, "prod", []string{"10.0.0.2:9876"})
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != a.ID || !slices.Equal(c.NamesrvAddrs, []string{"10.0.0.2:9876"}) {
		t.Fatalf("changed upsert: %+v", c)
	}
	if _, err := storage.UpsertCluster(ctx, pool, "Bad Name", []string{"x:1"}); err == nil {
		t.Fatal("invalid cluster name accepted by the database")
	}
	all, err := storage.ListClusters(ctx, pool)
	if err != nil || len(all) != 1 || all[0].Name != "prod" {
		t.Fatalf("ListClusters = %+v, %v", all, err)
	}
}
