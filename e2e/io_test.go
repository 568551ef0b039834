package e2e

import (
	"io"
	"regexp"
	"strings"
)

type teeReader struct {
	r io.Reader
	w *strings.Builder
}

func (t teeReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.w.Write(p[:n])
	return n, err
}

func regexpFind(t interface {
	Helper()
	Fatalf(string, ...any)
}, s, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%q not found in:\n%.500s", pattern, s)
	}
	return m[1]
}
