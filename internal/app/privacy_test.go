package app_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// The personal numbers planted through every input; none may reach the
// database in clear.
const (
	plantRRN     = "900101-1234567"
	plantAccount = "110-482-915736"
	plantCustoms = "P123456789012"
)

// secretsIn reports which planted numbers occur in data, in any spelling
// (with or without separators).
func secretsIn(data []byte) []string {
	var found []string
	for _, s := range []string{plantRRN, strings.ReplaceAll(plantRRN, "-", ""), plantAccount, strings.ReplaceAll(plantAccount, "-", ""),
		plantCustoms, strings.TrimPrefix(plantCustoms, "P")} {
		if bytes.Contains(data, []byte(s)) {
			found = append(found, s)
		}
	}
	return found
}

// importCSV posts an 11번가 sheet through the API, with extra columns the
// format does not map holding personal numbers.
func (e *env) importCSV(token string, data []byte, key string) response {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("marketplace", "11st")
	fw, _ := mw.CreateFormFile("file", "11st.csv")
	_, _ = fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/marketplace-orders/import", &body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// sheet11st writes n rows of an 11번가 order sheet; extra names more columns
// (not in the format) and their value on every row.
func sheet11st(first, n int, extra ...string) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	head := []string{"주문번호", "주문순번", "결제일시", "판매자 상품코드", "상품명", "옵션", "수량", "주문금액", "판매방식", "배송비결제방식", "구매자",
		"수취인", "휴대폰번호", "전화번호", "우편번호", "주소", "배송메시지", "주문상태", "판매단가", "서비스이용료", "정산예정금액", "옵션가", "배송비"}
	for i := 0; i+1 < len(extra); i += 2 {
		head = append(head, extra[i])
	}
	_ = w.Write(head)
	for i := first; i < first+n; i++ {
		row := []string{fmt.Sprint(202510130000000 + i/3), fmt.Sprint(i%3 + 1), "2025-10-13 09:40:12", fmt.Sprintf("BK-%03d", i%500),
			"교재 " + fmt.Sprint(i%500), "", fmt.Sprint(1 + i%3), "31,000", "고정가", "선결제", "구매자", fmt.Sprint("수취인", i/3),
			"010-0000-0000", "", "06236", "서울특별시 강남구 테헤란로 152", "", "배송준비중", "28,000", "3,720", "27,280", "0", "0"}
		for j := 1; j < len(extra); j += 2 {
			row = append(row, extra[j])
		}
		_ = w.Write(row)
	}
	w.Flush()
	return buf.Bytes()
}

// dumpDatabase returns every byte the database keeps: on SQLite the file,
// its -wal and -shm as they are on disk (no checkpoint first), on PostgreSQL
// a pg_dump of the test's schema.
func (e *env) dumpDatabase(t *testing.T) []byte {
	t.Helper()
	if e.app.DB.Engine == sqldb.SQLite {
		var all []byte
		for _, suffix := range []string{"", "-wal", "-shm"} {
			b, err := os.ReadFile(e.app.DB.SQLitePath + suffix)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		if len(all) == 0 {
			t.Fatal("no database file read")
		}
		return all
	}
	u, err := url.Parse(e.app.Cfg.DB)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	schema := q.Get("search_path")
	q.Del("search_path")
	u.RawQuery = q.Encode()
	out, err := exec.Command("pg_dump", "--schema="+schema, "--dbname="+u.String()).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	if !bytes.Contains(out, []byte("market_orders")) {
		t.Fatalf("pg_dump holds no market_orders: %.300s", out)
	}
	return out
}

// TestNoPersonalNumberInClear plants a resident registration number, a bank
// account and a customs number (개인통관고유부호) through every input that
// takes one and finds none of them in the database's bytes.
func TestNoPersonalNumberInClear(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, memberID, productID := demoEnv(t, e)
		// Member create and PATCH with the number, each sent with a key.
		createBody := map[string]string{"site": "malgn", "login": "plant1", "name": "심은이", "rrn": plantRRN}
		r := e.do("POST", "/api/v1/members", tok, createBody, "Idempotency-Key", "plant-create")
		if r.Status != 201 {
			t.Fatalf("create = %d %s", r.Status, r.Body)
		}
		planted := strconv.FormatInt(int64(r.json(t)["id"].(float64)), 10)
		if r := e.do("PATCH", "/api/v1/members/"+strconv.FormatInt(memberID, 10), tok, map[string]string{"rrn": plantRRN}); r.Status != 200 {
			t.Fatalf("patch = %d %s", r.Status, r.Body)
		}
		// Reveal with an Idempotency-Key: the answer holds the number, and
		// a second call with the key must still answer it.
		for i := 0; i < 2; i++ {
			r := e.do("POST", "/api/v1/members/"+planted+"/reveal-rrn", tok, nil, "Idempotency-Key", "plant-reveal")
			if r.Status != 200 || r.json(t)["rrn"] != plantRRN {
				t.Fatalf("reveal %d = %d %s", i, r.Status, r.Body)
			}
		}
		// A refund to a bank account.
		placed := e.do("POST", "/api/v1/orders", tok, map[string]any{"site": "malgn", "member_id": memberID, "payment_method": "bank_deposit",
			"items": []map[string]any{{"product_id": productID, "qty": 1}}}).json(t)
		no := strconv.FormatInt(int64(placed["order_no"].(float64)), 10)
		if r := e.do("POST", "/api/v1/orders/"+no+"/confirm-deposit", tok, nil); r.Status != 200 {
			t.Fatalf("confirm = %d %s", r.Status, r.Body)
		}
		item := placed["items"].([]any)[0].(map[string]any)["item_id"]
		if r := e.do("POST", "/api/v1/refunds", tok, map[string]any{"order_no": placed["order_no"], "item_ids": []any{item}, "reason": "변심",
			"method": "bank_transfer", "bank": map[string]string{"name": "국민은행", "account": plantAccount, "holder": "심은이"}},
			"Idempotency-Key", "plant-refund"); r.Status != 201 {
			t.Fatalf("refund request = %d %s", r.Status, r.Body)
		}
		// A marketplace sheet with unmapped columns holding the numbers.
		sheet := sheet11st(0, 30, "주민등록번호", plantRRN, "개인통관고유부호", plantCustoms, "환불계좌", plantAccount)
		if r := e.importCSV(tok, sheet, "plant-import"); r.Status != 200 || !strings.Contains(string(r.Body), `"inserted":30`) {
			t.Fatalf("import = %d %s", r.Status, r.Body)
		}
		// The recompute still works from what is kept.
		if r := e.do("POST", "/api/v1/settlement/recompute", tok, map[string]string{"from": "2025-10-13", "to": "2025-10-13"}); r.Status != 200 {
			t.Fatalf("recompute = %d %s", r.Status, r.Body)
		}
		dump := e.dumpDatabase(t)
		if found := secretsIn(dump); len(found) > 0 {
			t.Fatalf("the database holds in clear: %q", found)
		}
		// The fingerprint of a keyed body must not be a plain hash: the few
		// million resident numbers of a birth date are quickly tried.
		sent, _ := json.Marshal(createBody)
		plain := sha256.Sum256(append([]byte("POST /api/v1/members\n"), sent...))
		if bytes.Contains(dump, []byte(hex.EncodeToString(plain[:]))) {
			t.Fatal("the database holds an unkeyed SHA-256 of a body with a resident number")
		}
	})
}
