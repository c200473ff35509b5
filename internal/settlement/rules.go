// Package settlement turns marketplace order lines into sale and settlement
// amounts with the marketplaces' settlement rules (정산룰). A rule is saved
// as a new immutable version; each settled line records the version that
// settled it.
package settlement

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/settlement/formula"
)

// Rule is one version of a settlement rule.
type Rule struct {
	ID           int64     `json:"id"`
	VersionID    int64     `json:"version_id"`
	Version      int       `json:"version"`
	Marketplace  string    `json:"marketplace"`
	Title        string    `json:"title"`
	SupplierID   *int64    `json:"supplier_id"`
	ProductCodes string    `json:"product_codes"` // comma-separated marketplace product codes
	PeriodFrom   string    `json:"period_from"`   // YYYY-MM-DD or ""
	PeriodTo     string    `json:"period_to"`
	Priority     int       `json:"priority"` // larger wins
	Enabled      bool      `json:"enabled"`
	Rounding     string    `json:"rounding"` // floor (절사), round (반올림), ceil (절상)
	Sale         string    `json:"sale"`     // 총판매금액
	Settle       string    `json:"settle"`   // 정산예정금액; empty: sale × rate ÷ 100
	Rate         string    `json:"rate"`     // 정산요율 %
	Prepaid      string    `json:"prepaid"`  // 선결제처리
	Margin       string    `json:"margin"`   // 배송마진
	Payment      string    `json:"payment"`  // 결제금액 (CS 조회용)
	CreatedBy    string    `json:"created_by"`
	CreatedAt    time.Time `json:"created_at"`
}

// Roundings label the rounding modes.
var Roundings = []struct{ Code, Label string }{{"floor", "절사"}, {"round", "반올림"}, {"ceil", "절상"}}

// RoundingLabel is a rounding mode in Korean; "" is 절사, as a rule saves it.
func RoundingLabel(code string) string {
	if code == "" {
		code = "floor"
	}
	for _, x := range Roundings {
		if x.Code == code {
			return x.Label
		}
	}
	return code
}

// Service holds the settlement rules.
type Service struct {
	DB  *sqldb.DB
	Now func() time.Time
	Log *slog.Logger // background jobs' errors; may be nil
	// AfterRecompute, when set, runs after a recompute that ended well, with
	// its range and marketplace (정산대사 reconciles those months again).
	AfterRecompute func(ctx context.Context, from, to, marketplace string) error
	// BeforeBatch, when set, runs before each recompute batch (tests use it to
	// hold a job while they stop it).
	BeforeBatch func(ctx context.Context)
	// Batch is how many order numbers one recompute transaction settles; 0
	// means RecomputeBatch (tests take small batches so that bundles of
	// several order numbers fall across two).
	Batch int

	cache sync.Map // rule version id → *compiled

	jobsMu   sync.Mutex
	jobsCtx  context.Context
	stopJobs context.CancelFunc
	jobs     sync.WaitGroup
}

func codes(s string) []string {
	var out []string
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// Check validates a rule: every formula compiles (errors name the formula
// and the position), the period and rounding are valid.
func Check(r *Rule) error {
	var fe apperr.Fields
	r.Title = strings.TrimSpace(r.Title)
	if r.Title == "" {
		fe.Add("title", "룰 이름(타이틀)을 입력해 주세요.", "title is required")
	}
	for name, v := range map[string]string{"period_from": r.PeriodFrom, "period_to": r.PeriodTo} {
		if v != "" {
			if _, err := kst.ParseDay(v); err != nil {
				fe.Add(name, "날짜는 YYYY-MM-DD 형식입니다.", "dates are YYYY-MM-DD")
			}
		}
	}
	if r.PeriodFrom != "" && r.PeriodTo != "" && r.PeriodTo < r.PeriodFrom {
		fe.Add("period_to", "종료일이 시작일보다 앞섭니다.", "period_to is before period_from")
	}
	if r.Rounding == "" {
		r.Rounding = "floor"
	}
	if r.Rounding != "floor" && r.Rounding != "round" && r.Rounding != "ceil" {
		fe.Add("rounding", "반올림 방식은 floor(절사), round(반올림), ceil(절상)입니다.", "rounding must be floor, round or ceil")
	}
	if strings.TrimSpace(r.Sale) == "" {
		fe.Add("sale", "총판매금액 수식을 입력해 주세요.", "the sale formula is required")
	}
	switch hasSettle, hasRate := strings.TrimSpace(r.Settle) != "", strings.TrimSpace(r.Rate) != ""; {
	case !hasSettle && !hasRate:
		fe.Add("settle", "정산예정금액 수식이나 정산요율을 입력해 주세요.", "a settlement formula or a rate is required")
	case hasSettle && hasRate:
		fe.Add("rate", "정산예정금액 수식과 정산요율은 함께 쓸 수 없습니다. 수식을 쓰면 요율을 비워 주세요 (요율은 수식 안에 쓸 수 있습니다: code11*88/100).",
			"give either a settlement formula or a rate, not both (a rate can be written in the formula)")
	}
	if r.Rate = strings.TrimSpace(r.Rate); r.Rate != "" {
		if _, ok := new(big.Rat).SetString(r.Rate); !ok {
			fe.Add("rate", "정산요율은 숫자(%)입니다.", "rate must be a number")
		}
	}
	for name, src := range map[string]string{"sale": r.Sale, "settle": r.Settle, "prepaid": r.Prepaid, "margin": r.Margin, "payment": r.Payment} {
		if strings.TrimSpace(src) == "" {
			continue
		}
		if _, err := formula.Compile(src); err != nil {
			if f, ok := err.(*formula.Error); ok {
				fe = append(fe, apperr.FieldError{Location: fmt.Sprintf("%s:%d", name, f.Pos), Message: f.Error(), English: f.English})
				continue
			}
			fe.Add(name, err.Error(), err.Error())
		}
	}
	return fe.Err()
}

// Warnings are what a clerk should look at before saving: a rate outside
// 0–100 %, and another enabled rule of the same priority over the same orders.
func (s *Service) Warnings(ctx context.Context, r Rule) ([]string, error) {
	var out []string
	if r.Rate != "" {
		if x, ok := new(big.Rat).SetString(r.Rate); ok && (x.Sign() < 0 || x.Cmp(big.NewRat(100, 1)) > 0) {
			out = append(out, "정산요율이 0~100% 밖입니다: "+r.Rate)
		}
	}
	rules, err := s.all(ctx, Filter{Marketplace: r.Marketplace})
	if err != nil {
		return nil, err
	}
	for _, o := range rules {
		if o.ID == r.ID || !o.Enabled || !r.Enabled || o.Priority != r.Priority {
			continue
		}
		if canMeet(o, r) {
			out = append(out, fmt.Sprintf("같은 우선순위(%d)의 다른 정산룰 %q이(가) 같은 주문에 걸릴 수 있습니다 (최신 룰이 적용됩니다).", r.Priority, o.Title))
		}
	}
	return out, nil
}

// canMeet says whether two rules of the same priority and specificity can
// both match one line: their periods overlap, their suppliers (if both set)
// are the same, and their product codes (if both set) share one. Rules of
// different specificity (product codes, supplier, neither) do not tie: the
// more specific wins.
func canMeet(a, b Rule) bool {
	ca, cb := codes(a.ProductCodes), codes(b.ProductCodes)
	if (len(ca) == 0) != (len(cb) == 0) || (a.SupplierID == nil) != (b.SupplierID == nil) && len(ca) == 0 {
		return false
	}
	if !overlaps(a.PeriodFrom, a.PeriodTo, b.PeriodFrom, b.PeriodTo) {
		return false
	}
	if a.SupplierID != nil && b.SupplierID != nil && *a.SupplierID != *b.SupplierID {
		return false
	}
	if len(ca) > 0 && !slices.ContainsFunc(ca, func(c string) bool { return slices.Contains(cb, c) }) {
		return false
	}
	return true
}

func overlaps(af, at, bf, bt string) bool {
	if at == "" {
		at = "9999-12-31"
	}
	if bt == "" {
		bt = "9999-12-31"
	}
	return af <= bt && bf <= at
}

// Save stores a rule as a new version (id 0 creates the rule).
func (s *Service) Save(ctx context.Context, a access.Actor, id int64, r Rule) (Rule, error) {
	if a.Role == access.Viewer {
		return r, access.ErrReadOnly
	}
	if err := Check(&r); err != nil {
		return r, err
	}
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		var err error
		r, err = s.save(ctx, tx, a, id, r)
		return err
	})
	return r, err
}

// save stores a checked rule as a new version in the caller's transaction.
func (s *Service) save(ctx context.Context, tx *sqldb.Tx, a access.Actor, id int64, r Rule) (Rule, error) {
	now := sqldb.Instant(s.Now())
	var mp int64
	if err := tx.QueryRowContext(ctx, `SELECT id FROM marketplaces WHERE code = $1`, r.Marketplace).Scan(&mp); err != nil {
		return r, &apperr.Error{Code: apperr.Invalid, Message: "판매처를 선택해 주세요.", English: "no such marketplace",
			Fields: []apperr.FieldError{{Location: "marketplace", Message: "없는 판매처입니다.", English: "no such marketplace"}}}
	}
	if r.SupplierID != nil {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM suppliers WHERE id = $1`, *r.SupplierID).Scan(&one); err != nil {
			return r, &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("없는 공급처입니다: %d", *r.SupplierID), English: "no such supplier",
				Fields: []apperr.FieldError{{Location: "supplier_id", Message: "없는 공급처입니다.", English: "no such supplier"}}}
		}
	}
	var before any
	if id == 0 {
		if err := tx.QueryRowContext(ctx, `INSERT INTO settlement_rules (marketplace_id, created_at, updated_at) VALUES ($1, $2, $2) RETURNING id`, mp, now).Scan(&id); err != nil {
			return r, err
		}
	} else {
		var cur int
		var deleted bool
		if err := tx.QueryRowContext(ctx, `SELECT current_version, deleted FROM settlement_rules WHERE id = $1`, id).Scan(&cur, &deleted); err != nil || deleted {
			return r, apperr.NotFoundf("정산룰", "settlement rule")
		}
		old, err := s.get(ctx, tx, id)
		if err != nil {
			return r, err
		}
		before = old
	}
	r.ID = id
	var ver int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM settlement_rule_versions WHERE rule_id = $1`, id).Scan(&ver); err != nil {
		return r, err
	}
	r.Version, r.CreatedBy, r.CreatedAt = ver, a.Login, now
	if err := tx.QueryRowContext(ctx, `INSERT INTO settlement_rule_versions (rule_id, version, title, supplier_id, product_codes, period_from, period_to,
		priority, enabled, rounding, f_sale, f_settle, rate, f_prepaid, f_margin, f_payment, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id`,
		id, ver, r.Title, r.SupplierID, strings.Join(codes(r.ProductCodes), ","), r.PeriodFrom, r.PeriodTo, r.Priority, r.Enabled, r.Rounding,
		r.Sale, r.Settle, r.Rate, r.Prepaid, r.Margin, r.Payment, a.Login, now).Scan(&r.VersionID); err != nil {
		return r, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE settlement_rules SET current_version = $1, marketplace_id = $2, updated_at = $3 WHERE id = $4`, r.VersionID, mp, now, id); err != nil {
		return r, err
	}
	return r, audit.Record(ctx, tx, now, a, audit.Change{Action: "settlement_rule.save", Entity: "settlement_rule", EntityID: id, Before: before, After: r})
}

// Delete removes a rule from use; its versions stay for the lines they settled.
func (s *Service) Delete(ctx context.Context, a access.Actor, id int64) error {
	if a.Role == access.Viewer {
		return access.ErrReadOnly
	}
	return s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE settlement_rules SET deleted = TRUE, updated_at = $1 WHERE id = $2 AND deleted = FALSE`, sqldb.Instant(s.Now()), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.NotFoundf("정산룰", "settlement rule")
		}
		return audit.Record(ctx, tx, s.Now(), a, audit.Change{Action: "settlement_rule.delete", Entity: "settlement_rule", EntityID: id})
	})
}

const ruleColumns = `r.id, v.id, v.version, m.code, v.title, v.supplier_id, v.product_codes, v.period_from, v.period_to, v.priority, v.enabled,
	v.rounding, v.f_sale, v.f_settle, v.rate, v.f_prepaid, v.f_margin, v.f_payment, v.created_by, v.created_at`

const ruleFrom = ` FROM settlement_rules r JOIN settlement_rule_versions v ON v.id = r.current_version JOIN marketplaces m ON m.id = r.marketplace_id`

func scanRule(row interface{ Scan(...any) error }) (Rule, error) {
	var r Rule
	var sup sql.NullInt64
	err := row.Scan(&r.ID, &r.VersionID, &r.Version, &r.Marketplace, &r.Title, &sup, &r.ProductCodes, &r.PeriodFrom, &r.PeriodTo, &r.Priority,
		&r.Enabled, &r.Rounding, &r.Sale, &r.Settle, &r.Rate, &r.Prepaid, &r.Margin, &r.Payment, &r.CreatedBy, &r.CreatedAt)
	if sup.Valid {
		r.SupplierID = &sup.Int64
	}
	return r, err
}

// Get returns a rule's current version.
func (s *Service) Get(ctx context.Context, id int64) (Rule, error) {
	return s.get(ctx, s.DB.Read(), id)
}

func (s *Service) get(ctx context.Context, q sqldb.Querier, id int64) (Rule, error) {
	r, err := scanRule(q.QueryRowContext(ctx, `SELECT `+ruleColumns+ruleFrom+` WHERE r.id = $1 AND r.deleted = FALSE`, id))
	return r, sqldb.NotFound(err, "정산룰", "settlement rule")
}

// Filter is the rule search of the manual: a period by 적용기간, 시작일,
// 종료일 or 등록일; a search field (번호, 룰이름, 판매처 상품, 총판매금액);
// marketplace; supplier.
type Filter struct {
	PeriodBy    string // applies, start, end, created
	From, To    string
	Field, Q    string // id, title, product_code, sale
	Marketplace string
	SupplierID  int64
	paging.Params
}

// ParseFilter reads the rule search of a query: dates are real YYYY-MM-DD
// days and supplier_id a number, else an input error naming the field.
func ParseFilter(get func(string) string) (Filter, error) {
	f := Filter{PeriodBy: get("period_by"), From: get("from"), To: get("to"), Field: get("field"), Q: get("q"), Marketplace: get("marketplace")}
	var fe apperr.Fields
	if v := get("supplier_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			fe.Add("supplier_id", "공급처 번호는 1 이상의 정수입니다.", "supplier_id must be a whole number from 1")
		}
		f.SupplierID = n
	}
	checkFilter(&fe, f)
	return f, fe.Err()
}

// checkFilter refuses dates that are not days (2026-02-30) and a reversed range.
func checkFilter(fe *apperr.Fields, f Filter) {
	n := len(*fe)
	for _, d := range []struct{ name, v string }{{"from", f.From}, {"to", f.To}} {
		if d.v != "" {
			if _, err := kst.ParseDay(d.v); err != nil {
				fe.Add(d.name, "날짜는 실제 있는 날짜(YYYY-MM-DD)여야 합니다.", "dates are real days as YYYY-MM-DD")
			}
		}
	}
	if len(*fe) == n && f.From != "" && f.To != "" && f.To < f.From {
		fe.Add("to", "끝 날짜가 시작 날짜보다 앞섭니다.", "to is before from")
	}
}

// List returns one page of the rules matching the filter, highest priority first.
func (s *Service) List(ctx context.Context, f Filter) (paging.Page[Rule], error) {
	var fe apperr.Fields
	if checkFilter(&fe, f); fe != nil {
		return paging.Page[Rule]{Items: []Rule{}}, fe.Err()
	}
	return sqldb.ListPage(ctx, s.DB.Read(), strings.TrimPrefix(ruleFrom, " FROM "), ruleWhere(f), ruleColumns, "v.priority DESC, r.id DESC", f.Params,
		func(row sqldb.Scanner) (Rule, error) { return scanRule(row) })
}

// all returns every rule matching the filter, highest priority first.
func (s *Service) all(ctx context.Context, f Filter) ([]Rule, error) {
	w := ruleWhere(f)
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT `+ruleColumns+ruleFrom+w.SQL()+` ORDER BY v.priority DESC, r.id DESC`, w.Args()...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Rule{}
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func ruleWhere(f Filter) sqldb.Where {
	var w sqldb.Where
	w.Add("r.deleted = FALSE")
	if f.Marketplace != "" {
		w.Add("m.code = ?", f.Marketplace)
	}
	if f.SupplierID != 0 {
		w.Add("v.supplier_id = ?", f.SupplierID)
	}
	if f.From != "" || f.To != "" {
		from, to := f.From, f.To
		if from == "" {
			from = "0000-01-01"
		}
		if to == "" {
			to = "9999-12-31"
		}
		switch f.PeriodBy {
		case "start":
			w.Add("v.period_from >= ? AND v.period_from <= ?", from, to)
		case "end":
			w.Add("v.period_to >= ? AND v.period_to <= ?", from, to)
		case "created":
			w.Add("r.created_at >= ? AND r.created_at < ?", dayStart(from), dayStart(to).Add(24*time.Hour))
		default: // 적용기간: the rule applies on some day of the range
			w.Add("(v.period_from = '' OR v.period_from <= ?) AND (v.period_to = '' OR v.period_to >= ?)", to, from)
		}
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		switch f.Field {
		case "id":
			n, _ := strconv.ParseInt(q, 10, 64)
			w.Add("r.id = ?", n)
		case "product_code":
			w.Add("LOWER(',' || v.product_codes || ',') LIKE ? ESCAPE '\\'", "%,"+strings.Trim(sqldb.Like(q), "%")+",%")
		case "sale":
			w.Add("LOWER(v.f_sale) LIKE ? ESCAPE '\\'", sqldb.Like(q))
		default:
			w.Add("LOWER(v.title) LIKE ? ESCAPE '\\'", sqldb.Like(q))
		}
	}
	return w
}

func dayStart(day string) time.Time {
	t, err := kst.ParseDay(day)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// Change is one field that a rule version changed.
type Change struct {
	Field, Before, After string
}

// Version is a saved version of a rule: who saved it, when, and what it
// changed from the version before.
type Version struct {
	Rule
	Changes []Change
}

// Versions lists a rule's versions, newest first, each with its changes.
func (s *Service) Versions(ctx context.Context, id int64) ([]Version, error) {
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT `+ruleColumns+` FROM settlement_rules r JOIN settlement_rule_versions v ON v.rule_id = r.id
		JOIN marketplaces m ON m.id = r.marketplace_id WHERE r.id = $1 ORDER BY v.version`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Version
	var prev *Rule
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, Version{Rule: r, Changes: diff(prev, r)})
		prev = &out[len(out)-1].Rule
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, apperr.NotFoundf("정산룰", "settlement rule")
	}
	slices.Reverse(out)
	return out, nil
}

// diff lists the fields of b that differ from a (all set fields when a is nil).
func diff(a *Rule, b Rule) []Change {
	str := func(r Rule) []string {
		sup := ""
		if r.SupplierID != nil {
			sup = fmt.Sprint(*r.SupplierID)
		}
		enabled := "사용 안 함"
		if r.Enabled {
			enabled = "사용"
		}
		return []string{r.Title, sup, r.ProductCodes, r.PeriodFrom, r.PeriodTo, fmt.Sprint(r.Priority), enabled, RoundingLabel(r.Rounding),
			r.Sale, r.Settle, r.Rate, r.Prepaid, r.Margin, r.Payment}
	}
	labels := []string{"타이틀", "공급처", "판매처 상품코드", "정산 시작일", "정산 종료일", "우선순위", "룰 사용", "반올림",
		"총판매금액", "정산예정금액", "정산요율", "선결제처리", "배송마진", "결제금액"}
	after := str(b)
	before := make([]string, len(after))
	if a != nil {
		before = str(*a)
	}
	var out []Change
	for i := range after {
		if before[i] != after[i] {
			out = append(out, Change{Field: labels[i], Before: before[i], After: after[i]})
		}
	}
	return out
}
