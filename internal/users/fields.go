package users

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/password"
)

// The Management API checks identifiers as Logto does: a username is a
// letter or underscore followed by word characters, an email is
// something@something.something without spaces, a phone number is digits
// (a leading + is dropped, as sign-in drops it).
var (
	emailPattern = regexp.MustCompile(`^\S+@\S+\.\S+$`)
	phoneDigits  = regexp.MustCompile(`^\d+$`)
)

const maxIdentifier = 128

// CheckUsername validates a username.
func CheckUsername(s string) error {
	if !usernamePattern.MatchString(s) || len(s) > maxIdentifier {
		return &InvalidError{"username", "must start with a letter or underscore and contain only letters, digits and underscores"}
	}
	return nil
}

// CheckEmail validates an email address.
func CheckEmail(s string) error {
	if !emailPattern.MatchString(s) || len(s) > maxIdentifier {
		return &InvalidError{"primaryEmail", fmt.Sprintf("%q is not an email address", s)}
	}
	return nil
}

// NormalizePhone validates a phone number and returns it as stored: digits
// only.
func NormalizePhone(s string) (string, error) {
	s = strings.TrimPrefix(s, "+")
	if !phoneDigits.MatchString(s) || len(s) > 32 {
		return "", &InvalidError{"primaryPhone", "must be digits, in international format"}
	}
	return s, nil
}

// CheckAvatar validates an avatar URL ("" is no avatar).
func CheckAvatar(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || (u.Host == "" && u.Opaque == "") {
		return &InvalidError{"avatar", fmt.Sprintf("%q is not a URL", s)}
	}
	return nil
}

// Address is the address claim of a profile.
type Address struct {
	Formatted     *string `json:"formatted,omitempty"`
	StreetAddress *string `json:"streetAddress,omitempty"`
	Locality      *string `json:"locality,omitempty"`
	Region        *string `json:"region,omitempty"`
	PostalCode    *string `json:"postalCode,omitempty"`
	Country       *string `json:"country,omitempty"`
}

// Profile is Logto's user profile: the OpenID Connect standard claims
// that have no column of their own.
type Profile struct {
	FamilyName        *string  `json:"familyName,omitempty"`
	GivenName         *string  `json:"givenName,omitempty"`
	MiddleName        *string  `json:"middleName,omitempty"`
	Nickname          *string  `json:"nickname,omitempty"`
	PreferredUsername *string  `json:"preferredUsername,omitempty"`
	Profile           *string  `json:"profile,omitempty"`
	Website           *string  `json:"website,omitempty"`
	Gender            *string  `json:"gender,omitempty"`
	Birthdate         *string  `json:"birthdate,omitempty"`
	Zoneinfo          *string  `json:"zoneinfo,omitempty"`
	Locale            *string  `json:"locale,omitempty"`
	Address           *Address `json:"address,omitempty"`
}

// NormalizeProfile checks that raw is a profile object and returns it with
// only the fields Logto knows, as Logto's validation strips the others.
func NormalizeProfile(raw json.RawMessage) (json.RawMessage, error) {
	if !isObject(raw) {
		return nil, &InvalidError{"profile", "expected object"}
	}
	var p Profile
	if err := json.Unmarshal(raw, &p); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, &InvalidError{"profile." + te.Field, "expected " + kindOf(te.Type.String())}
		}
		return nil, &InvalidError{"profile", "expected object"}
	}
	out, _ := json.Marshal(p)
	return out, nil
}

func kindOf(goType string) string {
	switch strings.TrimLeft(goType, "*") {
	case "string":
		return "string"
	default:
		return "object"
	}
}

func isObject(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return false
	}
	var m map[string]json.RawMessage
	return json.Unmarshal(raw, &m) == nil
}

// MergeObjects overlays the top-level keys of patch onto base, as Logto
// merges JSON columns (base may be empty). Both must be objects.
func MergeObjects(base, patch json.RawMessage) json.RawMessage {
	merged := map[string]json.RawMessage{}
	json.Unmarshal(base, &merged)
	var over map[string]json.RawMessage
	json.Unmarshal(patch, &over)
	for k, v := range over {
		merged[k] = v
	}
	out, _ := json.Marshal(merged)
	return out
}

// Algorithms is every password digest algorithm an imported user may have,
// as Logto's passwordAlgorithm spells them.
var Algorithms = []string{password.Argon2i, password.Argon2id, password.Argon2d, password.Bcrypt,
	password.SHA1, password.SHA256, password.MD5}

var (
	phcPattern    = regexp.MustCompile(`^\$(argon2id|argon2i|argon2d)\$v=19\$([a-z]=\d+(?:,[a-z]=\d+)*)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$`)
	bcryptPattern = regexp.MustCompile(`^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$`)
)

// CheckDigest validates an imported password digest without verifying a
// password against it: the shape of the digest must fit its algorithm, and
// its costs must be within what sign-in is willing to spend.
func CheckDigest(algorithm, digest string) error {
	bad := func(reason string) error { return &InvalidError{"passwordDigest", reason} }
	switch algorithm {
	case password.Argon2i, password.Argon2id, password.Argon2d:
		m := phcPattern.FindStringSubmatch(digest)
		if m == nil {
			return bad("is not an Argon2 PHC string ($" + strings.ToLower(algorithm) + "$v=19$m=…,t=…,p=…$salt$hash)")
		}
		if m[1] != strings.ToLower(algorithm) {
			return bad("is an " + m[1] + " digest, not " + algorithm)
		}
		params := map[string]uint64{}
		for _, kv := range strings.Split(m[2], ",") {
			k, v, _ := strings.Cut(kv, "=")
			n, err := strconv.ParseUint(v, 10, 32)
			if _, dup := params[k]; err != nil || dup {
				return bad("has malformed Argon2 parameters")
			}
			params[k] = n
		}
		mem, t, p := params["m"], params["t"], params["p"]
		if len(params) != 3 || p < 1 || p > 255 || t < 1 || t > 1000 || mem < 8*p || mem > 1<<20 {
			return bad("has Argon2 parameters out of bounds (m up to 1 GiB, t up to 1000, p up to 255)")
		}
		salt, err1 := base64.RawStdEncoding.DecodeString(strings.TrimRight(m[3], "="))
		key, err2 := base64.RawStdEncoding.DecodeString(strings.TrimRight(m[4], "="))
		if err1 != nil || err2 != nil || len(salt) == 0 || len(salt) > 1024 || len(key) < 4 || len(key) > 1024 {
			return bad("has a malformed salt or hash")
		}
	case password.Bcrypt:
		m := bcryptPattern.FindStringSubmatch(digest)
		if m == nil {
			return bad("is not a bcrypt digest ($2a$, $2b$ or $2y$, cost, 53 characters)")
		}
		if cost, _ := strconv.Atoi(m[1]); cost < 4 || cost > 16 {
			return bad("has a bcrypt cost outside 4..16")
		}
	case password.SHA1, password.SHA256, password.MD5:
		size := map[string]int{password.SHA1: 20, password.SHA256: 32, password.MD5: 16}[algorithm]
		if b, err := hex.DecodeString(digest); err != nil || len(b) != size {
			return bad(fmt.Sprintf("must be %d hexadecimal digits for %s", 2*size, algorithm))
		}
	case "Legacy":
		return &InvalidError{"passwordAlgorithm", "Legacy digests are not supported by Gatehouse"}
	default:
		return &InvalidError{"passwordAlgorithm", fmt.Sprintf("%q is not one of %s", algorithm, strings.Join(Algorithms, ", "))}
	}
	return nil
}
