package console

import (
	"net/http"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/web"
	"github.com/orderdesk/orderdesk/internal/site"
	"github.com/orderdesk/orderdesk/internal/staff"
)

func (s *Server) sites(w http.ResponseWriter, r *http.Request) {
	s.sitesPage(w, r, http.StatusOK, site.Site{}, nil)
}

func (s *Server) sitesPage(w http.ResponseWriter, r *http.Request, status int, form site.Site, ferr error) {
	list, err := s.Sites.List(r.Context(), actorOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "sites", "사이트", map[string]any{"Sites": list, "Form": form}, ferr)
}

func (s *Server) siteCreate(w http.ResponseWriter, r *http.Request) {
	in := site.Site{Code: r.PostFormValue("code"), Name: r.PostFormValue("name")}
	if _, err := s.Sites.Create(r.Context(), actorOf(r), in); err != nil {
		s.sitesPage(w, r, web.Status(err), in, err)
		return
	}
	redirect(w, r, "/sites", "저장했습니다.")
}

func (s *Server) siteRename(w http.ResponseWriter, r *http.Request) {
	if _, err := s.Sites.Rename(r.Context(), actorOf(r), r.PathValue("code"), r.PostFormValue("name")); err != nil {
		s.sitesPage(w, r, web.Status(err), site.Site{}, err)
		return
	}
	redirect(w, r, "/sites", "저장했습니다.")
}

func (s *Server) staffList(w http.ResponseWriter, r *http.Request) {
	s.staffPage(w, r, http.StatusOK, staff.NewStaff{Role: access.SiteAdmin}, nil)
}

func (s *Server) staffPage(w http.ResponseWriter, r *http.Request, status int, form staff.NewStaff, ferr error) {
	a := actorOf(r)
	list, err := s.Staff.List(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sites, err := s.Sites.List(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	form.Password = ""
	s.render(w, r, status, "staff", "직원", map[string]any{"Staff": list, "Sites": sites, "Form": form}, ferr)
}

func (s *Server) staffCreate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	in := staff.NewStaff{Login: r.PostFormValue("login"), Name: r.PostFormValue("name"), Password: r.PostFormValue("password"),
		Role: access.Role(r.PostFormValue("role")), Sites: r.PostForm["sites"]}
	if _, err := s.Staff.Create(r.Context(), actorOf(r), in); err != nil {
		s.staffPage(w, r, web.Status(err), in, err)
		return
	}
	redirect(w, r, "/staff", "저장했습니다.")
}

func (s *Server) staffDisable(w http.ResponseWriter, r *http.Request) {
	id, err := idOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Staff.SetDisabled(r.Context(), actorOf(r), id, r.PostFormValue("disabled") == "1"); err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/staff", "저장했습니다.")
}

func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkDates(q, periodDates...); err != nil {
		empty := paging.Page[audit.Entry]{Page: 1, PerPage: paging.DefaultPerPage}
		s.render(w, r, http.StatusUnprocessableEntity, "audit", "감사 로그", map[string]any{"Page": empty, "Pager": pagerOf(empty, q)}, err)
		return
	}
	page, err := s.Audit.List(r.Context(), actorOf(r), audit.Filter{From: q.Get("from"), To: q.Get("to"), Entity: q.Get("entity"),
		EntityID: q.Get("entity_id"), Actor: q.Get("actor"), Action: q.Get("action"), Params: pageOf(r)})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "audit", "감사 로그", map[string]any{"Page": page, "Pager": pagerOf(page, q)}, nil)
}
