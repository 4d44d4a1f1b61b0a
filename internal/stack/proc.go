// Package stack starts and stops the real services Lagboard runs against on one machine:
// a throwaway Postgres cluster, Apache RocketMQ name servers and brokers, Prometheus
// Alertmanager, the dev OpenID provider and headless Chromium. The demo command and the tests share it, so every service
// is started the same way everywhere.
package stack

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ProcessSpec describes a child process of the stack.
type ProcessSpec struct {
	Name string   // short name used in errors and log file names, e.g. "namesrv-5.3.3"
	Path string   // executable
	Args []string // arguments, not including the executable
	Env  []string // full environment; nil means the current one
	Dir  string   // working directory; empty means the current one
	// LogPath receives the process's stdout and stderr. Required: logs are what a
	// failing test prints.
	LogPath string
	// Credential runs the process as another user (Postgres refuses to run as root).
	Credential *syscall.Credential
	// StopSignal asks the process to stop; SIGTERM when zero.
	StopSignal syscall.Signal
}

// Process is a running child. It is placed in its own process group and is killed by the
// kernel if the process that started it dies, so an interrupted or panicking test run leaves
// nothing behind.
type Process struct {
	spec ProcessSpec
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}

	mu  sync.Mutex
	err error // exit error, valid once done is closed
}

// StartProcess starts spec and returns at once; readiness is the caller's business.
func StartProcess(spec ProcessSpec) (*Process, error) {
	if spec.LogPath == "" {
		return nil, fmt.Errorf("start %s: no log path", spec.Name)
	}
	if err := os.MkdirAll(filepath.Dir(spec.LogPath), 0o755); err != nil {
		return nil, fmt.Errorf("start %s: %w", spec.Name, err)
	}
	logf, err := os.OpenFile(spec.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", spec.Name, err)
	}
	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Env = spec.Env
	cmd.Dir = spec.Dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:    true,
		Pdeathsig:  syscall.SIGKILL,
		Credential: spec.Credential,
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", spec.Name, err)
	}
	p := &Process{spec: spec, cmd: cmd, log: logf, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

// Name returns the spec's name.
func (p *Process) Name() string { return p.spec.Name }

// Pid returns the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// LogPath returns the file holding the process's output.
func (p *Process) LogPath() string { return p.spec.LogPath }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// ExitErr returns why the process exited; only meaningful once Done is closed.
func (p *Process) ExitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Stop sends the stop signal to the process group and waits up to grace for it to exit,
// then kills the group. It is safe to call more than once and after the process exited.
func (p *Process) Stop(grace time.Duration) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	sig := p.spec.StopSignal
	if sig == 0 {
		sig = syscall.SIGTERM
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGCONT) // a paused process acts on nothing until continued
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
	return fmt.Errorf("stop %s: still running after %s: %w", p.spec.Name, grace, errKilled)
}

// errKilled says a process did not stop within its grace and was killed.
var errKilled = errors.New("killed")

// Signal sends sig to the process group.
func (p *Process) Signal(sig syscall.Signal) error {
	select {
	case <-p.done:
		return fmt.Errorf("%s: not running", p.spec.Name)
	default:
	}
	return syscall.Kill(-p.cmd.Process.Pid, sig)
}

// Tail returns the last n lines of the process's log, for error messages and failing tests.
func (p *Process) Tail(n int) string { return TailFile(p.spec.LogPath, n) }

// TailFile returns the last n lines of a file, or a note saying why it could not be read.
func TailFile(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	const maxRead = 64 << 10
	st, err := f.Stat()
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	off := max(st.Size()-maxRead, 0)
	buf, err := io.ReadAll(io.NewSectionReader(f, off, st.Size()-off))
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(buf), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// exitedEarly builds the error for a process that exited before it became ready.
func exitedEarly(p *Process) error {
	return fmt.Errorf("%s exited during start-up: %v\n--- last lines of %s ---\n%s",
		p.Name(), p.ExitErr(), p.LogPath(), p.Tail(30))
}

// logContains reports whether the process's log contains s.
func logContains(p *Process, s string) bool {
	b, err := os.ReadFile(p.LogPath())
	return err == nil && bytes.Contains(b, []byte(s))
}

// errNotReady marks a readiness check that has not passed yet.
var errNotReady = errors.New("not ready")
