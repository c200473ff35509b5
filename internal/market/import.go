package market

// How an import runs (the session, its lease and its owner: session.go).
//
//  1. The sheet is opened as a stream (sheet.Open) and its header row is
//     found among the top rows; a sheet without the format's headers is
//     refused before a session starts.
//  2. One transaction holds the whole import. The rows are read one at a
//     time, parsed and checked; a bad row's errors are kept (row, column,
//     value, reason); a good row joins a batch of BatchSize rows that is
//     written straight into market_orders: its bundles first, then its
//     lines (ON CONFLICT DO NOTHING: a line stored before stays as it is),
//     the cancellations of stored lines, and the settlement. Memory holds
//     one batch, never the file (only the bad rows' errors grow with it).
//  3. A refusal found part-way — a broken CSV line at row 90,000, more rows
//     than the limit, a formula in an xls cell, no order row at all — rolls
//     the transaction back: no line, bundle or settlement of the file stays.
//     So does a cancelled request or a session taken over by another process.
//  4. Repeats: a row repeating an earlier row's 주문번호·부주문번호 is
//     reported against that row and not stored. Within a batch the batch's
//     own keys tell; when a batch's lines do not all go in, the lines they
//     met say which row they repeat: a line stored earlier by this import
//     (its import_id and row_no), or a line of an earlier import, whose first
//     row in this file is noted in market_import_rows (only these rows, and
//     deleted before the commit; noteInsertTail) so that a second one is a
//     repeat too.
//  5. The session ends `done` with its counts and errors in the same
//     transaction, so it is done exactly when its lines are there.
//
// A preview (DryRun) does the same reading, checking and writing in one
// transaction that is rolled back. On SQLite both hold the database's single
// writer while they run (README, "Storage decisions").

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/audit"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/sheet"
)

// BatchSize is how many good rows an import writes at a time.
const BatchSize = 5000

// lineColumns are the columns of market_orders that an import writes (all
// but id), in the order of lineValues; market_import_rows holds the first
// 27 of them after its own seq, row_no and bundle_key.
var lineColumns = []string{"marketplace_id", "order_no", "sub_no", "order_day", "ordered_at", "product_code", "product_name", "option_text",
	"qty", "shop_price", "pay_type", "org_trans_who", "buyer", "recipient", "phone", "phone2", "zipcode", "address", "request", "status",
	"cancelled", "cancelled_day", "codes", "raw", "import_id", "created_at", "updated_at", "bundle_id", "row_no"}

var (
	lineKey   = []string{"marketplace_id", "order_no", "sub_no"}
	lineTable = sqldb.Bulk{Table: "market_orders", Columns: lineColumns, Conflict: lineKey, Same: []string{"marketplace_id", "import_id", "created_at", "updated_at"}}
	// noteTable: the rows that met a line of an earlier import (step 4,
	// noteInsertTail).
	bundleColumns = []string{"marketplace_id", "bundle_key"}
	noteTable     = sqldb.Bulk{Table: "market_import_rows", Columns: append([]string{"seq", "row_no", "bundle_key"}, lineColumns[:27]...)}
)

// sheetReader reads a sheet's order rows against a format.
type sheetReader struct {
	rows *sheet.Rows
	f    Format
	plan *rowPlan
	top  [][]string // rows read ahead to find the header, those after it
	no   int        // the sheet's row number (from 1) of the last row returned
	head Preview    // Kind, HeaderRow, Landing
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
	r.head.HeaderRow = hr + 1
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
	kept := make([]string, len(header))
	for j, h := range header {
		if h = strings.TrimSpace(h); mapped[h] {
			kept[j] = h
		}
	}
	r.plan = compilePlan(f, idx, kept)
	r.head.BundleBy = "address"
	if r.plan.fields[fShipNo].j >= 0 {
		r.head.BundleBy = "ship_no"
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

// loader writes one sheet's rows in the import's (or preview's)
// transaction.
type loader struct {
	s     *Service
	tx    *sqldb.Tx
	m     Marketplace
	r     *sheetReader
	plan  *rowPlan
	id    int64 // the session (a preview's is rolled back with its lines)
	dry   bool  // a preview: no cancellation, no settlement
	now   time.Time
	today string

	p                            Preview // Rows, ErrorRows, Errors, Sample, Existing, Cancelling
	inserted, updated, unchanged int
	noted                        bool // rows were noted in market_import_rows
	batches                      int

	batch   []batchLine     // the batch being written
	vals    [][]any         // its values, reused
	repeats []RowError      // rows found repeating a row of an earlier batch
	days    map[string]bool // the order days of the lines stored, for SettleDays
}

// batchLine is a good row waiting in the batch.
type batchLine struct {
	parsed
	no     int    // the sheet's row
	bundle string // bundleKey
	state  int8
	// cancelled: a line of an earlier import that this sheet cancelled.
	cancelled bool
}

// settles says whether the import settles the line's order number: a line
// it stored, or one of an earlier import it cancelled. A line of an earlier
// import that the sheet only repeats keeps its settlement: importing a file
// again does not apply a rule saved since to older orders (the manual: a
// rule applies to the orders after it is saved; earlier ones by 정산 재생성).
func (b *batchLine) settles() bool {
	return b.state == lineInserted || b.state == lineExisting && b.cancelled
}

// The states of a batch line once written.
const (
	lineInserted int8 = iota
	lineExisting      // a line of an earlier import: stays, may be cancelled
	lineRepeat        // repeats an earlier row of the sheet: reported, not stored
)

func (s *Service) newLoader(tx *sqldb.Tx, m Marketplace, r *sheetReader, id int64, dry bool) *loader {
	now := sqldb.Instant(s.Now())
	return &loader{s: s, tx: tx, m: m, r: r, plan: r.plan, id: id, dry: dry, now: now, today: kst.Day(now), p: r.head}
}

// load reads the sheet to its end, writing its good rows a batch at a time.
// A refusal of the sheet part-way is returned as it is (the caller rolls
// the transaction back).
func (l *loader) load(ctx context.Context) error {
	err := l.read(ctx)
	if err != nil && ctx.Err() != nil {
		// A cancelled request (or a session taken over) shows as whatever
		// the database said on the way (PostgreSQL: a closed connection).
		return ctx.Err()
	}
	return err
}

// read runs the sheet's reading and parsing on a goroutine of its own, a
// batch ahead of the writing here, so that the two use both processors: at
// most three batches are in memory (one parsed, one waiting, one written).
func (l *loader) read(ctx context.Context) error {
	batches := make(chan []batchLine, 1)
	free := make(chan []batchLine, 2)
	stop := make(chan struct{})
	done := make(chan struct{})
	var parseErr error
	var parsePanic any
	go func() {
		defer close(done)
		defer close(batches)
		defer func() { parsePanic = recover() }()
		parseErr = l.parse(batches, free, stop)
	}()
	stopParsing := sync.OnceFunc(func() { close(stop) })
	defer func() {
		// Also when a write panics: the parser stops at its next batch and
		// is waited for, so that it never reads the sheet after the caller
		// has closed it, nor waits for a reader that is gone.
		stopParsing()
		<-done
	}()
	var err error
	for b := range batches {
		if err == nil {
			l.batch = b
			if err = l.flush(ctx); err != nil {
				stopParsing()
			}
		}
		clear(b)
		select {
		case free <- b[:0]:
		default:
		}
	}
	<-done
	if parsePanic != nil {
		panic(parsePanic)
	}
	if err != nil {
		return err
	}
	if parseErr != nil {
		return parseErr
	}
	if l.p.Rows == 0 {
		return apperr.New(apperr.Invalid, "헤더 아래에 주문 행이 없습니다.", "no order rows under the header")
	}
	if !l.dry && l.s.SettleDays != nil {
		// A figure of a whole day (usertrans_cnt) is final only now.
		if err := l.s.SettleDays(ctx, l.tx, l.m.ID, slices.Sorted(maps.Keys(l.days))); err != nil {
			return fmt.Errorf("settle: %w", err)
		}
	}
	l.p.ErrorRows += len(l.repeats)
	l.p.Errors = append(l.p.Errors, l.repeats...)
	sort.SliceStable(l.p.Errors, func(i, j int) bool { return l.p.Errors[i].Row < l.p.Errors[j].Row })
	l.p.OK = l.p.Rows - l.p.ErrorRows
	if l.noted {
		if _, err := l.tx.ExecContext(ctx, `DELETE FROM market_import_rows WHERE import_id = $1`, l.id); err != nil {
			return err
		}
	}
	return nil
}

// parse reads the sheet to its end (or until stop closes) and sends its good
// rows in batches of BatchSize; it counts the rows and keeps the bad rows'
// errors and the sample in l.p. A row repeating an earlier row of its own
// batch is reported here; the writer finds the others.
func (l *loader) parse(batches chan<- []batchLine, free <-chan []batchLine, stop <-chan struct{}) error {
	inSample := map[string]bool{}
	keys := make(map[string]int, BatchSize) // the batch's 주문번호·부주문번호 → its row
	var buf []byte
	batch := make([]batchLine, 0, BatchSize)
	send := func() bool {
		select {
		case batches <- batch:
		case <-stop:
			return false
		}
		clear(keys)
		select {
		case batch = <-free:
		default:
			batch = make([]batchLine, 0, BatchSize)
		}
		return true
	}
	for {
		row, no, ok := l.r.next()
		if !ok {
			break
		}
		if blank(row) {
			continue
		}
		l.p.Rows++
		o, errs, b := l.plan.parseRow(row, no, buf)
		buf = b
		if len(errs) > 0 {
			l.p.ErrorRows++
			l.p.Errors = append(l.p.Errors, errs...)
			continue
		}
		key := o.OrderNo + "\x00" + o.SubNo
		if first, ok := keys[key]; ok {
			l.p.ErrorRows++
			l.p.Errors = append(l.p.Errors, l.repeat(no, o.OrderNo, first))
			continue
		}
		keys[key] = no
		o.Marketplace = l.m.Code
		// The first good rows are the sample.
		if len(l.p.Sample) < 20 && !inSample[key] {
			inSample[key] = true
			sample := o.Order
			sample.Codes = l.plan.codesMap(row)
			l.p.Sample = append(l.p.Sample, sample)
		}
		batch = append(batch, batchLine{parsed: o, no: no, bundle: bundleKey(o)})
		if len(batch) == BatchSize && !send() {
			return nil
		}
	}
	if err := l.r.rows.Err(); err != nil {
		return err
	}
	if len(batch) > 0 {
		send()
	}
	return nil
}

// repeat is the error of row no, which repeats row first's 주문번호·부주문번호.
func (l *loader) repeat(no int, orderNo string, first int) RowError {
	return RowError{Row: no, Column: l.plan.fields[fOrderNo].header, Value: orderNo, Reason: fmt.Sprintf("%d행과 주문번호·부주문번호가 같습니다", first)}
}

// values fills the batch's rows of lineColumns (bundle ids from ids). A
// bundle without an id refuses the batch: the lines' references are checked
// here, not by the database (integrity.go).
func (l *loader) values(ids map[string]int64) ([][]any, error) {
	l.vals = l.vals[:0]
	for i := range l.batch {
		b := &l.batch[i]
		if ids[b.bundle] == 0 {
			return nil, fmt.Errorf("orders: row %d: bundle %q was neither stored nor found", b.no, b.bundle)
		}
		cday := ""
		if b.Cancelled {
			cday = l.today
		}
		l.vals = append(l.vals, []any{l.m.ID, b.OrderNo, b.SubNo, b.OrderDay, string(b.OrderedAt), b.ProductCode, b.ProductName, b.Option,
			b.Qty, b.ShopPrice, b.PayType, b.OrgTransWho, b.Buyer, b.Recipient, b.Phone, b.Phone2, b.Zipcode, b.Address, b.Request, b.Status,
			b.Cancelled, cday, b.codes, b.raw, l.id, l.now, l.now, ids[b.bundle], b.no})
	}
	return l.vals, nil
}

// flush writes the batch: bundles, lines, then what the lines met (resolve),
// the settlement of its order numbers, and AfterBatch.
func (l *loader) flush(ctx context.Context) error {
	if len(l.batch) == 0 {
		return nil
	}
	ids, err := l.bundles(ctx)
	if err != nil {
		return err
	}
	vals, err := l.values(ids)
	if err != nil {
		return err
	}
	n, err := l.tx.WriteRowsCount(ctx, lineTable, vals)
	if err != nil {
		return fmt.Errorf("orders: %w", err)
	}
	if int(n) == len(l.batch) {
		l.inserted += len(l.batch)
	} else if err := l.resolve(ctx, ids); err != nil {
		return err
	}
	if !l.dry && l.s.Settle != nil {
		var nos []string
		seen := make(map[string]bool, len(l.batch))
		for _, b := range l.batch {
			if !b.settles() {
				continue
			}
			if !seen[b.OrderNo] {
				seen[b.OrderNo] = true
				nos = append(nos, b.OrderNo)
			}
			if b.state == lineInserted { // a cancellation leaves the day's prepaid bundles as they were
				if l.days == nil {
					l.days = map[string]bool{}
				}
				l.days[b.OrderDay] = true
			}
		}
		if err := l.s.Settle(ctx, l.tx, l.m.ID, nos); err != nil {
			return fmt.Errorf("settle: %w", err)
		}
	}
	l.batch = nil
	clear(l.vals)
	batch := l.batches
	l.batches++
	if !l.dry && l.s.AfterBatch != nil {
		return l.s.AfterBatch(batch)
	}
	return nil
}

// bundles stores the bundles of the batch's lines (those stored before
// stay) and returns their ids by key: the new ones' come back from the
// insert itself; those stored before are looked up.
func (l *loader) bundles(ctx context.Context) (map[string]int64, error) {
	ids := make(map[string]int64, len(l.batch))
	var keys []string
	for _, b := range l.batch {
		if _, ok := ids[b.bundle]; !ok {
			ids[b.bundle] = 0
			keys = append(keys, b.bundle)
		}
	}
	scanID := func(row sqldb.Scanner) error {
		var id int64
		var key string
		if err := row.Scan(&id, &key); err != nil {
			return err
		}
		ids[key] = id
		return nil
	}
	err := l.tx.InsertReturning(ctx, "market_bundles", bundleColumns, len(keys), 256, bundleInsertTail,
		func(i int, args []any) []any { return append(args, l.m.ID, keys[i]) }, scanID)
	if err != nil {
		return nil, fmt.Errorf("bundles: %w", err)
	}
	var old []string
	for _, k := range keys {
		if ids[k] == 0 {
			old = append(old, k)
		}
	}
	err = inChunks(old, func(chunk []string) error {
		var w sqldb.Where
		w.Add("marketplace_id = ?", l.m.ID)
		w.In("bundle_key", chunk)
		rows, err := l.tx.QueryContext(ctx, `SELECT id, bundle_key FROM market_bundles`+w.SQL(), w.Args()...)
		return sqldb.ScanEach(rows, err, scanID)
	})
	return ids, err
}

// bundleInsertTail keeps the bundles stored before and returns the new
// ones' ids and keys.
const bundleInsertTail = " ON CONFLICT (marketplace_id, bundle_key) DO NOTHING RETURNING id, bundle_key"

// noteInsertTail notes rows that met a line of an earlier import (the
// values of noteTable's columns, row after row); a row whose
// 주문번호·부주문번호 this import noted before keeps that note. It returns
// each row's key and the row of its note: another row than its own means it
// repeats that row.
const noteInsertTail = " ON CONFLICT (import_id, order_no, sub_no) DO UPDATE SET row_no = market_import_rows.row_no RETURNING order_no, sub_no, row_no"

// inChunks calls fn with keys 500 at a time.
func inChunks(keys []string, fn func([]string) error) error {
	for start := 0; start < len(keys); start += 500 {
		if err := fn(keys[start:min(start+500, len(keys))]); err != nil {
			return err
		}
	}
	return nil
}

// storedLine is a line of market_orders that a batch line met.
type storedLine struct {
	id        int64
	day       string
	cancelled bool
	importID  int64
	rowNo     int
}

// resolve sorts out a batch whose lines did not all go in: each line either
// went in, repeats a row stored earlier by this import, or met a line of an
// earlier import (which it may cancel) unless an earlier row of this sheet
// met it first. Bundles made for lines that did not go in, and left without
// a line, are deleted.
func (l *loader) resolve(ctx context.Context, ids map[string]int64) error {
	nos := make([]string, 0, len(l.batch))
	seen := make(map[string]bool, len(l.batch))
	for _, b := range l.batch {
		if !seen[b.OrderNo] {
			seen[b.OrderNo] = true
			nos = append(nos, b.OrderNo)
		}
	}
	stored := make(map[string]storedLine, len(l.batch))
	err := inChunks(nos, func(chunk []string) error {
		var w sqldb.Where
		w.Add("marketplace_id = ?", l.m.ID)
		w.In("order_no", chunk)
		rows, err := l.tx.QueryContext(ctx, `SELECT id, order_no, sub_no, order_day, cancelled, import_id, row_no FROM market_orders`+w.SQL(), w.Args()...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s storedLine
			var no, sub string
			if err := rows.Scan(&s.id, &no, &sub, &s.day, &s.cancelled, &s.importID, &s.rowNo); err != nil {
				return err
			}
			stored[no+"\x00"+sub] = s
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	var met []int // batch lines that met a line of an earlier import
	for i := range l.batch {
		b := &l.batch[i]
		st, ok := stored[b.OrderNo+"\x00"+b.SubNo]
		switch {
		case !ok:
			return fmt.Errorf("orders: row %d was neither stored nor met a stored line", b.no)
		case st.importID == l.id && st.rowNo == b.no:
			b.state = lineInserted
			l.inserted++
		case st.importID == l.id:
			b.state = lineRepeat
			l.repeats = append(l.repeats, l.repeat(b.no, b.OrderNo, st.rowNo))
		default:
			met = append(met, i)
		}
	}
	if len(met) > 0 {
		// Note them: a row met before keeps its note, whose row comes back.
		first := make(map[string]int, len(met))
		l.noted = true
		err := l.tx.InsertReturning(ctx, noteTable.Table, noteTable.Columns, len(met), 256, noteInsertTail, func(j int, args []any) []any {
			b := &l.batch[met[j]]
			return append(append(args, b.no, b.no, b.bundle), l.vals[met[j]][:27]...)
		}, func(row sqldb.Scanner) error {
			var no, sub string
			var r int
			if err := row.Scan(&no, &sub, &r); err != nil {
				return err
			}
			first[no+"\x00"+sub] = r
			return nil
		})
		if err != nil {
			return fmt.Errorf("noted rows: %w", err)
		}
		for _, i := range met {
			b := &l.batch[i]
			key := b.OrderNo + "\x00" + b.SubNo
			if row := first[key]; row != b.no {
				b.state = lineRepeat
				l.repeats = append(l.repeats, l.repeat(b.no, b.OrderNo, row))
				continue
			}
			b.state = lineExisting
			l.p.Existing++
			st := stored[key]
			if !b.Cancelled || st.cancelled {
				l.unchanged++
				continue
			}
			l.p.Cancelling++
			if l.dry {
				continue
			}
			changed, err := l.s.cancelStored(ctx, l.tx, l.m, st.id, st.day, b.Status, l.today, l.now)
			if err != nil {
				return err
			}
			if changed {
				l.updated++
				b.cancelled = true
			} else {
				l.unchanged++
			}
		}
	}
	// Bundles that only lines not stored asked for, left empty.
	used := make(map[string]bool, len(l.batch))
	for _, b := range l.batch {
		if b.state == lineInserted {
			used[b.bundle] = true
		}
	}
	var orphans []string
	for _, b := range l.batch {
		if !used[b.bundle] {
			used[b.bundle] = true
			orphans = append(orphans, fmt.Sprint(ids[b.bundle]))
		}
	}
	return inChunks(orphans, func(chunk []string) error {
		var w sqldb.Where
		w.In("id", chunk)
		w.Add("manual = FALSE AND NOT EXISTS (SELECT 1 FROM market_orders o WHERE o.bundle_id = market_bundles.id)")
		_, err := l.tx.ExecContext(ctx, `DELETE FROM market_bundles`+w.SQL(), w.Args()...)
		return err
	})
}

// errRetried answers an import or preview whose transaction the database
// gave up part-way (a deadlock, a lost SQLite batch): the sheet has been
// read and cannot be read again, so nothing is stored and the clerk retries.
var errRetried = apperr.New(apperr.Conflict, "데이터베이스가 바빠 가져오기를 마치지 못했습니다. 저장된 줄은 없습니다. 같은 파일을 다시 가져와 주세요.",
	"the database gave up the import's transaction part-way; nothing was stored: import the file again")

// lockMarketplace makes the imports and previews of one marketplace take
// turns on PostgreSQL: each inserts the sheet's lines, uncommitted until it
// ends, and two sheets with lines in common in another order would each wait
// for a line the other holds (a deadlock, one of them refused). The row lock
// makes the second wait for the first instead. (On SQLite the single writer
// already makes them take turns.)
func lockMarketplace(ctx context.Context, tx *sqldb.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE marketplaces SET id = id WHERE id = $1`, id)
	return err
}

// errPreviewDone rolls a preview's transaction back.
var errPreviewDone = errors.New("preview done")

// preview reads, checks and writes the sheet in one transaction that is
// rolled back: nothing of it stays.
func (s *Service) preview(ctx context.Context, m Marketplace, r *sheetReader) (Preview, error) {
	var p Preview
	ran := false
	err := s.DB.InTx(sqldb.Alone(ctx), func(tx *sqldb.Tx) error {
		if ran { // the sheet has been read: a retry cannot read it again
			return errRetried
		}
		ran = true
		if err := lockMarketplace(ctx, tx, m.ID); err != nil {
			return err
		}
		// A session row only to key the lines; rolled back with them.
		var id int64
		now := sqldb.Instant(s.Now())
		if err := tx.QueryRowContext(ctx, `INSERT INTO market_imports (marketplace_id, filename, kind, status, started_at, note)
			VALUES ($1, '', $2, 'failed', $3, 'preview') RETURNING id`, m.ID, r.head.Kind, now).Scan(&id); err != nil {
			return err
		}
		l := s.newLoader(tx, m, r, id, true)
		if err := l.load(ctx); err != nil {
			return err
		}
		p = l.p
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
// that stopped (refused, cancelled, killed) stored nothing and can simply be
// run again.
func (s *Service) Import(ctx context.Context, a access.Actor, in ImportInput) (Preview, *Import, error) {
	if err := canWrite(a); err != nil {
		return Preview{}, nil, err
	}
	if strings.TrimSpace(in.Marketplace) == "" {
		var fe apperr.Fields
		fe.Add("marketplace", "판매처를 골라 주세요.", "marketplace is required")
		return Preview{}, nil, fe.Err()
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
	if s.BeforeSession != nil {
		s.BeforeSession()
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
	// The lease is renewed in transactions of its own while the import's
	// runs (on SQLite they wait for it: no other process can take the
	// session over while it holds the writer either).
	runCtx, stop := context.WithCancelCause(ctx)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		s.renewLease(runCtx, imp.ID, stop)
	}()
	// A panic in the run ends the session like any failure (the lease
	// renewal stopped, the session marked failed) and is raised again then.
	var panicked any
	defer func() {
		if panicked != nil {
			panic(panicked)
		}
	}()
	p, runErr := func() (Preview, error) {
		defer func() {
			if v := recover(); v != nil {
				panicked = v
			}
		}()
		return s.run(runCtx, a, m, imp, r)
	}()
	if panicked != nil {
		runErr = fmt.Errorf("import panicked: %v", panicked)
	}
	if runErr != nil && errors.Is(context.Cause(runCtx), errTakenOver) {
		runErr = errTakenOver
	}
	stop(nil)
	<-renewed
	if runErr == nil {
		return p, imp, nil
	}
	fin := sqldb.Instant(s.Now())
	imp.Status, imp.FinishedAt, imp.Note = "failed", &fin, endNote(runErr)
	imp.Inserted, imp.Updated, imp.Unchanged = 0, 0, 0
	errJSON, _ := json.Marshal(imp.Errors)
	// The session ends even when the caller has gone away (a browser that
	// disconnected cancels ctx): the cleanup does not use its cancellation.
	bg := context.WithoutCancel(ctx)
	if err := s.DB.InTx(bg, func(tx *sqldb.Tx) error {
		if _, err := tx.ExecContext(bg, `UPDATE market_imports SET status = 'failed', note = $1, finished_at = $2, lease_until = NULL, rows_total = $3,
			rows_ok = $4, rows_error = $5, errors = $6 WHERE id = $7 AND status = 'running'`,
			imp.Note, fin, imp.Rows, imp.OK, imp.ErrorRows, string(errJSON), imp.ID); err != nil {
			return err
		}
		return s.recordImport(bg, tx, fin, a, m, imp)
	}); err != nil {
		return p, imp, errors.Join(runErr, err)
	}
	return p, imp, runErr
}

// recordImport writes the audit record of a session's end.
func (s *Service) recordImport(ctx context.Context, tx *sqldb.Tx, now time.Time, a access.Actor, m Marketplace, imp *Import) error {
	return audit.Record(ctx, tx, now, a, audit.Change{Action: "market.import", Entity: "market_import", EntityID: imp.ID,
		After: map[string]any{"marketplace": m.Code, "file": imp.Filename, "status": imp.Status, "rows": imp.Rows, "errors": imp.ErrorRows,
			"inserted": imp.Inserted, "updated": imp.Updated, "unchanged": imp.Unchanged}})
}

// run writes the sheet as the session imp in one transaction, which ends
// the session `done` with its counts only while it is still this process's
// (errTakenOver otherwise, and nothing stays).
func (s *Service) run(ctx context.Context, a access.Actor, m Marketplace, imp *Import, r *sheetReader) (Preview, error) {
	p := r.head
	ran := false
	err := s.DB.InTx(sqldb.Alone(ctx), func(tx *sqldb.Tx) error {
		if ran { // the sheet has been read: a retry cannot read it again
			return errRetried
		}
		ran = true
		if err := lockMarketplace(ctx, tx, m.ID); err != nil {
			return err
		}
		l := s.newLoader(tx, m, r, imp.ID, false)
		err := l.load(ctx)
		imp.Rows, imp.OK, imp.ErrorRows, imp.Errors = l.p.Rows, l.p.Rows-l.p.ErrorRows, l.p.ErrorRows, l.p.Errors
		if err != nil {
			return err
		}
		p = l.p
		fin := sqldb.Instant(s.Now())
		imp.Inserted, imp.Updated, imp.Unchanged = l.inserted, l.updated, l.unchanged
		imp.Status, imp.FinishedAt = "done", &fin
		errJSON, _ := json.Marshal(imp.Errors)
		headers, _ := json.Marshal(r.plan.rawHeaders())
		res, err := tx.ExecContext(ctx, `UPDATE market_imports SET status = 'done', note = '', finished_at = $1, lease_until = NULL,
			rows_total = $2, rows_ok = $3, rows_error = $4, errors = $5, inserted = $6, updated = $7, unchanged = $8, raw_headers = $9
			WHERE id = $10 AND status = 'running'`, fin, imp.Rows, imp.OK, imp.ErrorRows, string(errJSON), imp.Inserted, imp.Updated, imp.Unchanged,
			string(headers), imp.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errTakenOver
		}
		return s.recordImport(ctx, tx, fin, a, m, imp)
	})
	if err != nil {
		imp.Status, imp.FinishedAt = "running", nil
		return r.head, err
	}
	return p, nil
}

// cancelStored cancels the stored line id (of orderDay) that a sheet row
// marks cancelled with status; a line of a closed month goes through
// LateCancel. It reports whether the line counts as updated.
func (s *Service) cancelStored(ctx context.Context, tx *sqldb.Tx, m Marketplace, id int64, orderDay, status, today string, now time.Time) (bool, error) {
	if s.LateCancel != nil {
		closed, booked, err := s.LateCancel(ctx, tx, m.ID, id, orderDay, today)
		if err != nil {
			return false, err
		}
		if closed {
			if _, err := tx.ExecContext(ctx, `UPDATE market_orders SET status = $1, updated_at = $2 WHERE id = $3`, status, now, id); err != nil {
				return false, err
			}
			return booked, nil
		}
	}
	res, err := tx.ExecContext(ctx, `UPDATE market_orders SET status = $1, cancelled = TRUE, cancelled_day = $2, updated_at = $3
		WHERE id = $4 AND cancelled = FALSE`, status, today, now, id)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
