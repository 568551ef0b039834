package signinexp

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// bare is a policy that rejects nothing but the empty password; the cases
// switch on the rule they test.
func bare(edit func(p *PasswordPolicy)) PasswordPolicy {
	var p PasswordPolicy
	p.Length.Min, p.Length.Max = 1, 256
	p.CharacterTypes.Min = 1
	p.Rejects.Words = []string{}
	if edit != nil {
		edit(&p)
	}
	return p
}

var (
	repSeq   = func(p *PasswordPolicy) { p.Rejects.RepetitionAndSequence = true }
	userInfo = func(p *PasswordPolicy) { p.Rejects.UserInfo = true }
	pwned    = func(p *PasswordPolicy) { p.Rejects.Pwned = true }
)

func words(w ...string) func(p *PasswordPolicy) {
	return func(p *PasswordPolicy) { p.Rejects.Words = w }
}

func v(code string, kv ...any) Violation {
	out := Violation{Code: code}
	if len(kv) > 0 {
		out.Params = map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			out.Params[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

var john = UserInfo{Username: "johndoe", Email: "jane.smith@example.com", Phone: "15555550100", Name: "Ada Lovelace"}

// checkCases are Logto-like examples for every rule.
var checkCases = []struct {
	name     string
	policy   PasswordPolicy
	password string
	info     UserInfo
	want     []Violation
}{
	// Logto's own example: the default policy with two character types.
	{"logto example", func() PasswordPolicy { p := DefaultPasswordPolicy(); p.CharacterTypes.Min = 2; return p }(), "123456", UserInfo{},
		[]Violation{v(CodeTooShort, "min", 8), v(CodeCharacterTypes, "min", 2), v(CodePwned), v(CodeSequence)}},
	{"default accepts a strong password", DefaultPasswordPolicy(), "Vivid-Otter-42", john, nil},
	{"default accepts a passphrase", DefaultPasswordPolicy(), "correct horse battery staple", john, nil},

	// Length, counted in code points.
	{"too short", bare(func(p *PasswordPolicy) { p.Length.Min = 8 }), "Ab1!xyQ", UserInfo{}, []Violation{v(CodeTooShort, "min", 8)}},
	{"exactly min", bare(func(p *PasswordPolicy) { p.Length.Min = 8 }), "Ab1!xyQz", UserInfo{}, nil},
	{"too long", bare(func(p *PasswordPolicy) { p.Length.Max = 10 }), "Xk9!Xk9!Xk9", UserInfo{}, []Violation{v(CodeTooLong, "max", 10)}},
	{"exactly max", bare(func(p *PasswordPolicy) { p.Length.Max = 10 }), "Xk9!Xk9!Xk", UserInfo{}, nil},
	{"empty", bare(nil), "", UserInfo{}, []Violation{v(CodeTooShort, "min", 1), v(CodeCharacterTypes, "min", 1)}},
	{"length in runes", bare(func(p *PasswordPolicy) { p.Length.Min = 9 }), "pässwörd", UserInfo{},
		[]Violation{v(CodeTooShort, "min", 9), v(CodeUnsupportedCharacters)}},

	// Character types.
	{"one type of three", bare(func(p *PasswordPolicy) { p.CharacterTypes.Min = 3 }), "wolfhound", UserInfo{}, []Violation{v(CodeCharacterTypes, "min", 3)}},
	{"two types of three", bare(func(p *PasswordPolicy) { p.CharacterTypes.Min = 3 }), "Wolfhound", UserInfo{}, []Violation{v(CodeCharacterTypes, "min", 3)}},
	{"three types", bare(func(p *PasswordPolicy) { p.CharacterTypes.Min = 3 }), "Wolfhound7", UserInfo{}, nil},
	{"four types", bare(func(p *PasswordPolicy) { p.CharacterTypes.Min = 4 }), "Wolf hound7", UserInfo{}, nil},
	{"space is a symbol", bare(func(p *PasswordPolicy) { p.CharacterTypes.Min = 2 }), "wolf hound", UserInfo{}, nil},
	{"every symbol", bare(func(p *PasswordPolicy) { p.CharacterTypes.Min = 1 }), passwordSymbols, UserInfo{}, nil},
	{"unsupported letter", bare(nil), "wolfhoünd", UserInfo{}, []Violation{v(CodeUnsupportedCharacters)}},
	{"unsupported emoji", bare(nil), "wolfhound🐺", UserInfo{}, []Violation{v(CodeUnsupportedCharacters)}},
	{"unsupported tab", bare(nil), "wolf\thound", UserInfo{}, []Violation{v(CodeUnsupportedCharacters)}},

	// Pwned: the embedded list, ignoring case.
	{"pwned", bare(pwned), "password", UserInfo{}, []Violation{v(CodePwned)}},
	{"pwned any case", bare(pwned), "PassWord", UserInfo{}, []Violation{v(CodePwned)}},
	{"pwned qwerty", bare(pwned), "qwerty", UserInfo{}, []Violation{v(CodePwned)}},
	{"pwned off", bare(nil), "password", UserInfo{}, nil},
	{"not pwned", bare(pwned), "Vivid-Otter-42", UserInfo{}, nil},

	// Repetition: a run of 3+ of one character.
	{"repetition alone", bare(repSeq), "aaa", UserInfo{}, []Violation{v(CodeRepetition)}},
	{"two is not a run", bare(repSeq), "aa", UserInfo{}, nil},
	{"repetition all", bare(repSeq), "11111111", UserInfo{}, []Violation{v(CodeRepetition)}},
	{"repetition mostly", bare(repSeq), "aaaaaaa1", UserInfo{}, []Violation{v(CodeRepetition)}},
	{"two runs", bare(repSeq), "1111aaaa", UserInfo{}, []Violation{v(CodeRepetition)}},
	{"repetition is case-sensitive", bare(repSeq), "aAaAaA", UserInfo{}, nil},
	{"a run inside a strong password", bare(repSeq), "aaaXyz!9", UserInfo{}, nil},
	{"repetition off", bare(nil), "aaaaaaaa", UserInfo{}, nil},

	// Sequences: 3+ ascending or descending, keyboard rows and columns.
	{"sequence alone", bare(repSeq), "abc", UserInfo{}, []Violation{v(CodeSequence)}},
	{"two is not a sequence", bare(repSeq), "ab", UserInfo{}, nil},
	{"descending digits", bare(repSeq), "87654321", UserInfo{}, []Violation{v(CodeSequence)}},
	{"digits", bare(repSeq), "321", UserInfo{}, []Violation{v(CodeSequence)}},
	{"alphabet", bare(repSeq), "abcdefgh", UserInfo{}, []Violation{v(CodeSequence)}},
	{"uppercase backwards", bare(repSeq), "ZYXWVUTS", UserInfo{}, []Violation{v(CodeSequence)}},
	{"mixed case is no sequence", bare(repSeq), "aBcDeFgH", UserInfo{}, nil},
	{"keyboard row", bare(repSeq), "qwertyui", UserInfo{}, []Violation{v(CodeSequence)}},
	{"keyboard row backwards", bare(repSeq), "lkjhgfds", UserInfo{}, []Violation{v(CodeSequence)}},
	{"keyboard columns", bare(repSeq), "1qaz2wsx", UserInfo{}, []Violation{v(CodeSequence)}},
	{"a sequence inside a strong password", bare(repSeq), "abcWolf!9", UserInfo{}, nil},
	{"sequence off", bare(nil), "abcdefgh", UserInfo{}, nil},
	{"repetition then sequence", bare(repSeq), "aaabcd12", UserInfo{}, []Violation{v(CodeRepetition), v(CodeSequence)}},
	{"sequence then repetition", bare(repSeq), "123aaa", UserInfo{}, []Violation{v(CodeSequence), v(CodeRepetition)}},

	// Custom words, ignoring case.
	{"word", bare(words("gatehouse")), "GateHouse12", UserInfo{}, []Violation{v(CodeWords)}},
	{"word exactly", bare(words("Gatehouse")), "gatehouse", UserInfo{}, []Violation{v(CodeWords)}},
	{"words together", bare(words("blue", "moon")), "MoonBlue!", UserInfo{}, []Violation{v(CodeWords)}},
	{"word with enough else", bare(words("gatehouse")), "gatehouse!X9z", UserInfo{}, nil},
	{"word and a sequence", bare(func(p *PasswordPolicy) { repSeq(p); words("gatehouse")(p) }), "GateHouse123", UserInfo{},
		[]Violation{v(CodeWords), v(CodeSequence)}},
	{"empty word ignored", bare(words("")), "Vivid-Otter", UserInfo{}, nil},
	{"no words", bare(words()), "gatehouse", UserInfo{}, nil},

	// User information.
	{"username", bare(userInfo), "JohnDoe1", john, []Violation{v(CodeUserInfo)}},
	{"email local part", bare(userInfo), "Jane.Smith99", john, []Violation{v(CodeUserInfo)}},
	{"email domain is fine", bare(userInfo), "example.com", UserInfo{Email: "jane@example.com"}, nil},
	{"phone", bare(userInfo), "15555550100", john, []Violation{v(CodeUserInfo)}},
	{"phone with punctuation", bare(userInfo), "15555550100", UserInfo{Phone: "+1 555-555-0100"}, []Violation{v(CodeUserInfo)}},
	{"phone and repetition", bare(func(p *PasswordPolicy) { repSeq(p); userInfo(p) }), "15555550100", john,
		[]Violation{v(CodeUserInfo), v(CodeRepetition)}},
	{"name", bare(userInfo), "ada lovelace", john, []Violation{v(CodeUserInfo)}},
	{"name joined", bare(userInfo), "AdaLovelace", john, []Violation{v(CodeUserInfo)}},
	{"name part", bare(userInfo), "lovelace!", john, []Violation{v(CodeUserInfo)}},
	{"name parts reversed", bare(userInfo), "LovelaceAda", john, []Violation{v(CodeUserInfo)}},
	{"user info with enough else", bare(userInfo), "johndoe-Vivid", john, nil},
	{"user info off", bare(nil), "JohnDoe1", john, nil},
	{"no user info given", bare(userInfo), "JohnDoe1", UserInfo{}, nil},

	// Several rules at once, in Logto's order.
	{"everything", func() PasswordPolicy {
		p := DefaultPasswordPolicy()
		p.CharacterTypes.Min = 3
		return p
	}(), "qwerty", john, []Violation{v(CodeTooShort, "min", 8), v(CodeCharacterTypes, "min", 3), v(CodePwned), v(CodeSequence)}},
}

func TestCheck(t *testing.T) {
	for _, c := range checkCases {
		t.Run(c.name, func(t *testing.T) {
			got := c.policy.Check(c.password, c.info)
			if len(got) == 0 && len(c.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Check(%q) = %+v, want %+v", c.password, got, c.want)
			}
		})
	}
}

func TestViolationJSON(t *testing.T) {
	raw, err := json.Marshal([]Violation{v(CodeTooShort, "min", 8), v(CodePwned)})
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"code":"password_rejected.too_short","interpolation":{"min":8}},{"code":"password_rejected.pwned"}]`
	if string(raw) != want {
		t.Fatalf("got %s, want %s", raw, want)
	}
}

func TestCommonPasswords(t *testing.T) {
	set := commonPasswords()
	if len(set) < 9000 || len(set) > 20000 {
		t.Fatalf("embedded list has %d passwords", len(set))
	}
	for _, pw := range []string{"password", "123456", "qwerty", "letmein", "iloveyou", "PASSWORD", "QwErTy"} {
		if !IsCommonPassword(pw) {
			t.Errorf("%q is not in the embedded list", pw)
		}
	}
	for _, pw := range []string{"", "Vivid-Otter-42", "correct horse battery staple", "# the"} {
		if IsCommonPassword(pw) {
			t.Errorf("%q is in the embedded list", pw)
		}
	}
	for p := range set {
		if p != strings.ToLower(p) || strings.TrimSpace(p) != p || p == "" {
			t.Fatalf("entry %q is not normalised", p)
		}
	}
	// The file stays small and says where it came from.
	fi, err := os.Stat("commonpasswords.txt")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > 150<<10 {
		t.Errorf("commonpasswords.txt is %d bytes", fi.Size())
	}
	if !strings.HasPrefix(commonPasswordsFile, "#") || !strings.Contains(commonPasswordsFile, "MIT") {
		t.Error("commonpasswords.txt lacks its source header")
	}
}

func BenchmarkCheck(b *testing.B) {
	p := DefaultPasswordPolicy()
	p.Rejects.Words = []string{"gatehouse", "logto", "acme"}
	info := UserInfo{Username: "johndoe", Email: "jane.smith@example.com", Phone: "15555550100", Name: "Ada Lovelace"}
	for _, c := range []struct{ name, pw string }{
		{"short", "Vivid-Otter-42"},
		{"pwned", "password"},
		{"max", strings.Repeat("Vivid-Otter-42!x", 16)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Check(c.pw, info)
			}
		})
	}
}
