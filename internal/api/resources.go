package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/web"
	"github.com/orderdesk/orderdesk/internal/site"
)

func (s *Server) listSites(r *http.Request, a access.Actor) (int, any, error) {
	p, err := pageParams(r)
	if err != nil {
		return 0, nil, err
	}
	sites, err := s.Sites.List(r.Context(), a)
	return http.StatusOK, paging.Slice(sites, p), err
}

func (s *Server) createSite(r *http.Request, a access.Actor) (int, any, error) {
	var in struct {
		Code string `json:"code"`
		Name string `json:"name"`
	}
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	st, err := s.Sites.Create(r.Context(), a, site.Site{Code: in.Code, Name: in.Name})
	return http.StatusCreated, st, err
}

func (s *Server) patchSite(r *http.Request, a access.Actor) (int, any, error) {
	var in struct {
		Name string `json:"name"`
	}
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	st, err := s.Sites.Rename(r.Context(), a, r.PathValue("code"), in.Name)
	return http.StatusOK, st, err
}

func (s *Server) listMembers(r *http.Request, a access.Actor) (int, any, error) {
	p, err := pageParams(r)
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	page, err := s.Members.List(r.Context(), a, member.Filter{Site: q.Get("site"), Status: q.Get("status"), Q: q.Get("q"), Field: q.Get("field"), Params: p})
	return http.StatusOK, page, err
}

func (s *Server) createMember(r *http.Request, a access.Actor) (int, any, error) {
	var in member.Input
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	m, err := s.Members.Create(r.Context(), a, in)
	return http.StatusCreated, m, err
}

func (s *Server) getMember(r *http.Request, a access.Actor) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	m, err := s.Members.Get(r.Context(), a, id)
	return http.StatusOK, m, err
}

func (s *Server) patchMember(r *http.Request, a access.Actor) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	body, err := web.ReadBody(nil, r)
	if err != nil {
		return 0, nil, err
	}
	// id and site are not in member.Patch; the same values as stored are
	// no change (a client may send back what it read), others are refused.
	var fixed struct {
		ID   *json.Number `json:"id"`
		Site *string      `json:"site"`
	}
	if json.Unmarshal(body, &fixed) == nil && (fixed.ID != nil || fixed.Site != nil) {
		cur, err := s.Members.Get(r.Context(), a, id)
		if err != nil {
			return 0, nil, err
		}
		if err := fixedFields(map[string]bool{"id": fixed.ID != nil && fixed.ID.String() != strconv.FormatInt(cur.ID, 10),
			"site": fixed.Site != nil && *fixed.Site != cur.Site}); err != nil {
			return 0, nil, err
		}
		var rest map[string]json.RawMessage
		if err := json.Unmarshal(body, &rest); err == nil {
			delete(rest, "id")
			delete(rest, "site")
			body, _ = json.Marshal(rest)
		}
	}
	var p member.Patch
	if err := web.DecodeJSONBytes(body, &p); err != nil {
		return 0, nil, err
	}
	m, err := s.Members.Update(r.Context(), a, id, p)
	return http.StatusOK, m, err
}

// fixedFields refuses a patch that changes a field that cannot change.
func fixedFields(changed map[string]bool) error {
	var fe apperr.Fields
	for _, name := range []string{"id", "site", "kind"} {
		if changed[name] {
			fe.Add(name, name+" 항목은 바꿀 수 없습니다.", name+" cannot be changed")
		}
	}
	return fe.Err()
}

func (s *Server) revealRRN(r *http.Request, a access.Actor) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := web.DecodeNone(nil, r); err != nil {
		return 0, nil, err
	}
	rrn, err := s.Members.RevealRRN(r.Context(), a, id)
	return http.StatusOK, map[string]string{"rrn": rrn}, err
}

func (s *Server) listProducts(r *http.Request, a access.Actor) (int, any, error) {
	p, err := pageParams(r)
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	page, err := s.Catalog.List(r.Context(), a, catalog.Filter{Site: q.Get("site"), Kind: q.Get("kind"), Display: q.Get("display"),
		Category: q.Get("category"), Q: q.Get("q"), Params: p})
	return http.StatusOK, page, err
}

func (s *Server) createProduct(r *http.Request, a access.Actor) (int, any, error) {
	var in catalog.Product
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	in.ID = 0
	p, err := s.Catalog.Create(r.Context(), a, in)
	return http.StatusCreated, p, err
}

func (s *Server) getProduct(r *http.Request, a access.Actor) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	p, err := s.Catalog.Get(r.Context(), a, id)
	return http.StatusOK, p, err
}

// patchProduct applies the JSON body as a merge patch over the stored product.
func (s *Server) patchProduct(r *http.Request, a access.Actor) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	body, err := web.ReadBody(nil, r)
	if err != nil {
		return 0, nil, err
	}
	p, err := s.Catalog.Update(r.Context(), a, id, func(p *catalog.Product) error {
		was := *p
		if err := web.DecodeJSONBytes(body, p); err != nil {
			return err
		}
		return fixedFields(map[string]bool{"id": p.ID != was.ID, "site": p.Site != was.Site, "kind": p.Kind != was.Kind})
	})
	return http.StatusOK, p, err
}

func (s *Server) listAudit(r *http.Request, a access.Actor) (int, any, error) {
	p, err := pageParams(r)
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	page, err := s.Audit.List(r.Context(), a, audit.Filter{From: q.Get("from"), To: q.Get("to"), Entity: q.Get("entity"),
		EntityID: q.Get("entity_id"), Actor: q.Get("actor"), Action: q.Get("action"), Params: p})
	return http.StatusOK, page, err
}
