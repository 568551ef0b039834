package signinexp

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
)

// Logto's password rejection codes (the `code` of each issue its password
// policy check reports). The interpolation of too_short and
// character_types is {"min": n}, of too_long {"max": n}; the others
// have none.
const (
	CodeTooShort              = "password_rejected.too_short"
	CodeTooLong               = "password_rejected.too_long"
	CodeCharacterTypes        = "password_rejected.character_types"
	CodeUnsupportedCharacters = "password_rejected.unsupported_characters"
	CodePwned                 = "password_rejected.pwned"
	CodeRepetition            = "password_rejected.restricted.repetition"
	CodeSequence              = "password_rejected.restricted.sequence"
	CodeWords                 = "password_rejected.restricted.words"
	CodeUserInfo              = "password_rejected.restricted.user_info"
)

// UserInfo is what a password must not be made of when the policy rejects
// user information: the user's username, primary email, primary phone and
// name. Empty fields are not checked.
type UserInfo struct{ Username, Email, Phone, Name string }

// Violation is one way a password breaks the policy, in Logto's issue
// shape: {"code", "interpolation"?}.
type Violation struct {
	Code   string         `json:"code"`
	Params map[string]any `json:"interpolation,omitempty"`
}

// passwordSymbols are the characters Logto counts as symbols (space
// included); any character that is not one of them, an ASCII letter or
// an ASCII digit is unsupported.
const passwordSymbols = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ "

// restrictedRun is how long a repetition or a sequence must be to count.
const restrictedRun = 3

// restrictedTolerance is how many characters of a password may be outside
// restricted phrases (repetitions, sequences, words, user information)
// for the password to be accepted anyway: the restricted rules reject a
// password that is (almost) nothing but restricted phrases, not one that
// merely contains one.
const restrictedTolerance = 3

// sequences are the runs of characters that count as sequential, in either
// direction and in either case: digits, the alphabet, the keyboard's
// letter rows and its diagonal columns.
var sequences = func() []string {
	base := []string{"0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm",
		"1qaz", "2wsx", "3edc", "4rfv", "5tgb", "6yhn", "7ujm", "8ik", "9ol"}
	var out []string
	for _, s := range base {
		r := []rune(s)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		rev := string(r)
		out = append(out, s, rev, strings.ToUpper(s), strings.ToUpper(rev))
	}
	return out
}()

// Check returns every way password breaks the policy, in Logto's order:
// length, character types, pwned, then the restricted-phrase codes in the
// order they first occur in the password. An empty result means the
// password is accepted. Lengths count Unicode code points. info is only
// looked at when the policy rejects user information. A Length.Max of 0
// means no maximum.
func (p PasswordPolicy) Check(password string, info UserInfo) []Violation {
	var out []Violation
	pw := []rune(password)
	if len(pw) < p.Length.Min {
		out = append(out, Violation{Code: CodeTooShort, Params: map[string]any{"min": p.Length.Min}})
	} else if p.Length.Max > 0 && len(pw) > p.Length.Max {
		out = append(out, Violation{Code: CodeTooLong, Params: map[string]any{"max": p.Length.Max}})
	}
	if kinds, ok := characterTypes(pw); !ok {
		out = append(out, Violation{Code: CodeUnsupportedCharacters})
	} else if kinds < p.CharacterTypes.Min {
		out = append(out, Violation{Code: CodeCharacterTypes, Params: map[string]any{"min": p.CharacterTypes.Min}})
	}
	if p.Rejects.Pwned && IsCommonPassword(password) {
		out = append(out, Violation{Code: CodePwned})
	}
	for _, code := range p.restricted(pw, info) {
		out = append(out, Violation{Code: code})
	}
	return out
}

// characterTypes counts the kinds of characters in pw (lowercase,
// uppercase, digits, symbols); ok is false if pw has a character of none
// of these kinds.
func characterTypes(pw []rune) (kinds int, ok bool) {
	var lower, upper, digit, symbol bool
	for _, c := range pw {
		switch {
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= '0' && c <= '9':
			digit = true
		case c < 0x80 && strings.ContainsRune(passwordSymbols, c):
			symbol = true
		default:
			return 0, false
		}
	}
	for _, b := range []bool{lower, upper, digit, symbol} {
		if b {
			kinds++
		}
	}
	return kinds, true
}

// restricted returns the restricted-phrase codes pw earns. Every character
// that starts or continues a restricted phrase is marked; when more than
// max(1, len-restrictedTolerance) characters are marked, every kind of
// phrase found is reported, in the order first found.
func (p PasswordPolicy) restricted(pw []rune, info UserInfo) []string {
	words := lowerRunes(p.Rejects.Words)
	var parts [][]rune
	if p.Rejects.UserInfo {
		parts = lowerRunes(info.parts())
	}
	if !p.Rejects.RepetitionAndSequence && len(words) == 0 && len(parts) == 0 {
		return nil
	}
	lower := make([]rune, len(pw))
	for i, c := range pw {
		lower[i] = unicode.ToLower(c)
	}
	marked := make([]bool, len(pw))
	var codes []string
	mark := func(at, n int, code string) {
		if n <= 0 {
			return
		}
		for i := at; i < at+n; i++ {
			marked[i] = true
		}
		for _, c := range codes {
			if c == code {
				return
			}
		}
		codes = append(codes, code)
	}
	for i := range pw {
		if p.Rejects.RepetitionAndSequence {
			mark(i, repetitionAt(pw[i:]), CodeRepetition)
			mark(i, sequenceAt(pw[i:]), CodeSequence)
		}
		mark(i, longestPrefix(lower[i:], words), CodeWords)
		mark(i, longestPrefix(lower[i:], parts), CodeUserInfo)
	}
	n := 0
	for _, m := range marked {
		if m {
			n++
		}
	}
	if n > max(1, len(pw)-restrictedTolerance) {
		return codes
	}
	return nil
}

// repetitionAt is the length of the run of one character s starts with,
// or 0 when it is shorter than restrictedRun.
func repetitionAt(s []rune) int {
	n := 0
	for n < len(s) && s[n] == s[0] {
		n++
	}
	if n < restrictedRun {
		return 0
	}
	return n
}

// sequenceAt is the length of the longest sequential run s starts with
// (a piece of one of the sequences), or 0 when it is shorter than
// restrictedRun.
func sequenceAt(s []rune) int {
	n := 1
	for n < len(s) && isSequential(string(s[:n+1])) {
		n++
	}
	if n < restrictedRun {
		return 0
	}
	return n
}

func isSequential(v string) bool {
	for _, s := range sequences {
		if strings.Contains(s, v) {
			return true
		}
	}
	return false
}

// longestPrefix is the length of the longest of words that s starts with.
func longestPrefix(s []rune, words [][]rune) int {
	best := 0
	for _, w := range words {
		if len(w) > best && len(w) <= len(s) && runesEqual(s[:len(w)], w) {
			best = len(w)
		}
	}
	return best
}

func runesEqual(a, b []rune) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// lowerRunes lowercases each non-empty string, keeping one rune per rune
// so that lengths match the password's.
func lowerRunes(ss []string) [][]rune {
	var out [][]rune
	for _, s := range ss {
		if s == "" {
			continue
		}
		r := []rune(s)
		for i, c := range r {
			r[i] = unicode.ToLower(c)
		}
		out = append(out, r)
	}
	return out
}

// parts lists the pieces of user information a password must not be made
// of: the name as given, without its whitespace and word by word; the
// username; the email's local part; the phone's digits.
func (u UserInfo) parts() []string {
	var out []string
	if u.Name != "" {
		out = append(out, u.Name, strings.Join(strings.Fields(u.Name), ""))
		out = append(out, strings.Split(u.Name, " ")...)
	}
	out = append(out, u.Username)
	if local, _, _ := strings.Cut(u.Email, "@"); local != "" {
		out = append(out, local)
	}
	out = append(out, strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, u.Phone))
	return out
}

//go:embed commonpasswords.txt
var commonPasswordsFile string

// commonPasswords is the embedded list as a set, built on first use.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 10000)
	for line := range strings.Lines(commonPasswordsFile) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		set[line] = struct{}{}
	}
	return set
})

// IsCommonPassword reports whether password is, ignoring case, one of the
// embedded list of the most common (breached) passwords. It never goes
// to the network.
func IsCommonPassword(password string) bool {
	_, ok := commonPasswords()[strings.ToLower(password)]
	return ok
}
