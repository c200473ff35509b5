package refund

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/secret"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/units"
)

const columns = `r.id, o.order_no, r.site, o.title, o.buyer_login, o.buyer_name, o.total, o.method, r.status, r.reason, r.method,
	r.bank_name, r.bank_account, r.bank_holder, r.kind, r.amount, r.memo, r.deny_reason, r.gateway_error, r.handled_by, r.requested_by,
	r.requested_at, r.completed_at, r.notify_sms, r.refund_at, r.sms_note,
	COALESCE((SELECT MIN(i.kind) FROM refund_items ri JOIN order_items i ON i.id = ri.item_id WHERE ri.refund_id = r.id), '')`

func (s *Service) scan(row interface{ Scan(...any) error }) (Refund, int64, error) {
	var r Refund
	var orderID int64
	var completed, refundAt sql.NullTime
	var acct string
	err := row.Scan(&r.ID, &r.OrderNo, &r.Site, &r.Title, &r.MemberLogin, &r.BuyerName, &r.OrderTotal, &r.PayMethod, &r.Status, &r.Reason,
		&r.Method, &r.Bank.Name, &acct, &r.Bank.Holder, &r.Kind, &r.Amount, &r.Memo, &r.DenyReason, &r.GatewayError, &r.HandledBy,
		&r.RequestedBy, &r.RequestedAt, &completed, &r.NotifySMS, &refundAt, &r.SMSNote, &r.ItemKind, &orderID)
	if err != nil {
		return r, 0, err
	}
	if completed.Valid {
		r.CompletedAt = &completed.Time
	}
	if refundAt.Valid {
		r.RefundAt = &refundAt.Time
	}
	if acct != "" {
		plain, err := s.Box.Open(acct)
		if err != nil {
			return r, 0, err
		}
		r.Bank.Account = secret.MaskAccount(plain)
	}
	return r, orderID, nil
}

// load reads a refund the actor may see, with its items.
func (s *Service) load(ctx context.Context, q sqldb.Querier, a access.Actor, id int64) (Refund, int64, error) {
	r, orderID, err := s.scan(q.QueryRowContext(ctx, `SELECT `+columns+`, r.order_id FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.id = $1`, id))
	if err != nil {
		return r, 0, sqldb.NotFound(err, "환불", "refund")
	}
	if err := a.CheckRead(r.Site, "환불", "refund"); err != nil {
		return Refund{}, 0, err
	}
	rows, err := q.QueryContext(ctx, `SELECT i.id, i.kind, i.name, i.product_id, i.paid, i.refunded, ri.amount, i.status, i.delivery_status
		FROM refund_items ri JOIN order_items i ON i.id = ri.item_id WHERE ri.refund_id = $1 ORDER BY i.id`, id)
	if err != nil {
		return r, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var it Item
		if err := rows.Scan(&it.ItemID, &it.Kind, &it.Name, &it.ProductID, &it.Paid, &it.Refunded, &it.Amount, &it.Status, &it.DeliveryStatus); err != nil {
			return r, 0, err
		}
		r.Items = append(r.Items, it)
	}
	return r, orderID, rows.Err()
}

// Get returns one refund with what is still refundable and the estimate.
func (s *Service) Get(ctx context.Context, a access.Actor, id int64) (Refund, error) {
	q := s.DB.Read()
	r, orderID, err := s.load(ctx, q, a, id)
	if err != nil {
		return r, err
	}
	ref, err := order.LoadRefundable(ctx, q, orderID)
	if err != nil {
		return r, err
	}
	_, r.Refundable = s.refundable(ref, r.Items)
	if r.Status != StatusRequested {
		r.Refundable = 0
	}
	r.Estimate, err = s.estimate(ctx, q, orderID, r)
	return r, err
}

// estimate computes 예상차감 금액 for the first course item of the refund:
// by elapsed days of its access period, by study progress (hours), and by
// the course's refund policy, each applied to that course's own money (what
// was paid for it and not refunded before this request). A textbook or
// another item of the same request is not tuition: its days and hours do not
// pro-rate it. A period over 31 days is billed in months of 30 days for the
// statutory tables.
func (s *Service) estimate(ctx context.Context, q sqldb.Querier, orderID int64, r Refund) (*Estimate, error) {
	var course *Item
	for i, it := range r.Items {
		if it.Kind == "course" {
			course = &r.Items[i]
			break
		}
	}
	if course == nil {
		return nil, nil
	}
	amount := course.Paid - course.Refunded + course.Amount*boolInt(r.Status == StatusCompleted)
	var schedule, start, end, policy string
	var accessDays, hours int
	var paidAt sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT p.schedule, p.start_date, p.end_date, p.access_days, p.study_hours, p.refund_policy, o.paid_at
		FROM products p, orders o WHERE p.id = $1 AND o.id = $2`, course.ProductID, orderID).Scan(&schedule, &start, &end, &accessDays, &hours, &policy, &paidAt)
	if err != nil {
		return nil, err
	}
	today, _ := kst.ParseDay(kst.Day(s.Now()))
	var from time.Time
	total := accessDays
	if schedule == "scheduled" {
		st, err1 := kst.ParseDay(start)
		en, err2 := kst.ParseDay(end)
		if err1 == nil && err2 == nil {
			from, total = st, int(en.Sub(st).Hours()/24)+1
		}
	} else if paidAt.Valid {
		from, _ = kst.ParseDay(kst.Day(paidAt.Time))
	}
	elapsed := 0
	if !from.IsZero() && !today.Before(from) {
		elapsed = int(today.Sub(from).Hours()/24) + 1
	}
	est := &Estimate{}
	if total > 0 {
		if q, err := Calculate(QuoteInput{Policy: ByDays, Amount: amount, TotalDays: total, ElapsedDays: elapsed}); err == nil {
			est.ByDays = &q
		}
	}
	prog, err := order.ItemProgress(ctx, q, course.ItemID)
	if err != nil {
		return nil, err
	}
	est.Progress = &prog
	// 학습시간 기준: the hours recorded against the course's 총 학습시간.
	var progress *QuoteInput
	switch {
	case prog.Unit == order.ProgressSessions:
		est.ProgressNote = fmt.Sprintf("학습 %s회 기록됨: 과정의 전체 회차를 알 수 없어 학습시간 기준으로 계산하지 않습니다.", unitNumber(prog.Studied))
	case hours <= 0:
		est.ProgressNote = "과정의 총 학습시간이 등록되지 않아 학습시간 기준으로 계산할 수 없습니다."
	default:
		progress = &QuoteInput{Policy: ByProgress, Amount: amount, TotalUnits: units.Of(int64(hours)), UsedUnits: prog.Studied, Unit: UnitHours}
		if q, err := Calculate(*progress); err == nil {
			est.ByProgress = &q
		}
	}
	if policy != "" && total > 0 {
		in := QuoteInput{Policy: policy, Amount: amount, TotalDays: total, ElapsedDays: elapsed}
		if policy == ByProgress && progress != nil {
			in = *progress
		}
		if total > 31 && (policy == LifelongEducation || policy == Hagwon) {
			in.Months = (total + 29) / 30
			in.TotalDays = 30
			if elapsed > 0 {
				in.CurrentMonth = min((elapsed-1)/30+1, in.Months)
				in.ElapsedDays = elapsed - (in.CurrentMonth-1)*30
			}
		}
		if q, err := Calculate(in); err == nil {
			est.ByPolicy = &q
		}
	}
	return est, nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// ParseFilter reads 환불관리's filters from a query.
func ParseFilter(get func(string) string) (Filter, error) {
	var f Filter
	var fe apperr.Fields
	f.From, f.To, f.Kind, f.ItemKind, f.Status, f.Q, f.Field = get("from"), get("to"), get("kind"), get("item_kind"), get("status"), get("q"), get("field")
	if v := get("product_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			fe.Add("product_id", "과정 번호가 숫자가 아닙니다.", "product_id must be a number")
		}
		f.ProductID = n
	}
	for name, v := range map[string]string{"from": f.From, "to": f.To} {
		if v != "" {
			if _, err := kst.ParseDay(v); err != nil {
				fe.Add(name, "날짜는 YYYY-MM-DD 형식입니다.", "dates are YYYY-MM-DD")
			}
		}
	}
	if f.Kind != "" && f.Kind != "partial" && f.Kind != "full" {
		fe.Add("kind", "환불구분은 partial 또는 full입니다.", "kind must be partial or full")
	}
	if f.Status != "" && Label(Statuses, f.Status) == f.Status {
		fe.Add("status", "상태는 requested, completed, denied입니다.", "status must be requested, completed or denied")
	}
	switch f.Field {
	case "", "order_no", "member_login", "buyer_name", "title":
	default:
		fe.Add("field", "검색 항목은 order_no, member_login, buyer_name, title입니다.", "field must be order_no, member_login, buyer_name or title")
	}
	return f, fe.Err()
}

func (s *Service) where(a access.Actor, f Filter) sqldb.Where {
	var w sqldb.Where
	if scope := a.ReadScope(); scope != nil {
		w.In("r.site", scope)
	}
	if f.From != "" {
		w.Add("r.requested_day >= ?", f.From)
	}
	if f.To != "" {
		w.Add("r.requested_day <= ?", f.To)
	}
	if f.Kind != "" {
		w.Add("r.kind = ?", f.Kind)
	}
	if f.Status != "" {
		w.Add("r.status = ?", f.Status)
	}
	if f.ItemKind != "" {
		w.Add("EXISTS (SELECT 1 FROM refund_items ri JOIN order_items i ON i.id = ri.item_id WHERE ri.refund_id = r.id AND i.kind = ?)", f.ItemKind)
	}
	if f.ProductID != 0 {
		w.Add("EXISTS (SELECT 1 FROM refund_items ri JOIN order_items i ON i.id = ri.item_id WHERE ri.refund_id = r.id AND i.product_id = ?)", f.ProductID)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		no, err := strconv.ParseInt(q, 10, 64)
		if err != nil {
			no = -1
		}
		switch f.Field {
		case "order_no":
			w.Add("o.order_no = ?", no)
		case "member_login":
			w.Add("o.buyer_login = ?", q)
		case "buyer_name":
			w.Add("o.buyer_name = ?", q)
		case "title":
			w.Add("LOWER(o.title) LIKE ? ESCAPE '\\'", sqldb.Like(q))
		default:
			w.Add("(o.order_no = ? OR o.buyer_login = ? OR o.buyer_name = ? OR LOWER(o.title) LIKE ? ESCAPE '\\')", no, q, q, sqldb.Like(q))
		}
	}
	return w
}

// List is 환불관리: newest requests first.
func (s *Service) List(ctx context.Context, a access.Actor, f Filter) (paging.Page[Refund], error) {
	f.Params = f.Params.Normalize()
	page := paging.Page[Refund]{Page: f.Page, PerPage: f.PerPage, Items: []Refund{}}
	w := s.where(a, f)
	q := s.DB.Read()
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM refunds r JOIN orders o ON o.id = r.order_id`+w.SQL(), w.Args()...).Scan(&page.Total); err != nil {
		return page, err
	}
	err := s.each(ctx, w, fmt.Sprintf(" LIMIT %d OFFSET %d", f.PerPage, f.Offset()), func(r Refund) error {
		page.Items = append(page.Items, r)
		return nil
	})
	return page, err
}

// ListFull is List with each refund as Get returns it: its items, what is
// still refundable and the estimate (예상차감 금액). It is the API's list,
// whose rows carry the estimate as a refund's own page does (API.md).
func (s *Service) ListFull(ctx context.Context, a access.Actor, f Filter) (paging.Page[Refund], error) {
	page, err := s.List(ctx, a, f)
	if err != nil {
		return page, err
	}
	for i, r := range page.Items {
		if page.Items[i], err = s.Get(ctx, a, r.ID); err != nil {
			return page, err
		}
	}
	return page, nil
}

// Each streams every refund of the filter (the Excel export).
func (s *Service) Each(ctx context.Context, a access.Actor, f Filter, fn func(Refund) error) error {
	return s.each(ctx, s.where(a, f), "", fn)
}

func (s *Service) each(ctx context.Context, w sqldb.Where, limit string, fn func(Refund) error) error {
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT `+columns+`, r.order_id FROM refunds r JOIN orders o ON o.id = r.order_id`+w.SQL()+` ORDER BY r.id DESC`+limit, w.Args()...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r, _, err := s.scan(rows)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}
