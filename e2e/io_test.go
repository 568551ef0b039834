package e2e

import (
	"io"
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
