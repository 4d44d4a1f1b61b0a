package stack

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestPostgresStartStop(t *testing.T) {
	ctx := context.Background()
	start := time.Now()
	pg, err := StartPostgres(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("postgres ready in %s on port %d", time.Since(start).Round(time.Millisecond), pg.Port)
	conn, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	var v string
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if v == "" {
		t.Fatal("empty server_version")
	}
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-pg.proc.Done():
	default:
		t.Fatal("postgres still running after Stop")
	}
	if c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(pg.Port))); err == nil {
		c.Close()
		t.Fatalf("port %d still accepts connections after Stop", pg.Port)
	}
}
