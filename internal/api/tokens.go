package api

import (
	"net/http"

	"github.com/orderdesk/orderdesk/internal/access"
)

// listTokens answers the caller's own live API tokens (never the secrets).
func (s *Server) listTokens(r *http.Request, a access.Actor) (int, any, error) {
	p, err := pageParams(r)
	if err != nil {
		return 0, nil, err
	}
	page, err := s.Staff.Tokens(r.Context(), a, p)
	return http.StatusOK, page, err
}

// revokeToken ends one of the caller's tokens (a super_admin: anyone's) at
// once; 204 without a body.
func (s *Server) revokeToken(r *http.Request, a access.Actor) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, s.Staff.RevokeToken(r.Context(), a, id)
}
