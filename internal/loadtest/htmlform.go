package loadtest

import (
	"html"
	"strings"
)

// golang.org/x/net/html is in the module graph but not required by the
// module nor in the module cache, so this file carries a small tokenizer
// that understands just enough HTML to find a form the way a browser would:
// comments, doctype, raw-text elements (script, style...) whose content is
// not markup, quoted and unquoted attributes and character references.

// htmlForm is what a browser would submit from a page's first form, minus
// the fields the user types.
type htmlForm struct {
	// action is the raw action attribute; empty means the page itself.
	action string
	// method is "GET" or "POST".
	method string
	hidden []formField
}

// formField is one name=value pair of a form submission.
type formField struct {
	name, value string
}

// parseFirstForm finds the first <form> of page and its hidden inputs. ok
// is false when the page has no form.
func parseFirstForm(page string) (form htmlForm, ok bool) {
	z := tagScanner{s: page}
	for {
		t, more := z.next()
		if !more {
			return form, ok // browsers close a form left open at the end
		}
		switch {
		case !ok:
			if t.name == "form" && !t.end {
				ok = true
				form.action = strings.TrimSpace(t.attr("action"))
				form.method = "POST"
				if strings.EqualFold(strings.TrimSpace(t.attr("method")), "get") {
					form.method = "GET"
				}
			}
		case t.name == "form" && t.end:
			return form, ok
		case t.name == "input" && !t.end:
			if !strings.EqualFold(strings.TrimSpace(t.attr("type")), "hidden") || t.has("disabled") {
				continue
			}
			if name := t.attr("name"); name != "" {
				form.hidden = append(form.hidden, formField{name: name, value: t.attr("value")})
			}
		}
	}
}

// tag is one start or end tag.
type tag struct {
	name  string // lower case
	end   bool
	attrs []formField // names lower case, values unescaped
}

// attr returns the value of the first attribute called name, or "".
func (t tag) attr(name string) string {
	for _, a := range t.attrs {
		if a.name == name {
			return a.value
		}
	}
	return ""
}

// has reports whether the tag carries the attribute name at all.
func (t tag) has(name string) bool {
	for _, a := range t.attrs {
		if a.name == name {
			return true
		}
	}
	return false
}

// rawTextElements hold text, not markup, up to their end tag: a "<form" in
// a script must not be taken for a form.
var rawTextElements = map[string]bool{
	"script": true, "style": true, "textarea": true, "title": true,
	"xmp": true, "iframe": true, "noembed": true, "noframes": true,
}

// tagScanner walks the tags of an HTML document in order.
type tagScanner struct {
	s string
	i int
}

// next returns the next tag, or false at the end of the document.
func (z *tagScanner) next() (tag, bool) {
	for {
		lt := strings.IndexByte(z.s[z.i:], '<')
		if lt < 0 {
			z.i = len(z.s)
			return tag{}, false
		}
		z.i += lt
		rest := z.s[z.i:]
		switch {
		case strings.HasPrefix(rest, "<!--"):
			z.skipPast(4, "-->")
		case strings.HasPrefix(rest, "<!"), strings.HasPrefix(rest, "<?"):
			z.skipPast(2, ">")
		case strings.HasPrefix(rest, "</") && len(rest) > 2 && isASCIILetter(rest[2]):
			name := tagNameAt(rest[2:])
			z.skipPast(2+len(name), ">")
			return tag{name: strings.ToLower(name), end: true}, true
		case len(rest) > 1 && isASCIILetter(rest[1]):
			rawName := tagNameAt(rest[1:])
			z.i += 1 + len(rawName)
			name := strings.ToLower(rawName)
			attrs, selfClosing := z.attributes()
			if rawTextElements[name] && !selfClosing {
				z.skipRawText(name)
			}
			return tag{name: name, attrs: attrs}, true
		default:
			z.i++ // a lone "<" is text
		}
	}
}

// skipPast moves past the first terminator found after offset bytes, or to
// the end of the document.
func (z *tagScanner) skipPast(offset int, terminator string) {
	end := strings.Index(z.s[z.i+offset:], terminator)
	if end < 0 {
		z.i = len(z.s)
		return
	}
	z.i += offset + end + len(terminator)
}

// skipRawText moves to the end tag closing a raw-text element, leaving it
// to be returned by next.
func (z *tagScanner) skipRawText(name string) {
	for {
		lt := strings.Index(z.s[z.i:], "</")
		if lt < 0 {
			z.i = len(z.s)
			return
		}
		z.i += lt
		after := z.s[z.i+2:]
		if len(after) >= len(name) && strings.EqualFold(after[:len(name)], name) &&
			(len(after) == len(name) || isTagNameEnd(after[len(name)])) {
			return
		}
		z.i += 2
	}
}

// attributes reads a start tag's attributes up to and past its ">".
func (z *tagScanner) attributes() (attrs []formField, selfClosing bool) {
	for z.i < len(z.s) {
		c := z.s[z.i]
		switch {
		case c == '>':
			z.i++
			return attrs, selfClosing
		case c == '/':
			selfClosing = true
			z.i++
			continue
		case isSpace(c):
			z.i++
			continue
		}
		selfClosing = false
		start := z.i
		for z.i < len(z.s) && !isSpace(z.s[z.i]) && z.s[z.i] != '/' && z.s[z.i] != '>' &&
			(z.s[z.i] != '=' || z.i == start) {
			z.i++
		}
		name := strings.ToLower(z.s[start:z.i])
		z.skipSpaces()
		value := ""
		if z.i < len(z.s) && z.s[z.i] == '=' {
			z.i++
			z.skipSpaces()
			value = html.UnescapeString(z.attributeValue())
		}
		attrs = append(attrs, formField{name: name, value: value})
	}
	return attrs, selfClosing
}

// attributeValue reads a quoted or unquoted attribute value.
func (z *tagScanner) attributeValue() string {
	if z.i >= len(z.s) {
		return ""
	}
	if q := z.s[z.i]; q == '"' || q == '\'' {
		end := strings.IndexByte(z.s[z.i+1:], q)
		if end < 0 {
			v := z.s[z.i+1:]
			z.i = len(z.s)
			return v
		}
		v := z.s[z.i+1 : z.i+1+end]
		z.i += end + 2
		return v
	}
	start := z.i
	for z.i < len(z.s) && !isSpace(z.s[z.i]) && z.s[z.i] != '>' {
		z.i++
	}
	return z.s[start:z.i]
}

func (z *tagScanner) skipSpaces() {
	for z.i < len(z.s) && isSpace(z.s[z.i]) {
		z.i++
	}
}

// tagNameAt returns the tag name at the start of s.
func tagNameAt(s string) string {
	n := 0
	for n < len(s) && !isTagNameEnd(s[n]) {
		n++
	}
	return s[:n]
}

func isTagNameEnd(c byte) bool { return isSpace(c) || c == '/' || c == '>' }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
