package stack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// AlertmanagerPath is Debian's Prometheus Alertmanager, installed by scripts/deps.sh.
const AlertmanagerPath = "/usr/bin/prometheus-alertmanager"

// alertmanagerConfig routes every alert to a receiver that sends nothing: the tests and the
// demo read alerts through Alertmanager's API and web page, and nothing leaves the machine.
const alertmanagerConfig = `# Written by internal/stack: alerts are kept and shown, never sent anywhere.
route:
  receiver: keep
  group_by: [alertname, cluster, group]
  group_wait: 1s
  group_interval: 5s
  repeat_interval: 1h
receivers:
  - name: keep
`

// Alertmanager is a throwaway Prometheus Alertmanager on 127.0.0.1, without clustering.
type Alertmanager struct {
	// Port is the TCP port of its API and web page on 127.0.0.1.
	Port int
	// Dir holds the configuration, the silences and notification log, and the log; removed
	// by Stop.
	Dir  string
	proc *Process
}

// URL is the base URL of its API (/api/v2/...) and web page.
func (a *Alertmanager) URL() string { return fmt.Sprintf("http://127.0.0.1:%d", a.Port) }

// LogTail returns the last n lines of its log.
func (a *Alertmanager) LogTail(n int) string {
	return "--- alertmanager: " + a.proc.LogPath() + " ---\n" + a.proc.Tail(n)
}

// Stop shuts it down and removes its directory.
func (a *Alertmanager) Stop() error {
	err := a.proc.Stop(10 * time.Second)
	return errors.Join(err, os.RemoveAll(a.Dir))
}

// StartAlertmanager starts Alertmanager on a free port with a configuration and storage of
// its own in a new temporary directory, and waits until it reports ready.
func StartAlertmanager(ctx context.Context) (*Alertmanager, error) {
	if _, err := exec.LookPath(AlertmanagerPath); err != nil {
		return nil, errors.New("alertmanager: not installed at " + AlertmanagerPath +
			": run scripts/deps.sh (apt-get install -y prometheus-alertmanager)")
	}
	dir, err := os.MkdirTemp("", "lagboard-alertmanager-")
	if err != nil {
		return nil, fmt.Errorf("alertmanager: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dir)
		}
	}()
	conf := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(conf, []byte(alertmanagerConfig), 0o600); err != nil {
		return nil, fmt.Errorf("alertmanager: %w", err)
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	proc, err := StartProcess(ProcessSpec{
		Name: "alertmanager",
		Path: AlertmanagerPath,
		Args: []string{
			"--config.file=" + conf,
			"--storage.path=" + filepath.Join(dir, "data"),
			"--web.listen-address=127.0.0.1:" + strconv.Itoa(port),
			"--cluster.listen-address=", // empty: no gossip port, no peers
			"--log.level=warn",
		},
		LogPath: filepath.Join(dir, "alertmanager.log"),
	})
	if err != nil {
		return nil, err
	}
	a := &Alertmanager{Port: port, Dir: dir, proc: proc}
	if err := a.waitReady(ctx, 30*time.Second); err != nil {
		proc.Stop(5 * time.Second) //nolint:errcheck // already failing
		return nil, err
	}
	ok = true
	return a, nil
}

func (a *Alertmanager) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.URL()+"/-/ready", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("/-/ready answered %s", resp.Status)
		}
		last = err
		select {
		case <-a.proc.Done():
			return exitedEarly(a.proc)
		case <-ctx.Done():
			return fmt.Errorf("alertmanager on port %d not ready after %s: %v\n%s", a.Port, limit, last, a.LogTail(20))
		case <-tick.C:
		}
	}
}
