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

// CheckPattern says what is wrong with a cluster or group pattern, as policy grants and
// alert rules take them, or nil.
func CheckPattern(p string) error { return checkPattern(p) }

// MatchPattern reports whether name matches the glob pattern.
func MatchPattern(pattern, name string) bool { return matchGlob(pattern, name) }

// within reports whether every name pattern p matches is also matched by g. It answers
// true only when it can tell for sure (a false "no" refuses something allowed, which the
// user can narrow; a false "yes" would grant more than the policy does): g matches
// everything, g is p, g is a prefix followed by "*" and p starts with that prefix before
// any "*" of its own, or the same with a suffix.
func within(p, g string) bool {
	switch {
	case isAll(g) || p == g:
		return true
	case !strings.Contains(g, "*"):
		return false
	}
	gPre, gSuf, gMid := globEnds(g)
	pPre, pSuf, _ := globEnds(p)
	if !strings.Contains(p, "*") {
		return matchGlob(g, p)
	}
	if gMid {
		return false // a "*" in the middle of g: not worth the general case
	}
	return strings.HasPrefix(pPre, gPre) && strings.HasSuffix(pSuf, gSuf)
}

// overlap reports whether some name could match both patterns. It answers false only when
// their literal prefixes or suffixes rule it out.
func overlap(a, b string) bool {
	switch {
	case !strings.Contains(a, "*"):
		return matchGlob(b, a)
	case !strings.Contains(b, "*"):
		return matchGlob(a, b)
	}
	aPre, aSuf, _ := globEnds(a)
	bPre, bSuf, _ := globEnds(b)
	prefixes := strings.HasPrefix(aPre, bPre) || strings.HasPrefix(bPre, aPre)
	suffixes := strings.HasSuffix(aSuf, bSuf) || strings.HasSuffix(bSuf, aSuf)
	return prefixes && suffixes
}

// globEnds splits a pattern with at least one "*" into the literal text before the first
// and after the last, and whether there is more than one "*" with text between.
func globEnds(p string) (prefix, suffix string, middle bool) {
	first, last := strings.Index(p, "*"), strings.LastIndex(p, "*")
	if first < 0 {
		return p, p, false
	}
	return p[:first], p[last+1:], strings.Trim(p[first:last+1], "*") != ""
}

// MatchAny reports whether name matches one of the glob patterns, as grants match clusters
// and consumer groups: "*" matches any run of characters, every other character itself.
func MatchAny(patterns []string, name string) bool { return matchAny(patterns, name) }
