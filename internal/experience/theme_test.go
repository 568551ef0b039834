package experience

import "testing"

func TestBrandColorsReachAA(t *testing.T) {
	for _, brand := range []string{"#6139F6", "#8768F8", "#0A7F5A", "#FFEB3B", "#000000", "#FFFFFF", "#5D34F2"} {
		for _, surface := range []string{lightCard, darkCard} {
			onPrimary, link := brandColors(brand, surface)
			b, _ := parseHex(brand)
			o, _ := parseHex(onPrimary)
			l, _ := parseHex(link)
			s, _ := parseHex(surface)
			if c := contrast(o, b); c < 4.5 {
				t.Errorf("%s: text %s on it is %.2f:1", brand, onPrimary, c)
			}
			if c := contrast(l, s); c < 4.5 {
				t.Errorf("%s on %s: link %s is %.2f:1", brand, surface, link, c)
			}
		}
	}
}
