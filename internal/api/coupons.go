package api

import (
	"context"
	"io"
	"net/http"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/coupon"
	"github.com/orderdesk/orderdesk/internal/export"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/web"
)

func couponID(r *http.Request) (int64, error) { return pathNumber(r, "id", "쿠폰", "coupon") }

func couponFilter(r *http.Request) (coupon.Filter, error) {
	f, err := coupon.ParseFilter(r.URL.Query().Get)
	if err != nil {
		return f, err
	}
	f.Params, err = pageParams(r)
	return f, err
}

func codeFilter(r *http.Request) (coupon.CodeFilter, error) {
	f, err := coupon.ParseCodeFilter(r.URL.Query().Get)
	if err != nil {
		return f, err
	}
	f.Params, err = pageParams(r)
	return f, err
}

func (s *Server) listCoupons(r *http.Request, a access.Actor) (int, any, error) {
	f, err := couponFilter(r)
	if err != nil {
		return 0, nil, err
	}
	page, err := s.Coupons.List(r.Context(), a, f)
	return http.StatusOK, page, err
}

func (s *Server) createCoupon(r *http.Request, a access.Actor) (int, any, error) {
	var in coupon.Input
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	out, err := s.Coupons.Create(r.Context(), a, in)
	return http.StatusCreated, out, err
}

func (s *Server) getCoupon(r *http.Request, a access.Actor) (int, any, error) {
	id, err := couponID(r)
	if err != nil {
		return 0, nil, err
	}
	out, err := s.Coupons.Get(r.Context(), a, id)
	return http.StatusOK, out, err
}

func (s *Server) patchCoupon(r *http.Request, a access.Actor) (int, any, error) {
	id, err := couponID(r)
	if err != nil {
		return 0, nil, err
	}
	var in coupon.Patch
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	out, err := s.Coupons.Update(r.Context(), a, id, in)
	return http.StatusOK, out, err
}

func (s *Server) listCouponCodes(r *http.Request, a access.Actor) (int, any, error) {
	id, err := couponID(r)
	if err != nil {
		return 0, nil, err
	}
	f, err := codeFilter(r)
	if err != nil {
		return 0, nil, err
	}
	page, err := s.Coupons.Codes(r.Context(), a, id, f)
	return http.StatusOK, page, err
}

// issueCouponCodes is 추가 발행: {count} → {codes}.
func (s *Server) issueCouponCodes(r *http.Request, a access.Actor) (int, any, error) {
	id, err := couponID(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Count int `json:"count"`
	}
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	codes, err := s.Coupons.Issue(r.Context(), a, id, in.Count)
	return http.StatusCreated, map[string]any{"codes": codes}, err
}

// assignCouponCode gives the code to {member_id}.
func (s *Server) assignCouponCode(r *http.Request, a access.Actor) (int, any, error) {
	id, err := couponID(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		MemberID int64 `json:"member_id"`
	}
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	code := r.PathValue("code")
	if coupon.NormalizeCode(code) == "" {
		return 0, nil, apperr.NotFoundf("쿠폰번호", "coupon code")
	}
	out, err := s.Coupons.Assign(r.Context(), a, id, code, in.MemberID)
	return http.StatusOK, out, err
}

func (s *Server) recallCouponCode(r *http.Request, a access.Actor) (int, any, error) {
	id, err := couponID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := web.DecodeNone(nil, r); err != nil {
		return 0, nil, err
	}
	out, err := s.Coupons.Recall(r.Context(), a, id, r.PathValue("code"))
	return http.StatusOK, out, err
}

// quoteCoupon is the storefront's check before checkout: the discount per
// item, or why the code does not apply.
func (s *Server) quoteCoupon(r *http.Request, a access.Actor) (int, any, error) {
	var in coupon.QuoteInput
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	out, err := s.Coupons.Quote(r.Context(), a, in)
	return http.StatusOK, out, err
}

// siteNames names sites for the exports (공통, 맑은소프트).
func (s *Server) siteNames(ctx context.Context, a access.Actor) func(string) string {
	names := map[string]string{}
	if list, err := s.Sites.List(ctx, a); err == nil {
		for _, st := range list {
			names[st.Code] = st.Name
		}
	}
	return func(code string) string {
		if n, ok := names[code]; ok {
			return n
		}
		return code
	}
}

func (s *Server) exportCoupons(w http.ResponseWriter, r *http.Request, a access.Actor) {
	f, err := couponFilter(r)
	if err == nil {
		n := export.CouponListName(f, kst.Day(s.Coupons.Now()))
		err = web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, func(out io.Writer) error {
			return export.CouponList(r.Context(), s.Coupons, a, f, s.siteNames(r.Context(), a), out)
		})
	}
	if err != nil {
		web.WriteProblem(w, r, s.Log, err)
	}
}

func (s *Server) exportCouponCodes(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, err := couponID(r)
	var f coupon.CodeFilter
	if err == nil {
		f, err = codeFilter(r)
	}
	if err == nil {
		_, err = s.Coupons.Get(r.Context(), a, id)
	}
	if err == nil {
		n := export.CouponCodesName(id, kst.Day(s.Coupons.Now()))
		err = web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, func(out io.Writer) error {
			return export.CouponCodes(r.Context(), s.Coupons, a, id, f, s.siteNames(r.Context(), a), out)
		})
	}
	if err != nil {
		web.WriteProblem(w, r, s.Log, err)
	}
}
