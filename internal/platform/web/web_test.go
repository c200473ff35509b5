package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/units"
)

func TestDecodeJSONRefusesOversizedAndUnknown(t *testing.T) {
	var v struct{ Name string }
	big := `{"Name":"` + strings.Repeat("x", MaxJSONBody) + `"}`
	r := httptest.NewRequest("POST", "/", strings.NewReader(big))
	err := DecodeJSON(httptest.NewRecorder(), r, &v)
	if Status(err) != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized: %v (status %d)", err, Status(err))
	}
	r = httptest.NewRequest("POST", "/", strings.NewReader(`{"Nmae":"x"}`))
	if err := DecodeJSON(httptest.NewRecorder(), r, &v); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("unknown field: %v", err)
	}
	p := ProblemOf(apperr.New(apperr.Conflict, "충돌", "conflict"), "en")
	if p.Status != 409 || p.Detail != "conflict" {
		t.Fatalf("problem = %+v", p)
	}
}

func TestDecodeJSONRefusesNULAndInvalidUTF8WithTheirLocation(t *testing.T) {
	type item struct {
		Name string `json:"name"`
	}
	var v struct {
		Title string            `json:"title"`
		Items []item            `json:"items"`
		Tags  map[string]string `json:"tags"`
		N     int               `json:"n"`
	}
	tests := []struct{ body, location string }{
		{`{"title":"a\u0000b"}`, "title"},
		{"{\"title\":\"a\xffb\"}", "title"},
		{`{"n":1,"items":[{"name":"x"},{"name":"\u0000"}]}`, "items[1].name"},
		{"{\"tags\":{\"k\xfe\":\"v\"}}", "tags.k\uFFFD"},
		{`{"tags":{"k":"v\u0000"}}`, "tags.k"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
		err := DecodeJSON(httptest.NewRecorder(), r, &v)
		e, ok := apperr.As(err)
		if !ok || e.Code != apperr.Invalid || len(e.Fields) != 1 || e.Fields[0].Location != tt.location {
			t.Errorf("%q: %v, want an invalid field at %q", tt.body, err, tt.location)
		}
	}
	r := httptest.NewRequest("POST", "/", strings.NewReader(`{"title":"가\u00e9","items":[{"name":"ok"}],"n":2}`))
	if err := DecodeJSON(httptest.NewRecorder(), r, &v); err != nil || v.Title != "가é" {
		t.Fatalf("valid body: %v %+v", err, v)
	}
	r = httptest.NewRequest("POST", "/", strings.NewReader(`{"items":[{"nmae":"x"}]}`))
	if e, ok := apperr.As(DecodeJSON(httptest.NewRecorder(), r, &v)); !ok || len(e.Fields) != 1 || e.Fields[0].Location != "items[0].nmae" {
		t.Fatalf("unknown field: %+v", e)
	}
}

func TestCheckQueryAndIdempotencyKey(t *testing.T) {
	for q, loc := range map[string]string{"q=a%00": "q", "site=%FF": "site", "q=" + strings.Repeat("%EA%B0%80", MaxKeyword+1): "q"} {
		e, ok := apperr.As(CheckQuery(httptest.NewRequest("GET", "/?"+q, nil)))
		if !ok || e.Fields[0].Location != loc {
			t.Errorf("%.40s: %v, want an error at %s", q, e, loc)
		}
	}
	if err := CheckQuery(httptest.NewRequest("GET", "/?q="+strings.Repeat("%EA%B0%80", MaxKeyword), nil)); err != nil {
		t.Errorf("a keyword of %d characters: %v", MaxKeyword, err)
	}
	for _, key := range []string{"a b", "ké", strings.Repeat("k", MaxIdempotencyKey+1), "k\x00"} {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("Idempotency-Key", key)
		if _, err := IdempotencyKey(r); Status(err) != http.StatusBadRequest {
			t.Errorf("key %q: %v", key, err)
		}
	}
}

// A field of the wrong type is named as JSON names its kinds, never by the
// Go type behind it.
func TestWrongTypeSaysWhatJSONItWants(t *testing.T) {
	var v struct {
		Qty   int64            `json:"qty"`
		IDs   []int64          `json:"ids"`
		Name  string           `json:"name"`
		Ratio float64          `json:"ratio"`
		Used  units.Value      `json:"used"`
		Box   struct{ A bool } `json:"box"`
	}
	for body, want := range map[string]string{
		`{"qty":"1"}`: "expected a whole number", `{"ids":[1,"2"]}`: "expected a whole number", `{"ids":"x"}`: "expected a list, each a whole number",
		`{"name":1}`: "expected text", `{"ratio":"x"}`: "expected a number", `{"box":1}`: "expected an object",
	} {
		err := DecodeJSONBytes([]byte(body), &v)
		e, ok := apperr.As(err)
		if !ok || len(e.Fields) != 1 || !strings.HasPrefix(e.Fields[0].English, want) || strings.Contains(e.Fields[0].English, "int64") {
			t.Errorf("%s: %+v, want %q", body, err, want)
		}
	}
	// The Korean says it too, with the right particle.
	for body, want := range map[string]string{`{"qty":"1"}`: "정수로 적어 주세요", `{"ids":"x"}`: "정수의 목록으로 적어 주세요",
		`{"name":1}`: "문자열로 적어 주세요", `{"box":1}`: "객체로 적어 주세요"} {
		if e, ok := apperr.As(DecodeJSONBytes([]byte(body), &v)); !ok || len(e.Fields) != 1 || !strings.Contains(e.Fields[0].Message, want) {
			t.Errorf("%s: %+v, want %q", body, e, want)
		}
	}
	if err := DecodeJSONBytes([]byte(`{"used":"x"}`), &v); err == nil || strings.Contains(err.Error(), "units.Value") {
		t.Errorf(`{"used":"x"}: %v`, err)
	}
}

// An unknown field deep in the body is named by its path in the request.
func TestUnknownFieldNamesItsPath(t *testing.T) {
	type item struct {
		ProductID int64 `json:"product_id"`
		Qty       int   `json:"qty"`
	}
	type base struct {
		Site string `json:"site"`
	}
	var v struct {
		base
		Items    []item `json:"items"`
		Shipping *struct {
			Zipcode string `json:"zipcode"`
		} `json:"shipping"`
	}
	for body, want := range map[string]string{
		`{"site":"m","items":[{"product_id":1,"qty":1},{"product_id":2,"price":3}]}`: "items[1].price",
		`{"shipping":{"zip":"06236"}}`: "shipping.zip", `{"colour":1}`: "colour", `{"SITE":"m","Items":[{"QTY":1,"x":2}]}`: "Items[0].x",
		// Unknown in two places: the name alone, never a guess.
		`{"price":1,"items":[{"price":2}]}`: "price",
	} {
		e, ok := apperr.As(DecodeJSONBytes([]byte(body), &v))
		if !ok || len(e.Fields) != 1 || e.Fields[0].Location != want {
			t.Errorf("%s: %+v, want the location %s", body, e, want)
		}
	}
}
