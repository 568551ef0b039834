package id

import (
	"sort"
	"testing"
)

func TestOrderedSortsInCreationOrder(t *testing.T) {
	ids := make([]string, 10000)
	for i := range ids {
		ids[i] = Ordered()
		if len(ids[i]) != RecordLength {
			t.Fatalf("id %q has %d characters", ids[i], len(ids[i]))
		}
	}
	if !sort.StringsAreSorted(ids) {
		t.Fatal("ordered ids do not sort in creation order")
	}
}

func TestSecretAlphabetAndLength(t *testing.T) {
	s := Secret(43)
	if len(s) != 43 {
		t.Fatalf("secret length %d", len(s))
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			t.Fatalf("secret has %q", c)
		}
	}
}
