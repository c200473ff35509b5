package access

import (
	"testing"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
)

func TestScopes(t *testing.T) {
	super := Actor{Role: SuperAdmin}
	admin := Actor{Role: SiteAdmin, Sites: []string{"malgn"}}
	viewer := Actor{Role: Viewer, Sites: []string{"malgn"}}
	tests := []struct {
		name      string
		a         Actor
		site      string
		read      bool
		write     bool
		writeCode apperr.Code
	}{
		{"super other", super, "other", true, true, ""},
		{"admin own", admin, "malgn", true, true, ""},
		{"admin other", admin, "other", false, false, apperr.NotFound},
		{"admin common", admin, CommonSite, true, false, apperr.Forbidden},
		{"viewer own", viewer, "malgn", true, false, apperr.Forbidden},
		{"viewer other", viewer, "other", false, false, apperr.NotFound},
	}
	for _, tt := range tests {
		if got := tt.a.CanRead(tt.site); got != tt.read {
			t.Errorf("%s: CanRead = %v", tt.name, got)
		}
		if got := tt.a.CanWrite(tt.site); got != tt.write {
			t.Errorf("%s: CanWrite = %v", tt.name, got)
		}
		err := tt.a.CheckWrite(tt.site, "회원", "member")
		if got := apperr.CodeOf(err); got != tt.writeCode {
			t.Errorf("%s: CheckWrite code = %q, want %q", tt.name, got, tt.writeCode)
		}
	}
	if Role("root").Valid() {
		t.Errorf("unknown role is valid")
	}
}
