package experience

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"strings"

	"golang.org/x/text/language"
)

//go:embed locales/*.json
var localeFS embed.FS

// catalog holds every embedded language's messages; English is complete
// and the others fall back to it per message.
type catalog struct {
	tags     []language.Tag
	messages map[language.Tag]map[string]string
	matcher  language.Matcher
}

var messages = loadCatalog()

func loadCatalog() *catalog {
	c := &catalog{messages: map[language.Tag]map[string]string{}}
	entries, err := localeFS.ReadDir("locales")
	if err != nil {
		panic(err)
	}
	// English first: the matcher falls back to the first tag.
	names := []string{"en.json"}
	for _, e := range entries {
		if e.Name() != "en.json" {
			names = append(names, e.Name())
		}
	}
	for _, name := range names {
		raw, err := localeFS.ReadFile(path.Join("locales", name))
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(raw, &m); err != nil {
			panic(fmt.Sprintf("locale %s: %v", name, err))
		}
		tag := language.MustParse(strings.TrimSuffix(name, ".json"))
		c.tags = append(c.tags, tag)
		c.messages[tag] = m
	}
	c.matcher = language.NewMatcher(c.tags)
	return c
}

// Languages lists the embedded languages as BCP 47 tags.
func Languages() []string {
	out := make([]string, len(messages.tags))
	for i, t := range messages.tags {
		out[i] = t.String()
	}
	return out
}

// translator renders messages in one language.
type translator struct {
	tag language.Tag
	m   map[string]string
}

// pick chooses the page language: ui_locales from the authorization
// request first, then the browser's Accept-Language when auto-detection is
// on, then the configured fallback.
func pick(r *http.Request, uiLocales string, autoDetect bool, fallback string) translator {
	var prefs []language.Tag
	for _, l := range strings.Fields(uiLocales) {
		if t, err := language.Parse(l); err == nil {
			prefs = append(prefs, t)
		}
	}
	if autoDetect {
		if accepted, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language")); err == nil {
			prefs = append(prefs, accepted...)
		}
	}
	if t, err := language.Parse(fallback); err == nil {
		prefs = append(prefs, t)
	}
	_, index, conf := messages.matcher.Match(prefs...)
	if conf == language.No {
		index = 0
	}
	tag := messages.tags[index]
	return translator{tag: tag, m: messages.messages[tag]}
}

// T returns the message key with {name} placeholders filled from args,
// given as name, value pairs.
func (t translator) T(key string, args ...string) string {
	msg, ok := t.m[key]
	if !ok {
		msg, ok = messages.messages[messages.tags[0]][key]
	}
	if !ok {
		return key
	}
	for i := 0; i+1 < len(args); i += 2 {
		msg = strings.ReplaceAll(msg, "{"+args[i]+"}", args[i+1])
	}
	return msg
}

// Lang is the language's tag for <html lang>.
func (t translator) Lang() string { return t.tag.String() }
