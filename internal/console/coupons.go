package console

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/coupon"
	"github.com/orderdesk/orderdesk/internal/export"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/web"
	"github.com/orderdesk/orderdesk/internal/site"
)

var couponDates = []dateRange{{"from", "to", "유효기간", "Valid dates"}}

func couponIDOf(r *http.Request) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || n <= 0 {
		return 0, apperr.New(apperr.NotFound, "없는 쿠폰입니다.", "No such coupon.")
	}
	return n, nil
}

// couponChoices are the sites and the courses (not 환급과정) the coupon forms offer.
func (s *Server) couponChoices(ctx context.Context, a access.Actor) (map[string]any, error) {
	sites, err := s.Sites.List(ctx, a)
	if err != nil {
		return nil, err
	}
	courses, err := s.Catalog.List(ctx, a, catalog.Filter{Kind: catalog.KindCourse, Params: paging.Params{PerPage: paging.MaxPerPage}})
	if err != nil {
		return nil, err
	}
	var plain []catalog.Product
	for _, p := range courses.Items {
		if !p.GovRefundable {
			plain = append(plain, p)
		}
	}
	names := map[string]string{}
	for _, st := range sites {
		names[st.Code] = st.Name
	}
	return map[string]any{"Sites": sites, "Courses": plain, "SiteNames": names, "Notice": coupon.Notice}, nil
}

func siteNameOf(names map[string]string) func(string) string {
	return func(code string) string {
		if n, ok := names[code]; ok {
			return n
		}
		return code
	}
}

func (s *Server) coupons(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r)
	data, err := s.couponChoices(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, ferr := coupon.ParseFilter(r.URL.Query().Get)
	if err := checkDates(r.URL.Query(), couponDates...); err != nil {
		ferr = err
	}
	f.Params = pageOf(r)
	if ferr != nil {
		s.render(w, r, http.StatusUnprocessableEntity, "coupons", "쿠폰관리", data, ferr)
		return
	}
	page, err := s.Coupons.List(r.Context(), a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	q.Del("page")
	data["Page"], data["Pager"], data["Export"] = page, pagerOf(page, r.URL.Query()), "/coupons/export.xlsx?"+q.Encode()
	s.render(w, r, http.StatusOK, "coupons", "쿠폰관리", data, nil)
}

func (s *Server) couponsExport(w http.ResponseWriter, r *http.Request) {
	err := checkDates(r.URL.Query(), couponDates...)
	var f coupon.Filter
	if err == nil {
		f, err = coupon.ParseFilter(r.URL.Query().Get)
	}
	var data map[string]any
	if err == nil {
		data, err = s.couponChoices(r.Context(), actorOf(r))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n := export.CouponListName(f, kst.Day(s.Coupons.Now()))
	if err := web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, func(out io.Writer) error {
		return export.CouponList(r.Context(), s.Coupons, actorOf(r), f, siteNameOf(data["SiteNames"].(map[string]string)), out)
	}); err != nil {
		s.fail(w, r, err)
	}
}

// couponNew is 등록; a new coupon starts 중지, as the manual's form.
func (s *Server) couponNew(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r)
	site := access.CommonSite
	if !a.CanWrite(site) && len(a.Sites) > 0 {
		site = a.Sites[0]
	}
	s.couponForm(w, r, http.StatusOK, coupon.Input{Site: site, Scope: coupon.ScopeAll, Kind: coupon.KindFixed, Status: coupon.StatusStopped}, nil)
}

func (s *Server) couponForm(w http.ResponseWriter, r *http.Request, status int, in coupon.Input, cause error) {
	data, err := s.couponChoices(r.Context(), actorOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data["Input"] = in
	s.render(w, r, status, "coupon_new", "쿠폰 등록", data, cause)
}

func formInt(r *http.Request, name string) int64 {
	n, _ := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(r.PostFormValue(name)), ",", ""), 10, 64)
	return n
}

func (s *Server) couponCreate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	in := coupon.Input{Site: r.PostFormValue("site"), Name: r.PostFormValue("name"), Scope: r.PostFormValue("scope"), MinPrice: formInt(r, "min_price"),
		Kind: r.PostFormValue("kind"), Shared: r.PostFormValue("shared") == "1", Count: int(formInt(r, "count")),
		ValidFrom: r.PostFormValue("valid_from"), ValidTo: r.PostFormValue("valid_to"), Status: r.PostFormValue("status")}
	if in.Kind == coupon.KindRate {
		in.Rate, in.MaxDiscount = int(formInt(r, "rate")), formInt(r, "max_discount")
	} else {
		in.Amount = formInt(r, "amount")
	}
	if id := formInt(r, "course_id"); id > 0 {
		in.CourseID = &id
	}
	c, err := s.Coupons.Create(r.Context(), actorOf(r), in)
	if err != nil {
		s.couponForm(w, r, web.Status(err), in, err)
		return
	}
	redirect(w, r, "/coupons/"+strconv.FormatInt(c.ID, 10), "쿠폰을 등록했습니다.")
}

func (s *Server) couponDetail(w http.ResponseWriter, r *http.Request) {
	s.couponPage(w, r, http.StatusOK, nil)
}

// couponPage is 쿠폰정보 with its edit form, 추가 발행 and 쿠폰사용관리.
func (s *Server) couponPage(w http.ResponseWriter, r *http.Request, status int, cause error) {
	a := actorOf(r)
	id, err := couponIDOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.Coupons.Get(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data, err := s.couponChoices(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, ferr := coupon.ParseCodeFilter(r.URL.Query().Get)
	if ferr != nil && cause == nil {
		cause, status = ferr, web.Status(ferr)
		f = coupon.CodeFilter{}
	}
	f.Params = pageOf(r)
	codes, err := s.Coupons.Codes(r.Context(), a, id, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	q.Del("page")
	q.Del("flash")
	data["C"], data["Codes"], data["Pager"] = c, codes, pagerOf(codes, r.URL.Query())
	data["Export"] = "/coupons/" + strconv.FormatInt(id, 10) + "/codes/export.xlsx?" + q.Encode()
	data["TermsLocked"] = c.Used > 0
	s.render(w, r, status, "coupon", "쿠폰관리", data, cause)
}

func (s *Server) couponUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := couponIDOf(r)
	if err == nil {
		err = r.ParseForm()
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	str := func(name string) *string {
		if _, ok := r.PostForm[name]; !ok {
			return nil
		}
		v := r.PostFormValue(name)
		return &v
	}
	num := func(name string) *int64 {
		if _, ok := r.PostForm[name]; !ok {
			return nil
		}
		v := formInt(r, name)
		return &v
	}
	p := coupon.Patch{Name: str("name"), ValidFrom: str("valid_from"), ValidTo: str("valid_to"), Status: str("status"),
		Scope: str("scope"), Kind: str("kind"), MinPrice: num("min_price"), Amount: num("amount"), MaxDiscount: num("max_discount"), CourseID: num("course_id")}
	if v := num("rate"); v != nil {
		n := int(*v)
		p.Rate = &n
	}
	if _, err := s.Coupons.Update(r.Context(), actorOf(r), id, p); err != nil {
		s.couponPage(w, r, web.Status(err), err)
		return
	}
	redirect(w, r, "/coupons/"+strconv.FormatInt(id, 10), "저장했습니다.")
}

func (s *Server) couponIssue(w http.ResponseWriter, r *http.Request) {
	id, err := couponIDOf(r)
	if err == nil {
		err = r.ParseForm()
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	codes, err := s.Coupons.Issue(r.Context(), actorOf(r), id, int(formInt(r, "count")))
	if err != nil {
		s.couponPage(w, r, web.Status(err), err)
		return
	}
	redirect(w, r, "/coupons/"+strconv.FormatInt(id, 10), strconv.Itoa(len(codes))+"장을 추가 발행했습니다.")
}

func (s *Server) couponCodesExport(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r)
	id, err := couponIDOf(r)
	var f coupon.CodeFilter
	if err == nil {
		f, err = coupon.ParseCodeFilter(r.URL.Query().Get)
	}
	if err == nil {
		_, err = s.Coupons.Get(r.Context(), a, id)
	}
	var data map[string]any
	if err == nil {
		data, err = s.couponChoices(r.Context(), a)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n := export.CouponCodesName(id, kst.Day(s.Coupons.Now()))
	if err := web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, func(out io.Writer) error {
		return export.CouponCodes(r.Context(), s.Coupons, a, id, f, siteNameOf(data["SiteNames"].(map[string]string)), out)
	}); err != nil {
		s.fail(w, r, err)
	}
}

// couponMembers is 회원 선택: the members the coupon may go to (its site's,
// or every site's for 공통), by 구분 (site) and keyword, a page at a time.
func (s *Server) couponMembers(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r)
	id, err := couponIDOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.Coupons.Get(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	f := member.Filter{Site: q.Get("site"), Q: strings.TrimSpace(q.Get("q")), Field: q.Get("field"), Status: member.StatusActive, Params: pageOf(r)}
	if c.Site != access.CommonSite {
		f.Site = c.Site
	}
	page, err := s.Members.List(r.Context(), a, f)
	if err != nil {
		s.render(w, r, web.Status(err), "coupon_members", "회원 선택", map[string]any{"C": c}, err)
		return
	}
	sites, err := s.Sites.List(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var pick []site.Site
	names := map[string]string{}
	for _, st := range sites {
		names[st.Code] = st.Name
		if st.Code != access.CommonSite && (c.Site == access.CommonSite || st.Code == c.Site) {
			pick = append(pick, st)
		}
	}
	s.render(w, r, http.StatusOK, "coupon_members", "회원 선택", map[string]any{"C": c, "Page": page, "Pager": pagerOf(page, q), "Sites": pick,
		"SiteNames": names, "Notice": coupon.Notice}, nil)
}

// couponAssign gives a free code (or the one named) to the chosen member.
func (s *Server) couponAssign(w http.ResponseWriter, r *http.Request) {
	id, err := couponIDOf(r)
	if err == nil {
		err = r.ParseForm()
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	got, err := s.Coupons.Assign(r.Context(), actorOf(r), id, r.PostFormValue("code"), formInt(r, "member_id"))
	if err != nil {
		s.couponPage(w, r, web.Status(err), err)
		return
	}
	redirect(w, r, "/coupons/"+strconv.FormatInt(id, 10), got.MemberName+"("+got.MemberLogin+")님에게 쿠폰 "+got.Code+"을(를) 지정했습니다.")
}

func (s *Server) couponRecall(w http.ResponseWriter, r *http.Request) {
	id, err := couponIDOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	got, err := s.Coupons.Recall(r.Context(), actorOf(r), id, r.PathValue("code"))
	if err != nil {
		s.couponPage(w, r, web.Status(err), err)
		return
	}
	redirect(w, r, "/coupons/"+strconv.FormatInt(id, 10), "쿠폰 "+got.Code+"을(를) 회수했습니다.")
}

// The English of the coupon screens' words.
func init() {
	for ko, en := range map[string]string{
		"쿠폰 등록": "New coupon", "회원 선택": "Choose a member", "쿠폰정보": "Coupon", "쿠폰사용관리": "Coupon codes",
		"추가 발행": "Issue more", "쿠폰 회수": "Recall", "회원선택": "Choose member",
	} {
		messages[ko] = en
	}
}
