package app_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
	"github.com/orderdesk/orderdesk/internal/staff"
)

func TestMarketplaceImportAPIAndCLI(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, _, _ := demoEnv(t, e)
		file, err := os.ReadFile("../market/testdata/esm_utf8.csv")
		if err != nil {
			t.Fatal(err)
		}
		post := func(dry string) response {
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			_ = mw.WriteField("marketplace", "esm")
			_ = mw.WriteField("dry_run", dry)
			fw, _ := mw.CreateFormFile("file", "esm.csv")
			_, _ = fw.Write(file)
			mw.Close()
			req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/marketplace-orders/import", bytes.NewReader(body.Bytes()))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			return e.send(req, body.Bytes())
		}
		if r := post("true"); r.Status != 200 || !strings.Contains(string(r.Body), `"ok":7`) {
			t.Fatalf("preview = %d %s", r.Status, r.Body)
		}
		// A dry_run that is neither true nor false is refused, nothing stored
		// (a misspelt preview once stored the file).
		if r := post("yes"); r.Status != 422 || !strings.Contains(string(r.Body), "dry_run") {
			t.Fatalf("dry_run=yes = %d %s", r.Status, r.Body)
		}
		if list := e.do("GET", "/api/v1/marketplace-orders?marketplace=esm", tok, nil).json(t); list["total"].(float64) != 0 {
			t.Fatalf("a refused dry_run stored %v lines", list["total"])
		}
		if r := post("false"); r.Status != 200 || !strings.Contains(string(r.Body), `"inserted":7`) {
			t.Fatalf("import = %d %s", r.Status, r.Body)
		}
		list := e.do("GET", "/api/v1/marketplace-orders?marketplace=esm", tok, nil).json(t)
		if list["total"].(float64) != 7 {
			t.Fatalf("stored = %v", list["total"])
		}
		if r := e.do("GET", "/api/v1/marketplace-orders/export.xlsx?marketplace=esm", tok, nil); r.Status != 200 || len(r.Body) < 1000 {
			t.Fatalf("export = %d", r.Status)
		}
	})
}

func TestCLIMarketplaceImport(t *testing.T) {
	env := map[string]string{"ORDERDESK_DB": sqldbtest.DSN(t, "sqlite"), "ORDERDESK_SECRET_KEY": testKey, "ORDERDESK_LOG_LEVEL": "warn"}
	if code, _, errs := runCLI(t, env, "demo"); code != 0 {
		t.Fatal(errs)
	}
	file, _ := filepath.Abs("../market/testdata/11st.xls")
	code, out, errs := runCLI(t, env, "marketplace", "import", "--marketplace", "11st", file, "--dry-run")
	if code != 0 || !strings.Contains(out, "8 good") || !strings.Contains(out, "nothing stored") {
		t.Fatalf("dry run = %d %q %q", code, out, errs)
	}
	code, out, _ = runCLI(t, env, "marketplace", "import", "--marketplace", "11st", file)
	if code != 0 || !strings.Contains(out, "8 inserted") {
		t.Fatalf("import = %d %q", code, out)
	}
	code, out, errs = runCLI(t, env, "settlement", "recompute", "--from", "2025-10-01", "--to", "2025-10-31")
	if code != 0 || !strings.Contains(out, "settled") {
		t.Fatalf("recompute = %d %q %q", code, out, errs)
	}
	if code, _, _ := runCLI(t, env, "settlement", "recompute", "--from", "yesterday", "--to", "2025-10-31"); code != 2 {
		t.Fatalf("bad date recompute = %d", code)
	}
	bad := filepath.Join(t.TempDir(), "notes.txt")
	_ = os.WriteFile(bad, []byte{0, 1, 2, 3}, 0o644)
	if code, _, errs := runCLI(t, env, "marketplace", "import", "--marketplace", "11st", bad); code != 2 || !strings.Contains(errs, "spreadsheet") {
		t.Fatalf("refused file = %d %q", code, errs)
	}
}

func TestSettlementRulesAndReportsAPI(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, _, _ := demoEnv(t, e)
		r := e.do("POST", "/api/v1/settlement-rules", tok, map[string]any{"marketplace": "11st", "title": "11번가", "sale": "code11", "rate": "120", "priority": -1, "enabled": true})
		if r.Status != 201 || !strings.Contains(string(r.Body), "0~100%") {
			t.Fatalf("create rule = %d %s (want a rate warning)", r.Status, r.Body)
		}
		bad := e.do("POST", "/api/v1/settlement-rules", tok, map[string]any{"marketplace": "11st", "title": "x", "sale": "code11 * cde14", "enabled": true})
		if bad.Status != 422 || !strings.Contains(string(bad.Body), `"location":"sale:10"`) {
			t.Fatalf("misspelt rule = %d %s", bad.Status, bad.Body)
		}
		file, _ := os.ReadFile("../market/testdata/11st.xls")
		if _, _, err := e.app.Market.Import(context.Background(), access.System(), market.ImportInput{Marketplace: "11st", Filename: "11st.xls", Data: file}); err != nil {
			t.Fatal(err)
		}
		rep := e.do("GET", "/api/v1/settlement/reports/daily-summary?day=2025-10-13", tok, nil).json(t)
		total := rep["total"].(map[string]any)
		if total["sale"].(float64) == 0 || total["commission"].(float64) != total["sale"].(float64)-total["settle"].(float64) {
			t.Fatalf("daily summary = %v", rep)
		}
		if r := e.do("GET", "/api/v1/settlement/reports/by-product.xlsx?from=2025-10-01&to=2025-10-31", tok, nil); r.Status != 200 || len(r.Body) < 1000 {
			t.Fatalf("by-product xlsx = %d", r.Status)
		}
		sup := e.do("GET", "/api/v1/settlement/reports/by-supplier?from=2025-10-13&to=2025-10-13&marketplace=11st", tok, nil).json(t)
		day11 := e.do("GET", "/api/v1/settlement/reports/daily-summary?day=2025-10-13&marketplace=11st", tok, nil).json(t)["total"].(map[string]any)
		if st := sup["total"].(map[string]any); st["sale"] != day11["sale"] || st["sale"] == float64(0) {
			t.Fatalf("by-supplier total %v, 11번가's daily summary %v", st, day11)
		}
		if r := e.do("GET", "/api/v1/settlement/reports/by-supplier.xlsx?from=2025-10-01&to=2025-10-31", tok, nil); r.Status != 200 || len(r.Body) < 1000 {
			t.Fatalf("by-supplier xlsx = %d", r.Status)
		}
		if r := e.do("GET", "/api/v1/settlement/reports/by-product?from=2025-10-01&to=2025-10-31&supplier_id=abc", tok, nil); r.Status != 422 {
			t.Fatalf("supplier_id=abc = %d", r.Status)
		}
		if r := e.do("POST", "/api/v1/settlement/recompute", tok, map[string]string{"from": "2025-10-01", "to": "2025-10-31"}); r.Status != 200 {
			t.Fatalf("recompute = %d %s", r.Status, r.Body)
		}
		orders := e.do("GET", "/api/v1/marketplace-orders?marketplace=11st", tok, nil)
		if !strings.Contains(string(orders.Body), `"settle":27280`) {
			t.Fatalf("settlement not in the list: %s", orders.Body[:min(len(orders.Body), 600)])
		}
	})
}

// The console's 미리보기 of a marketplace sheet says how its lines will be
// bundled: by the marketplace's 배송번호 when the file has the column the
// format maps, by address (and says the column is missing) when it has not.
func TestMarketImportPreviewSaysTheBundling(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		demoEnv(t, e)
		if _, err := e.app.Staff.Create(context.Background(), access.System(), staff.NewStaff{Login: "clerk", Password: "correct horse battery", Role: access.SuperAdmin}); err != nil {
			t.Fatal(err)
		}
		c := e.consoleClient("clerk", "correct horse battery")
		full, err := os.ReadFile("../market/testdata/esm_utf8.csv")
		if err != nil {
			t.Fatal(err)
		}
		// The same sheet without its 배송번호 column.
		var cut bytes.Buffer
		for _, line := range strings.SplitAfter(string(full), "\n") {
			cells := strings.Split(line, ",")
			if len(cells) > 19 {
				cells = append(cells[:19:19], cells[20:]...)
			}
			cut.WriteString(strings.Join(cells, ","))
		}
		if !strings.Contains(strings.Split(string(full), "\n")[0], "배송번호") || strings.Contains(strings.Split(cut.String(), "\n")[0], ",배송번호,") {
			t.Fatal("the test's sheets: 배송번호 should be the 20th column of the sample")
		}
		for _, tc := range []struct {
			data []byte
			want string
		}{{full, "합포 기준: 배송번호"}, {cut.Bytes(), "합포 기준: 수령인·전화·주소·주문일 (배송번호 열 없음)"}} {
			ctype, body := trackingForm(map[string]string{"marketplace": "esm"}, "esm.csv", tc.data)
			resp, err := c.Post(e.srv.URL+"/marketplace-orders/import", ctype, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			_, _ = b.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(b.String(), tc.want) {
				t.Fatalf("preview = %d, lacks %q", resp.StatusCode, tc.want)
			}
		}
	})
}
