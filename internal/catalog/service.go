package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/won"
)

// Service holds the catalogue rules.
type Service struct {
	DB  *sqldb.DB
	Now func() time.Time
}

// Validate normalises p and checks the fields its kind needs.
func Validate(p *Product) error {
	var fe apperr.Fields
	p.Name = strings.TrimSpace(p.Name)
	p.Site = strings.TrimSpace(p.Site)
	if p.Site == "" {
		fe.Add("site", "사이트를 선택해 주세요.", "Site is required.")
	}
	if p.Name == "" {
		fe.Add("name", "상품명을 입력해 주세요.", "Name is required.")
	}
	if p.Display == "" {
		p.Display = "visible"
	}
	if !known(Displays, p.Display) {
		fe.Add("display", "노출 상태는 정상 또는 숨김입니다.", "display must be visible or hidden.")
	}
	if p.ListPrice < 0 {
		fe.Add("list_price", "정가는 0원 이상입니다.", "list_price must not be negative.")
	}
	if p.SalePrice < 0 {
		fe.Add("sale_price", "판매가는 0원 이상입니다.", "sale_price must not be negative.")
	}
	for _, m := range []struct {
		field, what string
		v           int64
	}{{"list_price", "정가", p.ListPrice}, {"sale_price", "판매가", p.SalePrice}, {"shipping_fee", "배송비", p.ShippingFee},
		{"supply_price", "공급가", p.SupplyPrice}, {"cost", "원가", p.Cost}, {"courier_fee", "택배비", p.CourierFee}} {
		if m.v > won.Max {
			fe.Add(m.field, m.what+"는 "+won.MaxLabel+" 이하입니다.", m.field+" must be at most 10,000,000,000 won.")
		}
	}
	positiveDays := func(what string) {
		if p.AccessDays <= 0 {
			fe.Add("access_days", what+"는 1일 이상이어야 합니다.", "access_days must be at least 1.")
		}
	}
	switch p.Kind {
	case KindCourse:
		if !known(Deliveries, p.Delivery) {
			fe.Add("delivery", "교육 방식(온라인/집합)을 선택해 주세요.", "delivery must be online or offline.")
		}
		switch p.Schedule {
		case "scheduled":
			start, err1 := kst.ParseDay(p.StartDate)
			end, err2 := kst.ParseDay(p.EndDate)
			if err1 != nil {
				fe.Add("start_date", "정규 과정은 시작일(YYYY-MM-DD)이 필요합니다.", "A scheduled course needs start_date (YYYY-MM-DD).")
			}
			if err2 != nil {
				fe.Add("end_date", "정규 과정은 종료일(YYYY-MM-DD)이 필요합니다.", "A scheduled course needs end_date (YYYY-MM-DD).")
			}
			if err1 == nil && err2 == nil && end.Before(start) {
				fe.Add("end_date", "종료일이 시작일보다 앞설 수 없습니다.", "end_date is before start_date.")
			}
		case "always_open":
			positiveDays("수강 기간(일)")
			p.StartDate, p.EndDate = "", ""
		default:
			fe.Add("schedule", "운영 방식(정규/상시)을 선택해 주세요.", "schedule must be scheduled or always_open.")
		}
		if p.StudyHours < 0 {
			fe.Add("study_hours", "총 학습시간은 0 이상입니다.", "study_hours must not be negative.")
		}
		if p.CohortYear != 0 && (p.CohortYear < 2000 || p.CohortYear > 2100) {
			fe.Add("cohort_year", "년도는 2000~2100입니다.", "cohort_year must be 2000-2100.")
		}
		if p.CohortRound < 0 {
			fe.Add("cohort_round", "차수는 0 이상입니다.", "cohort_round must not be negative.")
		}
		if p.RefundPolicy == "" {
			p.RefundPolicy = "lifelong_education"
			if p.GovRefundable {
				p.RefundPolicy = "hrd_self_pay"
			}
		}
		if !known(RefundPolicies, p.RefundPolicy) {
			fe.Add("refund_policy", fmt.Sprintf("알 수 없는 환불 규정입니다: %q", p.RefundPolicy), fmt.Sprintf("unknown refund_policy %q", p.RefundPolicy))
		}
	case KindTextbook:
		if isbn := strings.ReplaceAll(p.ISBN, "-", ""); isbn != "" && !validISBN(isbn) {
			fe.Add("isbn", "ISBN은 숫자 10자리 또는 13자리입니다.", "ISBN must have 10 or 13 digits.")
		}
		if p.ShippingFee < 0 {
			fe.Add("shipping_fee", "배송비는 0원 이상입니다.", "shipping_fee must not be negative.")
		}
	case KindFreepass:
		positiveDays("이용 기간(일)")
	case KindExtension:
		positiveDays("연장 일수")
	default:
		fe.Add("kind", "상품 구분(과정/교재/프리패스/연장)을 선택해 주세요.", "kind must be course, textbook, freepass or extension.")
	}
	for name, v := range map[string]int64{"supply_price": p.SupplyPrice, "cost": p.Cost, "courier_fee": p.CourierFee} {
		if v < 0 {
			fe.Add(name, "금액은 0원 이상입니다.", name+" must not be negative.")
		}
	}
	if p.SupplierID != nil && *p.SupplierID == 0 {
		p.SupplierID = nil
	}
	if p.Kind != KindCourse {
		p.Delivery, p.Schedule, p.Category, p.RefundPolicy, p.StartDate, p.EndDate = "", "", "", "", "", ""
		p.GovRefundable, p.StudyHours, p.CohortYear, p.CohortRound = false, 0, 0, 0
	}
	if p.Kind != KindTextbook {
		p.ISBN, p.Author, p.Publisher, p.ShippingFee = "", "", "", 0
	}
	return fe.Err()
}

func validISBN(s string) bool {
	if len(s) != 10 && len(s) != 13 {
		return false
	}
	for i, r := range s {
		if (r < '0' || r > '9') && !(len(s) == 10 && i == 9 && (r == 'X' || r == 'x')) {
			return false
		}
	}
	return true
}

const columns = `id, site, kind, name, display, list_price, sale_price, category, delivery, schedule, gov_refundable, access_days,
	start_date, end_date, study_hours, cohort_year, cohort_round, refund_policy, isbn, author, publisher, shipping_fee, created_at, updated_at,
	supply_price, cost, courier_fee, supplier_id`

func scan(row interface{ Scan(...any) error }) (Product, error) {
	var p Product
	err := row.Scan(&p.ID, &p.Site, &p.Kind, &p.Name, &p.Display, &p.ListPrice, &p.SalePrice, &p.Category, &p.Delivery, &p.Schedule,
		&p.GovRefundable, &p.AccessDays, &p.StartDate, &p.EndDate, &p.StudyHours, &p.CohortYear, &p.CohortRound, &p.RefundPolicy,
		&p.ISBN, &p.Author, &p.Publisher, &p.ShippingFee, &p.CreatedAt, &p.UpdatedAt, &p.SupplyPrice, &p.Cost, &p.CourierFee, &p.SupplierID)
	return p, err
}

// Create adds a product to a site the actor may change.
func (s *Service) Create(ctx context.Context, a access.Actor, p Product) (Product, error) {
	if err := Validate(&p); err != nil {
		return Product{}, err
	}
	if err := a.CheckWrite(p.Site, "사이트", "site"); err != nil {
		return Product{}, err
	}
	now := sqldb.Instant(s.Now())
	p.CreatedAt, p.UpdatedAt = now, now
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO products (site, kind, name, display, list_price, sale_price, category, delivery, schedule,
			gov_refundable, access_days, start_date, end_date, study_hours, cohort_year, cohort_round, refund_policy, isbn, author, publisher,
			shipping_fee, created_at, updated_at, supply_price, cost, courier_fee, supplier_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $22, $23, $24, $25, $26) RETURNING id`,
			p.Site, p.Kind, p.Name, p.Display, p.ListPrice, p.SalePrice, p.Category, p.Delivery, p.Schedule, p.GovRefundable, p.AccessDays,
			p.StartDate, p.EndDate, p.StudyHours, p.CohortYear, p.CohortRound, p.RefundPolicy, p.ISBN, p.Author, p.Publisher, p.ShippingFee, now,
			p.SupplyPrice, p.Cost, p.CourierFee, p.SupplierID).Scan(&p.ID)
		if sqldb.IsForeignKeyViolation(err) {
			return &apperr.Error{Code: apperr.Invalid, Message: "없는 사이트 또는 공급처입니다.", English: "no such site or supplier",
				Fields: []apperr.FieldError{{Location: "site", Message: "없는 사이트 또는 공급처입니다.", English: "no such site or supplier"}}}
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Site: p.Site, Action: "product.create", Entity: "product", EntityID: p.ID, After: p})
	})
	if err != nil {
		return Product{}, err
	}
	return p, nil
}

// Get returns one product the actor may read.
func (s *Service) Get(ctx context.Context, a access.Actor, id int64) (Product, error) {
	return s.get(ctx, s.DB.Read(), a, id)
}

func (s *Service) get(ctx context.Context, q sqldb.Querier, a access.Actor, id int64) (Product, error) {
	p, err := scan(q.QueryRowContext(ctx, `SELECT `+columns+` FROM products WHERE id = $1`, id))
	if err != nil {
		return Product{}, sqldb.NotFound(err, "상품", "product")
	}
	if err := a.CheckRead(p.Site, "상품", "product"); err != nil {
		return Product{}, err
	}
	return p, nil
}

// Update lets edit change a copy of the product, validates and stores it; the
// kind and site of a product never change (orders refer to them).
func (s *Service) Update(ctx context.Context, a access.Actor, id int64, edit func(*Product) error) (Product, error) {
	var out Product
	now := sqldb.Instant(s.Now())
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		cur, err := s.get(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := a.CheckWrite(cur.Site, "상품", "product"); err != nil {
			return err
		}
		next := cur
		if err := edit(&next); err != nil {
			return err
		}
		next.ID, next.Site, next.Kind, next.CreatedAt, next.UpdatedAt = cur.ID, cur.Site, cur.Kind, cur.CreatedAt, now
		if err := Validate(&next); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE products SET name = $1, display = $2, list_price = $3, sale_price = $4, category = $5,
			delivery = $6, schedule = $7, gov_refundable = $8, access_days = $9, start_date = $10, end_date = $11, study_hours = $12,
			cohort_year = $13, cohort_round = $14, refund_policy = $15, isbn = $16, author = $17, publisher = $18, shipping_fee = $19,
			updated_at = $20, supply_price = $22, cost = $23, courier_fee = $24, supplier_id = $25 WHERE id = $21`,
			next.Name, next.Display, next.ListPrice, next.SalePrice, next.Category, next.Delivery, next.Schedule, next.GovRefundable,
			next.AccessDays, next.StartDate, next.EndDate, next.StudyHours, next.CohortYear, next.CohortRound, next.RefundPolicy,
			next.ISBN, next.Author, next.Publisher, next.ShippingFee, now, id, next.SupplyPrice, next.Cost, next.CourierFee, next.SupplierID); err != nil {
			if sqldb.IsForeignKeyViolation(err) {
				return apperr.New(apperr.Invalid, "없는 공급처입니다.", "no such supplier")
			}
			return err
		}
		out = next
		return audit.Record(ctx, tx, now, a, audit.Change{Site: cur.Site, Action: "product.update", Entity: "product", EntityID: id, Before: cur, After: next})
	})
	return out, err
}

// List returns one page of products the actor may read, newest first.
func (s *Service) List(ctx context.Context, a access.Actor, f Filter) (paging.Page[Product], error) {
	var fe apperr.Fields
	switch f.Kind {
	case "", KindCourse, KindTextbook, KindFreepass, KindExtension:
	default:
		fe.Add("kind", "상품 구분은 course, textbook, freepass, extension 중 하나입니다.", "kind is course, textbook, freepass or extension")
	}
	switch f.Display {
	case "", "visible", "hidden":
	default:
		fe.Add("display", "노출은 visible 또는 hidden입니다.", "display is visible or hidden")
	}
	if err := fe.Err(); err != nil {
		return paging.Page[Product]{Page: f.Page, PerPage: f.PerPage, Items: []Product{}}, err
	}
	var w sqldb.Where
	if scope := a.ReadScope(); scope != nil {
		w.In("site", scope)
	}
	if f.Site != "" {
		w.Add("site = ?", f.Site)
	}
	if f.Kind != "" {
		w.Add("kind = ?", f.Kind)
	}
	if f.Display != "" {
		w.Add("display = ?", f.Display)
	}
	if f.Category != "" {
		w.Add("category = ?", f.Category)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		w.Add("LOWER(name) LIKE ? ESCAPE '\\'", sqldb.Like(q))
	}
	return sqldb.ListPage(ctx, s.DB.Read(), "products", w, columns, "id DESC", f.Params, func(row sqldb.Scanner) (Product, error) { return scan(row) })
}
