package payout

import (
	"context"
	"database/sql"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/settlement"
)

const lineSelect = `l.id, m.code, l.market_order_id, l.order_no, l.sub_no, l.order_day, l.settle_day, l.product_code, l.product_name, l.rule_id, l.state,
	l.expected, l.paid, l.difference, l.diff_sale, l.diff_fee, l.diff_coupon, l.diff_shipping`

const lineFrom = `payout_lines l JOIN marketplaces m ON m.id = l.marketplace_id`

func (s *Service) scanLine(r interface{ Scan(...any) error }) (Line, error) {
	var l Line
	var mo, rule sql.NullInt64
	err := r.Scan(&l.ID, &l.Marketplace, &mo, &l.OrderNo, &l.SubNo, &l.OrderDay, &l.SettleDay, &l.ProductCode, &l.ProductName, &rule, &l.State,
		&l.Expected, &l.Paid, &l.Difference, &l.DiffSale, &l.DiffFee, &l.DiffCoupon, &l.DiffShipping)
	if mo.Valid {
		l.MarketOrderID = &mo.Int64
	}
	if rule.Valid {
		l.RuleID = &rule.Int64
	}
	l.StateLabel = StateLabel(l.State)
	if l.State == Unpaid || l.State == Held {
		if t, err := kst.ParseDay(l.OrderDay); err == nil {
			today, _ := kst.ParseDay(kst.Day(s.Now()))
			l.AgeDays = int(today.Sub(t).Hours() / 24)
		}
	}
	return l, err
}

func (f Filter) where() (sqldb.Where, error) {
	var w sqldb.Where
	var fe apperr.Fields
	col := "l.order_day"
	switch f.Basis {
	case "", "order":
	case "settle":
		col = "l.settle_day"
	default:
		fe.Add("basis", "기간 기준은 order(주문일) 또는 settle(정산일)입니다.", "basis is order or settle")
	}
	for name, v := range map[string]string{"from": f.From, "to": f.To} {
		if v == "" {
			continue
		}
		if _, err := kst.ParseDay(v); err != nil {
			fe.Add(name, "날짜는 YYYY-MM-DD 형식의 있는 날짜입니다.", "dates are real days as YYYY-MM-DD")
		}
	}
	if f.State != "" && StateLabel(f.State) == f.State {
		fe.Add("state", "상태는 matched, mismatched, unpaid, unmatched, held 중 하나입니다.", "state is matched, mismatched, unpaid, unmatched or held")
	}
	if err := fe.Err(); err != nil {
		return w, err
	}
	if f.Marketplace != "" {
		w.Add("m.code = ?", f.Marketplace)
	}
	// A 미매칭 row has no order day: an order-day period takes it by its settlement day.
	if col == "l.order_day" {
		col = "CASE WHEN l.market_order_id IS NULL THEN l.settle_day ELSE l.order_day END"
	}
	if f.From != "" {
		w.Add(col+" >= ?", f.From)
	}
	if f.To != "" {
		w.Add(col+" <= ?", f.To)
	}
	if f.Q != "" {
		like := sqldb.Like(f.Q)
		w.Add(`(l.order_no = ? OR l.sub_no = ? OR LOWER(l.product_name) LIKE ? ESCAPE '\')`, f.Q, f.Q, like)
	}
	return w, nil
}

// List is the 정산대사 list: the lines of the filter, a page of them, and the
// totals per state.
func (s *Service) List(ctx context.Context, f Filter) (Result, error) {
	res := Result{Page: paging.Page[Line]{Items: []Line{}}, Totals: []Totals{}}
	w, err := f.where()
	if err != nil {
		return res, err
	}
	if f.Marketplace != "" {
		if _, err := s.marketplace(ctx, f.Marketplace); err != nil {
			return res, &apperr.Error{Code: apperr.Invalid, Message: "없는 판매처입니다: " + f.Marketplace, English: "no such marketplace",
				Fields: []apperr.FieldError{{Location: "marketplace", Message: "없는 판매처입니다.", English: "no such marketplace"}}}
		}
	}
	// Totals per state over the whole filter (the state filter aside).
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT l.state, COUNT(*), COALESCE(SUM(l.expected), 0), COALESCE(SUM(l.paid), 0), COALESCE(SUM(l.difference), 0)
		FROM `+lineFrom+w.SQL()+` GROUP BY l.state`, w.Args()...)
	if err != nil {
		return res, err
	}
	got := map[string]Totals{}
	for rows.Next() {
		var t Totals
		if err := rows.Scan(&t.State, &t.Lines, &t.Expected, &t.Paid, &t.Difference); err != nil {
			rows.Close()
			return res, err
		}
		got[t.State] = t
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}
	for _, st := range States {
		t := got[st.Code]
		t.State, t.Label = st.Code, st.Label
		res.Totals = append(res.Totals, t)
		res.Sum.Lines += t.Lines
		res.Sum.Expected += t.Expected
		res.Sum.Paid += t.Paid
		res.Sum.Difference += t.Difference
	}
	res.Sum.Label = "합계"
	if f.State != "" {
		w.Add("l.state = ?", f.State)
	}
	res.Page, err = sqldb.ListPage(ctx, s.DB.Read(), lineFrom, w, lineSelect, "l.order_day DESC, l.id DESC", f.Params,
		func(r sqldb.Scanner) (Line, error) { return s.scanLine(r) })
	return res, err
}

// Each streams every line of the filter (the EXCEL export).
func (s *Service) Each(ctx context.Context, f Filter, fn func(Line) error) error {
	w, err := f.where()
	if err != nil {
		return err
	}
	if f.State != "" {
		w.Add("l.state = ?", f.State)
	}
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT `+lineSelect+` FROM `+lineFrom+w.SQL()+` ORDER BY l.order_day DESC, l.id DESC`, w.Args()...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		l, err := s.scanLine(rows)
		if err != nil {
			return err
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	return rows.Err()
}

// LineDetail is one reconciled line with our formula inputs and their rows.
type LineDetail struct {
	Line    Line                 `json:"line"`
	Ours    *settlement.Expected `json:"ours"` // nil for a 미매칭 row
	Payouts []PayoutRow          `json:"payout_rows"`
}

// PayoutRow is a stored payout row with its statement.
type PayoutRow struct {
	Row
	ID          int64  `json:"id"`
	StatementID int64  `json:"statement_id"`
	Filename    string `json:"filename"`
}

// GetLine returns one reconciled line, what settlement computed for it, and
// the payout rows that pay it.
func (s *Service) GetLine(ctx context.Context, id int64) (LineDetail, error) {
	var d LineDetail
	var rowID sql.NullInt64
	l, err := s.scanLine(s.DB.Read().QueryRowContext(ctx, `SELECT `+lineSelect+` FROM `+lineFrom+` WHERE l.id = $1`, id))
	if err != nil {
		return d, sqldb.NotFound(err, "대사 라인", "reconciliation line")
	}
	d.Line = l
	if err := s.DB.Read().QueryRowContext(ctx, `SELECT payout_row_id FROM payout_lines WHERE id = $1`, id).Scan(&rowID); err != nil {
		return d, err
	}
	var w sqldb.Where
	if l.MarketOrderID != nil {
		e, err := settlement.ExpectedLine(ctx, s.DB.Read(), *l.MarketOrderID)
		if err != nil {
			return d, err
		}
		d.Ours = &e
		w.Add("r.market_order_id = ?", *l.MarketOrderID)
	} else {
		w.Add("r.id = ?", rowID.Int64)
	}
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT r.id, r.statement_id, ps.filename, r.row_no, r.order_no, r.sub_no, r.kind, r.part, r.base, r.fee, r.coupon,
		r.net, r.settle_day, r.state_text, COALESCE(r.market_order_id, 0) FROM payout_rows r JOIN payout_statements ps ON ps.id = r.statement_id`+w.SQL()+
		` ORDER BY r.statement_id, r.row_no`, w.Args()...)
	if err != nil {
		return d, err
	}
	defer rows.Close()
	d.Payouts = []PayoutRow{}
	for rows.Next() {
		var p PayoutRow
		if err := rows.Scan(&p.ID, &p.StatementID, &p.Filename, &p.RowNo, &p.OrderNo, &p.SubNo, &p.Kind, &p.Part, &p.Base, &p.Fee, &p.Coupon, &p.Net,
			&p.SettleDay, &p.State, &p.MarketOrderID); err != nil {
			return d, err
		}
		d.Payouts = append(d.Payouts, p)
	}
	return d, rows.Err()
}

const statementSelect = `SELECT ps.id, m.code, ps.filename, ps.kind, ps.status, ps.period_from, ps.period_to, ps.rows_total, ps.rows_done, ps.rows_matched,
	ps.rows_unmatched, ps.paid_total, ps.created_by, ps.created_at, ps.finished_at FROM payout_statements ps JOIN marketplaces m ON m.id = ps.marketplace_id`

func scanStatement(r interface{ Scan(...any) error }) (Statement, error) {
	var st Statement
	var fin sql.NullTime
	err := r.Scan(&st.ID, &st.Marketplace, &st.Filename, &st.Kind, &st.Status, &st.From, &st.To, &st.Rows, &st.Done, &st.Matched, &st.Unmatched,
		&st.PaidTotal, &st.CreatedBy, &st.CreatedAt, &fin)
	if fin.Valid {
		t := fin.Time
		st.FinishedAt = &t
	}
	return st, err
}

// summarise adds a statement's expected and difference totals: over the
// lines its rows pay (their difference counts every statement's rows) and
// its unmatched rows.
func (s *Service) summarise(ctx context.Context, st *Statement) error {
	return s.DB.Read().QueryRowContext(ctx, `SELECT COALESCE(SUM(l.expected), 0), COALESCE(SUM(l.difference), 0) FROM payout_lines l
		WHERE l.market_order_id IN (SELECT market_order_id FROM payout_rows WHERE statement_id = $1 AND market_order_id IS NOT NULL)
		OR l.payout_row_id IN (SELECT id FROM payout_rows WHERE statement_id = $1 AND market_order_id IS NULL)`, st.ID).Scan(&st.Expected, &st.Difference)
}

// Statement returns one imported payout file with its summary.
func (s *Service) Statement(ctx context.Context, id int64) (Statement, error) {
	st, err := scanStatement(s.DB.Read().QueryRowContext(ctx, statementSelect+` WHERE ps.id = $1`, id))
	if err != nil {
		return st, sqldb.NotFound(err, "정산내역", "payout statement")
	}
	return st, s.summarise(ctx, &st)
}

// Statements lists the imported payout files, newest first, with their summaries.
func (s *Service) Statements(ctx context.Context, marketplace string, p paging.Params) (paging.Page[Statement], error) {
	var w sqldb.Where
	if marketplace != "" {
		w.Add("m.code = ?", marketplace)
	}
	page, err := sqldb.ListPage(ctx, s.DB.Read(), `payout_statements ps JOIN marketplaces m ON m.id = ps.marketplace_id`, w,
		`ps.id, m.code, ps.filename, ps.kind, ps.status, ps.period_from, ps.period_to, ps.rows_total, ps.rows_done, ps.rows_matched,
		ps.rows_unmatched, ps.paid_total, ps.created_by, ps.created_at, ps.finished_at`, "ps.id DESC", p,
		func(r sqldb.Scanner) (Statement, error) { return scanStatement(r) })
	if err != nil {
		return page, err
	}
	for i := range page.Items {
		if err := s.summarise(ctx, &page.Items[i]); err != nil {
			return page, err
		}
	}
	return page, nil
}
