package payout

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/sheet"
)

// BatchSize is how many payout rows one import transaction stores.
var BatchSize = 1000

// Service is 정산대사.
type Service struct {
	DB  *sqldb.DB
	Now func() time.Time
	// AfterBatch, when set, runs after each committed batch (tests stop an
	// import half-way with it).
	AfterBatch func(batch int) error
	// Limits bounds the files read (zero: sheet.DefaultLimits).
	Limits sheet.Limits
}

func canWrite(a access.Actor) error {
	if a.Role == access.Viewer {
		return access.ErrReadOnly
	}
	return nil
}

func (s *Service) marketplace(ctx context.Context, code string) (market.Marketplace, error) {
	return (&market.Service{DB: s.DB}).Marketplace(ctx, strings.TrimSpace(code))
}

// Formats lists every marketplace's payout format (a preset, or empty, where none is saved).
func (s *Service) Formats(ctx context.Context) ([]FormatInfo, error) {
	mps, err := (&market.Service{DB: s.DB}).Marketplaces(ctx)
	if err != nil {
		return nil, err
	}
	out := []FormatInfo{}
	for _, m := range mps {
		f, preset, err := s.format(ctx, s.DB.Read(), m)
		if err != nil {
			return nil, err
		}
		out = append(out, FormatInfo{Marketplace: m.Code, Name: m.Name, Format: f, Preset: preset})
	}
	return out, nil
}

// Format returns a marketplace's payout format.
func (s *Service) Format(ctx context.Context, marketplace string) (FormatInfo, error) {
	m, err := s.marketplace(ctx, marketplace)
	if err != nil {
		return FormatInfo{}, err
	}
	f, preset, err := s.format(ctx, s.DB.Read(), m)
	return FormatInfo{Marketplace: m.Code, Name: m.Name, Format: f, Preset: preset}, err
}

func (s *Service) format(ctx context.Context, q sqldb.Querier, m market.Marketplace) (Format, bool, error) {
	var raw string
	err := q.QueryRowContext(ctx, `SELECT mapping FROM payout_formats WHERE marketplace_id = $1`, m.ID).Scan(&raw)
	if apperr.IsNotFound(sqldb.NotFound(err, "", "")) {
		f := Presets[m.Code]
		if f.Fields == nil {
			f.Fields = map[string]string{}
		}
		return f, true, nil
	}
	if err != nil {
		return Format{}, false, err
	}
	var f Format
	return f, false, json.Unmarshal([]byte(raw), &f)
}

// Validate checks a format: the required fields are mapped, amounts and
// words are sane.
func Validate(f *Format) error {
	var fe apperr.Fields
	if f.Fields == nil {
		f.Fields = map[string]string{}
	}
	known := map[string]bool{}
	for _, fl := range Fields {
		known[fl.Code] = true
		h := strings.TrimSpace(f.Fields[fl.Code])
		if h == "" {
			delete(f.Fields, fl.Code)
		} else {
			f.Fields[fl.Code] = h
		}
		if fl.Required && h == "" {
			fe.Add("fields."+fl.Code, fl.Label+"에 해당하는 헤더를 적어 주세요.", fl.Code+" needs a header")
		}
	}
	for code := range f.Fields {
		if !known[code] {
			fe.Add("fields."+code, "알 수 없는 항목입니다: "+code, "unknown field "+code)
		}
	}
	clean := func(list []string) []string {
		out := []string{}
		for _, v := range list {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
		return out
	}
	f.Fees, f.ShippingWords, f.CancelWords, f.AdjustWords = clean(f.Fees), clean(f.ShippingWords), clean(f.CancelWords), clean(f.AdjustWords)
	if f.HoldbackPercent < 0 || f.HoldbackPercent > 99 {
		fe.Add("holdback_percent", "보류 비율은 0~99%입니다.", "holdback_percent is 0-99")
	}
	if f.Tolerance < 0 || f.Tolerance > 1_000_000 {
		fe.Add("tolerance", "허용 오차는 0~1,000,000원입니다.", "tolerance is 0-1,000,000 won")
	}
	return fe.Err()
}

// SaveFormat stores a marketplace's payout format (audited).
func (s *Service) SaveFormat(ctx context.Context, a access.Actor, marketplace string, f Format) (FormatInfo, error) {
	if err := canWrite(a); err != nil {
		return FormatInfo{}, err
	}
	if err := Validate(&f); err != nil {
		return FormatInfo{}, err
	}
	m, err := s.marketplace(ctx, marketplace)
	if err != nil {
		return FormatInfo{}, err
	}
	b, _ := json.Marshal(f)
	now := sqldb.Instant(s.Now())
	err = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		before, _, err := s.format(ctx, tx, m)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO payout_formats (marketplace_id, mapping, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (marketplace_id) DO UPDATE SET mapping = excluded.mapping, updated_at = excluded.updated_at`, m.ID, string(b), now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Action: "payout_format.save", Entity: "marketplace", EntityID: m.Code, Before: before, After: f})
	})
	return FormatInfo{Marketplace: m.Code, Name: m.Name, Format: f}, err
}

// ImportInput is one uploaded payout file.
type ImportInput struct {
	Marketplace string
	Filename    string
	Data        []byte
	Encoding    string // CSV: "", utf-8 or cp949
	Password    string // encrypted xlsx
	DryRun      bool
}

func contains(s string, words []string) bool {
	for _, w := range words {
		if w != "" && strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func cleanNo(s string) string {
	s = strings.TrimSpace(s)
	if t, ok := strings.CutSuffix(s, ".0"); ok && t != "" && strings.Trim(t, "0123456789") == "" {
		return t
	}
	return s
}

// parse reads a payout file against the format: every row or the errors
// (a payout row is money received: none is skipped).
func parse(data []byte, in ImportInput, f Format, lim sheet.Limits) (Preview, []Row, error) {
	var p Preview
	rows, kind, err := sheet.Read(data, in.Filename, sheet.ReadOptions{Encoding: in.Encoding, Password: in.Password, Limits: lim})
	if err != nil {
		return p, nil, err
	}
	p.Kind = kind
	var want []string
	for _, h := range f.Fields {
		want = append(want, h)
	}
	want = append(want, f.Fees...)
	hr, idx, missing := sheet.FindHeader(rows, want, NormHeader)
	if hr < 0 {
		return p, nil, apperr.New(apperr.Invalid, fmt.Sprintf("정산내역 포맷의 헤더가 있는 행을 찾지 못했습니다 (예: %q). 판매처를 확인해 주세요.", f.Fields["order_no"]),
			"no row holds the payout format's headers")
	}
	if len(missing) > 0 {
		var names []string
		for _, h := range want {
			for _, m := range missing {
				if NormHeader(h) == m {
					names = append(names, fmt.Sprintf("%q", h))
				}
			}
		}
		sort.Strings(names)
		return p, nil, apperr.New(apperr.Invalid, "파일에 없는 헤더: "+strings.Join(names, ", ")+" (정산내역 포맷을 고치거나 다른 파일을 올려 주세요)",
			"headers missing from the file: "+strings.Join(names, ", "))
	}
	p.HeaderRow = hr + 1
	var out []Row
	for i := hr + 1; i < len(rows); i++ {
		row := rows[i]
		cell := func(field string) (string, string) {
			h, ok := f.Fields[field]
			if !ok {
				return "", ""
			}
			j, ok := idx[NormHeader(h)]
			if !ok || j >= len(row) {
				return "", h
			}
			return strings.TrimSpace(row[j]), h
		}
		blank := true
		for _, c := range row {
			if strings.TrimSpace(c) != "" {
				blank = false
				break
			}
		}
		if blank {
			continue
		}
		r := Row{RowNo: i + 1}
		var h string
		r.OrderNo, h = cell("order_no")
		r.OrderNo = cleanNo(r.OrderNo)
		if r.OrderNo == "" {
			// A totals line (합계, 소계) at the foot of the file is not a payout row.
			if strings.Contains(strings.Join(row, ""), "합계") || strings.Contains(strings.Join(row, ""), "소계") {
				continue
			}
			p.Errors = append(p.Errors, RowError{Row: i + 1, Column: h, Reason: "주문번호가 비어 있습니다"})
			continue
		}
		r.SubNo, _ = cell("sub_no")
		r.SubNo = cleanNo(r.SubNo)
		r.State, _ = cell("state")
		r.Part, _ = cell("part")
		kindText, _ := cell("kind")
		bad := false
		amount := func(field string, header string, v string) int64 {
			if v == "" {
				return 0
			}
			n, err := sheet.ParseWon(v)
			if err != nil || n > 1_000_000_000_000 || n < -1_000_000_000_000 {
				reason := "금액을 읽을 수 없습니다"
				if err != nil {
					reason = err.Error()
				}
				p.Errors = append(p.Errors, RowError{Row: i + 1, Column: header, Value: v, Reason: reason})
				bad = true
			}
			return n
		}
		if v, h := cell("net"); v == "" {
			p.Errors = append(p.Errors, RowError{Row: i + 1, Column: h, Reason: "입금액이 비어 있습니다"})
			bad = true
		} else {
			r.Net = amount("net", h, v)
		}
		if v, h := cell("base"); true {
			r.Base = amount("base", h, v)
		}
		sign := int64(1)
		if f.NegativeDeductions {
			sign = -1
		}
		if v, h := cell("coupon"); true {
			r.Coupon = sign * amount("coupon", h, v)
		}
		for _, fh := range f.Fees {
			j := idx[NormHeader(fh)]
			if j < len(row) {
				r.Fee += sign * amount("fee", fh, strings.TrimSpace(row[j]))
			}
		}
		if v, h := cell("settle_day"); v != "" {
			t, err := sheet.ParseDate(v)
			if err != nil {
				p.Errors = append(p.Errors, RowError{Row: i + 1, Column: h, Value: v, Reason: err.Error()})
				bad = true
			} else {
				r.SettleDay = t.Format(kst.DayLayout)
			}
		}
		switch word := kindText + " " + r.State; {
		case contains(kindText, f.ShippingWords):
			r.Kind = KindShipping
		case contains(word, f.CancelWords):
			r.Kind = KindCancel
		case contains(word, f.AdjustWords):
			r.Kind = KindAdjustment
		case kindText == "" && r.Net < 0:
			r.Kind = KindCancel
		default:
			r.Kind = KindSale
		}
		if bad {
			continue
		}
		out = append(out, r)
		p.PaidTotal += r.Net
		if r.SettleDay != "" && (p.From == "" || r.SettleDay < p.From) {
			p.From = r.SettleDay
		}
		if r.SettleDay > p.To {
			p.To = r.SettleDay
		}
	}
	p.Rows = len(out) + len(p.Errors)
	if p.Errors == nil {
		p.Errors = []RowError{}
	}
	if len(out) == 0 && len(p.Errors) == 0 {
		return p, nil, apperr.New(apperr.Invalid, "헤더 아래에 정산 행이 없습니다.", "no payout rows under the header")
	}
	return p, out, nil
}

// match finds the line each row pays: a sale, cancel or adjustment row by
// order and line number (an order of one line by its order number alone), a
// shipping row the line that carries its bundle's shipping (the bundle of the
// line it names, else of the order's first line). A row of no known line
// stays unmatched (0).
func match(ctx context.Context, q sqldb.Querier, marketplaceID int64, rows []Row) error {
	seen := map[string]bool{}
	var nos []string
	for _, r := range rows {
		if !seen[r.OrderNo] {
			seen[r.OrderNo] = true
			nos = append(nos, r.OrderNo)
		}
	}
	keys, err := market.LineKeys(ctx, q, marketplaceID, nos)
	if err != nil {
		return err
	}
	byKey := map[string]market.LineKey{}
	byOrder := map[string][]market.LineKey{}
	for _, k := range keys {
		byKey[k.OrderNo+"\x00"+k.SubNo] = k
		byOrder[k.OrderNo] = append(byOrder[k.OrderNo], k)
	}
	var bundles []int64
	bseen := map[int64]bool{}
	for _, r := range rows {
		if r.Kind == KindShipping {
			for _, k := range byOrder[r.OrderNo] {
				if !bseen[k.BundleID] {
					bseen[k.BundleID] = true
					bundles = append(bundles, k.BundleID)
				}
			}
		}
	}
	first, err := market.BundleFirstLines(ctx, q, bundles)
	if err != nil {
		return err
	}
	for i := range rows {
		r := &rows[i]
		var k market.LineKey
		var ok bool
		switch {
		case r.Kind == KindShipping:
			// An order of several shipments (bundles) pays each one's
			// shipping in a row of its own, naming one of its lines.
			if l, found := byKey[r.OrderNo+"\x00"+r.SubNo]; found && r.SubNo != "" {
				k, ok = first[l.BundleID]
			} else if ls := byOrder[r.OrderNo]; len(ls) > 0 {
				k, ok = first[ls[0].BundleID]
			}
		case r.SubNo != "":
			k, ok = byKey[r.OrderNo+"\x00"+r.SubNo]
		case len(byOrder[r.OrderNo]) == 1:
			k, ok = byOrder[r.OrderNo][0], true
		}
		if ok {
			r.MarketOrderID, r.LineDay = k.ID, k.OrderDay
		}
	}
	return nil
}

// Import reads a payout file. With DryRun it returns the preview and stores
// nothing. Otherwise it stores the file as a statement, its rows in batched
// transactions, each matched to its line, and reconciles the months of the
// lines it touches. The same file twice is refused; a file whose import
// stopped half-way is resumed where it stopped.
func (s *Service) Import(ctx context.Context, a access.Actor, in ImportInput) (Preview, *Statement, error) {
	if err := canWrite(a); err != nil {
		return Preview{}, nil, err
	}
	m, err := s.marketplace(ctx, in.Marketplace)
	if err != nil {
		return Preview{}, nil, err
	}
	f, _, err := s.format(ctx, s.DB.Read(), m)
	if err != nil {
		return Preview{}, nil, err
	}
	if f.Fields["order_no"] == "" || f.Fields["net"] == "" {
		return Preview{}, nil, apperr.New(apperr.Invalid, "판매처 "+m.Name+"의 정산내역 포맷이 없습니다. 먼저 정산내역 포맷을 설정해 주세요.", "marketplace "+m.Code+" has no payout format")
	}
	p, rows, err := parse(in.Data, in, f, s.Limits)
	if err != nil {
		return p, nil, err
	}
	if len(p.Errors) > 0 && !in.DryRun {
		first := p.Errors[0]
		return p, nil, &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("읽을 수 없는 칸이 %d개 있어 가져오지 않았습니다 (첫 번째: %d행 %q %q: %s).", len(p.Errors), first.Row, first.Column, first.Value, first.Reason),
			English: fmt.Sprintf("%d cells cannot be read; nothing was imported (first: row %d, %s)", len(p.Errors), first.Row, first.Column),
			Fields:  []apperr.FieldError{{Location: "file", Message: fmt.Sprintf("%d행 %s: %s", first.Row, first.Column, first.Reason), English: "unreadable cell"}}}
	}
	for start := 0; start < len(rows); start += 5000 {
		if err := match(ctx, s.DB.Read(), m.ID, rows[start:min(start+5000, len(rows))]); err != nil {
			return p, nil, fmt.Errorf("match: %w", err)
		}
	}
	for _, r := range rows {
		if r.MarketOrderID != 0 {
			p.Matched++
		} else {
			p.Unmatched++
		}
	}
	p.Sample = append([]Row(nil), rows[:min(20, len(rows))]...) // a copy: the rows are let go before reconciling
	sum := sha256.Sum256(in.Data)
	hash := hex.EncodeToString(sum[:])
	var prev Statement
	var prevStatus string
	err = s.DB.Read().QueryRowContext(ctx, `SELECT id, status, created_at FROM payout_statements WHERE marketplace_id = $1 AND file_hash = $2`, m.ID, hash).
		Scan(&prev.ID, &prevStatus, &prev.CreatedAt)
	if err == nil && prevStatus == "done" {
		return p, nil, apperr.New(apperr.Conflict, fmt.Sprintf("이미 가져온 정산내역입니다 (#%d, %s).", prev.ID, prev.CreatedAt.In(kst.Seoul).Format("2006-01-02 15:04")),
			fmt.Sprintf("this payout file was imported already (statement %d)", prev.ID))
	}
	if err != nil && !apperr.IsNotFound(sqldb.NotFound(err, "", "")) {
		return p, nil, err
	}
	// A row a stored statement holds already (an overlapping download: the
	// first half of a month, then the whole month) would be counted twice
	// as paid, matched or 미매칭: the file is refused, naming those rows.
	dups, err := storedAlready(ctx, s.DB.Read(), m.ID, prev.ID, rows)
	if err != nil {
		return p, nil, err
	}
	for _, d := range dups {
		p.Errors = append(p.Errors, RowError{Row: d.row, Column: f.Fields["order_no"], Value: d.orderNo,
			Reason: fmt.Sprintf("정산내역 #%d에 이미 있는 행입니다 (같은 주문·구분·정산일·금액)", d.statement)})
	}
	if len(dups) > 0 && !in.DryRun {
		first := dups[0]
		return p, nil, &apperr.Error{Code: apperr.Conflict,
			Message: fmt.Sprintf("이미 가져온 정산내역과 겹치는 행이 %d개 있어 가져오지 않았습니다 (첫 번째: %d행 주문번호 %s, 정산내역 #%d). 겹치지 않는 기간의 파일을 가져와 주세요.", len(dups), first.row, first.orderNo, first.statement),
			English: fmt.Sprintf("%d rows are in a payout file imported already (first: row %d, order %s, statement %d); nothing was imported", len(dups), first.row, first.orderNo, first.statement),
			Fields:  []apperr.FieldError{{Location: "file", Message: fmt.Sprintf("%d행: 정산내역 #%d에 이미 있는 행입니다.", first.row, first.statement), English: "row imported already"}}}
	}
	if in.DryRun {
		return p, nil, nil
	}
	now := sqldb.Instant(s.Now())
	st := &Statement{ID: prev.ID, Marketplace: m.Code, Filename: in.Filename, Kind: p.Kind, Status: "running", From: p.From, To: p.To,
		Rows: int64(len(rows)), CreatedBy: a.Login, CreatedAt: now}
	err = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		if st.ID != 0 { // resume a statement stopped half-way
			_, err := tx.ExecContext(ctx, `UPDATE payout_statements SET status = 'running' WHERE id = $1`, st.ID)
			return err
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO payout_statements (marketplace_id, filename, file_hash, kind, status, period_from, period_to, rows_total, created_by, created_at)
			VALUES ($1, $2, $3, $4, 'running', $5, $6, $7, $8, $9) RETURNING id`, m.ID, in.Filename, hash, p.Kind, p.From, p.To, len(rows), a.Login, now).Scan(&st.ID)
		if sqldb.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "같은 정산내역을 다른 곳에서 가져오는 중입니다.", "the same payout file is being imported")
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Action: "payout.import", Entity: "payout_statement", EntityID: st.ID,
			After: map[string]any{"marketplace": m.Code, "file": in.Filename, "rows": len(rows), "paid_total": p.PaidTotal}})
	})
	if err != nil {
		return p, nil, err
	}
	runErr := s.store(ctx, m.ID, st.ID, rows)
	if runErr != nil {
		runErr = fmt.Errorf("store: %w", runErr)
	}
	months := map[string]bool{}
	for _, r := range rows {
		if r.LineDay != "" {
			months[r.LineDay[:7]] = true
		}
	}
	rows = nil // not needed by the reconciliation: let the garbage collector have them
	if runErr == nil {
		for _, mo := range sortedKeys(months) {
			if runErr = s.Reconcile(ctx, m.ID, mo); runErr != nil {
				runErr = fmt.Errorf("reconcile %s: %w", mo, runErr)
				break
			}
		}
	}
	status := "done"
	if runErr != nil {
		status = "failed"
	}
	bg := context.WithoutCancel(ctx)
	fin := sqldb.Instant(s.Now())
	if err := s.DB.InTx(bg, func(tx *sqldb.Tx) error {
		_, err := tx.ExecContext(bg, `UPDATE payout_statements SET status = $1, finished_at = $2 WHERE id = $3`, status, fin, st.ID)
		return err
	}); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		return p, nil, runErr
	}
	out, err := s.Statement(ctx, st.ID)
	return p, &out, err
}

// storedRow is a row of a file that a stored statement holds already.
type storedRow struct {
	row       int
	orderNo   string
	statement int64
}

// storedAlready returns the rows of rows that a stored statement of the
// marketplace other than except (a statement being resumed) holds already: a
// matched row with the same line, sub-order, kind, part, settle day and
// amount, or a row of a stored 미매칭 row (counted as paid as an unmatched
// line, and maybe stored before its line was imported) with the same order
// number in the line's place.
func storedAlready(ctx context.Context, q sqldb.Querier, marketplaceID, except int64, rows []Row) ([]storedRow, error) {
	type key struct {
		line                        int64
		order, sub, kind, part, day string
		net                         int64
	}
	keyOf := func(r Row) key {
		if r.MarketOrderID != 0 {
			return key{line: r.MarketOrderID, sub: r.SubNo, kind: r.Kind, part: r.Part, day: r.SettleDay, net: r.Net}
		}
		return key{order: r.OrderNo, sub: r.SubNo, kind: r.Kind, part: r.Part, day: r.SettleDay, net: r.Net}
	}
	var lines []int64
	var orders []string
	seenLine, seenOrder := map[int64]bool{}, map[string]bool{}
	for _, r := range rows {
		if r.MarketOrderID != 0 && !seenLine[r.MarketOrderID] {
			seenLine[r.MarketOrderID] = true
			lines = append(lines, r.MarketOrderID)
		}
		if !seenOrder[r.OrderNo] { // a row stored as 미매칭 before its line was imported
			seenOrder[r.OrderNo] = true
			orders = append(orders, r.OrderNo)
		}
	}
	stored := map[key]int64{}
	read := func(w sqldb.Where) error {
		rs, err := q.QueryContext(ctx, `SELECT COALESCE(market_order_id, 0), order_no, sub_no, kind, part, settle_day, net, statement_id FROM payout_rows`+w.SQL(), w.Args()...)
		return sqldb.ScanEach(rs, err, func(row sqldb.Scanner) error {
			var r Row
			var st int64
			if err := row.Scan(&r.MarketOrderID, &r.OrderNo, &r.SubNo, &r.Kind, &r.Part, &r.SettleDay, &r.Net, &st); err != nil {
				return err
			}
			stored[keyOf(r)] = st
			return nil
		})
	}
	for start := 0; start < len(lines); start += 500 {
		var w sqldb.Where
		w.Add("marketplace_id = ?", marketplaceID)
		w.InInt("market_order_id", lines[start:min(start+500, len(lines))])
		w.Add("statement_id <> ?", except)
		if err := read(w); err != nil {
			return nil, err
		}
	}
	for start := 0; start < len(orders); start += 500 {
		var w sqldb.Where
		w.Add("marketplace_id = ?", marketplaceID)
		w.Add("market_order_id IS NULL")
		w.In("order_no", orders[start:min(start+500, len(orders))])
		w.Add("statement_id <> ?", except)
		if err := read(w); err != nil {
			return nil, err
		}
	}
	var out []storedRow
	for _, r := range rows {
		st, ok := stored[keyOf(r)]
		if !ok && r.MarketOrderID != 0 {
			unmatched := r
			unmatched.MarketOrderID = 0
			st, ok = stored[keyOf(unmatched)]
		}
		if ok {
			out = append(out, storedRow{row: r.RowNo, orderNo: r.OrderNo, statement: st})
		}
	}
	return out, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// store writes the rows in batches, each a long transaction (sqldb.Alone);
// a row stored already (a resumed import) is skipped by its row number.
// Unmatched rows become 미매칭 lines at once.
func (s *Service) store(ctx context.Context, marketplaceID, statementID int64, rows []Row) error {
	for batch, start := 0, 0; start < len(rows); batch, start = batch+1, start+BatchSize {
		part := rows[start:min(start+BatchSize, len(rows))]
		err := s.DB.InTx(sqldb.Alone(ctx), func(tx *sqldb.Tx) error {
			ids, err := insertRows(ctx, tx, marketplaceID, statementID, part)
			if err != nil {
				return err
			}
			var matched, unmatched, paid int64
			var orphans [][]any
			for _, r := range part {
				id, ok := ids[r.RowNo]
				if !ok {
					continue // stored by the run that stopped
				}
				paid += r.Net
				if r.MarketOrderID != 0 {
					matched++
					continue
				}
				unmatched++
				orphans = append(orphans, []any{marketplaceID, id, r.OrderNo, r.SubNo, r.SettleDay, r.Net, -r.Net, "unmatched"})
			}
			if err := tx.WriteRows(ctx, orphanLines, orphans); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE payout_statements SET rows_done = rows_done + $1, rows_matched = rows_matched + $2,
				rows_unmatched = rows_unmatched + $3, paid_total = paid_total + $4 WHERE id = $5`, matched+unmatched, matched, unmatched, paid, statementID)
			return err
		})
		if err != nil {
			return err
		}
		if s.AfterBatch != nil {
			if err := s.AfterBatch(batch); err != nil {
				return err
			}
		}
	}
	return nil
}

// orphanLines are the 미매칭 lines of payout rows that met no order line.
var orphanLines = sqldb.Bulk{Table: "payout_lines", Columns: []string{"marketplace_id", "payout_row_id", "order_no", "sub_no", "settle_day", "paid",
	"difference", "state"}}

// rowColumns are payout_rows' columns as insertRows writes them.
var rowColumns = []string{"statement_id", "marketplace_id", "row_no", "order_no", "sub_no", "kind", "part", "market_order_id", "line_day", "base", "fee",
	"coupon", "net", "settle_day", "state_text"}

// insertRows stores a batch's rows and returns the ids of those it stored,
// by row number (a row stored by an earlier run that stopped keeps its id
// and is not returned). Multi-row statements of up to 128 rows, the texts
// made once per shape (sqldb.InsertText).
func insertRows(ctx context.Context, tx *sqldb.Tx, marketplaceID, statementID int64, part []Row) (map[int]int64, error) {
	const tail = ` ON CONFLICT (statement_id, row_no) DO NOTHING RETURNING id, row_no`
	ids := make(map[int]int64, len(part))
	err := tx.InsertReturning(ctx, "payout_rows", rowColumns, len(part), 128, tail, func(i int, args []any) []any {
		r := part[i]
		var mo any
		if r.MarketOrderID != 0 {
			mo = r.MarketOrderID
		}
		return append(args, statementID, marketplaceID, r.RowNo, r.OrderNo, r.SubNo, r.Kind, r.Part, mo, r.LineDay, r.Base, r.Fee, r.Coupon, r.Net,
			r.SettleDay, r.State)
	}, func(row sqldb.Scanner) error {
		var id int64
		var no int
		if err := row.Scan(&id, &no); err != nil {
			return err
		}
		ids[no] = id
		return nil
	})
	return ids, err
}
