package secret

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpenRoundTrip(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	box, err := NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := box.Seal("7501011234567")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "7501011234567") {
		t.Fatalf("sealed value shows the plain text: %s", sealed)
	}
	again, _ := box.Seal("7501011234567")
	if again == sealed {
		t.Fatalf("two seals of one value are equal; nonce not random")
	}
	got, err := box.Open(sealed)
	if err != nil || got != "7501011234567" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other, _ := NewBox(bytes.Repeat([]byte{8}, KeySize))
	if _, err := other.Open(sealed); err == nil {
		t.Fatalf("a wrong key opened the value")
	}
	if _, err := box.Open(sealed[:len(sealed)-2] + "AA"); err == nil {
		t.Fatalf("a tampered value opened")
	}
}

func TestKeyFileIsCreatedOnceAndReused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "od.db.key")
	k1, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrCreateKeyFile(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second load gave another key (%v)", err)
	}
	if _, err := ParseKey("short"); err == nil {
		t.Fatalf("ParseKey accepted a short key")
	}
}

func TestMasks(t *testing.T) {
	tests := []struct{ name, got, want string }{
		{"rrn", MaskRRN("750101-1234567"), "750101-1******"},
		{"rrn digits", MaskRRN("7501011234567"), "750101-1******"},
		{"card", MaskCard("1111-2222-3333-4444"), "1111-****-****-4444"},
		{"card 15", MaskCard("123456789012345"), "1234-****-***2-345"},
		{"account", MaskAccount("110-123-456789"), "********6789"},
		{"format rrn", FormatRRN("7501011234567"), "750101-1234567"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if _, err := NormalizeRRN("75010-1234567"); err == nil {
		t.Errorf("NormalizeRRN accepted 12 digits")
	}
	if _, err := NormalizeRRN("750101-123456x"); err == nil {
		t.Errorf("NormalizeRRN accepted a letter")
	}
}
