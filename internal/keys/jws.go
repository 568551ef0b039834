package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// compactSigner produces compact JWS for one key and one typ header. The
// header is encoded once; each token then costs one payload encoding and
// one signature. go-jose builds the same bytes, but with a generic JSON
// header per call that costs about a fifth of an ES256 token; tokens are
// the server's hot path, so it is done here directly. go-jose still does
// every verification.
type compactSigner struct {
	prefix []byte // base64url(header) + "."
	hash   crypto.Hash
	sign   func(digest []byte) ([]byte, error)
}

func newCompactSigner(kid, alg, typ string, key crypto.Signer) (*compactSigner, error) {
	header, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ,omitempty"`
	}{alg, kid, typ})
	if err != nil {
		return nil, err
	}
	s := &compactSigner{prefix: append([]byte(base64.RawURLEncoding.EncodeToString(header)), '.')}
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		switch alg {
		case ES256:
			s.hash = crypto.SHA256
		case ES384:
			s.hash = crypto.SHA384
		case ES512:
			s.hash = crypto.SHA512
		default:
			return nil, fmt.Errorf("keys: an EC key cannot sign %s", alg)
		}
		s.sign = func(digest []byte) ([]byte, error) {
			r, sv, err := ecdsa.Sign(rand.Reader, k, digest)
			if err != nil {
				return nil, err
			}
			// JWS wants r and s as fixed-size big-endian halves (RFC 7518 §3.4).
			out := make([]byte, 2*size)
			r.FillBytes(out[:size])
			sv.FillBytes(out[size:])
			return out, nil
		}
	case *rsa.PrivateKey:
		switch alg {
		case RS256:
			s.hash = crypto.SHA256
		case RS384:
			s.hash = crypto.SHA384
		case RS512:
			s.hash = crypto.SHA512
		default:
			return nil, fmt.Errorf("keys: an RSA key cannot sign %s", alg)
		}
		s.sign = func(digest []byte) ([]byte, error) { return rsa.SignPKCS1v15(nil, k, s.hash, digest) }
	default:
		return nil, fmt.Errorf("keys: unsupported key type %T", key)
	}
	return s, nil
}

// signCompact returns the compact serialization of payload.
func (s *compactSigner) signCompact(payload []byte) (string, error) {
	enc := base64.RawURLEncoding
	buf := make([]byte, 0, len(s.prefix)+enc.EncodedLen(len(payload))+1+enc.EncodedLen(132))
	buf = append(buf, s.prefix...)
	buf = enc.AppendEncode(buf, payload)
	h := s.hash.New()
	h.Write(buf)
	sig, err := s.sign(h.Sum(nil))
	if err != nil {
		return "", err
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig)
	return string(buf), nil
}
