// Package access says who is acting and what their role lets them see and do.
// Services take an Actor and enforce site scoping themselves, so that the API,
// the console and the command line all obey the same rules.
package access

import (
	"slices"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
)

// Role is a staff role.
type Role string

const (
	SuperAdmin Role = "super_admin" // every site, every action
	SiteAdmin  Role = "site_admin"  // read and write its own sites
	Viewer     Role = "viewer"      // read its own sites
)

// CommonSite owns what all sites share (shared coupons); every staff member may read it.
const CommonSite = "common"

// Roles lists the roles in the order the console offers them.
var Roles = []Role{SuperAdmin, SiteAdmin, Viewer}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Label is the role's Korean name.
func (r Role) Label() string {
	switch r {
	case SuperAdmin:
		return "최고관리자"
	case SiteAdmin:
		return "사이트관리자"
	case Viewer:
		return "조회전용"
	}
	return string(r)
}

// Actor is the person (or the command line) doing something.
type Actor struct {
	StaffID   int64 // 0 for the command line
	Login     string
	Role      Role
	Sites     []string // the sites of a site_admin or viewer
	Lang      string   // "ko" or "en"
	RequestID string   // ties audit rows to log lines
}

// System is the actor of the command line run on the server itself.
func System() Actor { return Actor{Login: "system", Role: SuperAdmin, Lang: "ko"} }

// AllSites reports whether the actor sees every site.
func (a Actor) AllSites() bool { return a.Role == SuperAdmin }

// CanRead reports whether the actor may see the site's records.
func (a Actor) CanRead(site string) bool {
	return a.AllSites() || site == CommonSite || slices.Contains(a.Sites, site)
}

// CanWrite reports whether the actor may change the site's records.
func (a Actor) CanWrite(site string) bool {
	switch a.Role {
	case SuperAdmin:
		return true
	case SiteAdmin:
		return slices.Contains(a.Sites, site)
	}
	return false
}

// ReadScope returns the sites to filter lists by, or nil for every site.
func (a Actor) ReadScope() []string {
	if a.AllSites() {
		return nil
	}
	return append([]string{CommonSite}, a.Sites...)
}

// CheckRead returns NotFound when the record's site is not the actor's: to a
// staff member of another site the record does not exist.
func (a Actor) CheckRead(site, whatKO, whatEN string) error {
	if a.CanRead(site) {
		return nil
	}
	return apperr.NotFoundf(whatKO, whatEN)
}

// CheckWrite returns Forbidden (or NotFound when the site is not even
// readable) unless the actor may change the site's records.
func (a Actor) CheckWrite(site, whatKO, whatEN string) error {
	if a.CanWrite(site) {
		return nil
	}
	if !a.CanRead(site) {
		return apperr.NotFoundf(whatKO, whatEN)
	}
	return ErrReadOnly
}

// RequireSuper refuses everyone but a super_admin.
func (a Actor) RequireSuper() error {
	if a.Role == SuperAdmin {
		return nil
	}
	return apperr.New(apperr.Forbidden, "최고관리자만 할 수 있습니다.", "Only a super_admin may do this.")
}

// ErrReadOnly is returned to a role that may look but not change.
var ErrReadOnly = apperr.New(apperr.Forbidden, "이 사이트의 정보를 변경할 권한이 없습니다.", "You may not change this site's records.")
