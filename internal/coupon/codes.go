package coupon

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

const codeFrom = `coupon_codes k JOIN coupons c ON c.id = k.coupon_id
	LEFT JOIN coupon_uses u ON u.code_id = k.id AND u.returned_at IS NULL`

const codeColumns = `k.id, k.coupon_id, c.site, k.code,
	CASE WHEN u.id IS NULL THEN k.member_id ELSE u.member_id END,
	CASE WHEN u.id IS NULL THEN k.member_site ELSE u.member_site END,
	CASE WHEN u.id IS NULL THEN k.member_login ELSE u.member_login END,
	CASE WHEN u.id IS NULL THEN k.member_name ELSE u.member_name END,
	CASE WHEN u.id IS NULL THEN k.member_affiliation ELSE u.member_affiliation END,
	CASE WHEN u.id IS NULL THEN 0 ELSE 1 END, u.used_at, u.order_no, k.assigned_at, k.created_at`

func scanCode(r sqldb.Scanner) (Code, error) {
	var c Code
	var memberID, orderNo sql.NullInt64
	var used int
	var usedAt, assignedAt sql.NullTime
	err := r.Scan(&c.ID, &c.CouponID, &c.CouponSite, &c.Code, &memberID, &c.MemberSite, &c.MemberLogin, &c.MemberName, &c.MemberAffiliation,
		&used, &usedAt, &orderNo, &assignedAt, &c.CreatedAt)
	c.Used = used == 1
	if memberID.Valid {
		v := memberID.Int64
		c.MemberID = &v
	}
	if orderNo.Valid {
		v := orderNo.Int64
		c.OrderNo = &v
	}
	if usedAt.Valid {
		t := usedAt.Time
		c.UsedAt = &t
	}
	if assignedAt.Valid {
		t := assignedAt.Time
		c.AssignedAt = &t
	}
	return c, err
}

// ParseCodeFilter reads 쿠폰사용관리's filters (paging apart).
func ParseCodeFilter(get func(string) string) (CodeFilter, error) {
	f := CodeFilter{Used: get("used"), Q: strings.TrimSpace(get("q"))}
	if f.Used != "" && f.Used != "used" && f.Used != "unused" {
		return f, &apperr.Error{Code: apperr.Invalid, Message: "사용여부는 used 또는 unused입니다.", English: "used must be used or unused.",
			Fields: []apperr.FieldError{{Location: "used", Message: "used 또는 unused입니다.", English: "used or unused"}}}
	}
	return f, nil
}

func codeWhere(couponID int64, f CodeFilter) sqldb.Where {
	var w sqldb.Where
	w.Add("k.coupon_id = ?", couponID)
	switch f.Used {
	case "used":
		w.Add("u.id IS NOT NULL")
	case "unused":
		w.Add("u.id IS NULL")
	}
	if f.Q != "" && utf8.ValidString(f.Q) && !strings.ContainsRune(f.Q, 0) {
		like := sqldb.Like(f.Q)
		w.Add(`(k.code = ? OR LOWER(k.member_login) LIKE ? ESCAPE '\' OR LOWER(k.member_name) LIKE ? ESCAPE '\'
			OR LOWER(COALESCE(u.member_login, '')) LIKE ? ESCAPE '\' OR LOWER(COALESCE(u.member_name, '')) LIKE ? ESCAPE '\')`,
			NormalizeCode(f.Q), like, like, like, like)
	}
	return w
}

// Codes is 쿠폰사용관리: the coupon's codes, newest first; a 공용 code has a
// row per member who used it.
func (s *Service) Codes(ctx context.Context, a access.Actor, couponID int64, f CodeFilter) (paging.Page[Code], error) {
	if _, err := s.Get(ctx, a, couponID); err != nil {
		return paging.Page[Code]{}, err
	}
	return sqldb.ListPage(ctx, s.DB.Read(), codeFrom, codeWhere(couponID, f), codeColumns, "k.id DESC, u.id DESC", f.Params, scanCode)
}

// EachCode calls fn for every code of the filter (the EXCEL download).
func (s *Service) EachCode(ctx context.Context, a access.Actor, couponID int64, f CodeFilter, fn func(Code) error) error {
	if _, err := s.Get(ctx, a, couponID); err != nil {
		return err
	}
	w := codeWhere(couponID, f)
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT `+codeColumns+` FROM `+codeFrom+w.SQL()+` ORDER BY k.id DESC, u.id DESC`, w.Args()...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var all []Code
	for rows.Next() {
		c, err := scanCode(rows)
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

// Issue is 추가 발행: n more codes of a 개별 coupon. It returns the new codes.
func (s *Service) Issue(ctx context.Context, a access.Actor, couponID int64, n int) ([]string, error) {
	if n < 1 || n > MaxIssue {
		return nil, &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("추가 발행 수량은 1~%d장입니다.", MaxIssue), English: fmt.Sprintf("count must be 1-%d.", MaxIssue),
			Fields: []apperr.FieldError{{Location: "count", Message: fmt.Sprintf("1~%d장입니다.", MaxIssue), English: fmt.Sprintf("1-%d", MaxIssue)}}}
	}
	now := sqldb.Instant(s.Now())
	var codes []string
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		c, err := s.load(ctx, tx, a, couponID)
		if err != nil {
			return err
		}
		if err := a.CheckWrite(c.Site, "쿠폰", "coupon"); err != nil {
			return err
		}
		if c.Shared {
			return apperr.New(apperr.Conflict, "공용 쿠폰은 쿠폰번호가 하나입니다. 추가 발행은 개별 쿠폰에만 합니다.", "A shared coupon has exactly one code; issue more codes of individual coupons only.")
		}
		if c.Codes+n > 100*MaxIssue {
			return apperr.New(apperr.Invalid, "한 쿠폰의 쿠폰번호는 1,000,000장까지입니다.", "A coupon has at most 1,000,000 codes.")
		}
		if codes, err = issue(ctx, tx, couponID, n, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Site: c.Site, Action: "coupon.issue", Entity: "coupon", EntityID: couponID,
			Before: map[string]any{"codes": c.Codes}, After: map[string]any{"codes": c.Codes + n, "added": n}})
	})
	return codes, err
}

// Assign gives code (or, with code "", any free code) of a 개별 coupon to a
// member of the coupon's site (any site's member for a 공통 coupon). Only a
// code that is neither assigned nor used is given.
func (s *Service) Assign(ctx context.Context, a access.Actor, couponID int64, code string, memberID int64) (Code, error) {
	c, err := s.Get(ctx, a, couponID)
	if err != nil {
		return Code{}, err
	}
	if err := a.CheckWrite(c.Site, "쿠폰", "coupon"); err != nil {
		return Code{}, err
	}
	if c.Shared {
		return Code{}, apperr.New(apperr.Conflict, "공용 쿠폰은 회원을 지정하지 않습니다. 쿠폰번호를 아는 회원은 누구나 한 번 쓸 수 있습니다.",
			"A shared coupon is not assigned; every member who has its code may use it once.")
	}
	m, err := s.Members.Get(ctx, a, memberID)
	if err != nil {
		return Code{}, &apperr.Error{Code: apperr.Invalid, Message: "없는 회원입니다.", English: "no such member",
			Fields: []apperr.FieldError{{Location: "member_id", Message: "없는 회원입니다.", English: "no such member"}}}
	}
	if c.Site != access.CommonSite && m.Site != c.Site {
		return Code{}, apperr.New(apperr.Invalid, "이 쿠폰은 "+c.Site+" 사이트의 회원에게만 줄 수 있습니다.", "This coupon is for members of site "+c.Site+" only.")
	}
	if m.Status == member.StatusWithdrawn {
		return Code{}, apperr.New(apperr.Invalid, "탈퇴한 회원에게는 쿠폰을 줄 수 없습니다.", "A withdrawn member cannot get a coupon.")
	}
	code = NormalizeCode(code)
	if code != "" && !plausibleCode(code) {
		return Code{}, apperr.NotFoundf("쿠폰번호", "coupon code")
	}
	now := sqldb.Instant(s.Now())
	var id int64
	assign := func(tx *sqldb.Tx) error {
		target := `code = $7`
		args := []any{m.ID, m.Site, m.Login, m.Name, m.Affiliation, now, code, couponID}
		if code == "" {
			target = `id = (SELECT MIN(id) FROM coupon_codes WHERE coupon_id = $8 AND member_id IS NULL AND used_at IS NULL) AND $7 = ''`
		}
		err := tx.QueryRowContext(ctx, `UPDATE coupon_codes SET member_id = $1, member_site = $2, member_login = $3, member_name = $4,
			member_affiliation = $5, assigned_at = $6 WHERE `+target+` AND coupon_id = $8 AND member_id IS NULL AND used_at IS NULL
			RETURNING id, code`, args...).Scan(&id, &code)
		if err == sql.ErrNoRows {
			return s.whyNotAssignable(ctx, tx, couponID, code)
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Site: c.Site, Action: "coupon.assign", Entity: "coupon_code", EntityID: code,
			After: map[string]any{"coupon_id": couponID, "member_id": m.ID, "member": m.Name + " (" + m.Login + ")"}})
	}
	// Any free code: a concurrent 회원선택 may take the one this one chose;
	// then the next free one is tried.
	for attempt := 0; ; attempt++ {
		err = s.DB.InTx(ctx, assign)
		if err == nil || code != "" || apperr.CodeOf(err) != apperr.Conflict || attempt == 3 {
			break
		}
	}
	if err != nil {
		return Code{}, err
	}
	return s.code(ctx, id)
}

func (s *Service) whyNotAssignable(ctx context.Context, q sqldb.Querier, couponID int64, code string) error {
	if code == "" {
		return apperr.New(apperr.Conflict, "남은 쿠폰번호가 없습니다. 추가 발행 후 지정해 주세요.", "No free code is left; issue more codes first.")
	}
	var memberID sql.NullInt64
	var used sql.NullTime
	var login string
	err := q.QueryRowContext(ctx, `SELECT member_id, member_login, used_at FROM coupon_codes WHERE coupon_id = $1 AND code = $2`, couponID, code).
		Scan(&memberID, &login, &used)
	switch {
	case err == sql.ErrNoRows:
		return apperr.NotFoundf("쿠폰번호", "coupon code")
	case err != nil:
		return err
	case used.Valid:
		return apperr.New(apperr.Conflict, "이미 사용된 쿠폰번호입니다.", "The code has been used.")
	case memberID.Valid:
		return apperr.New(apperr.Conflict, "이미 다른 회원("+login+")에게 지정된 쿠폰번호입니다. 먼저 회수해 주세요.", "The code is already assigned; recall it first.")
	}
	return apperr.New(apperr.Conflict, "쿠폰번호가 방금 바뀌었습니다. 다시 확인해 주세요.", "The code changed meanwhile; reload.")
}

// Recall is 쿠폰 회수: an assigned code that was not used goes back to no one.
func (s *Service) Recall(ctx context.Context, a access.Actor, couponID int64, code string) (Code, error) {
	c, err := s.Get(ctx, a, couponID)
	if err != nil {
		return Code{}, err
	}
	if err := a.CheckWrite(c.Site, "쿠폰", "coupon"); err != nil {
		return Code{}, err
	}
	code = NormalizeCode(code)
	if !plausibleCode(code) {
		return Code{}, apperr.NotFoundf("쿠폰번호", "coupon code")
	}
	now := sqldb.Instant(s.Now())
	var id int64
	err = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		var before Code
		_ = tx.QueryRowContext(ctx, `SELECT member_login, member_name FROM coupon_codes WHERE coupon_id = $1 AND code = $2`, couponID, code).
			Scan(&before.MemberLogin, &before.MemberName)
		err := tx.QueryRowContext(ctx, `UPDATE coupon_codes SET member_id = NULL, member_site = '', member_login = '', member_name = '',
			member_affiliation = '', assigned_at = NULL WHERE coupon_id = $1 AND code = $2 AND member_id IS NOT NULL AND used_at IS NULL
			RETURNING id`, couponID, code).Scan(&id)
		if err == sql.ErrNoRows {
			var memberID sql.NullInt64
			var used sql.NullTime
			err := tx.QueryRowContext(ctx, `SELECT member_id, used_at FROM coupon_codes WHERE coupon_id = $1 AND code = $2`, couponID, code).Scan(&memberID, &used)
			switch {
			case err == sql.ErrNoRows:
				return apperr.NotFoundf("쿠폰번호", "coupon code")
			case err != nil:
				return err
			case used.Valid:
				return apperr.New(apperr.Conflict, "이미 사용된 쿠폰은 회수할 수 없습니다. 주문을 취소하거나 전액환불하면 돌아옵니다.", "A used code cannot be recalled; cancelling or fully refunding its order gives it back.")
			}
			return apperr.New(apperr.Conflict, "회원에게 지정되지 않은 쿠폰번호입니다.", "The code is not assigned to anyone.")
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Site: c.Site, Action: "coupon.recall", Entity: "coupon_code", EntityID: code,
			Before: map[string]any{"member": before.MemberName + " (" + before.MemberLogin + ")"}, After: map[string]any{"coupon_id": couponID, "member": nil}})
	})
	if err != nil {
		return Code{}, err
	}
	return s.code(ctx, id)
}

func (s *Service) code(ctx context.Context, id int64) (Code, error) {
	c, err := scanCode(s.DB.Read().QueryRowContext(ctx, `SELECT `+codeColumns+` FROM `+codeFrom+` WHERE k.id = $1 ORDER BY u.id DESC LIMIT 1`, id))
	return c, sqldb.NotFound(err, "쿠폰번호", "coupon code")
}
