package shipping

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// NumberForms are the tracking-number forms a carrier may have.
var NumberForms = []struct{ Code, Label string }{
	{"", "숫자만"}, {"cj", "CJ대한통운 (10·12자리)"}, {"hanjin", "한진 (12·14자리)"}, {"lotte", "롯데 (12자리, 검증번호)"},
}

func knownForm(f string) bool {
	for _, c := range NumberForms {
		if c.Code == f {
			return true
		}
	}
	return false
}

// Tracking numbers of any courier have this many digits at most.
const maxDigits = 20

// NormalizeNumber strips hyphens and spaces from a tracking number and
// checks it against the courier's form: digits only, and where the form is
// known its length (CJ대한통운 10 or 12, 한진 12 or 14) and check digit
// (롯데: the last digit is the first eleven, as a number, mod 7). The
// refusal names the number and the reason.
func NormalizeNumber(form, raw string) (string, error) {
	n := strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' || r == '\t' || r == '\u00a0' {
			return -1
		}
		return r
	}, raw)
	bad := func(ko, en string) error {
		return &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("송장번호 %s: %s", raw, ko), English: fmt.Sprintf("tracking number %s: %s", raw, en),
			Fields: []apperr.FieldError{{Location: "tracking_no", Message: ko, English: en}}}
	}
	if n == "" {
		return "", bad("송장번호가 비어 있습니다.", "it is empty")
	}
	for _, r := range n {
		if r < '0' || r > '9' {
			return "", bad("숫자만 쓸 수 있습니다.", "digits only")
		}
	}
	if len(n) > maxDigits {
		return "", bad(fmt.Sprintf("%d자리를 넘습니다.", maxDigits), fmt.Sprintf("more than %d digits", maxDigits))
	}
	switch form {
	case "cj":
		if len(n) != 10 && len(n) != 12 {
			return "", bad(fmt.Sprintf("CJ대한통운 송장번호는 10자리 또는 12자리입니다 (%d자리).", len(n)), fmt.Sprintf("a CJ number has 10 or 12 digits, not %d", len(n)))
		}
	case "hanjin":
		if len(n) != 12 && len(n) != 14 {
			return "", bad(fmt.Sprintf("한진택배 송장번호는 12자리 또는 14자리입니다 (%d자리).", len(n)), fmt.Sprintf("a Hanjin number has 12 or 14 digits, not %d", len(n)))
		}
	case "lotte":
		if len(n) != 12 {
			return "", bad(fmt.Sprintf("롯데택배 송장번호는 12자리입니다 (%d자리).", len(n)), fmt.Sprintf("a Lotte number has 12 digits, not %d", len(n)))
		}
		first, _ := strconv.ParseInt(n[:11], 10, 64)
		if want := byte('0' + first%7); n[11] != want {
			return "", bad(fmt.Sprintf("롯데택배 송장번호의 마지막 자리(검증번호)가 맞지 않습니다 (%c가 아니라 %c이어야 합니다).", n[11], want),
				fmt.Sprintf("the check digit is %c, it should be %c", n[11], want))
		}
	}
	return n, nil
}

// TrackingURL is the courier's tracking page of number: the template with
// {n} replaced, or the number appended when the template has no {n}.
func TrackingURL(template, number string) string {
	if template == "" || number == "" {
		return ""
	}
	if strings.Contains(template, "{n}") {
		return strings.ReplaceAll(template, "{n}", url.QueryEscape(number))
	}
	return template + url.QueryEscape(number)
}

var carrierCode = regexp.MustCompile(`^[A-Z0-9]{2,10}$`)

func checkCarrier(fe *apperr.Fields, c *Carrier) {
	c.Name, c.URLTemplate = strings.TrimSpace(c.Name), strings.TrimSpace(c.URLTemplate)
	if c.Name == "" || utf8.RuneCountInString(c.Name) > 50 {
		fe.Add("name", "배송업체명은 1~50자입니다.", "name must have 1-50 characters")
	}
	u, err := url.Parse(strings.ReplaceAll(c.URLTemplate, "{n}", "0"))
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(c.URLTemplate) > 500:
		fe.Add("url_template", "조회 링크는 http:// 또는 https://로 시작하는 주소입니다 (송장번호 자리는 {n}).",
			"url_template must be an http(s) address; {n} marks the number")
	case strings.ContainsAny(strings.ReplaceAll(c.URLTemplate, "{n}", ""), "{}"):
		// {tracking_no} or {number} would stay in every link, the number after it.
		fe.Add("url_template", "조회 링크의 송장번호 자리는 {n}으로만 적습니다.", "url_template marks the number with {n} only")
	}
	if !knownForm(c.NumberForm) {
		fe.Add("number_form", "송장번호 형식은 비움, cj, hanjin, lotte 중 하나입니다.", "number_form must be empty, cj, hanjin or lotte")
	}
}

const carrierColumns = `code, name, url_template, number_form, retired,
	EXISTS (SELECT 1 FROM deliveries d WHERE d.carrier = carriers.code)`

func scanCarrier(s sqldb.Scanner) (Carrier, error) {
	var c Carrier
	err := s.Scan(&c.Code, &c.Name, &c.URLTemplate, &c.NumberForm, &c.Retired, &c.Used)
	return c, err
}

// Carriers lists the couriers in the manual's order; retired ones only when asked.
func (s *Service) Carriers(ctx context.Context, withRetired bool) ([]Carrier, error) {
	where := ` WHERE retired = FALSE`
	if withRetired {
		where = ""
	}
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT `+carrierColumns+` FROM carriers`+where+` ORDER BY sort, code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Carrier{}
	for rows.Next() {
		c, err := scanCarrier(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Carrier returns one courier.
func (s *Service) Carrier(ctx context.Context, q sqldb.Querier, code string) (Carrier, error) {
	c, err := scanCarrier(q.QueryRowContext(ctx, `SELECT `+carrierColumns+` FROM carriers WHERE code = $1`, code))
	if err != nil {
		return c, sqldb.NotFound(err, "배송업체", "carrier")
	}
	return c, nil
}

// CreateCarrier adds a courier (최고관리자).
func (s *Service) CreateCarrier(ctx context.Context, a access.Actor, c Carrier) (Carrier, error) {
	if err := a.RequireSuper(); err != nil {
		return c, err
	}
	c.Code = strings.ToUpper(strings.TrimSpace(c.Code))
	var fe apperr.Fields
	if !carrierCode.MatchString(c.Code) {
		fe.Add("code", "업체 코드는 영문 대문자·숫자 2~10자입니다 (예: CJ).", "code must be 2-10 capital letters or digits")
	}
	checkCarrier(&fe, &c)
	if err := fe.Err(); err != nil {
		return c, err
	}
	now := sqldb.Instant(s.Now())
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO carriers (code, name, url_template, number_form, retired, sort, created_at, updated_at)
			VALUES ($1, $2, $3, $4, FALSE, (SELECT COALESCE(MAX(sort), 0) + 1 FROM carriers), $5, $5)`, c.Code, c.Name, c.URLTemplate, c.NumberForm, now)
		if sqldb.IsUniqueViolation(err) {
			return &apperr.Error{Code: apperr.Conflict, Message: "이미 있는 업체 코드입니다: " + c.Code, English: "carrier exists: " + c.Code,
				Fields: []apperr.FieldError{{Location: "code", Message: "이미 있는 코드입니다.", English: "exists"}}}
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Action: "carrier.create", Entity: "carrier", EntityID: c.Code, After: c})
	})
	if err != nil {
		return Carrier{}, err
	}
	return s.Carrier(ctx, s.DB.Read(), c.Code)
}

// UpdateCarrier edits a courier, or retires or restores it.
func (s *Service) UpdateCarrier(ctx context.Context, a access.Actor, code string, p CarrierPatch) (Carrier, error) {
	if err := a.RequireSuper(); err != nil {
		return Carrier{}, err
	}
	now := sqldb.Instant(s.Now())
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		before, err := s.Carrier(ctx, tx, code)
		if err != nil {
			return err
		}
		next := before
		if p.Name != nil {
			next.Name = *p.Name
		}
		if p.URLTemplate != nil {
			next.URLTemplate = *p.URLTemplate
		}
		if p.NumberForm != nil {
			next.NumberForm = *p.NumberForm
		}
		if p.Retired != nil {
			next.Retired = *p.Retired
		}
		var fe apperr.Fields
		checkCarrier(&fe, &next)
		if err := fe.Err(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE carriers SET name = $1, url_template = $2, number_form = $3, retired = $4, updated_at = $5 WHERE code = $6`,
			next.Name, next.URLTemplate, next.NumberForm, next.Retired, now, before.Code); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Action: "carrier.update", Entity: "carrier", EntityID: before.Code, Before: before, After: next})
	})
	if err != nil {
		return Carrier{}, err
	}
	return s.Carrier(ctx, s.DB.Read(), code)
}

// RemoveCarrier deletes a courier that never shipped anything; one that did
// is retired instead (hidden from the choices, kept on its deliveries).
func (s *Service) RemoveCarrier(ctx context.Context, a access.Actor, code string) (Removal, error) {
	if err := a.RequireSuper(); err != nil {
		return Removal{}, err
	}
	out := Removal{Code: code}
	now := sqldb.Instant(s.Now())
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		c, err := s.Carrier(ctx, tx, code)
		if err != nil {
			return err
		}
		action := "carrier.delete"
		if c.Used {
			_, err = tx.ExecContext(ctx, `UPDATE carriers SET retired = TRUE, updated_at = $1 WHERE code = $2`, now, code)
			out.Retired, action = true, "carrier.retire"
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM carriers WHERE code = $1`, code)
			out.Deleted = true
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Action: action, Entity: "carrier", EntityID: code, Before: c})
	})
	return out, err
}

// carrierMap reads every courier, retired ones too, by code.
func (s *Service) carrierMap(ctx context.Context) (map[string]Carrier, error) {
	list, err := s.Carriers(ctx, true)
	if err != nil {
		return nil, err
	}
	m := make(map[string]Carrier, len(list))
	for _, c := range list {
		m[c.Code] = c
	}
	return m, nil
}

// day parses an optional YYYY-MM-DD as noon in Seoul (a day, not an instant).
func parseDay(field, v string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	t, err := time.ParseInLocation("2006-01-02", v, seoul)
	if err != nil {
		return nil, &apperr.Error{Code: apperr.Invalid, Message: "날짜는 YYYY-MM-DD 형식입니다: " + v, English: "dates are YYYY-MM-DD",
			Fields: []apperr.FieldError{{Location: field, Message: "날짜는 YYYY-MM-DD 형식입니다.", English: "YYYY-MM-DD"}}}
	}
	t = t.Add(12 * time.Hour).UTC()
	return &t, nil
}
