package experience

import (
	"fmt"
	"math"
	"strconv"
)

// Surfaces the brand colour is drawn on, as in style.css.
const (
	lightCard = "#ffffff"
	darkCard  = "#1c1d21"
)

// rgb is a colour as 0–255 channels.
type rgb [3]float64

func parseHex(s string) (rgb, bool) {
	if len(s) != 7 || s[0] != '#' {
		return rgb{}, false
	}
	var c rgb
	for i := 0; i < 3; i++ {
		v, err := strconv.ParseUint(s[1+2*i:3+2*i], 16, 8)
		if err != nil {
			return rgb{}, false
		}
		c[i] = float64(v)
	}
	return c, true
}

func (c rgb) hex() string {
	return fmt.Sprintf("#%02x%02x%02x", int(math.Round(c[0])), int(math.Round(c[1])), int(math.Round(c[2])))
}

// luminance is WCAG 2's relative luminance.
func (c rgb) luminance() float64 {
	var l [3]float64
	for i, v := range c {
		v /= 255
		if v <= 0.03928 {
			l[i] = v / 12.92
		} else {
			l[i] = math.Pow((v+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}

// contrast is WCAG 2's contrast ratio of two colours.
func contrast(a, b rgb) float64 {
	la, lb := a.luminance(), b.luminance()
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func mix(a, b rgb, t float64) rgb {
	return rgb{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t, a[2] + (b[2]-a[2])*t}
}

// brandColors derives from a brand colour the text colour drawn on it and
// a link colour readable on surface, both at WCAG AA (4.5:1) or better, so
// any brand colour an administrator picks stays accessible.
func brandColors(brand, surface string) (onPrimary, link string) {
	c, ok := parseHex(brand)
	s, ok2 := parseHex(surface)
	if !ok || !ok2 {
		return "#ffffff", brand
	}
	white, black := rgb{255, 255, 255}, rgb{0, 0, 0}
	onPrimary = "#ffffff"
	if contrast(black, c) > contrast(white, c) {
		onPrimary = "#000000"
	}
	toward := black
	if s.luminance() < 0.5 {
		toward = white
	}
	l := c
	for t := 0.0; t <= 1 && contrast(l, s) < 4.5; t += 0.02 {
		l = mix(c, toward, t)
	}
	return onPrimary, l.hex()
}
