package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
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
