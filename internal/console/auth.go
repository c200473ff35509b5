package console

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/web"
	"github.com/orderdesk/orderdesk/internal/staff"
)

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "login", "로그인", map[string]string{"Next": safeNext(r.URL.Query().Get("next"))}, nil)
}

// safeNext keeps a redirect target on this site: an absolute path that
// starts with one "/" (not "//" or "/\\", before or after decoding), parses
// to no scheme or host, and has no control character or space in its
// decoded path (no control character in its decoded query). Anything else
// is "/".
func safeNext(next string) string {
	bad := func(p string) bool {
		return !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\")
	}
	if bad(next) {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || bad(u.Path) {
		return "/"
	}
	for _, r := range u.Path {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '\\' {
			return "/"
		}
	}
	q, err := url.QueryUnescape(u.RawQuery)
	if err != nil {
		return "/"
	}
	for _, r := range q + u.Fragment {
		if unicode.IsControl(r) {
			return "/"
		}
	}
	return next
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	next := safeNext(r.PostFormValue("next"))
	tok, _, err := s.Staff.Login(r.Context(), r.PostFormValue("login"), r.PostFormValue("password"), s.clientIP(r), r.UserAgent())
	if err != nil {
		var locked *staff.ThrottledError
		switch {
		case errors.Is(err, staff.ErrBusy):
			w.Header().Set("Retry-After", "2")
		case errors.As(err, &locked):
			w.Header().Set("Retry-After", strconv.Itoa(int((locked.Wait+time.Second-1)/time.Second)))
		}
		s.render(w, r, web.Status(err), "login", "로그인", map[string]string{"Next": next, "Login": r.PostFormValue("login")}, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: tok, Path: "/", HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(CookieName); err == nil {
		if err := s.Staff.Logout(r.Context(), actorOf(r), c.Value); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	if err := s.Staff.SetLang(r.Context(), actorOf(r), r.PostFormValue("lang")); err != nil {
		s.fail(w, r, err)
		return
	}
	back := safeNext(r.PostFormValue("back"))
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r)
	members, err := s.Members.List(r.Context(), a, member.Filter{Params: paging.Params{PerPage: 1}})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	products, err := s.Catalog.List(r.Context(), a, catalog.Filter{Params: paging.Params{PerPage: 1}})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sites, err := s.Sites.List(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	work, err := s.homeWork(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "home", "홈", map[string]any{"Members": members.Total, "Products": products.Total, "Sites": len(sites), "Work": work}, nil)
}

func (s *Server) pending(w http.ResponseWriter, r *http.Request) {
	title := "준비 중"
	for _, g := range menu {
		for _, it := range g.Items {
			if it.Path == r.URL.Path {
				title = it.Label
			}
		}
	}
	s.render(w, r, http.StatusOK, "pending", title, nil, nil)
}
