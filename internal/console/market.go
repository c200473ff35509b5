package console

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/export"
	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/web"
)

// readUpload reads the import form: file, marketplace, encoding, password.
func readUpload(r *http.Request) (market.ImportInput, error) {
	name, data, err := web.FormFile(r, "file", 60<<20)
	if err != nil {
		return market.ImportInput{}, err
	}
	return market.ImportInput{Marketplace: r.FormValue("marketplace"), Filename: name, Data: data, Encoding: r.FormValue("encoding"),
		Password: r.FormValue("password")}, nil
}

func (s *Server) marketplaces(w http.ResponseWriter, r *http.Request) {
	s.marketplacesPage(w, r, http.StatusOK, nil)
}

func (s *Server) marketplacesPage(w http.ResponseWriter, r *http.Request, status int, cause error) {
	mps, err := s.Market.Marketplaces(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sups, err := s.Market.Suppliers(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "marketplaces", "판매처", map[string]any{"Marketplaces": mps, "Suppliers": sups}, cause)
}

func (s *Server) marketplaceCreate(w http.ResponseWriter, r *http.Request) {
	if _, err := s.Market.CreateMarketplace(r.Context(), actorOf(r), market.Marketplace{Code: r.PostFormValue("code"), Name: r.PostFormValue("name")}); err != nil {
		s.marketplacesPage(w, r, web.Status(err), err)
		return
	}
	redirect(w, r, "/marketplaces", "저장했습니다.")
}

func (s *Server) supplierCreate(w http.ResponseWriter, r *http.Request) {
	if _, err := s.Market.CreateSupplier(r.Context(), actorOf(r), market.Supplier{Code: r.PostFormValue("code"), Name: r.PostFormValue("name")}); err != nil {
		s.marketplacesPage(w, r, web.Status(err), err)
		return
	}
	redirect(w, r, "/marketplaces", "저장했습니다.")
}

type formatView struct {
	Marketplaces []market.Marketplace
	Current      string
	F            market.Format
	Codes        []int // code numbers shown: those set plus a few empty
	Unused       []int // the numbers not shown, offered by 다른 번호 추가
	Preview      *market.Preview
}

func (s *Server) sheetFormat(w http.ResponseWriter, r *http.Request) {
	s.sheetFormatPage(w, r, http.StatusOK, r.URL.Query().Get("marketplace"), nil, nil, nil)
}

func (s *Server) sheetFormatPage(w http.ResponseWriter, r *http.Request, status int, current string, f *market.Format, prev *market.Preview, cause error) {
	mps, err := s.Market.Marketplaces(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if current == "" && len(mps) > 0 {
		current = mps[0].Code
	}
	v := formatView{Marketplaces: mps, Current: current, Preview: prev}
	if f != nil {
		v.F = *f
	} else if current != "" {
		if v.F, err = s.Market.Format(r.Context(), current); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	set := map[int]bool{}
	for n := range v.F.Codes {
		set[n] = true
	}
	extra := 0
	for n := 1; n <= market.MaxCode; n++ {
		if set[n] || (extra < 4 && n > 10) {
			if !set[n] {
				extra++
			}
			v.Codes = append(v.Codes, n)
		} else {
			v.Unused = append(v.Unused, n)
		}
	}
	s.render(w, r, status, "sheet_format", "발주서 포맷", v, cause)
}

// sheetFormatSave stores the format, or with a sample file shows which header lands where.
func (s *Server) sheetFormatSave(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		if err := r.ParseForm(); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	mp := r.FormValue("marketplace")
	f := market.Format{Fields: map[string]string{}, Codes: map[int]string{}}
	for _, fl := range market.Fields {
		f.Fields[fl.Code] = r.FormValue("field_" + fl.Code)
	}
	for n := 1; n <= market.MaxCode; n++ {
		if v := r.FormValue("code_" + strconv.Itoa(n)); v != "" {
			f.Codes[n] = v
		}
	}
	// 다른 번호 추가: any code number (code1 … code99) the rows above do not show.
	if h := strings.TrimSpace(r.FormValue("add_code_header")); h != "" {
		n, err := strconv.Atoi(r.FormValue("add_code_no"))
		if err != nil || n < 1 || n > market.MaxCode {
			s.sheetFormatPage(w, r, http.StatusUnprocessableEntity, mp, &f, nil, &apperr.Error{Code: apperr.Invalid,
				Message: fmt.Sprintf("정산코드 번호는 1~%d입니다.", market.MaxCode), English: fmt.Sprintf("a code number is 1 to %d", market.MaxCode),
				Fields: []apperr.FieldError{{Location: "add_code_no", Message: "번호를 골라 주세요.", English: "choose a number"}}})
			return
		}
		if old := f.Codes[n]; old != "" && old != h {
			s.sheetFormatPage(w, r, http.StatusUnprocessableEntity, mp, &f, nil, &apperr.Error{Code: apperr.Invalid,
				Message: fmt.Sprintf("code%d에는 이미 %q 헤더가 있습니다.", n, old), English: fmt.Sprintf("code%d already has a header", n),
				Fields: []apperr.FieldError{{Location: "add_code_no", Message: "이미 쓰는 번호입니다.", English: "in use"}}})
			return
		}
		f.Codes[n] = h
	}
	for _, wd := range strings.Split(r.FormValue("cancel_words"), ",") {
		if wd = strings.TrimSpace(wd); wd != "" {
			f.CancelWords = append(f.CancelWords, wd)
		}
	}
	for _, wd := range strings.Split(r.FormValue("prepaid_words"), ",") {
		if wd = strings.TrimSpace(wd); wd != "" {
			f.PrepaidWords = append(f.PrepaidWords, wd)
		}
	}
	saved, err := s.Market.SaveFormat(r.Context(), actorOf(r), mp, f)
	if err != nil {
		s.sheetFormatPage(w, r, web.Status(err), mp, &f, nil, err)
		return
	}
	if _, _, ferr := r.FormFile("file"); ferr == nil {
		in, err := readUpload(r)
		if err == nil {
			in.DryRun = true
			var prev market.Preview
			prev, _, err = s.Market.Import(r.Context(), actorOf(r), in)
			if err == nil {
				s.sheetFormatPage(w, r, http.StatusOK, mp, &saved, &prev, nil)
				return
			}
		}
		s.sheetFormatPage(w, r, web.Status(err), mp, &saved, nil, err)
		return
	}
	redirect(w, r, "/sheet-formats?marketplace="+mp, "저장했습니다.")
}

func (s *Server) marketOrders(w http.ResponseWriter, r *http.Request) {
	s.marketOrdersPage(w, r, http.StatusOK, nil, nil, nil)
}

func (s *Server) marketOrdersPage(w http.ResponseWriter, r *http.Request, status int, prev *market.Preview, imp *market.Import, cause error) {
	a := actorOf(r)
	f, ferr := market.ParseFilter(r.URL.Query().Get)
	if err := checkDates(r.URL.Query(), periodDates...); err != nil {
		ferr = err
	}
	f.Params = pageOf(r)
	if ferr != nil && cause == nil {
		cause, status = ferr, http.StatusUnprocessableEntity
	}
	page, err := s.Market.List(r.Context(), a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	mps, err := s.Market.Marketplaces(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sups, _ := s.Market.Suppliers(r.Context())
	imports, err := s.Market.Imports(r.Context(), 5)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	export := r.URL.Query()
	export.Del("page")
	s.render(w, r, status, "market_orders", "판매처 주문", map[string]any{"Page": page, "Pager": pagerOf(page, r.URL.Query()), "Marketplaces": mps,
		"Suppliers": sups, "Imports": imports, "Preview": prev, "Import": imp, "Export": "/marketplace-orders/export.xlsx?" + export.Encode(),
		"Form": map[string]string{"marketplace": r.FormValue("marketplace"), "encoding": r.FormValue("encoding")}}, cause)
}

// marketOrder is one marketplace line: every field and code as imported,
// its bundle, and its settlement with the rule and version that made it.
func (s *Server) marketOrder(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, apperr.NotFoundf("판매처 주문", "marketplace order"))
		return
	}
	o, err := s.Market.Order(r.Context(), actorOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	codes := make([]mapRow, 0, len(o.Codes))
	for k, v := range o.Codes {
		codes = append(codes, mapRow{Target: k, Header: v})
	}
	sort.Slice(codes, func(i, j int) bool {
		a, _ := strconv.Atoi(strings.TrimPrefix(codes[i].Target, "code"))
		b, _ := strconv.Atoi(strings.TrimPrefix(codes[j].Target, "code"))
		return a < b
	})
	s.render(w, r, http.StatusOK, "market_order", "판매처 주문 "+o.OrderNo, map[string]any{"O": o, "Codes": codes}, nil)
}

// marketImport previews an uploaded sheet, or imports it when 가져오기 was pressed.
func (s *Server) marketImport(w http.ResponseWriter, r *http.Request) {
	in, err := readUpload(r)
	if err != nil {
		s.marketOrdersPage(w, r, web.Status(err), nil, nil, err)
		return
	}
	in.DryRun = r.FormValue("commit") != "1"
	prev, imp, err := s.Market.Import(r.Context(), actorOf(r), in)
	if err != nil {
		s.marketOrdersPage(w, r, web.Status(err), nil, imp, err)
		return
	}
	s.marketOrdersPage(w, r, http.StatusOK, &prev, imp, nil)
}

func (s *Server) marketExport(w http.ResponseWriter, r *http.Request) {
	err := checkDates(r.URL.Query(), periodDates...)
	var f market.Filter
	if err == nil {
		f, err = market.ParseFilter(r.URL.Query().Get)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n := export.MarketOrdersName(f, kst.Day(s.Orders.Now()))
	if err := web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, func(out io.Writer) error { return export.MarketOrders(r.Context(), s.Market, actorOf(r), f, out) }); err != nil {
		s.fail(w, r, err)
	}
}

func (s *Server) marketImportErrors(w http.ResponseWriter, r *http.Request) {
	id, err := idOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	imp, err := s.Market.GetImport(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n := export.ImportErrorsName(id, kst.Day(s.Orders.Now()))
	if err := web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, func(out io.Writer) error { return export.ImportErrors(imp.Errors, out) }); err != nil {
		s.fail(w, r, err)
	}
}

func (s *Server) marketSplit(w http.ResponseWriter, r *http.Request) {
	id, err := idOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.Market.SplitBundle(r.Context(), actorOf(r), id); err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/marketplace-orders?"+r.PostFormValue("back"), "합포를 분리했습니다.")
}

func (s *Server) marketJoin(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	var ids []int64
	for _, v := range r.PostForm["id"] {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			ids = append(ids, n)
		}
	}
	if _, err := s.Market.JoinBundle(r.Context(), actorOf(r), ids); err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/marketplace-orders?"+r.PostFormValue("back"), "합포했습니다.")
}

func (s *Server) matching(w http.ResponseWriter, r *http.Request) {
	s.matchingPage(w, r, http.StatusOK, nil)
}

func (s *Server) matchingPage(w http.ResponseWriter, r *http.Request, status int, cause error) {
	mp := r.FormValue("marketplace")
	un, err := s.Market.UnmatchedProducts(r.Context(), mp)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var matches []market.Match
	if mp != "" {
		if matches, err = s.Market.Matches(r.Context(), actorOf(r), mp); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	mps, _ := s.Market.Marketplaces(r.Context())
	products, err := s.Catalog.List(r.Context(), actorOf(r), catalog.Filter{Params: paging.Params{PerPage: paging.MaxPerPage}})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "matching", "상품매칭", map[string]any{"Unmatched": un, "Matches": matches, "Marketplaces": mps,
		"Current": mp, "Products": products.Items}, cause)
}

func (s *Server) matchSave(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	m := market.Match{Marketplace: r.PostFormValue("marketplace"), ProductCode: r.PostFormValue("product_code"), Option: r.PostFormValue("option")}
	for i, pid := range r.PostForm["product_id"] {
		id, err := strconv.ParseInt(pid, 10, 64)
		if err != nil || id == 0 {
			continue
		}
		count := 1
		if i < len(r.PostForm["count"]) {
			if n, err := strconv.Atoi(r.PostForm["count"][i]); err == nil {
				count = n
			}
		}
		m.Items = append(m.Items, market.MatchItem{ProductID: id, Count: count})
	}
	if len(m.Items) == 0 {
		s.matchingPage(w, r, http.StatusUnprocessableEntity, apperr.New(apperr.Invalid, "매칭할 상품을 고르세요.", "choose a product"))
		return
	}
	if err := s.Market.SetMatch(r.Context(), actorOf(r), m); err != nil {
		s.matchingPage(w, r, web.Status(err), err)
		return
	}
	redirect(w, r, "/product-matching?marketplace="+m.Marketplace, "매칭했습니다.")
}
