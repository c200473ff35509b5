package api

import (
	"net/http"
	"strings"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/web"
)

// listMatches answers the 상품매칭 of one marketplace (?marketplace=M); the
// products of sites the caller cannot see are left out.
func (s *Server) listMatches(r *http.Request, a access.Actor) (int, any, error) {
	p, err := pageParams(r)
	if err != nil {
		return 0, nil, err
	}
	mp := r.URL.Query().Get("marketplace")
	if mp == "" {
		return 0, nil, &apperr.Error{Code: apperr.Invalid, Message: "판매처를 지정해 주세요.", English: "marketplace is required",
			Fields: []apperr.FieldError{{Location: "marketplace", Message: "판매처를 지정해 주세요.", English: "marketplace is required"}}}
	}
	list, err := s.Market.Matches(r.Context(), a, mp)
	if err != nil {
		return 0, nil, err
	}
	p = p.Normalize()
	page := paging.Page[market.Match]{Items: []market.Match{}, Total: len(list), Page: p.Page, PerPage: p.PerPage}
	if from := p.Offset(); from >= 0 && from < len(list) {
		page.Items = list[from:min(len(list), from+p.PerPage)]
	}
	return http.StatusOK, page, nil
}

// putMatch replaces the match of one marketplace product code and option
// (no items removes it) and answers it as stored.
func (s *Server) putMatch(r *http.Request, a access.Actor) (int, any, error) {
	var in market.Match
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	if err := s.Market.SetMatch(r.Context(), a, in); err != nil {
		return 0, nil, err
	}
	list, err := s.Market.Matches(r.Context(), a, in.Marketplace)
	if err != nil {
		return 0, nil, err
	}
	out := market.Match{Marketplace: in.Marketplace, ProductCode: strings.TrimSpace(in.ProductCode), Option: strings.TrimSpace(in.Option), Items: []market.MatchItem{}}
	for _, m := range list {
		if m.ProductCode == out.ProductCode && m.Option == out.Option {
			out = m
		}
	}
	return http.StatusOK, out, nil
}
