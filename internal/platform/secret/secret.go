// Package secret encrypts personal data at rest (AES-256-GCM with a key kept
// outside the database) and masks it for display.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// KeySize is the AES-256 key length in bytes.
const KeySize = 32

// Box seals and opens values with one key.
type Box struct {
	aead cipher.AEAD
	key  []byte
}

// NewBox makes a Box from a 32-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead, key: append([]byte(nil), key...)}, nil
}

// ParseKey reads a key written as 64 hex digits or as standard base64.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	return nil, errors.New("ORDERDESK_SECRET_KEY must be 32 bytes written as 64 hex digits or base64")
}

// LoadOrCreateKeyFile reads the key in path, creating it (mode 0600) with a
// random key when it does not exist yet.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		k, err := ParseKey(string(data))
		if err != nil {
			return nil, fmt.Errorf("key file %s: %w", path, err)
		}
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) { // another process made it first
			return LoadOrCreateKeyFile(path)
		}
		return nil, err
	}
	defer f.Close()
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		return nil, err
	}
	return key, f.Sync()
}

// Derive returns a 32-byte key for another purpose, derived from the box's
// key (HMAC-SHA256 of the purpose), so one secret serves several uses.
func (b *Box) Derive(purpose string) []byte {
	m := hmac.New(sha256.New, b.key)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// Seal encrypts plain; the empty string stays empty.
func (b *Box) Seal(plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := b.aead.Seal(nonce, nonce, []byte(plain), nil)
	return "v1:" + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value made by Seal.
func (b *Box) Open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	raw, ok := strings.CutPrefix(sealed, "v1:")
	if !ok {
		return "", errors.New("secret: unknown format")
	}
	data, err := base64.RawStdEncoding.DecodeString(raw)
	if err != nil {
		return "", fmt.Errorf("secret: %w", err)
	}
	n := b.aead.NonceSize()
	if len(data) < n {
		return "", errors.New("secret: too short")
	}
	plain, err := b.aead.Open(nil, data[:n], data[n:], nil)
	if err != nil {
		return "", errors.New("secret: cannot decrypt (wrong key?)")
	}
	return string(plain), nil
}

// Digits keeps the ASCII digits of s (a card, account or registration number).
func Digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// NormalizeRRN returns a resident registration number as 13 digits, or an
// error when it does not have 13 digits.
func NormalizeRRN(s string) (string, error) {
	d := Digits(s)
	if len(d) != 13 || strings.Trim(s, "0123456789- ") != "" {
		return "", errors.New("주민등록번호는 숫자 13자리여야 합니다 (resident registration number must have 13 digits)")
	}
	return d, nil
}

// MaskRRN shows birth date and the gender digit: 750101-1******.
func MaskRRN(rrn string) string {
	d := Digits(rrn)
	if len(d) != 13 {
		return strings.Repeat("*", len(d))
	}
	return d[:6] + "-" + d[6:7] + "******"
}

// FormatRRN writes 13 digits as 750101-1234567.
func FormatRRN(rrn string) string {
	d := Digits(rrn)
	if len(d) != 13 {
		return rrn
	}
	return d[:6] + "-" + d[6:]
}

// MaskCard shows the first and last four digits: 1111-****-****-1111.
func MaskCard(card string) string {
	d := Digits(card)
	if len(d) < 8 {
		return strings.Repeat("*", len(d))
	}
	mid := strings.Repeat("*", len(d)-8)
	var groups []string
	masked := d[:4] + mid + d[len(d)-4:]
	for len(masked) > 4 {
		groups = append(groups, masked[:4])
		masked = masked[4:]
	}
	groups = append(groups, masked)
	return strings.Join(groups, "-")
}

// MaskAccount keeps the last four digits of a bank account: *******1234.
func MaskAccount(acct string) string {
	d := Digits(acct)
	if len(d) <= 4 {
		return strings.Repeat("*", len(d))
	}
	return strings.Repeat("*", len(d)-4) + d[len(d)-4:]
}
