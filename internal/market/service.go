package market

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/sheet"
)

// BatchSize is how many rows one import transaction commits.
const BatchSize = 1000

// Service holds the marketplace rules. Marketplace data is the company's,
// not a site's: every staff member reads it, a viewer changes nothing.
type Service struct {
	DB  *sqldb.DB
	Now func() time.Time
	// AfterBatch, when set, runs after each committed batch (tests use it to
	// stop an import half-way).
	AfterBatch func(batch int) error
	// Settle, when set, settles the lines of the order numbers in the
	// import's own transaction (the settlement package provides it).
	Settle func(ctx context.Context, tx *sqldb.Tx, marketplaceID int64, orderNos []string) error
	// Lease is how long a running import session stays this process's
	// without renewal (0: DefaultLease); see session.go.
	Lease time.Duration
	// Catalog answers whether the actor may see a product (a match may name
	// only those); when nil, one over DB is used.
	Catalog *catalog.Service
	// LateCancel, when set, is asked before a line is cancelled: when the
	// line's month is closed (정산마감) it books the cancellation as an
	// adjustment in the open month (the settlement package provides it) and
	// the line keeps its cancelled flag, so the closed month's figures do
	// not change; only its status text records what the sheet said.
	LateCancel func(ctx context.Context, tx *sqldb.Tx, marketplaceID, lineID int64, orderDay, today string) (closed, booked bool, err error)
	// Preset, when set, runs in the transaction that creates a marketplace
	// from a preset sheet format (the settlement package adds its default rule).
	Preset func(ctx context.Context, tx *sqldb.Tx, a access.Actor, code string, f Format) error
}

func canWrite(a access.Actor) error {
	if a.Role == access.Viewer {
		return access.ErrReadOnly
	}
	return nil
}

var codePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{1,31}$`)

// Marketplaces lists the marketplaces by name.
func (s *Service) Marketplaces(ctx context.Context) ([]Marketplace, error) {
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT id, code, name, active, created_at FROM marketplaces ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Marketplace{}
	for rows.Next() {
		var m Marketplace
		if err := rows.Scan(&m.ID, &m.Code, &m.Name, &m.Active, &m.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Marketplace returns the marketplace with the code.
func (s *Service) Marketplace(ctx context.Context, code string) (Marketplace, error) {
	var m Marketplace
	err := s.DB.Read().QueryRowContext(ctx, `SELECT id, code, name, active, created_at FROM marketplaces WHERE code = $1`, code).
		Scan(&m.ID, &m.Code, &m.Name, &m.Active, &m.CreatedAt)
	return m, sqldb.NotFound(err, "판매처 "+code, "marketplace "+code)
}

// CreateMarketplace adds a 판매처; a code with a preset (smartstore, coupang,
// esm, 11st) starts with that sheet format and its default settlement rule.
func (s *Service) CreateMarketplace(ctx context.Context, a access.Actor, m Marketplace) (Marketplace, error) {
	if err := canWrite(a); err != nil {
		return m, err
	}
	m.Code, m.Name = strings.TrimSpace(m.Code), strings.TrimSpace(m.Name)
	var fe apperr.Fields
	if !codePattern.MatchString(m.Code) {
		fe.Add("code", "판매처 코드는 영문 소문자·숫자·-·_ 2~32자입니다.", "code must be 2-32 lowercase letters, digits, - or _")
	}
	if m.Name == "" {
		fe.Add("name", "판매처 이름을 입력해 주세요.", "name is required")
	}
	if err := fe.Err(); err != nil {
		return m, err
	}
	now := sqldb.Instant(s.Now())
	m.Active, m.CreatedAt = true, now
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO marketplaces (code, name, active, created_at) VALUES ($1, $2, TRUE, $3) RETURNING id`, m.Code, m.Name, now).Scan(&m.ID)
		if sqldb.IsUniqueViolation(err) {
			return &apperr.Error{Code: apperr.Conflict, Message: "이미 있는 판매처 코드입니다: " + m.Code, English: "marketplace exists: " + m.Code,
				Fields: []apperr.FieldError{{Location: "code", Message: "이미 있는 코드입니다.", English: "exists"}}}
		}
		if err != nil {
			return err
		}
		if preset, ok := Presets[m.Code]; ok {
			if err := saveFormat(ctx, tx, m.ID, preset, now); err != nil {
				return err
			}
			if s.Preset != nil {
				if err := s.Preset(ctx, tx, a, m.Code, preset); err != nil {
					return err
				}
			}
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Action: "marketplace.create", Entity: "marketplace", EntityID: m.Code, After: m})
	})
	return m, err
}

// Suppliers lists the suppliers by name.
func (s *Service) Suppliers(ctx context.Context) ([]Supplier, error) {
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT id, code, name, created_at FROM suppliers ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Supplier{}
	for rows.Next() {
		var m Supplier
		if err := rows.Scan(&m.ID, &m.Code, &m.Name, &m.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// CreateSupplier adds a 공급처.
func (s *Service) CreateSupplier(ctx context.Context, a access.Actor, m Supplier) (Supplier, error) {
	if err := canWrite(a); err != nil {
		return m, err
	}
	m.Code, m.Name = strings.TrimSpace(m.Code), strings.TrimSpace(m.Name)
	var fe apperr.Fields
	if !codePattern.MatchString(m.Code) {
		fe.Add("code", "공급처 코드는 영문 소문자·숫자·-·_ 2~32자입니다.", "code must be 2-32 lowercase letters, digits, - or _")
	}
	if m.Name == "" {
		fe.Add("name", "공급처 이름을 입력해 주세요.", "name is required")
	}
	if err := fe.Err(); err != nil {
		return m, err
	}
	now := sqldb.Instant(s.Now())
	m.CreatedAt = now
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO suppliers (code, name, created_at) VALUES ($1, $2, $3) RETURNING id`, m.Code, m.Name, now).Scan(&m.ID)
		if sqldb.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, "이미 있는 공급처 코드입니다: "+m.Code, "supplier exists: "+m.Code)
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Action: "supplier.create", Entity: "supplier", EntityID: m.Code, After: m})
	})
	return m, err
}

// Format returns the sheet format of a marketplace (empty when none is set).
func (s *Service) Format(ctx context.Context, marketplace string) (Format, error) {
	m, err := s.Marketplace(ctx, marketplace)
	if err != nil {
		return Format{}, err
	}
	return loadFormat(ctx, s.DB.Read(), m.ID)
}

func loadFormat(ctx context.Context, q sqldb.Querier, marketplaceID int64) (Format, error) {
	var raw string
	err := q.QueryRowContext(ctx, `SELECT mapping FROM sheet_formats WHERE marketplace_id = $1`, marketplaceID).Scan(&raw)
	f := Format{Fields: map[string]string{}, Codes: map[int]string{}}
	if err != nil {
		if apperr.IsNotFound(sqldb.NotFound(err, "", "")) {
			return f, nil
		}
		return f, err
	}
	return f, json.Unmarshal([]byte(raw), &f)
}

// PrepaidWords are the words of a marketplace's sheet format that mark a
// line's shipping as prepaid (the settlement's usertrans_cnt).
func PrepaidWords(ctx context.Context, q sqldb.Querier, marketplaceID int64) ([]string, error) {
	f, err := loadFormat(ctx, q, marketplaceID)
	if err != nil {
		return nil, err
	}
	return f.Prepaid(), nil
}

// ValidateFormat checks a format: the required fields are mapped, code
// numbers are 1..99, and no field names an unknown code.
func ValidateFormat(f *Format) error {
	var fe apperr.Fields
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
	for n, h := range f.Codes {
		if n < 1 || n > MaxCode {
			fe.Add(fmt.Sprintf("codes.%d", n), "정산코드는 code1~code99입니다.", "codes are code1..code99")
		}
		if strings.TrimSpace(h) == "" {
			delete(f.Codes, n)
		} else {
			f.Codes[n] = strings.TrimSpace(h)
		}
	}
	return fe.Err()
}

// SaveFormat stores a marketplace's sheet format.
func (s *Service) SaveFormat(ctx context.Context, a access.Actor, marketplace string, f Format) (Format, error) {
	if err := canWrite(a); err != nil {
		return f, err
	}
	if f.Fields == nil {
		f.Fields = map[string]string{}
	}
	if f.Codes == nil {
		f.Codes = map[int]string{}
	}
	if err := ValidateFormat(&f); err != nil {
		return f, err
	}
	m, err := s.Marketplace(ctx, marketplace)
	if err != nil {
		return f, err
	}
	now := sqldb.Instant(s.Now())
	err = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		before, err := loadFormat(ctx, tx, m.ID)
		if err != nil {
			return err
		}
		if err := saveFormat(ctx, tx, m.ID, f, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Action: "sheet_format.save", Entity: "marketplace", EntityID: marketplace, Before: before, After: f})
	})
	return f, err
}

func saveFormat(ctx context.Context, tx *sqldb.Tx, id int64, f Format, now time.Time) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO sheet_formats (marketplace_id, mapping, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (marketplace_id) DO UPDATE SET mapping = excluded.mapping, updated_at = excluded.updated_at`, id, string(b), now)
	return err
}

// ImportInput is one uploaded order sheet.
type ImportInput struct {
	Marketplace string
	Filename    string
	Data        []byte
	Encoding    string // CSV: "", utf-8 or cp949
	Password    string // encrypted xlsx
	DryRun      bool
}

// parsed is a sheet read against a format.
type parsed struct {
	preview Preview
	good    []Order
}

func (s *Service) parse(ctx context.Context, m Marketplace, in ImportInput) (parsed, error) {
	var p parsed
	f, err := loadFormat(ctx, s.DB.Read(), m.ID)
	if err != nil {
		return p, err
	}
	if len(f.Fields) == 0 {
		return p, apperr.New(apperr.Invalid, "판매처 "+m.Name+"의 발주서 포맷이 없습니다. 먼저 발주서 포맷을 설정해 주세요.", "marketplace "+m.Code+" has no sheet format")
	}
	rows, kind, err := sheet.Read(in.Data, in.Filename, sheet.ReadOptions{Encoding: in.Encoding, Password: in.Password})
	if err != nil {
		return p, err
	}
	p.preview.Kind = kind
	hr, idx, herr := headerIndex(rows, f)
	if herr != nil {
		return p, apperr.Wrap(apperr.Invalid, herr, herr.Error(), "the sheet does not match the format: "+herr.Error())
	}
	p.preview.HeaderRow = hr + 1
	// The raw cells kept of a line are those of the columns the format maps
	// (to a field or a code): a column it does not name may hold anything,
	// a resident or customs number among them, and is not stored.
	mapped := map[string]bool{}
	for _, h := range f.Fields {
		mapped[h] = true
	}
	for _, h := range f.Codes {
		mapped[h] = true
	}
	kept := make([]string, len(rows[hr]))
	for j, h := range rows[hr] {
		if h = strings.TrimSpace(h); mapped[h] {
			kept[j] = h
		}
	}
	for _, h := range rows[hr] {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		target := ""
		for code, fh := range f.Fields {
			if fh == h {
				target = code
			}
		}
		for n, ch := range f.Codes {
			if ch == h {
				target = strings.TrimPrefix(target+", "+CodeName(n), ", ")
			}
		}
		p.preview.Landing = append(p.preview.Landing, Landing{Header: h, Target: target})
	}
	seen := map[string]int{}
	for i := hr + 1; i < len(rows); i++ {
		if blank(rows[i]) {
			continue
		}
		p.preview.Rows++
		o, errs := parseRow(rows[i], i+1, idx, kept, f)
		key := o.OrderNo + "\x00" + o.SubNo
		if prev, dup := seen[key]; dup && len(errs) == 0 {
			errs = append(errs, RowError{Row: i + 1, Column: f.Fields["order_no"], Value: o.OrderNo,
				Reason: fmt.Sprintf("%d행과 주문번호·부주문번호가 같습니다", prev)})
		}
		if len(errs) > 0 {
			p.preview.ErrorRows++
			p.preview.Errors = append(p.preview.Errors, errs...)
			continue
		}
		seen[key] = i + 1
		o.Marketplace = m.Code
		p.good = append(p.good, o)
	}
	p.preview.OK = len(p.good)
	if p.preview.Rows == 0 {
		return p, apperr.New(apperr.Invalid, "헤더 아래에 주문 행이 없습니다.", "no order rows under the header")
	}
	// Which rows exist already.
	existing, err := s.existing(ctx, m.ID, p.good)
	if err != nil {
		return p, err
	}
	for _, o := range p.good {
		if cancelled, ok := existing[o.OrderNo+"\x00"+o.SubNo]; ok {
			p.preview.Existing++
			if o.Cancelled && !cancelled {
				p.preview.Cancelling++
			}
		}
	}
	p.preview.Sample = p.good[:min(20, len(p.good))]
	return p, nil
}

func blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// existing maps order keys already stored to whether they are cancelled.
func (s *Service) existing(ctx context.Context, marketplaceID int64, orders []Order) (map[string]bool, error) {
	out := map[string]bool{}
	nos := map[string]bool{}
	for _, o := range orders {
		nos[o.OrderNo] = true
	}
	list := make([]string, 0, len(nos))
	for n := range nos {
		list = append(list, n)
	}
	for start := 0; start < len(list); start += 500 {
		var w sqldb.Where
		w.Add("marketplace_id = ?", marketplaceID)
		w.In("order_no", list[start:min(start+500, len(list))])
		rows, err := s.DB.Read().QueryContext(ctx, `SELECT order_no, sub_no, cancelled FROM market_orders`+w.SQL(), w.Args()...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var no, sub string
			var c bool
			if err := rows.Scan(&no, &sub, &c); err != nil {
				rows.Close()
				return nil, err
			}
			out[no+"\x00"+sub] = c
		}
		rows.Close()
	}
	return out, nil
}

// Import reads an order sheet. With DryRun it only returns the preview.
// Otherwise it stores the good rows in batched transactions as one import
// session: a row already stored changes only when this sheet marks it
// cancelled, so importing the same file again adds nothing, and an import
// stopped half-way can simply be run again.
func (s *Service) Import(ctx context.Context, a access.Actor, in ImportInput) (Preview, *Import, error) {
	if err := canWrite(a); err != nil {
		return Preview{}, nil, err
	}
	m, err := s.Marketplace(ctx, strings.TrimSpace(in.Marketplace))
	if err != nil {
		return Preview{}, nil, err
	}
	p, err := s.parse(ctx, m, in)
	if err != nil || in.DryRun {
		return p.preview, nil, err
	}
	now := sqldb.Instant(s.Now())
	imp := &Import{Marketplace: m.Code, Filename: in.Filename, Kind: p.preview.Kind, Status: "running", Rows: p.preview.Rows,
		OK: p.preview.OK, ErrorRows: p.preview.ErrorRows, Errors: p.preview.Errors, StartedAt: now}
	errJSON, _ := json.Marshal(p.preview.Errors)
	err = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		if err := s.claimSession(ctx, tx, a, m.ID, now); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO market_imports (marketplace_id, filename, kind, status, rows_total, rows_ok, rows_error, errors, created_by,
			started_at, lease_until, owner_host, owner_pid, owner_start)
			VALUES ($1, $2, $3, 'running', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`, m.ID, in.Filename, imp.Kind, imp.Rows, imp.OK, imp.ErrorRows,
			string(errJSON), a.Login, now, sqldb.Instant(now.Add(s.lease())), self.host, self.pid, self.start).Scan(&imp.ID); err != nil {
			if sqldb.IsUniqueViolation(err) {
				return errRunning // another process began one at the same moment
			}
			return err
		}
		return audit.Record(ctx, tx, now, a, audit.Change{Action: "market.import", Entity: "market_import", EntityID: imp.ID,
			After: map[string]any{"marketplace": m.Code, "file": in.Filename, "rows": imp.Rows, "errors": imp.ErrorRows}})
	})
	if err != nil {
		return p.preview, nil, err
	}
	runCtx, stop := context.WithCancelCause(ctx)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		s.renewLease(runCtx, imp.ID, stop)
	}()
	runErr := s.commit(runCtx, m, imp, p.good)
	if errors.Is(context.Cause(runCtx), errTakenOver) {
		runErr = errTakenOver
	}
	stop(nil)
	<-renewed
	status := "done"
	if runErr != nil {
		status = "failed"
	}
	fin := sqldb.Instant(s.Now())
	imp.Status, imp.FinishedAt, imp.Note = status, &fin, endNote(runErr)
	// The session ends even when the caller has gone away (a browser that
	// disconnected cancels ctx): the cleanup does not use its cancellation.
	bg := context.WithoutCancel(ctx)
	if err := s.DB.InTx(bg, func(tx *sqldb.Tx) error {
		_, err := tx.ExecContext(bg, `UPDATE market_imports SET status = $1, note = $2, finished_at = $3, lease_until = NULL WHERE id = $4 AND status = 'running'`,
			status, imp.Note, fin, imp.ID)
		return err
	}); err != nil && runErr == nil {
		runErr = err
	}
	return p.preview, imp, runErr
}

func (s *Service) commit(ctx context.Context, m Marketplace, imp *Import, orders []Order) error {
	for batch, start := 0, 0; start < len(orders); batch, start = batch+1, start+BatchSize {
		part := orders[start:min(start+BatchSize, len(orders))]
		var ins, upd, same int
		err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
			ins, upd, same = 0, 0, 0
			now := sqldb.Instant(s.Now())
			// One statement gives the bundle's id, new or not.
			bundleUp, err := tx.PrepareContext(ctx, `INSERT INTO market_bundles (marketplace_id, bundle_key) VALUES ($1, $2)
				ON CONFLICT (marketplace_id, bundle_key) DO UPDATE SET bundle_key = excluded.bundle_key RETURNING id`)
			if err != nil {
				return err
			}
			defer bundleUp.Close()
			orderIns, err := tx.PrepareContext(ctx, `INSERT INTO market_orders (marketplace_id, order_no, sub_no, order_day, ordered_at, product_code,
				product_name, option_text, qty, shop_price, pay_type, org_trans_who, buyer, recipient, phone, phone2, zipcode, address, request,
				status, cancelled, cancelled_day, codes, raw, bundle_id, import_id, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $27)
				ON CONFLICT (marketplace_id, order_no, sub_no) DO NOTHING`)
			if err != nil {
				return err
			}
			defer orderIns.Close()
			cancel, err := tx.PrepareContext(ctx, `UPDATE market_orders SET status = $1, cancelled = TRUE, cancelled_day = $2, updated_at = $3
				WHERE marketplace_id = $4 AND order_no = $5 AND sub_no = $6 AND cancelled = FALSE`)
			if err != nil {
				return err
			}
			defer cancel.Close()
			today := kst.Day(now)
			bundles := map[string]int64{}
			if tx.Engine == sqldb.Postgres {
				// PostgreSQL pays a round trip per statement: write bundles and
				// orders as multi-row statements (SQLite is faster row by row).
				var err error
				if bundles, err = upsertBundles(ctx, tx, m.ID, part); err != nil {
					return err
				}
			}
			var inserted map[string]bool
			if tx.Engine == sqldb.Postgres {
				var err error
				if inserted, err = insertOrdersMulti(ctx, tx, m.ID, imp.ID, part, bundles, today, now); err != nil {
					return err
				}
			}
			for _, o := range part {
				if inserted != nil {
					if inserted[o.OrderNo+"\x00"+o.SubNo] {
						ins++
						continue
					}
				} else {
					key := bundleKey(o)
					bid, ok := bundles[key]
					if !ok {
						if err := bundleUp.QueryRowContext(ctx, m.ID, key).Scan(&bid); err != nil {
							return err
						}
						bundles[key] = bid
					}
					codes, _ := json.Marshal(o.Codes)
					cday := ""
					if o.Cancelled {
						cday = today
					}
					res, err := orderIns.ExecContext(ctx, m.ID, o.OrderNo, o.SubNo, o.OrderDay, o.OrderedAt, o.ProductCode, o.ProductName, o.Option,
						o.Qty, o.ShopPrice, o.PayType, o.OrgTransWho, o.Buyer, o.Recipient, o.Phone, o.Phone2, o.Zipcode, o.Address, o.Request,
						o.Status, o.Cancelled, cday, string(codes), o.rawJSON, bid, imp.ID, now)
					if err != nil {
						return fmt.Errorf("order %s-%s: %w", o.OrderNo, o.SubNo, err)
					}
					if n, _ := res.RowsAffected(); n == 1 {
						ins++
						continue
					}
				}
				if o.Cancelled && s.LateCancel != nil {
					var id int64
					var day string
					err := tx.QueryRowContext(ctx, `SELECT id, order_day FROM market_orders WHERE marketplace_id = $1 AND order_no = $2 AND sub_no = $3
						AND cancelled = FALSE`, m.ID, o.OrderNo, o.SubNo).Scan(&id, &day)
					if err == nil {
						closed, booked, err := s.LateCancel(ctx, tx, m.ID, id, day, today)
						if err != nil {
							return err
						}
						if closed {
							if _, err := tx.ExecContext(ctx, `UPDATE market_orders SET status = $1, updated_at = $2 WHERE id = $3`, o.Status, now, id); err != nil {
								return err
							}
							if booked {
								upd++
							} else {
								same++
							}
							continue
						}
					} else if !apperr.IsNotFound(sqldb.NotFound(err, "", "")) {
						return err
					}
				}
				if o.Cancelled {
					res, err := cancel.ExecContext(ctx, o.Status, today, now, m.ID, o.OrderNo, o.SubNo)
					if err != nil {
						return err
					}
					if n, _ := res.RowsAffected(); n == 1 {
						upd++
						continue
					}
				}
				same++
			}
			if s.Settle != nil {
				seen := map[string]bool{}
				var nos []string
				for _, o := range part {
					if !seen[o.OrderNo] {
						seen[o.OrderNo] = true
						nos = append(nos, o.OrderNo)
					}
				}
				if err := s.Settle(ctx, tx, m.ID, nos); err != nil {
					return fmt.Errorf("settle: %w", err)
				}
			}
			// The batch commits only while the session is still this
			// process's; its counts are kept with it.
			return s.holdLease(ctx, tx, imp.ID, ins, upd, same)
		})
		if err != nil {
			return err
		}
		imp.Inserted += ins
		imp.Updated += upd
		imp.Unchanged += same
		if s.AfterBatch != nil {
			if err := s.AfterBatch(batch); err != nil {
				return err
			}
		}
	}
	return nil
}

// GetImport returns one import session with its row errors.
func (s *Service) GetImport(ctx context.Context, id int64) (Import, error) {
	var imp Import
	var errs string
	var fin sql.NullTime
	err := s.DB.Read().QueryRowContext(ctx, `SELECT i.id, m.code, i.filename, i.kind, i.status, i.rows_total, i.rows_ok, i.rows_error,
		i.inserted, i.updated, i.unchanged, i.errors, i.started_at, i.finished_at, i.note FROM market_imports i JOIN marketplaces m ON m.id = i.marketplace_id
		WHERE i.id = $1`, id).Scan(&imp.ID, &imp.Marketplace, &imp.Filename, &imp.Kind, &imp.Status, &imp.Rows, &imp.OK, &imp.ErrorRows,
		&imp.Inserted, &imp.Updated, &imp.Unchanged, &errs, &imp.StartedAt, &fin, &imp.Note)
	if err != nil {
		return imp, sqldb.NotFound(err, "가져오기", "import")
	}
	if fin.Valid {
		imp.FinishedAt = &fin.Time
	}
	if errs != "" {
		_ = json.Unmarshal([]byte(errs), &imp.Errors)
	}
	return imp, nil
}

// Imports lists the latest import sessions.
func (s *Service) Imports(ctx context.Context, limit int) ([]Import, error) {
	rows, err := s.DB.Read().QueryContext(ctx, `SELECT id FROM market_imports ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	out := []Import{}
	for _, id := range ids {
		imp, err := s.GetImport(ctx, id)
		if err != nil {
			return nil, err
		}
		imp.Errors = nil
		out = append(out, imp)
	}
	return out, nil
}

// upsertBundles writes the bundles of a batch in multi-row statements and
// returns their ids by key.
func upsertBundles(ctx context.Context, tx *sqldb.Tx, marketplaceID int64, part []Order) (map[string]int64, error) {
	ids := map[string]int64{}
	var keys []string
	for _, o := range part {
		k := bundleKey(o)
		if _, ok := ids[k]; !ok {
			ids[k] = 0
			keys = append(keys, k)
		}
	}
	for start := 0; start < len(keys); start += 500 {
		chunk := keys[start:min(start+500, len(keys))]
		var b strings.Builder
		args := []any{marketplaceID}
		b.WriteString(`INSERT INTO market_bundles (marketplace_id, bundle_key) VALUES `)
		for i, k := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			args = append(args, k)
			fmt.Fprintf(&b, "($1, $%d)", len(args))
		}
		b.WriteString(` ON CONFLICT (marketplace_id, bundle_key) DO UPDATE SET bundle_key = excluded.bundle_key RETURNING id, bundle_key`)
		rows, err := tx.QueryContext(ctx, b.String(), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var k string
			if err := rows.Scan(&id, &k); err != nil {
				rows.Close()
				return nil, err
			}
			ids[k] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// insertOrdersMulti inserts a batch's new order lines in multi-row
// statements and returns the keys it inserted (the others exist already).
func insertOrdersMulti(ctx context.Context, tx *sqldb.Tx, marketplaceID, importID int64, part []Order, bundles map[string]int64, today string, now time.Time) (map[string]bool, error) {
	const per = 200 // 27 parameters a row, well under PostgreSQL's 65,535
	inserted := map[string]bool{}
	for start := 0; start < len(part); start += per {
		chunk := part[start:min(start+per, len(part))]
		var b strings.Builder
		var args []any
		b.WriteString(`INSERT INTO market_orders (marketplace_id, order_no, sub_no, order_day, ordered_at, product_code, product_name, option_text,
			qty, shop_price, pay_type, org_trans_who, buyer, recipient, phone, phone2, zipcode, address, request, status, cancelled, cancelled_day,
			codes, raw, bundle_id, import_id, created_at, updated_at) VALUES `)
		for i, o := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			codes, _ := json.Marshal(o.Codes)
			cday := ""
			if o.Cancelled {
				cday = today
			}
			vals := []any{marketplaceID, o.OrderNo, o.SubNo, o.OrderDay, o.OrderedAt, o.ProductCode, o.ProductName, o.Option, o.Qty, o.ShopPrice,
				o.PayType, o.OrgTransWho, o.Buyer, o.Recipient, o.Phone, o.Phone2, o.Zipcode, o.Address, o.Request, o.Status, o.Cancelled, cday,
				string(codes), o.rawJSON, bundles[bundleKey(o)], importID, now, now}
			b.WriteByte('(')
			for j, v := range vals {
				if j > 0 {
					b.WriteString(", ")
				}
				args = append(args, v)
				fmt.Fprintf(&b, "$%d", len(args))
			}
			b.WriteByte(')')
		}
		b.WriteString(` ON CONFLICT (marketplace_id, order_no, sub_no) DO NOTHING RETURNING order_no, sub_no`)
		rows, err := tx.QueryContext(ctx, b.String(), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var no, sub string
			if err := rows.Scan(&no, &sub); err != nil {
				rows.Close()
				return nil, err
			}
			inserted[no+"\x00"+sub] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return inserted, nil
}
