package market

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/catalog"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/sheet"
)

// Service holds the marketplace rules. Marketplace data is the company's,
// not a site's: every staff member reads it, a viewer changes nothing.
type Service struct {
	DB  *sqldb.DB
	Now func() time.Time
	// AfterBatch, when set, runs after each batch an import wrote, inside
	// its transaction (tests use it to stop an import part-way).
	AfterBatch func(batch int) error
	// BeforeSession, when set, runs when an import has opened its sheet and
	// is about to begin its session's first transaction (tests hold it there).
	BeforeSession func()
	// Settle, when set, settles the lines of the order numbers in the
	// import's own transaction (the settlement package provides it).
	Settle func(ctx context.Context, tx *sqldb.Tx, marketplaceID int64, orderNos []string) error
	// SettleDays, when set, runs once the import's last batch is settled,
	// in its transaction, with the order days of its lines: what depends on
	// a whole day of the marketplace (usertrans_cnt) is settled again there,
	// so a line does not keep a count of only the batches stored before it.
	SettleDays func(ctx context.Context, tx *sqldb.Tx, marketplaceID int64, days []string) error
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
	// Limits bound an imported sheet (zero: sheet.DefaultLimits).
	Limits sheet.Limits
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
	// Reader, when Data is nil, is the file (Size bytes), read in place: a
	// large sheet is never held in memory whole.
	Reader io.ReaderAt
	Size   int64
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
