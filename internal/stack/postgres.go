package stack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a throwaway Postgres cluster on 127.0.0.1, trusting local connections.
type Postgres struct {
	// Port is the TCP port on 127.0.0.1.
	Port int
	// Dir holds the data directory, the socket and the log; removed by Stop.
	Dir  string
	proc *Process
	spec ProcessSpec
}

// URL returns the connection URL of database db as the superuser "postgres".
func (p *Postgres) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.Port, db)
}

// LogTail returns the last n lines of the server log.
func (p *Postgres) LogTail(n int) string {
	return "--- postgres: " + p.proc.LogPath() + " ---\n" + p.proc.Tail(n)
}

// Stop shuts the server down (fast mode) and removes its directory.
func (p *Postgres) Stop() error {
	err := p.proc.Stop(10 * time.Second)
	return errors.Join(err, os.RemoveAll(p.Dir))
}

// StartPostgres initialises a cluster in a new temporary directory and starts it on a free
// port. Run as root, it runs the server as the "postgres" user, which Debian's package
// creates and which initdb insists on.
func StartPostgres(ctx context.Context) (*Postgres, error) {
	bin, err := postgresBinDir()
	if err != nil {
		return nil, err
	}
	cred, err := postgresCredential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "lagboard-pg-")
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dir)
		}
	}()
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "sock")
	for _, d := range []string{data, sock} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return nil, fmt.Errorf("postgres: %w", err)
		}
	}
	if cred != nil {
		for _, d := range []string{dir, data, sock} {
			if err := os.Chown(d, int(cred.Uid), int(cred.Gid)); err != nil {
				return nil, fmt.Errorf("postgres: %w", err)
			}
		}
	}

	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("postgres: initdb: %w\n%s", err, out)
	}

	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	spec := ProcessSpec{
		Name: "postgres",
		Path: filepath.Join(bin, "postgres"),
		Args: []string{"-D", data, "-k", sock, "-p", strconv.Itoa(port),
			"-c", "listen_addresses=127.0.0.1",
			"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
			"-c", "max_connections=300", "-c", "shared_buffers=128MB",
			"-c", "log_min_messages=warning", "-c", "log_min_error_statement=panic"},
		LogPath:    filepath.Join(dir, "postgres.log"),
		Credential: cred,
		StopSignal: syscall.SIGINT, // fast shutdown
	}
	proc, err := StartProcess(spec)
	if err != nil {
		return nil, err
	}
	p := &Postgres{Port: port, Dir: dir, proc: proc, spec: spec}
	if err := p.waitReady(ctx, 30*time.Second); err != nil {
		proc.Stop(5 * time.Second) //nolint:errcheck // already failing
		return nil, err
	}
	ok = true
	return p, nil
}

// Restart stops the server (fast shutdown, every connection dropped) and starts it again on
// the same port and data, as an operator's restart or a failover would look to clients.
func (p *Postgres) Restart(ctx context.Context) error {
	if err := p.proc.Stop(10 * time.Second); err != nil {
		return err
	}
	proc, err := StartProcess(p.spec)
	if err != nil {
		return err
	}
	p.proc = proc
	return p.waitReady(ctx, 30*time.Second)
}

func (p *Postgres) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		conn, err := pgx.Connect(ctx, p.URL("postgres"))
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		last = err
		select {
		case <-p.proc.Done():
			return exitedEarly(p.proc)
		case <-ctx.Done():
			return fmt.Errorf("postgres on port %d not ready after %s: %v\n%s", p.Port, limit, last, p.LogTail(20))
		case <-tick.C:
		}
	}
}

// postgresBinDir finds the newest installed server under /usr/lib/postgresql.
func postgresBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(dirs) == 0 {
		return "", errors.New("postgres: no server under /usr/lib/postgresql: run scripts/deps.sh (apt-get install -y postgresql)")
	}
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) > pgMajor(dirs[j]) })
	return filepath.Dir(dirs[0]), nil
}

func pgMajor(binPath string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(binPath))))
	return n
}

// postgresCredential returns the "postgres" user's ids when running as root, nil otherwise
// (the server then runs as the current user).
func postgresCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("postgres: running as root needs the postgres user (apt-get install -y postgresql): %w", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}
