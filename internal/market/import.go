package market

// How an import runs (the session, its lease and its owner: session.go).
//
//  1. The sheet is opened as a stream (sheet.Open) and its header row is
//     found among the top rows; a sheet without the format's headers is
//     refused before a session starts.
//  2. Stage: the rows are read one at a time, parsed and checked. A bad
//     row's errors are kept (row, column, value, reason); a good row joins a
//     batch that is written to market_import_rows in a transaction of its
//     own, which also renews the session's lease. Memory holds one batch,
//     never the file (only the bad rows' errors grow with it).
//  3. A refusal found part-way — a broken CSV line at row 90,000, more rows
//     than the limit, a formula in an xls cell, no order row at all — fails
//     the session and deletes its staged rows: market_orders never saw any.
//  4. Check: the rows that repeat an earlier good row's 주문번호·부주문번호 are
//     found by one query over the staged rows, reported and dropped; the
//     counts and errors are stored with the session.
//  5. Publish: BatchSize staged rows at a time, one transaction each: the
//     bundles, one INSERT … SELECT … ON CONFLICT DO NOTHING into
//     market_orders (a line stored before stays as it is), the cancellations
//     of stored lines, the settlement, the staged rows deleted, and the
//     lease and counts — a batch commits only while the session is still
//     this process's. An import killed while publishing is taken over by the
//     next import of the marketplace, which deletes the dead session's
//     staged rows and stages the file again: every line is stored once.
//
// A preview (DryRun) runs steps 1–4 in one transaction that is rolled back.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/sheet"
)

// BatchSize is how many staged rows one publishing transaction stores.
const BatchSize = 1000

// stageBatch is how many rows one staging transaction writes.
const stageBatch = 5000

// lineColumns are the columns of market_orders that an import writes (all
// but id and bundle_id), in the order of stageRow's values after seq, row_no
// and bundle_key; market_import_rows has the same columns.
var lineColumns = []string{"marketplace_id", "order_no", "sub_no", "order_day", "ordered_at", "product_code", "product_name", "option_text",
	"qty", "shop_price", "pay_type", "org_trans_who", "buyer", "recipient", "phone", "phone2", "zipcode", "address", "request", "status",
	"cancelled", "cancelled_day", "codes", "raw", "import_id", "created_at", "updated_at"}

var staging = sqldb.Bulk{Table: "market_import_rows", Columns: append([]string{"seq", "row_no", "bundle_key"}, lineColumns...)}

// publishSQL moves a range of staged rows into market_orders.
var publishSQL = func() string {
	var sel strings.Builder
	for i, c := range lineColumns {
		if i > 0 {
			sel.WriteString(", ")
		}
		sel.WriteString("s." + c)
	}
	return `INSERT INTO market_orders (` + strings.Join(lineColumns, ", ") + `, bundle_id) SELECT ` + sel.String() + `, b.id
		FROM market_import_rows s JOIN market_bundles b ON b.marketplace_id = s.marketplace_id AND b.bundle_key = s.bundle_key
		WHERE s.import_id = $1 AND s.seq >= $2 AND s.seq < $3 ORDER BY s.seq
		ON CONFLICT (marketplace_id, order_no, sub_no) DO NOTHING`
}()

// stageRow is a good row's values in the order of staging.Columns.
func stageRow(o *Order, seq, rowNo int, marketplaceID, importID int64, cancelledDay string, now time.Time) []any {
	return []any{seq, rowNo, bundleKey(*o), marketplaceID, o.OrderNo, o.SubNo, o.OrderDay, o.OrderedAt, o.ProductCode, o.ProductName, o.Option,
		o.Qty, o.ShopPrice, o.PayType, o.OrgTransWho, o.Buyer, o.Recipient, o.Phone, o.Phone2, o.Zipcode, o.Address, o.Request, o.Status,
		o.Cancelled, cancelledDay, codesJSON(o.Codes), o.rawJSON, importID, now, now}
}

func codesJSON(codes map[string]string) string {
	b, _ := json.Marshal(codes)
	return string(b)
}

// sheetReader reads a sheet's order rows against a format.
type sheetReader struct {
	rows *sheet.Rows
	f    Format
	idx  map[string]int // header → column
	kept []string       // the headers of the columns whose cells are kept raw ("" for the others)
	top  [][]string     // rows read ahead to find the header, those after it
	no   int            // the sheet's row number (from 1) of the last row returned
	head Preview        // Kind, HeaderRow, Landing
}

// openSheet opens the sheet of in and finds its header row.
func (s *Service) openSheet(ctx context.Context, m Marketplace, in ImportInput) (*sheetReader, error) {
	f, err := loadFormat(ctx, s.DB.Read(), m.ID)
	if err != nil {
		return nil, err
	}
	if len(f.Fields) == 0 {
		return nil, apperr.New(apperr.Invalid, "판매처 "+m.Name+"의 발주서 포맷이 없습니다. 먼저 발주서 포맷을 설정해 주세요.", "marketplace "+m.Code+" has no sheet format")
	}
	var file io.ReaderAt = in.Reader
	size := in.Size
	if in.Data != nil || in.Reader == nil {
		file, size = bytes.NewReader(in.Data), int64(len(in.Data))
	}
	rows, kind, err := sheet.Open(file, size, in.Filename, sheet.ReadOptions{Encoding: in.Encoding, Password: in.Password, Limits: s.Limits})
	if err != nil {
		return nil, err
	}
	r := &sheetReader{rows: rows, f: f}
	r.head.Kind = kind
	for len(r.top) < sheet.HeaderScan && rows.Next() {
		r.top = append(r.top, append([]string(nil), rows.Row()...))
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return nil, err
	}
	hr, idx, herr := headerIndex(r.top, f)
	if herr != nil {
		rows.Close()
		return nil, apperr.Wrap(apperr.Invalid, herr, herr.Error(), "the sheet does not match the format: "+herr.Error())
	}
	r.head.HeaderRow, r.idx = hr+1, idx
	header := r.top[hr]
	r.top, r.no = r.top[hr+1:], hr+1
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
	r.kept = make([]string, len(header))
	for j, h := range header {
		if h = strings.TrimSpace(h); mapped[h] {
			r.kept[j] = h
		}
	}
	for _, h := range header {
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
		r.head.Landing = append(r.head.Landing, Landing{Header: h, Target: target})
	}
	return r, nil
}

// next returns the next row under the header and its number; false at the
// end of the sheet or at a refusal (r.rows.Err).
func (r *sheetReader) next() ([]string, int, bool) {
	r.no++
	if len(r.top) > 0 {
		row := r.top[0]
		r.top = r.top[1:]
		return row, r.no, true
	}
	if !r.rows.Next() {
		return nil, 0, false
	}
	return r.rows.Row(), r.no, true
}

func blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// staged is what staging read.
type staged struct {
	rows      int // order rows read
	errorRows int
	good      int // rows staged (seq runs 1..good)
	errors    []RowError
	sample    []Order
}

// stage reads the sheet's order rows and writes the good ones to
// market_import_rows under importID; put runs a batch's write in a
// transaction. A refusal of the sheet part-way is returned as it is.
func (s *Service) stage(ctx context.Context, r *sheetReader, m Marketplace, importID int64, put func(func(tx *sqldb.Tx) error) error) (staged, error) {
	var st staged
	now := sqldb.Instant(s.Now())
	today := kst.Day(now)
	batch := make([][]any, 0, stageBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := put(func(tx *sqldb.Tx) error { return tx.WriteRows(ctx, staging, batch) })
		clear(batch)
		batch = batch[:0]
		return err
	}
	inSample := map[string]bool{}
	for {
		row, no, ok := r.next()
		if !ok {
			break
		}
		if blank(row) {
			continue
		}
		st.rows++
		o, errs := parseRow(row, no, r.idx, r.kept, r.f)
		if len(errs) > 0 {
			st.errorRows++
			st.errors = append(st.errors, errs...)
			continue
		}
		st.good++
		o.Marketplace = m.Code
		cday := ""
		if o.Cancelled {
			cday = today
		}
		batch = append(batch, stageRow(&o, st.good, no, m.ID, importID, cday, now))
		// The first good rows are the sample; a row repeating one of them
		// is an error (check), not a sample.
		if key := o.OrderNo + "\x00" + o.SubNo; len(st.sample) < 20 && !inSample[key] {
			inSample[key] = true
			st.sample = append(st.sample, o)
		}
		if len(batch) == stageBatch {
			if err := flush(); err != nil {
				return st, err
			}
		}
	}
	if err := r.rows.Err(); err != nil {
		return st, err
	}
	if err := flush(); err != nil {
		return st, err
	}
	if st.rows == 0 {
		return st, apperr.New(apperr.Invalid, "헤더 아래에 주문 행이 없습니다.", "no order rows under the header")
	}
	return st, nil
}

// check reports and drops the staged rows that repeat an earlier row's
// 주문번호·부주문번호, and fills the preview's counts: rows, errors, and the
// rows already stored (and those this sheet cancels).
func check(ctx context.Context, tx *sqldb.Tx, r *sheetReader, importID int64, st staged) (Preview, error) {
	p := r.head
	p.Rows, p.ErrorRows, p.Errors, p.Sample = st.rows, st.errorRows, st.errors, st.sample
	rows, err := tx.QueryContext(ctx, `SELECT s.seq, s.row_no, s.order_no, d.first FROM market_import_rows s
		JOIN (SELECT order_no, sub_no, MIN(row_no) AS first FROM market_import_rows WHERE import_id = $1
			GROUP BY order_no, sub_no HAVING COUNT(*) > 1) d ON d.order_no = s.order_no AND d.sub_no = s.sub_no
		WHERE s.import_id = $2 AND s.row_no > d.first ORDER BY s.row_no`, importID, importID)
	if err != nil {
		return p, err
	}
	var repeats []int64
	var repeated []RowError
	for rows.Next() {
		var seq int64
		var e RowError
		var first int
		if err := rows.Scan(&seq, &e.Row, &e.Value, &first); err != nil {
			rows.Close()
			return p, err
		}
		e.Column, e.Reason = r.f.Fields["order_no"], fmt.Sprintf("%d행과 주문번호·부주문번호가 같습니다", first)
		repeats, repeated = append(repeats, seq), append(repeated, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return p, err
	}
	for _, seq := range repeats {
		if _, err := tx.ExecContext(ctx, `DELETE FROM market_import_rows WHERE import_id = $1 AND seq = $2`, importID, seq); err != nil {
			return p, err
		}
	}
	if len(repeated) > 0 {
		p.Errors = append(p.Errors, repeated...)
		sort.SliceStable(p.Errors, func(i, j int) bool { return p.Errors[i].Row < p.Errors[j].Row })
	}
	p.ErrorRows += len(repeated)
	p.OK = st.good - len(repeated)
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN s.cancelled = TRUE AND m.cancelled = FALSE THEN 1 ELSE 0 END), 0)
		FROM market_import_rows s JOIN market_orders m ON m.marketplace_id = s.marketplace_id AND m.order_no = s.order_no AND m.sub_no = s.sub_no
		WHERE s.import_id = $1`, importID).Scan(&p.Existing, &p.Cancelling); err != nil {
		return p, err
	}
	return p, nil
}

// errPreviewDone rolls a preview's transaction back.
var errPreviewDone = errors.New("preview done")

// preview stages the sheet and checks it in one transaction that is rolled
// back: nothing of it stays.
func (s *Service) preview(ctx context.Context, m Marketplace, r *sheetReader) (Preview, error) {
	var p Preview
	ran := false
	err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		if ran { // the sheet has been read: a retry cannot read it again
			return errors.New("preview: the transaction was retried")
		}
		ran = true
		// A session row only to key the staged rows; rolled back with them.
		var id int64
		now := sqldb.Instant(s.Now())
		if err := tx.QueryRowContext(ctx, `INSERT INTO market_imports (marketplace_id, filename, kind, status, started_at, note)
			VALUES ($1, '', $2, 'failed', $3, 'preview') RETURNING id`, m.ID, r.head.Kind, now).Scan(&id); err != nil {
			return err
		}
		st, err := s.stage(ctx, r, m, id, func(fn func(tx *sqldb.Tx) error) error { return fn(tx) })
		if err != nil {
			return err
		}
		if p, err = check(ctx, tx, r, id, st); err != nil {
			return err
		}
		return errPreviewDone
	})
	if errors.Is(err, errPreviewDone) {
		err = nil
	}
	return p, err
}

// Import reads an order sheet. With DryRun it only returns the preview.
// Otherwise it stores the good rows as one import session (see the top of
// this file): a row already stored changes only when this sheet marks it
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
	r, err := s.openSheet(ctx, m, in)
	if err != nil {
		return Preview{}, nil, err
	}
	defer r.rows.Close()
	if in.DryRun {
		p, err := s.preview(ctx, m, r)
		return p, nil, err
	}
	now := sqldb.Instant(s.Now())
	imp := &Import{Marketplace: m.Code, Filename: in.Filename, Kind: r.head.Kind, Status: "running", StartedAt: now}
	err = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		if err := s.claimSession(ctx, tx, a, m.ID, now); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO market_imports (marketplace_id, filename, kind, status, created_by, started_at, lease_until,
			owner_host, owner_pid, owner_start) VALUES ($1, $2, $3, 'running', $4, $5, $6, $7, $8, $9) RETURNING id`, m.ID, in.Filename, imp.Kind,
			a.Login, now, sqldb.Instant(now.Add(s.lease())), self.host, self.pid, self.start).Scan(&imp.ID); err != nil {
			if sqldb.IsUniqueViolation(err) {
				return errRunning // another process began one at the same moment
			}
			return err
		}
		return nil
	})
	if err != nil {
		return r.head, nil, err
	}
	runCtx, stop := context.WithCancelCause(ctx)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		s.renewLease(runCtx, imp.ID, stop)
	}()
	p, runErr := s.run(runCtx, m, imp, r)
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
	errJSON, _ := json.Marshal(imp.Errors)
	// The session ends even when the caller has gone away (a browser that
	// disconnected cancels ctx): the cleanup does not use its cancellation.
	bg := context.WithoutCancel(ctx)
	if err := s.DB.InTx(bg, func(tx *sqldb.Tx) error {
		if _, err := tx.ExecContext(bg, `UPDATE market_imports SET status = $1, note = $2, finished_at = $3, lease_until = NULL, rows_total = $4,
			rows_ok = $5, rows_error = $6, errors = $7 WHERE id = $8 AND status = 'running'`,
			status, imp.Note, fin, imp.Rows, imp.OK, imp.ErrorRows, string(errJSON), imp.ID); err != nil {
			return err
		}
		if runErr != nil { // a refused or stopped import leaves no staged row behind
			if _, err := tx.ExecContext(bg, `DELETE FROM market_import_rows WHERE import_id = $1`, imp.ID); err != nil {
				return err
			}
		}
		return audit.Record(bg, tx, fin, a, audit.Change{Action: "market.import", Entity: "market_import", EntityID: imp.ID,
			After: map[string]any{"marketplace": m.Code, "file": in.Filename, "status": status, "rows": imp.Rows, "errors": imp.ErrorRows,
				"inserted": imp.Inserted, "updated": imp.Updated, "unchanged": imp.Unchanged}})
	}); err != nil && runErr == nil {
		runErr = err
	}
	return p, imp, runErr
}

// run stages, checks and publishes the sheet as the session imp.
func (s *Service) run(ctx context.Context, m Marketplace, imp *Import, r *sheetReader) (Preview, error) {
	put := func(fn func(tx *sqldb.Tx) error) error {
		return s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			return s.holdLease(ctx, tx, imp.ID, 0, 0, 0)
		})
	}
	st, err := s.stage(ctx, r, m, imp.ID, put)
	imp.Rows, imp.OK, imp.ErrorRows, imp.Errors = st.rows, st.good, st.errorRows, st.errors
	if err != nil {
		return r.head, err
	}
	var p Preview
	err = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		var err error
		if p, err = check(ctx, tx, r, imp.ID, st); err != nil {
			return err
		}
		errJSON, _ := json.Marshal(p.Errors)
		if _, err := tx.ExecContext(ctx, `UPDATE market_imports SET rows_total = $1, rows_ok = $2, rows_error = $3, errors = $4 WHERE id = $5`,
			p.Rows, p.OK, p.ErrorRows, string(errJSON), imp.ID); err != nil {
			return err
		}
		return s.holdLease(ctx, tx, imp.ID, 0, 0, 0)
	})
	if err != nil {
		return r.head, err
	}
	imp.OK, imp.ErrorRows, imp.Errors = p.OK, p.ErrorRows, p.Errors
	return p, s.publish(ctx, m, imp, st.good)
}

// publish moves the session's staged rows (seq 1..last) into market_orders,
// BatchSize at a time.
func (s *Service) publish(ctx context.Context, m Marketplace, imp *Import, last int) error {
	for batch, lo := 0, 1; lo <= last; batch, lo = batch+1, lo+BatchSize {
		hi := lo + BatchSize // exclusive
		var ins, upd, same int
		err := s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
			ins, upd, same = 0, 0, 0
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM market_import_rows WHERE import_id = $1 AND seq >= $2 AND seq < $3`,
				imp.ID, lo, hi).Scan(&n); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO market_bundles (marketplace_id, bundle_key)
				SELECT marketplace_id, bundle_key FROM market_import_rows WHERE import_id = $1 AND seq >= $2 AND seq < $3
				GROUP BY marketplace_id, bundle_key ORDER BY MIN(seq) ON CONFLICT (marketplace_id, bundle_key) DO NOTHING`, imp.ID, lo, hi); err != nil {
				return fmt.Errorf("bundles: %w", err)
			}
			res, err := tx.ExecContext(ctx, publishSQL, imp.ID, lo, hi)
			if err != nil {
				return fmt.Errorf("orders: %w", err)
			}
			n64, err := res.RowsAffected()
			if err != nil {
				return err
			}
			ins = int(n64)
			if upd, err = s.cancelStored(ctx, tx, m, imp.ID, lo, hi); err != nil {
				return err
			}
			same = n - ins - upd
			if s.Settle != nil {
				nos, err := batchOrderNos(ctx, tx, imp.ID, lo, hi)
				if err != nil {
					return err
				}
				if err := s.Settle(ctx, tx, m.ID, nos); err != nil {
					return fmt.Errorf("settle: %w", err)
				}
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM market_import_rows WHERE import_id = $1 AND seq >= $2 AND seq < $3`, imp.ID, lo, hi); err != nil {
				return err
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

// cancelStored cancels the stored lines that staged rows seq lo..hi-1 mark
// cancelled (a line of a closed month through LateCancel); it returns how
// many changed (the others are unchanged).
func (s *Service) cancelStored(ctx context.Context, tx *sqldb.Tx, m Marketplace, importID int64, lo, hi int) (upd int, err error) {
	rows, err := tx.QueryContext(ctx, `SELECT o.id, o.order_day, s.status, s.cancelled_day, s.updated_at FROM market_import_rows s
		JOIN market_orders o ON o.marketplace_id = s.marketplace_id AND o.order_no = s.order_no AND o.sub_no = s.sub_no
		WHERE s.import_id = $1 AND s.seq >= $2 AND s.seq < $3 AND s.cancelled = TRUE AND o.cancelled = FALSE ORDER BY s.seq`, importID, lo, hi)
	if err != nil {
		return 0, err
	}
	type line struct {
		id          int64
		day, status string
		today       string
		now         time.Time
	}
	var lines []line
	for rows.Next() {
		var l line
		if err := rows.Scan(&l.id, &l.day, &l.status, &l.today, &l.now); err != nil {
			rows.Close()
			return 0, err
		}
		lines = append(lines, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, l := range lines {
		if s.LateCancel != nil {
			closed, booked, err := s.LateCancel(ctx, tx, m.ID, l.id, l.day, l.today)
			if err != nil {
				return 0, err
			}
			if closed {
				if _, err := tx.ExecContext(ctx, `UPDATE market_orders SET status = $1, updated_at = $2 WHERE id = $3`, l.status, l.now, l.id); err != nil {
					return 0, err
				}
				if booked {
					upd++
				}
				continue
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE market_orders SET status = $1, cancelled = TRUE, cancelled_day = $2, updated_at = $3
			WHERE id = $4 AND cancelled = FALSE`, l.status, l.today, l.now, l.id)
		if err != nil {
			return 0, err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			upd++
		}
	}
	return upd, nil
}

// batchOrderNos are the order numbers of staged rows seq lo..hi-1, in the
// sheet's order.
func batchOrderNos(ctx context.Context, tx *sqldb.Tx, importID int64, lo, hi int) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT order_no FROM market_import_rows WHERE import_id = $1 AND seq >= $2 AND seq < $3
		GROUP BY order_no ORDER BY MIN(seq)`, importID, lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var nos []string
	for rows.Next() {
		var no string
		if err := rows.Scan(&no); err != nil {
			return nil, err
		}
		nos = append(nos, no)
	}
	return nos, rows.Err()
}
