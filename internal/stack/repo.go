package stack

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// RepoRoot finds the checkout from the working directory: the nearest directory above it
// holding go.mod. Tests run in their package's directory; devstack runs anywhere inside.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the Lagboard checkout (no go.mod above the working directory)")
		}
		dir = parent
	}
}

// Versions returns the RocketMQ versions the stack runs, from scripts/rocketmq/versions:
// one a line, # comments; the first is the default.
func Versions() ([]string, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(root, "scripts", "rocketmq", "versions")
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no versions", path)
	}
	return out, nil
}
