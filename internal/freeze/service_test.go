package freeze

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

func TestMain(m *testing.M) { stacktest.Main(m) }

func manager(subject string, may bool) Who {
	return Who{Actor: audit.Actor{Subject: subject, Name: subject}, May: func(p auth.Permission, _ auth.Scope) bool {
		return may && p == auth.PermManageFreezes
	}}
}

// TestWindowChangesAreAudited creates, changes and deletes a window: each change is stored
// with its entry, the entry holding the window before and after; someone without the
// permission changes nothing; and a change whose entry cannot be written does not happen.
func TestWindowChangesAreAudited(t *testing.T) {
	ctx := context.Background()
	pool := stacktest.DB(t)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	s := New(pool, func() time.Time { return now })
	admin := manager("ada", true)
	w := Window{Name: "Black Friday", Reason: "peak traffic", Clusters: []string{"prod"}, Groups: []string{"payments-*"},
		Kind: Once, Start: now.Add(time.Hour), End: now.Add(3 * time.Hour), Zone: "Europe/Paris"}

	if _, err := s.Create(ctx, manager("vic", false), w); errcode.Code(err) != errcode.Forbidden {
		t.Fatalf("create without the permission: %v", err)
	}
	created, err := s.Create(ctx, admin, w)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, created.ID)
	if err != nil || got.Name != w.Name || !got.Start.Equal(w.Start) || got.Zone != "Europe/Paris" || got.CreatedBy != "ada" {
		t.Fatalf("stored %+v, %v", got, err)
	}
	got.Kind, got.Days, got.From, got.To = Weekly, []time.Weekday{time.Saturday}, 22*60, 6*60
	if _, err := s.Update(ctx, admin, got); err != nil {
		t.Fatal(err)
	}
	if st, err := s.InForce(ctx, "prod", "payments-eu", time.Date(2026, 11, 21, 23, 0, 0, 0, time.UTC)); err != nil || !st.Frozen() {
		t.Errorf("Saturday night: %+v, %v", st, err)
	}

	var db string
	if err := pool.QueryRow(ctx, `SELECT current_database()`).Scan(&db); err != nil {
		t.Fatal(err)
	}
	su, err := pgx.Connect(ctx, stacktest.SuperuserURL(t, db))
	if err != nil {
		t.Fatal(err)
	}
	defer su.Close(context.Background())
	if _, err := su.Exec(ctx, `
		CREATE FUNCTION refuse_deletes() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.action = 'freeze.deleted' THEN RAISE EXCEPTION 'audit store refuses'; END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER refuse_deletes BEFORE INSERT ON audit_entry FOR EACH ROW EXECUTE FUNCTION refuse_deletes();`); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, admin, created.ID); err == nil {
		t.Fatal("deleted without its audit entry")
	}
	if _, err := s.Get(ctx, created.ID); err != nil {
		t.Fatalf("the window went without its entry: %v", err)
	}
	if _, err := su.Exec(ctx, `DROP TRIGGER refuse_deletes ON audit_entry`); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, admin, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, created.ID); errcode.Code(err) != errcode.NotFound {
		t.Fatalf("after deletion: %v", err)
	}

	rows, err := pool.Query(ctx, `SELECT action, coalesce(before, ''), coalesce(after, ''), cluster, group_name, actor_subject
		FROM audit_entry WHERE (parameters::jsonb) ->> 'freeze_id' = $1 ORDER BY seq`, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	type entry struct{ Action, Before, After, Cluster, Group, Actor string }
	entries, err := pgx.CollectRows(rows, pgx.RowToStructByPos[entry])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"freeze.created", "freeze.updated", "freeze.deleted"}
	if len(entries) != len(want) {
		t.Fatalf("entries %+v, want %v", entries, want)
	}
	for i, e := range entries {
		if e.Action != want[i] || e.Cluster != "prod" || e.Group != "payments-*" || e.Actor != "ada" {
			t.Errorf("entry %d: %+v", i, e)
		}
	}
	if entries[0].Before != "" || entries[0].After == "" || entries[1].Before == "" || entries[1].After == "" || entries[2].After != "" || entries[2].Before == "" {
		t.Errorf("before and after of the entries: %+v", entries)
	}
}
