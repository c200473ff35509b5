package console

import "net/http"

// tokens is 내 API 토큰: the signed-in staff member's live API tokens, each
// with a 폐기 button.
func (s *Server) tokens(w http.ResponseWriter, r *http.Request) {
	page, err := s.Staff.Tokens(r.Context(), actorOf(r), pageOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "tokens", "내 API 토큰", map[string]any{"Page": page, "Pager": pagerOf(page, r.URL.Query())}, nil)
}

func (s *Server) tokenRevoke(w http.ResponseWriter, r *http.Request) {
	id, err := idOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Staff.RevokeToken(r.Context(), actorOf(r), id); err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/tokens", "폐기했습니다.")
}
