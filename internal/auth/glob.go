package auth

import (
	"errors"
	"strings"
	"unicode"
)

// All is the pattern that matches every cluster or every consumer group.
const All = "*"

// checkPattern accepts a glob where "*" matches any run of characters (also none) and
// every other character stands for itself.
func checkPattern(p string) error {
	switch {
	case p == "":
		return errors.New("is empty")
	case strings.IndexFunc(p, unicode.IsSpace) >= 0:
		return errors.New("contains white space")
	case strings.ContainsAny(p, "?[]\\"):
		return errors.New(`may use only "*" as a wildcard`)
	}
	return nil
}

// matchGlob reports whether name matches pattern; "*" matches any run of characters.
func matchGlob(pattern, name string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == name
	}
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	name = name[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(name, part)
		if i < 0 {
			return false
		}
		name = name[i+len(part):]
	}
	return len(name) >= len(last) && strings.HasSuffix(name, last)
}

// matchAny reports whether name matches one of the patterns.
func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if matchGlob(p, name) {
			return true
		}
	}
	return false
}

// covers reports whether patterns match name, or, when name is empty (the route has no
// such parameter), whether they match every name.
func covers(patterns []string, name string) bool {
	if name == "" {
		for _, p := range patterns {
			if strings.Trim(p, "*") == "" {
				return true
			}
		}
		return false
	}
	return matchAny(patterns, name)
}

// reaches reports whether patterns match name, or, when name is empty, whether they match
// at least something (any pattern does).
func reaches(patterns []string, name string) bool {
	if name == "" {
		return len(patterns) > 0
	}
	return matchAny(patterns, name)
}

// MatchAny reports whether name matches one of the glob patterns, as grants match clusters
// and consumer groups: "*" matches any run of characters, every other character itself.
func MatchAny(patterns []string, name string) bool { return matchAny(patterns, name) }

// CheckPattern says what is wrong with a glob pattern of clusters or groups, nil when
// nothing is.
func CheckPattern(p string) error { return checkPattern(p) }
