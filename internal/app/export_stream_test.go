package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/orderdesk/orderdesk/internal/export"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

// 주문목록's EXCEL of 20,000 orders streams over HTTP and opens in excelize
// with every row and cell as the list holds it: newest first, order numbers
// and money as numbers, an unpaid order's 결제일 an empty cell, a title that
// starts with "=" neutralised. A query that fails before the first row is
// still a problem answer, not a download.
func TestOrderExportStreamsEveryRow(t *testing.T) {
	const n = 20_000
	for _, engine := range sqldbtest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newExportEnv(t, engine, n)
			req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/orders/export.xlsx", nil)
			req.Header.Set("Authorization", "Bearer "+e.tok)
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
				t.Fatalf("export: %d %q %v", resp.StatusCode, resp.Header.Get("Content-Type"), err)
			}
			if resp.ContentLength != -1 {
				t.Errorf("Content-Length %d: the workbook was buffered whole, not streamed", resp.ContentLength)
			}
			if name, ascii := downloadName(t, resp.Header.Get("Content-Disposition")); name != "주문목록_"+kst.Day(time.Now())+".xlsx" || ascii != "orders_"+kst.Day(time.Now())+".xlsx" {
				t.Errorf("named %q / %q", name, ascii)
			}
			f, err := excelize.OpenReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("not a workbook: %v", err)
			}
			defer f.Close()
			if got := f.GetSheetList(); len(got) != 1 || got[0] != "주문목록" {
				t.Fatalf("sheets %v", got)
			}
			rows, err := f.GetRows("주문목록", excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != n+1 {
				t.Fatalf("%d rows, want %d and the header", len(rows)-1, n)
			}
			if strings.Join(rows[0], ",") != strings.Join(export.OrderListHeaders, ",") {
				t.Fatalf("header %v", rows[0])
			}
			day0 := time.Date(2018, 1, 1, 12, 0, 0, 0, kst.Seoul)
			methods := []string{"card", "transfer", "vbank", "bank_deposit"}
			bad := 0
			for i := 1; i <= n; i++ {
				k := n - i + 1 // the seed's number of the i-th newest order
				title := fmt.Sprintf("과정 %d", k%300)
				if k%300 == 7 {
					title = "'=" + title
				}
				status, paid, total := order.StatusPaid, "", int64(10000+k%7*1000)
				day := kst.Day(day0.AddDate(0, 0, k*1000/(n+1)))
				dotted := strings.ReplaceAll(day, "-", ".")
				if k%5 == 0 {
					status = order.StatusAwaitingDeposit
				} else {
					paid = dotted
				}
				method := methods[k%4]
				want := []string{strconv.Itoa(i), strconv.Itoa(k + 1000), "malgn", title, order.Label(order.Methods, method), strconv.FormatInt(total, 10),
					"구매자" + strconv.Itoa(k%5000), "user" + strconv.Itoa(k%5000), dotted, paid, order.Label(order.Statuses, status), "0", method, status}
				if got := rows[i]; strings.Join(got, "|") != strings.Join(want, "|") {
					if bad++; bad <= 5 {
						t.Errorf("row %d = %q, want %q", i+1, got, want)
					}
				}
			}
			// Numbers are numbers, identifiers of text are text, empty is empty.
			for cell, want := range map[string]excelize.CellType{"B2": excelize.CellTypeUnset, "F2": excelize.CellTypeUnset, "D2": excelize.CellTypeInlineString} {
				if typ, _ := f.GetCellType("주문목록", cell); typ != want {
					t.Errorf("%s is type %v, want %v", cell, typ, want)
				}
			}
			if typ, _ := f.GetCellType("주문목록", "J2"); typ != excelize.CellTypeUnset {
				t.Errorf("J2 type %v", typ)
			}

			// The query fails before its first row: a problem, not a download.
			ctx := context.Background()
			if err := e.app.DB.InTx(ctx, func(tx *sqldb.Tx) error {
				_, err := tx.ExecContext(ctx, `ALTER TABLE orders RENAME TO orders_gone`)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			resp, err = e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusInternalServerError || resp.Header.Get("Content-Disposition") != "" || !strings.Contains(resp.Header.Get("Content-Type"), "problem+json") {
				t.Errorf("failed query answered %d %q %q: %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), body)
			}
		})
	}
}
