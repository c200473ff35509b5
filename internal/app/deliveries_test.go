package app_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/sheet"
	"github.com/orderdesk/orderdesk/internal/staff"
)

// trackingForm is a 송장번호 일괄갱신 upload.
func trackingForm(fields map[string]string, name string, file []byte) (string, []byte) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if file != nil {
		fw, _ := mw.CreateFormFile("file", name)
		_, _ = fw.Write(file)
	}
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// The 배송관리 EXCEL from the API, three numbers filled in (one with a bad
// check digit), uploaded through the API, the console and the CLI: the
// preview shows two changes and one refusal, 등록하기 applies the two, and
// the same file again changes nothing.
func TestDeliveriesRoundTripAPIConsoleCLI(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, memberID, _ := demoEnv(t, e)
		books := e.do("GET", "/api/v1/products?kind=textbook&q="+url.QueryEscape("포토샵 교재"), tok, nil).json(t)["items"].([]any)
		book := books[0].(map[string]any)["id"]
		var items []string
		for range 3 {
			o := e.do("POST", "/api/v1/orders", tok, map[string]any{"site": "malgn", "member_id": memberID, "payment_method": "bank_deposit",
				"items":    []map[string]any{{"product_id": book, "qty": 1}},
				"shipping": map[string]string{"recipient": "홍길금2", "phone": "010-0000-2122", "zipcode": "08797", "address": "서울"}})
			if o.Status != 201 {
				t.Fatalf("place: %d %s", o.Status, o.Body)
			}
			no := fmt.Sprint(o.json(t)["order_no"])
			if r := e.do("POST", "/api/v1/orders/"+no+"/confirm-deposit", tok, nil); r.Status != 200 {
				t.Fatalf("deposit: %d %s", r.Status, r.Body)
			}
			items = append(items, fmt.Sprint(o.json(t)["items"].([]any)[0].(map[string]any)["item_id"]))
		}
		x := e.do("GET", "/api/v1/deliveries/export.xlsx?state=waiting", tok, nil)
		if x.Status != 200 {
			t.Fatalf("export: %d %s", x.Status, x.Body)
		}
		rows, err := sheet.ReadAll(bytes.NewReader(x.Body))
		if err != nil || len(rows) != 4 {
			t.Fatalf("export rows %d (%v), want the header and 3 waiting items", len(rows), err)
		}
		ci, ct := slices.Index(rows[0], "항목번호"), slices.Index(rows[0], "송장번호")
		numbers := map[string]string{items[0]: "123456789013", items[1]: "100000000004", items[2]: "123456789014"}
		var filled bytes.Buffer
		w, _ := sheet.NewWriter(&filled, "배송관리", rows[0])
		for _, r := range rows[1:] {
			for len(r) < len(rows[0]) {
				r = append(r, "")
			}
			r[ct] = numbers[r[ci]]
			vals := make([]any, len(r))
			for i, v := range r {
				vals[i] = v
			}
			_ = w.Row(vals...)
		}
		if err := w.Finish(); err != nil {
			t.Fatal(err)
		}
		upload := func(dry string) map[string]any {
			ctype, body := trackingForm(map[string]string{"carrier": "LT", "state": "shipped", "dry_run": dry}, "배송관리.xlsx", filled.Bytes())
			req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/deliveries/tracking-upload", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", ctype)
			r := e.send(req, body)
			if r.Status != 200 {
				t.Fatalf("upload: %d %s", r.Status, r.Body)
			}
			return r.json(t)
		}
		counts := func(m map[string]any) string {
			return fmt.Sprintf("%v/%v/%v/%v", m["changes"], m["unchanged"], m["refused"], m["applied"])
		}
		if got := upload("true"); counts(got) != "2/0/1/0" {
			t.Fatalf("API preview %s: %v", counts(got), got["rows"])
		}

		// The console: 미리보기, then 등록하기 with the file the page kept.
		if _, err := e.app.Staff.Create(context.Background(), access.System(), staff.NewStaff{Login: "clerk", Password: "correct horse battery", Role: access.SiteAdmin, Sites: []string{"malgn"}}); err != nil {
			t.Fatal(err)
		}
		c := e.consoleClient("clerk", "correct horse battery")
		post := func(fields map[string]string, file []byte) string {
			ctype, body := trackingForm(fields, "배송관리.xlsx", file)
			resp, err := c.Post(e.srv.URL+"/deliveries/upload", ctype, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b bytes.Buffer
			_, _ = b.ReadFrom(resp.Body)
			if resp.StatusCode != 200 {
				t.Fatalf("console upload = %d %s", resp.StatusCode, b.String())
			}
			return b.String()
		}
		page := post(map[string]string{"carrier": "LT", "state": "shipped"}, filled.Bytes())
		if !strings.Contains(page, "변경 2건") || !strings.Contains(page, "반영 안 함 1건") || !strings.Contains(page, "검증번호") {
			t.Fatalf("console preview lacks 2 changes and the refusal")
		}
		kept := regexp.MustCompile(`name="data" value="([^"]+)"`).FindStringSubmatch(page)
		if kept == nil {
			t.Fatal("the preview keeps no file for 등록하기")
		}
		page = post(map[string]string{"apply": "1", "carrier": "LT", "state": "shipped", "filename": "배송관리.xlsx", "data": html.UnescapeString(kept[1])}, nil)
		if !strings.Contains(page, "2건을 등록했습니다") {
			t.Fatalf("console apply did not register 2 items")
		}
		for i, id := range items {
			r := e.do("PATCH", "/api/v1/deliveries/"+id, tok, map[string]any{}).json(t)
			want := "shipped"
			if i == 2 {
				want = "waiting"
			}
			if r["state"] != want || (want == "shipped") != (r["tracking_url"] != "") {
				t.Errorf("item %s after the upload: %v %v", id, r["state"], r["tracking_url"])
			}
		}
		if got := upload("false"); counts(got) != "0/2/1/0" {
			t.Fatalf("the same upload again: %s", counts(got))
		}

		// The command line, on the same database.
		file := filepath.Join(t.TempDir(), "tracking.xlsx")
		if err := os.WriteFile(file, filled.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		cli := map[string]string{"ORDERDESK_DB": e.app.Cfg.DB, "ORDERDESK_SECRET_KEY": testKey, "ORDERDESK_LOG_LEVEL": "warn"}
		code, out, errs := runCLI(t, cli, "deliveries", "import", file, "--carrier", "LT", "--state", "shipped", "--dry-run")
		if code != 0 || !strings.Contains(out, "0 to change, 2 unchanged, 1 refused") || !strings.Contains(out, "123456789014") {
			t.Fatalf("cli = %d %q %q", code, out, errs)
		}
		if code, _, errs := runCLI(t, cli, "deliveries", "import", file, "--carrier", "NOPE"); code != 2 || !strings.Contains(errs, "NOPE") {
			t.Fatalf("cli with an unknown carrier = %d %q", code, errs)
		}
	})
}
