package app_test

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/staff"
)

// downloadName returns the UTF-8 file name (filename*) and the ASCII one of
// a Content-Disposition.
func downloadName(t *testing.T, cd string) (utf8Name, ascii string) {
	t.Helper()
	for _, part := range strings.Split(cd, ";") {
		part = strings.TrimSpace(part)
		if v, ok := strings.CutPrefix(part, "filename*=UTF-8''"); ok {
			var err error
			if utf8Name, err = url.PathUnescape(v); err != nil {
				t.Fatalf("filename* %q: %v", v, err)
			}
		}
		if v, ok := strings.CutPrefix(part, "filename="); ok {
			ascii = strings.Trim(v, `"`)
		}
	}
	if !strings.HasPrefix(cd, "attachment;") || utf8Name == "" || ascii == "" {
		t.Fatalf("Content-Disposition %q", cd)
	}
	return utf8Name, ascii
}

func openBook(t *testing.T, body []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("not a workbook: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// Every export is named by its day and filter; empty cells are empty.
func TestExportNamesAndEmptyCells(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, _, _ := demoEnv(t, e)
		today := kst.Day(time.Now())
		for _, tt := range []struct{ path, name, ascii string }{
			{"/api/v1/orders/export.xlsx?status=awaiting_deposit&ordered_from=2018-01-01&ordered_to=2020-12-31", "주문목록_" + today + "_입금대기_2018-01-01~2020-12-31.xlsx", "orders_" + today + "_awaiting_deposit_2018-01-01~2020-12-31.xlsx"},
			{"/api/v1/orders/export.xlsx", "주문목록_" + today + ".xlsx", "orders_" + today + ".xlsx"},
			{"/api/v1/refunds/export.xlsx?status=requested", "환불목록_" + today + "_환불요청.xlsx", "refunds_" + today + "_requested.xlsx"},
			{"/api/v1/marketplace-orders/export.xlsx?marketplace=coupang", "판매처주문_" + today + "_coupang.xlsx", "marketplace-orders_" + today + "_coupang.xlsx"},
			{"/api/v1/settlement/reports/by-marketplace.xlsx?from=2020-01-01&to=2020-01-31", "판매처별정산통계_" + today + "_2020-01-01~2020-01-31.xlsx", "by-marketplace_" + today + "_2020-01-01~2020-01-31.xlsx"},
			{"/api/v1/stats/daily.xlsx?from=2020-01-01&to=2020-01-31", "일별매출통계_" + today + "_2020-01-01~2020-01-31.xlsx", "sales-daily_" + today + "_2020-01-01~2020-01-31.xlsx"},
			{"/api/v1/stats/monthly.xlsx?from=2020-01&to=2020-03", "월별매출통계_" + today + "_2020-01~2020-03.xlsx", "sales-monthly_" + today + "_2020-01~2020-03.xlsx"},
		} {
			r := e.do("GET", tt.path, tok, nil)
			if r.Status != 200 {
				t.Fatalf("%s = %d %s", tt.path, r.Status, r.Body)
			}
			name, ascii := downloadName(t, r.Header.Get("Content-Disposition"))
			if name != tt.name || ascii != tt.ascii {
				t.Errorf("%s named %q / %q, want %q / %q", tt.path, name, ascii, tt.name, tt.ascii)
			}
		}
		// 290 waits for its deposit: no 결제일, an empty cell.
		r := e.do("GET", "/api/v1/orders/export.xlsx?status=awaiting_deposit", tok, nil)
		f := openBook(t, r.Body)
		sh := f.GetSheetName(0)
		rows, _ := f.GetRows(sh)
		if len(rows) < 2 {
			t.Fatalf("rows = %v", rows)
		}
		for i := 2; i <= len(rows); i++ {
			v, _ := f.GetCellValue(sh, "J"+strconv.Itoa(i))
			if typ, _ := f.GetCellType(sh, "J"+strconv.Itoa(i)); v != "" || typ != excelize.CellTypeUnset {
				t.Errorf("결제일 of an unpaid order = %q (type %v), want an empty cell", v, typ)
			}
		}
		// A requested refund has no 구분 yet: an empty cell, not '-.
		r = e.do("GET", "/api/v1/refunds/export.xlsx?status=requested", tok, nil)
		f = openBook(t, r.Body)
		sh = f.GetSheetName(0)
		rows, _ = f.GetRows(sh)
		if len(rows) < 2 {
			t.Fatalf("refund rows = %v", rows)
		}
		for _, row := range rows[1:] {
			for _, c := range row {
				if c == "'-" || c == "-" {
					t.Errorf("refund row %v has a dash for an empty value", row)
				}
			}
		}
	})
}

// The order page's EXCEL: the order, every item, 결제내역 and shipping.
func TestOrderWorkbook(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, _, _ := demoEnv(t, e)
		if _, err := e.app.Staff.Create(context.Background(), access.System(), staff.NewStaff{Login: "clerk", Password: "correct horse battery", Role: access.SuperAdmin}); err != nil {
			t.Fatal(err)
		}
		c := e.consoleClient("clerk", "correct horse battery")
		if code, page := get(t, c, e.srv.URL+"/orders/202"); code != 200 || !strings.Contains(page, `href="/orders/202/export.xlsx"`) {
			t.Fatalf("order page %d has no EXCEL of the order", code)
		}
		resp, err := c.Get(e.srv.URL + "/orders/202/export.xlsx")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("export = %d %s", resp.StatusCode, body)
		}
		name, _ := downloadName(t, resp.Header.Get("Content-Disposition"))
		if name != "주문_202_"+kst.Day(time.Now())+".xlsx" {
			t.Fatalf("file name %q", name)
		}
		o := e.do("GET", "/api/v1/orders/202", tok, nil).json(t)
		// The detail carries the order's refund requests (API.md): none for
		// 202; 250's partial refund of the manual.
		if rs, ok := o["refunds"].([]any); !ok || len(rs) != 0 {
			t.Fatalf("order 202's refunds %v", o["refunds"])
		}
		o250 := e.do("GET", "/api/v1/orders/250", tok, nil).json(t)
		if rs, ok := o250["refunds"].([]any); !ok || len(rs) != 1 || rs[0].(map[string]any)["order_no"].(float64) != 250 ||
			rs[0].(map[string]any)["kind"] != "partial" || rs[0].(map[string]any)["amount"].(float64) != o250["refunded"].(float64) {
			t.Fatalf("order 250's refunds %v (refunded %v)", o250["refunds"], o250["refunded"])
		}
		txs := e.do("GET", "/api/v1/orders/202/transactions", tok, nil)
		var txList []any
		if v, ok := txs.json(t)["items"]; ok {
			txList = v.([]any)
		}
		f := openBook(t, body)
		if got := f.GetSheetList(); !slices.Equal(got, []string{"주문", "주문항목", "결제내역", "배송"}) {
			t.Fatalf("sheets = %v", got)
		}
		head, _ := f.GetRows("주문")
		found := false
		for _, row := range head {
			if len(row) == 2 && row[0] == "주문번호" && row[1] == "202" {
				found = true
			}
			if len(row) == 2 && (row[1] == "'-" || row[1] == "-") {
				t.Errorf("order sheet row %v: a dash for an empty value", row)
			}
		}
		if !found {
			t.Fatalf("order sheet = %v", head)
		}
		items, _ := f.GetRows("주문항목")
		if len(items)-1 != len(o["items"].([]any)) {
			t.Fatalf("item rows %d, order has %d", len(items)-1, len(o["items"].([]any)))
		}
		pays, _ := f.GetRows("결제내역")
		if len(txList) == 0 || len(pays)-1 != len(txList) {
			t.Fatalf("결제내역 rows %d, order has %d transactions", len(pays)-1, len(txList))
		}
		ship, _ := f.GetRows("배송")
		if len(ship) != 2 || ship[1][1] != "포토샵 교재" || ship[1][2] != "홍길동1" {
			t.Fatalf("배송 = %v", ship)
		}
	})
}
