// Command apicoverage compares the Management API operations of Logto's
// published client (@logto/api's management.d.ts) with the routes Gatehouse
// registers, and prints how many of each group Gatehouse implements.
//
//	go run ./tools/apicoverage e2e/js/node_modules/@logto/api/lib/generated-types/management.d.ts
package main

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/management"
)

// operation is one method on one path, with path parameters normalised so
// that {id} and {userId} compare equal.
type operation struct{ method, path string }

var (
	pathBlock = regexp.MustCompile(`(?ms)^    "(/api/[^"]+)": \{(.*?)^    \};`)
	methodRef = regexp.MustCompile(`(?m)^        (get|put|post|delete|patch)\??: operations\["([^"]+)"\]`)
	param     = regexp.MustCompile(`\{[^}]+\}`)
)

func normalise(method, path string) operation {
	return operation{strings.ToUpper(method), param.ReplaceAllString(path, "{}")}
}

// logtoOperations reads the operations of management.d.ts's paths interface.
func logtoOperations(dts string) map[operation]string {
	ops := map[operation]string{}
	for _, m := range pathBlock.FindAllStringSubmatch(dts, -1) {
		for _, mm := range methodRef.FindAllStringSubmatch(m[2], -1) {
			ops[normalise(mm[1], m[1])] = mm[2]
		}
	}
	return ops
}

func group(path string) string {
	seg, _, _ := strings.Cut(strings.TrimPrefix(path, "/api/"), "/")
	return seg
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: apicoverage path/to/management.d.ts")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "apicoverage:", err)
		os.Exit(1)
	}
	logto := logtoOperations(string(raw))
	if len(logto) == 0 {
		fmt.Fprintln(os.Stderr, "apicoverage: no operations found; is this management.d.ts?")
		os.Exit(1)
	}
	ours := map[operation]bool{}
	var extra []string
	for _, rt := range management.New(management.Options{}).Routes() {
		op := normalise(rt.Method, rt.Path)
		ours[op] = true
		if _, ok := logto[op]; !ok {
			extra = append(extra, rt.Method+" "+rt.Path)
		}
	}
	type tally struct{ total, done int }
	groups := map[string]*tally{}
	var missing []string
	implemented := 0
	for op, id := range logto {
		g := groups[group(op.path)]
		if g == nil {
			g = &tally{}
			groups[group(op.path)] = g
		}
		g.total++
		if ours[op] {
			g.done++
			implemented++
		} else {
			missing = append(missing, fmt.Sprintf("%s %s (%s)", op.method, op.path, id))
		}
	}
	names := make([]string, 0, len(groups))
	for n := range groups {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if groups[names[i]].total != groups[names[j]].total {
			return groups[names[i]].total > groups[names[j]].total
		}
		return names[i] < names[j]
	})
	fmt.Printf("%-28s %5s %5s\n", "group", "done", "of")
	for _, n := range names {
		fmt.Printf("%-28s %5d %5d\n", n, groups[n].done, groups[n].total)
	}
	fmt.Printf("%-28s %5d %5d\n", "TOTAL", implemented, len(logto))
	if len(extra) > 0 {
		sort.Strings(extra)
		fmt.Println("\nRoutes Gatehouse serves that Logto's client does not know:")
		for _, e := range extra {
			fmt.Println("  " + e)
		}
	}
	if os.Getenv("APICOVERAGE_MISSING") == "1" {
		sort.Strings(missing)
		fmt.Println("\nNot implemented:")
		for _, m := range missing {
			fmt.Println("  " + m)
		}
	}
	if len(extra) > 0 {
		os.Exit(1)
	}
}
