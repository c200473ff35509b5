package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/web"
	"github.com/orderdesk/orderdesk/internal/site"
)

func (s *Server) products(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r)
	q := r.URL.Query()
	page, err := s.Catalog.List(r.Context(), a, catalog.Filter{Site: q.Get("site"), Kind: q.Get("kind"), Display: q.Get("display"), Q: q.Get("q"), Params: pageOf(r)})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sites, err := s.Sites.List(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "products", "상품", map[string]any{"Page": page, "Pager": pagerOf(page, q), "Sites": sites}, nil)
}

type productForm struct {
	P     catalog.Product
	Sites []site.Site
	New   bool
}

func (s *Server) productFormPage(w http.ResponseWriter, r *http.Request, status int, f productForm, err error) {
	sites, lerr := s.Sites.List(r.Context(), actorOf(r))
	if lerr != nil {
		s.fail(w, r, lerr)
		return
	}
	f.Sites = sites
	title := "상품 수정"
	if f.New {
		title = "상품 등록"
	}
	s.render(w, r, status, "product_form", title, f, err)
}

func (s *Server) productNew(w http.ResponseWriter, r *http.Request) {
	kind := r.URL.Query().Get("kind")
	if kind == "" {
		kind = catalog.KindCourse
	}
	s.productFormPage(w, r, http.StatusOK, productForm{New: true, P: catalog.Product{Kind: kind, Display: "visible", Delivery: "online", Schedule: "always_open"}}, nil)
}

// readProduct fills p from the form; numbers that do not parse are field errors.
func readProduct(r *http.Request, p *catalog.Product) error {
	var fe apperr.Fields
	num := func(name string) int64 {
		v := strings.ReplaceAll(strings.TrimSpace(r.PostFormValue(name)), ",", "")
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			fe.Add(name, "숫자로 적어 주세요.", "Must be a whole number.")
		}
		return n
	}
	p.Name = r.PostFormValue("name")
	p.Display = r.PostFormValue("display")
	p.ListPrice = num("list_price")
	p.SalePrice = num("sale_price")
	p.Category = strings.TrimSpace(r.PostFormValue("category"))
	p.Delivery = r.PostFormValue("delivery")
	p.Schedule = r.PostFormValue("schedule")
	p.GovRefundable = r.PostFormValue("gov_refundable") == "1"
	p.AccessDays = int(num("access_days"))
	p.StartDate = strings.TrimSpace(r.PostFormValue("start_date"))
	p.EndDate = strings.TrimSpace(r.PostFormValue("end_date"))
	p.StudyHours = int(num("study_hours"))
	p.CohortYear = int(num("cohort_year"))
	p.CohortRound = int(num("cohort_round"))
	p.RefundPolicy = r.PostFormValue("refund_policy")
	p.ISBN = strings.TrimSpace(r.PostFormValue("isbn"))
	p.Author = strings.TrimSpace(r.PostFormValue("author"))
	p.Publisher = strings.TrimSpace(r.PostFormValue("publisher"))
	p.ShippingFee = num("shipping_fee")
	p.SupplyPrice = num("supply_price")
	p.Cost = num("cost")
	p.CourierFee = num("courier_fee")
	if sid := num("supplier_id"); sid > 0 {
		p.SupplierID = &sid
	} else {
		p.SupplierID = nil
	}
	return fe.Err()
}

func (s *Server) productCreate(w http.ResponseWriter, r *http.Request) {
	p := catalog.Product{Site: r.PostFormValue("site"), Kind: r.PostFormValue("kind")}
	err := readProduct(r, &p)
	if err == nil {
		p, err = s.Catalog.Create(r.Context(), actorOf(r), p)
	}
	if err != nil {
		s.productFormPage(w, r, web.Status(err), productForm{New: true, P: p}, err)
		return
	}
	redirect(w, r, "/products?kind="+p.Kind, "저장했습니다.")
}

func (s *Server) productEdit(w http.ResponseWriter, r *http.Request) {
	id, err := idOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.Catalog.Get(r.Context(), actorOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.productFormPage(w, r, http.StatusOK, productForm{P: p}, nil)
}

func (s *Server) productUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := idOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var edited catalog.Product
	p, err := s.Catalog.Update(r.Context(), actorOf(r), id, func(p *catalog.Product) error {
		err := readProduct(r, p)
		edited = *p
		return err
	})
	if err != nil {
		if edited.ID == 0 {
			s.fail(w, r, err)
			return
		}
		s.productFormPage(w, r, web.Status(err), productForm{P: edited}, err)
		return
	}
	redirect(w, r, "/products/"+strconv.FormatInt(p.ID, 10)+"/edit", "저장했습니다.")
}
