package coupon

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/won"
)

// Service holds the coupon rules.
type Service struct {
	DB      *sqldb.DB
	Now     func() time.Time
	Catalog *catalog.Service
	Members *member.Service
}

// MaxIssue bounds the codes issued at once.
const MaxIssue = 10000

// CodeAlphabet has no look-alikes: no 0/O, no 1/I/L.
const CodeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// CodeLength is the length of a generated code.
const CodeLength = 12

// NewCode draws a code from crypto/rand.
func NewCode() (string, error) {
	b := make([]byte, CodeLength)
	n := big.NewInt(int64(len(CodeAlphabet)))
	for i := range b {
		k, err := rand.Int(rand.Reader, n)
		if err != nil {
			return "", err
		}
		b[i] = CodeAlphabet[k.Int64()]
	}
	return string(b), nil
}

// NormalizeCode is how a typed code is compared: upper case, without spaces
// and hyphens.
func NormalizeCode(s string) string {
	return strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(strings.TrimSpace(s)))
}

// plausibleCode reports whether s (normalized) can be a code at all: 1-100
// letters and digits. Anything else is no code and never reaches the database.
func plausibleCode(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

const columns = `c.id, c.site, c.name, c.scope, c.course_id, c.course_name, c.min_price, c.kind, c.amount, c.rate, c.max_discount,
	c.shared, c.valid_from, c.valid_to, c.status, c.created_at, c.updated_at,
	(SELECT COUNT(*) FROM coupon_codes k WHERE k.coupon_id = c.id),
	(SELECT COUNT(*) FROM coupon_uses u WHERE u.coupon_id = c.id AND u.returned_at IS NULL)`

func (s *Service) scan(row sqldb.Scanner) (Coupon, error) {
	var c Coupon
	var course sql.NullInt64
	err := row.Scan(&c.ID, &c.Site, &c.Name, &c.Scope, &course, &c.CourseName, &c.MinPrice, &c.Kind, &c.Amount, &c.Rate, &c.MaxDiscount,
		&c.Shared, &c.ValidFrom, &c.ValidTo, &c.Status, &c.CreatedAt, &c.UpdatedAt, &c.Codes, &c.Used)
	if course.Valid {
		id := course.Int64
		c.CourseID = &id
	}
	c.Period = c.PeriodOn(kst.Day(s.Now()))
	c.Benefit, c.Title = c.BenefitText(), c.TitleText()
	return c, err
}

func (s *Service) load(ctx context.Context, q sqldb.Querier, a access.Actor, id int64) (Coupon, error) {
	c, err := s.scan(q.QueryRowContext(ctx, `SELECT `+columns+` FROM coupons c WHERE c.id = $1`, id))
	if err != nil {
		return Coupon{}, sqldb.NotFound(err, "쿠폰", "coupon")
	}
	if err := a.CheckRead(c.Site, "쿠폰", "coupon"); err != nil {
		return Coupon{}, err
	}
	return c, nil
}

// Get returns one coupon.
func (s *Service) Get(ctx context.Context, a access.Actor, id int64) (Coupon, error) {
	return s.load(ctx, s.DB.Read(), a, id)
}

// validate checks a coupon's terms; course names the 적용과정's product.
func (s *Service) validate(ctx context.Context, a access.Actor, c *Coupon, fe *apperr.Fields) {
	c.Name = strings.TrimSpace(c.Name)
	if c.Name == "" || utf8.RuneCountInString(c.Name) > 100 {
		fe.Add("name", "쿠폰명은 1~100자입니다.", "name must have 1-100 characters.")
	}
	if Label(Scopes, c.Scope) == c.Scope {
		fe.Add("scope", "쿠폰범위는 과정/도서(all), 과정(course), 도서(textbook) 중 하나입니다.", "scope must be all, course or textbook.")
	}
	if !won.InRange(c.MinPrice) {
		fe.Add("min_price", "최소금액은 0원부터 "+won.MaxLabel+"까지입니다.", "min_price must be 0 to 10,000,000,000.")
	}
	switch c.Kind {
	case KindFixed:
		if c.Amount <= 0 || c.Amount > won.Max {
			fe.Add("amount", "정액 쿠폰의 할인가는 1원부터 "+won.MaxLabel+"까지입니다.", "a fixed coupon's amount must be 1 to 10,000,000,000.")
		}
		c.Rate, c.MaxDiscount = 0, 0
	case KindRate:
		if c.Rate < 1 || c.Rate > 100 {
			fe.Add("rate", "할인율은 1~100%입니다.", "rate must be 1-100.")
		}
		if c.MaxDiscount <= 0 || c.MaxDiscount > won.Max {
			fe.Add("max_discount", "정률 쿠폰에는 최대 할인액(1원 이상)이 필요합니다.", "a rate coupon needs max_discount of at least 1 won.")
		}
		c.Amount = 0
	default:
		fe.Add("kind", "할인구분은 정액(fixed) 또는 정률(rate)입니다.", "kind must be fixed or rate.")
	}
	from, err1 := kst.ParseDay(c.ValidFrom)
	to, err2 := kst.ParseDay(c.ValidTo)
	switch {
	case err1 != nil:
		fe.Add("valid_from", "유효기간 시작일은 YYYY-MM-DD 형식입니다.", "valid_from must be YYYY-MM-DD.")
	case err2 != nil:
		fe.Add("valid_to", "유효기간 종료일은 YYYY-MM-DD 형식입니다.", "valid_to must be YYYY-MM-DD.")
	case to.Before(from):
		fe.Add("valid_to", "유효기간 종료일이 시작일보다 앞섭니다.", "valid_to is before valid_from.")
	}
	if Label(Statuses, c.Status) == c.Status {
		fe.Add("status", "상태는 정상(active) 또는 중지(stopped)입니다.", "status must be active or stopped.")
	}
	c.CourseName = ""
	if c.CourseID != nil {
		p, err := s.Catalog.Get(ctx, a, *c.CourseID)
		switch {
		case err != nil:
			fe.Add("course_id", "없는 과정입니다.", "no such course")
		case p.Kind != catalog.KindCourse:
			fe.Add("course_id", "적용과정은 과정이어야 합니다: "+p.Name, "course_id must be a course")
		case p.GovRefundable:
			fe.Add("course_id", Notice+" 환급과정은 적용과정이 될 수 없습니다.", "a government-refundable course takes no coupon")
		case p.Site != c.Site && c.Site != access.CommonSite:
			fe.Add("course_id", "다른 사이트의 과정입니다.", "the course is another site's")
		case c.Scope == ScopeTextbook:
			fe.Add("course_id", "도서 쿠폰에는 적용과정을 지정할 수 없습니다.", "a textbook coupon names no course")
		default:
			c.CourseName = p.Name
		}
	}
}

// Create registers a coupon and issues its codes: one for 공용, Count for 개별.
func (s *Service) Create(ctx context.Context, a access.Actor, in Input) (Coupon, error) {
	c := Coupon{Site: strings.TrimSpace(in.Site), Name: in.Name, Scope: in.Scope, CourseID: in.CourseID, MinPrice: in.MinPrice, Kind: in.Kind,
		Amount: in.Amount, Rate: in.Rate, MaxDiscount: in.MaxDiscount, Shared: in.Shared, ValidFrom: in.ValidFrom, ValidTo: in.ValidTo, Status: in.Status}
	if c.Status == "" {
		c.Status = StatusStopped
	}
	if c.Scope == "" {
		c.Scope = ScopeAll
	}
	var fe apperr.Fields
	if c.Site == "" {
		fe.Add("site", "사이트를 지정해 주세요.", "site is required.")
	} else if err := a.CheckWrite(c.Site, "사이트", "site"); err != nil {
		return Coupon{}, err
	}
	s.validate(ctx, a, &c, &fe)
	count := in.Count
	if c.Shared {
		count = 1
	} else if count < 0 || count > MaxIssue {
		fe.Add("count", fmt.Sprintf("발행수는 0~%d장입니다.", MaxIssue), fmt.Sprintf("count must be 0-%d.", MaxIssue))
	}
	if err := fe.Err(); err != nil {
		return Coupon{}, err
	}
	now := sqldb.Instant(s.Now())
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO coupons (site, name, scope, course_id, course_name, min_price, kind, amount, rate, max_discount,
			shared, valid_from, valid_to, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)
			RETURNING id`, c.Site, c.Name, c.Scope, c.CourseID, c.CourseName, c.MinPrice, c.Kind, c.Amount, c.Rate, c.MaxDiscount, c.Shared,
			c.ValidFrom, c.ValidTo, c.Status, now).Scan(&c.ID)
		if err != nil {
			if sqldb.IsForeignKeyViolation(err) {
				return apperr.New(apperr.Invalid, "없는 사이트입니다: "+c.Site, "no such site "+c.Site)
			}
			return err
		}
		if _, err := issue(ctx, tx, c.ID, count, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Site: c.Site, Action: "coupon.create", Entity: "coupon", EntityID: c.ID,
			After: map[string]any{"name": c.Name, "kind": c.Kind, "benefit": c.BenefitText(), "shared": c.Shared, "codes": count,
				"valid": c.ValidFrom + " - " + c.ValidTo, "status": c.Status}})
	})
	if err != nil {
		return Coupon{}, err
	}
	return s.Get(ctx, a, c.ID)
}

// issue adds n codes to coupon id, each drawn anew until it is unique.
func issue(ctx context.Context, tx *sqldb.Tx, couponID int64, n int, now time.Time) ([]string, error) {
	out := make([]string, 0, n)
	for len(out) < n {
		var code string
		for attempt := 0; ; attempt++ {
			c, err := NewCode()
			if err != nil {
				return nil, err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO coupon_codes (coupon_id, code, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
				couponID, c, now)
			if err != nil {
				return nil, err
			}
			if k, _ := res.RowsAffected(); k == 1 {
				code = c
				break
			}
			if attempt == 20 {
				return nil, fmt.Errorf("coupon codes: no unique code after %d draws", attempt)
			}
		}
		out = append(out, code)
	}
	return out, nil
}

// Update changes a coupon. A coupon with a used code keeps its discount
// terms: orders already carry the discount they computed.
func (s *Service) Update(ctx context.Context, a access.Actor, id int64, p Patch) (Coupon, error) {
	now := sqldb.Instant(s.Now())
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		before, err := s.load(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := a.CheckWrite(before.Site, "쿠폰", "coupon"); err != nil {
			return err
		}
		c := before
		set(&c.Name, p.Name)
		set(&c.ValidFrom, p.ValidFrom)
		set(&c.ValidTo, p.ValidTo)
		set(&c.Status, p.Status)
		terms := p.Scope != nil || p.CourseID != nil || p.MinPrice != nil || p.Kind != nil || p.Amount != nil || p.Rate != nil || p.MaxDiscount != nil
		set(&c.Scope, p.Scope)
		set(&c.MinPrice, p.MinPrice)
		set(&c.Kind, p.Kind)
		set(&c.Amount, p.Amount)
		set(&c.Rate, p.Rate)
		set(&c.MaxDiscount, p.MaxDiscount)
		if p.CourseID != nil {
			c.CourseID = p.CourseID
			if *p.CourseID == 0 {
				c.CourseID = nil
			}
		}
		var fe apperr.Fields
		s.validate(ctx, a, &c, &fe)
		if err := fe.Err(); err != nil {
			return err
		}
		changed := c.Scope != before.Scope || c.MinPrice != before.MinPrice || c.Kind != before.Kind || c.Amount != before.Amount ||
			c.Rate != before.Rate || c.MaxDiscount != before.MaxDiscount || !sameID(c.CourseID, before.CourseID)
		if terms && changed {
			var used int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM coupon_uses WHERE coupon_id = $1`, id).Scan(&used); err != nil {
				return err
			}
			if used > 0 {
				return apperr.New(apperr.Conflict, "이미 사용된 쿠폰이라 할인 조건(범위, 적용과정, 최소금액, 할인구분, 할인액)을 바꿀 수 없습니다. 주문에 적용된 할인이 달라지기 때문입니다. 새 쿠폰을 등록해 주세요.",
					"The coupon has been used, so its discount terms cannot change: orders carry the discount they got. Register a new coupon instead.")
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE coupons SET name = $1, scope = $2, course_id = $3, course_name = $4, min_price = $5, kind = $6,
			amount = $7, rate = $8, max_discount = $9, valid_from = $10, valid_to = $11, status = $12, updated_at = $13 WHERE id = $14`,
			c.Name, c.Scope, c.CourseID, c.CourseName, c.MinPrice, c.Kind, c.Amount, c.Rate, c.MaxDiscount, c.ValidFrom, c.ValidTo, c.Status, now, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Site: c.Site, Action: "coupon.update", Entity: "coupon", EntityID: id,
			Before: summary(before), After: summary(c)})
	})
	if err != nil {
		return Coupon{}, err
	}
	return s.Get(ctx, a, id)
}

func summary(c Coupon) map[string]any {
	return map[string]any{"name": c.Name, "title": c.TitleText(), "benefit": c.BenefitText(), "valid": c.ValidFrom + " - " + c.ValidTo, "status": c.Status}
}

func sameID(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// ParseFilter reads the list's query parameters (paging apart).
func ParseFilter(get func(string) string) (Filter, error) {
	f := Filter{Site: get("site"), Scope: get("scope"), From: get("from"), To: get("to"), Kind: get("kind"), Shared: get("shared"),
		Status: get("status"), Q: strings.TrimSpace(get("q"))}
	var fe apperr.Fields
	if v := get("course_id"); v != "" {
		if _, err := fmt.Sscan(v, &f.CourseID); err != nil || f.CourseID <= 0 {
			fe.Add("course_id", "적용과정 번호가 올바르지 않습니다.", "course_id must be a positive number.")
		}
	}
	for _, d := range []struct{ name, v string }{{"from", f.From}, {"to", f.To}} {
		if d.v != "" {
			if _, err := kst.ParseDay(d.v); err != nil {
				fe.Add(d.name, "날짜는 YYYY-MM-DD 형식입니다.", "date must be YYYY-MM-DD.")
			}
		}
	}
	if f.Scope != "" && Label(Scopes, f.Scope) == f.Scope {
		fe.Add("scope", "쿠폰범위가 올바르지 않습니다.", "scope must be all, course or textbook.")
	}
	if f.Kind != "" && Label(Kinds, f.Kind) == f.Kind {
		fe.Add("kind", "할인구분이 올바르지 않습니다.", "kind must be fixed or rate.")
	}
	if f.Status != "" && Label(Statuses, f.Status) == f.Status {
		fe.Add("status", "상태가 올바르지 않습니다.", "status must be active or stopped.")
	}
	if f.Shared != "" && f.Shared != "shared" && f.Shared != "individual" {
		fe.Add("shared", "공용여부는 shared 또는 individual입니다.", "shared must be shared or individual.")
	}
	return f, fe.Err()
}

func (s *Service) where(a access.Actor, f Filter) sqldb.Where {
	var w sqldb.Where
	if scope := a.ReadScope(); scope != nil {
		w.In("c.site", scope)
	}
	if f.Site != "" && utf8.ValidString(f.Site) && !strings.ContainsRune(f.Site, 0) {
		w.Add("c.site = ?", f.Site)
	}
	if f.Scope != "" {
		w.Add("c.scope = ?", f.Scope)
	}
	if f.CourseID != 0 {
		w.Add("c.course_id = ?", f.CourseID)
	}
	if f.From != "" {
		w.Add("c.valid_to >= ?", f.From)
	}
	if f.To != "" {
		w.Add("c.valid_from <= ?", f.To)
	}
	if f.Kind != "" {
		w.Add("c.kind = ?", f.Kind)
	}
	switch f.Shared {
	case "shared":
		w.Add("c.shared = ?", true)
	case "individual":
		w.Add("c.shared = ?", false)
	}
	if f.Status != "" {
		w.Add("c.status = ?", f.Status)
	}
	if f.Q != "" && utf8.ValidString(f.Q) && !strings.ContainsRune(f.Q, 0) {
		w.Add(`(LOWER(c.name) LIKE ? ESCAPE '\' OR EXISTS (SELECT 1 FROM coupon_codes k WHERE k.coupon_id = c.id AND k.code = ?))`,
			sqldb.Like(f.Q), NormalizeCode(f.Q))
	}
	return w
}

// List is the coupon list, newest first.
func (s *Service) List(ctx context.Context, a access.Actor, f Filter) (paging.Page[Coupon], error) {
	return sqldb.ListPage(ctx, s.DB.Read(), "coupons c", s.where(a, f), columns, "c.id DESC", f.Params,
		func(r sqldb.Scanner) (Coupon, error) { return s.scan(r) })
}

// Each calls fn for every coupon of the filter (the EXCEL download).
func (s *Service) Each(ctx context.Context, a access.Actor, f Filter, fn func(Coupon) error) error {
	w := s.where(a, f)
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT `+columns+` FROM coupons c`+w.SQL()+` ORDER BY c.id DESC`, w.Args()...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var all []Coupon
	for rows.Next() {
		c, err := s.scan(rows)
		if err != nil {
			return err
		}
		all = append(all, c)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	for _, c := range all {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}
