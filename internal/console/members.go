package console

import (
	"net/http"
	"strconv"

	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/web"
	"github.com/orderdesk/orderdesk/internal/site"
)

func idOf(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.New(apperr.NotFound, "없는 번호입니다.", "No such id.")
	}
	return id, nil
}

func (s *Server) members(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r)
	q := r.URL.Query()
	page, err := s.Members.List(r.Context(), a, member.Filter{Site: q.Get("site"), Status: q.Get("status"), Q: q.Get("q"), Field: q.Get("field"), Params: pageOf(r)})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sites, err := s.Sites.List(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "members", "회원", map[string]any{"Page": page, "Pager": pagerOf(page, q), "Sites": sites}, nil)
}

type memberForm struct {
	Member member.Member
	Input  member.Input
	Sites  []site.Site
	New    bool
}

func (s *Server) memberFormPage(w http.ResponseWriter, r *http.Request, status int, f memberForm, err error) {
	sites, lerr := s.Sites.List(r.Context(), actorOf(r))
	if lerr != nil {
		s.fail(w, r, lerr)
		return
	}
	f.Sites = sites
	title := "회원 수정"
	if f.New {
		title = "회원 등록"
	}
	s.render(w, r, status, "member_form", title, f, err)
}

func (s *Server) memberNew(w http.ResponseWriter, r *http.Request) {
	s.memberFormPage(w, r, http.StatusOK, memberForm{New: true, Input: member.Input{Status: member.StatusActive}}, nil)
}

func formInput(r *http.Request) member.Input {
	return member.Input{Site: r.PostFormValue("site"), Login: r.PostFormValue("login"), Name: r.PostFormValue("name"),
		Affiliation: r.PostFormValue("affiliation"), Phone: r.PostFormValue("phone"), Email: r.PostFormValue("email"),
		Status: r.PostFormValue("status"), RRN: r.PostFormValue("rrn"), Education: r.PostFormValue("education")}
}

func (s *Server) memberCreate(w http.ResponseWriter, r *http.Request) {
	in := formInput(r)
	m, err := s.Members.Create(r.Context(), actorOf(r), in)
	if err != nil {
		in.RRN = "" // never echo the number back into the page
		s.memberFormPage(w, r, web.Status(err), memberForm{New: true, Input: in}, err)
		return
	}
	redirect(w, r, "/members/"+strconv.FormatInt(m.ID, 10), "저장했습니다.")
}

func (s *Server) memberDetail(w http.ResponseWriter, r *http.Request) {
	s.showMember(w, r, "")
}

func (s *Server) showMember(w http.ResponseWriter, r *http.Request, revealed string) {
	id, err := idOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m, err := s.Members.Get(r.Context(), actorOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "member", "회원 정보", map[string]any{"Member": m, "Revealed": revealed,
		"CanWrite": actorOf(r).CanWrite(m.Site)}, nil)
}

func (s *Server) memberReveal(w http.ResponseWriter, r *http.Request) {
	id, err := idOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rrn, err := s.Members.RevealRRN(r.Context(), actorOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.showMember(w, r, rrn)
}

func (s *Server) memberEdit(w http.ResponseWriter, r *http.Request) {
	id, err := idOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m, err := s.Members.Get(r.Context(), actorOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in := member.Input{Site: m.Site, Login: m.Login, Name: m.Name, Affiliation: m.Affiliation, Phone: m.Phone, Email: m.Email, Status: m.Status, Education: m.Education}
	s.memberFormPage(w, r, http.StatusOK, memberForm{Member: m, Input: in}, nil)
}

func (s *Server) memberUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := idOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in := formInput(r)
	p := member.Patch{Name: &in.Name, Affiliation: &in.Affiliation, Phone: &in.Phone, Email: &in.Email, Status: &in.Status, Education: &in.Education}
	if in.RRN != "" { // blank keeps the number on file
		p.RRN = &in.RRN
	}
	if r.PostFormValue("rrn_clear") == "1" {
		empty := ""
		p.RRN = &empty
	}
	m, err := s.Members.Update(r.Context(), actorOf(r), id, p)
	if err != nil {
		cur, gerr := s.Members.Get(r.Context(), actorOf(r), id)
		if gerr != nil {
			s.fail(w, r, gerr)
			return
		}
		in.RRN, in.Site, in.Login = "", cur.Site, cur.Login
		s.memberFormPage(w, r, web.Status(err), memberForm{Member: cur, Input: in}, err)
		return
	}
	redirect(w, r, "/members/"+strconv.FormatInt(m.ID, 10), "저장했습니다.")
}
