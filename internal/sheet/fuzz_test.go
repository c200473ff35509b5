package sheet

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
)

// FuzzRead feeds the readers broken files: they must refuse them with an
// input error, never panic or fail another way.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"11st.xls", "esm_utf8.csv", "coupang_cp949.csv"} {
		if b, err := os.ReadFile(filepath.Join("..", "market", "testdata", name)); err == nil {
			f.Add(b, name)
			f.Add(b[:len(b)/2], name)
		}
	}
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, "s", []string{"a", "b"})
	_ = w.Row("x", int64(1))
	_ = w.Finish()
	f.Add(buf.Bytes(), "s.xlsx")
	f.Add(buf.Bytes()[:buf.Len()/2], "s.xlsx")
	f.Add([]byte("a,b\n\"unterminated"), "x.csv")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		var rows [][]string
		var err error
		done := make(chan struct{})
		go func() {
			defer close(done)
			rows, _, err = Read(data, name, ReadOptions{Limits: Limits{MaxBytes: 1 << 20, MaxRows: 1000, MaxUncompressed: 8 << 20}})
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("Read of %d bytes named %q did not finish in 5 s", len(data), name)
		}
		if err != nil {
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("error is not an input error: %v", err)
			}
			return
		}
		if len(rows) > 1020 {
			t.Fatalf("%d rows past the limit", len(rows))
		}
	})
}

// TestReadSurvivesMutations runs in every test run: a fixed-seed mutator
// flips, inserts, deletes and copies bytes of real files (xls, xlsx, CSV)
// and every result must be read or refused with an input error within a
// few seconds. It found the looping sector chains that checkCFB refuses.
func TestReadSurvivesMutations(t *testing.T) {
	var seeds [][]byte
	for _, name := range []string{"11st.xls", "esm_utf8.csv", "coupang_cp949.csv"} {
		b, err := os.ReadFile(filepath.Join("..", "market", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, "s", []string{"a", "b"})
	_ = w.Row("x", int64(1))
	_ = w.Finish()
	seeds = append(seeds, buf.Bytes())
	names := []string{"a.xlsx", "a.xls", "a.csv", ""}
	r := rand.New(rand.NewSource(20261122))
	for i := 0; i < 20000; i++ {
		m := append([]byte(nil), seeds[i%len(seeds)]...)
		for k := 0; k < 1+r.Intn(16); k++ {
			switch r.Intn(4) {
			case 0:
				m[r.Intn(len(m))] = byte(r.Intn(256))
			case 1:
				p := r.Intn(len(m))
				m = append(m[:p], append(bytes.Repeat([]byte{byte(r.Intn(256))}, r.Intn(64)), m[p:]...)...)
			case 2:
				p := r.Intn(len(m))
				m = append(m[:p], m[min(len(m), p+r.Intn(200)):]...)
			default:
				if len(m) > 8 {
					p, q := r.Intn(len(m)-4), r.Intn(len(m)-4)
					copy(m[p:p+4], m[q:q+4])
				}
			}
			if len(m) == 0 {
				m = []byte{0}
			}
		}
		name := names[r.Intn(len(names))]
		done := make(chan error, 1)
		go func() {
			_, _, err := Read(m, name, ReadOptions{Limits: Limits{MaxBytes: 1 << 20, MaxRows: 1000, MaxUncompressed: 8 << 20}})
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil && apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("mutation %d: error is not an input error: %v", i, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("mutation %d (%q, %d bytes) did not finish", i, name, len(m))
		}
	}
}
