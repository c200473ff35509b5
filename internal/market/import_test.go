package market_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb/sqldbtest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var sys = access.System()

func newService(t testing.TB, db *sqldb.DB) *market.Service {
	t.Helper()
	svc := &market.Service{DB: db, Now: func() time.Time { return time.Date(2025, 10, 14, 1, 0, 0, 0, time.UTC) }}
	for _, code := range []string{"smartstore", "coupang", "esm", "11st"} {
		if _, err := svc.CreateMarketplace(context.Background(), sys, market.Marketplace{Code: code, Name: code}); err != nil {
			t.Fatal(err)
		}
	}
	return svc
}

// smartstoreXLSX builds the xlsx that 스마트스토어 hands out: a merged notice
// in row 1, the header in row 2, identifiers as text and amounts as numbers.
func smartstoreXLSX(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/smartstore_source.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	f := excelize.NewFile()
	sh := f.GetSheetName(0)
	_ = f.SetCellValue(sh, "A1", "※ 개인정보 보호를 위해 다운로드 후 3개월이 지나면 파일을 삭제해 주세요.")
	_ = f.MergeCell(sh, "A1", "H1")
	numeric := map[string]bool{"수량": true, "옵션가격": true, "상품가격": true, "최종 상품별 할인액": true, "최종 상품별 총 주문금액": true,
		"네이버페이 주문관리 수수료": true, "매출연동 수수료": true, "정산예정금액": true, "배송비 합계": true}
	for i, row := range rows {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+2)
			if i > 0 && numeric[rows[0][j]] {
				n, err := strconv.ParseInt(v, 10, 64)
				if err == nil {
					_ = f.SetCellValue(sh, cell, n)
					continue
				}
			}
			_ = f.SetCellStr(sh, cell, v)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func load(t testing.TB, name string) []byte {
	t.Helper()
	if name == "smartstore.xlsx" {
		return smartstoreXLSX(t)
	}
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// stored is what the golden files hold: the orders field by field, with
// bundles numbered in order of appearance.
func stored(t *testing.T, svc *market.Service, marketplace string) []byte {
	t.Helper()
	page, err := svc.List(context.Background(), sys, market.Filter{Marketplace: marketplace})
	if err != nil {
		t.Fatal(err)
	}
	items := page.Items
	sort.Slice(items, func(i, j int) bool {
		if items[i].OrderNo != items[j].OrderNo {
			return items[i].OrderNo < items[j].OrderNo
		}
		return items[i].SubNo < items[j].SubNo
	})
	bundles := map[int64]int64{}
	for i := range items {
		if _, ok := bundles[items[i].BundleID]; !ok {
			bundles[items[i].BundleID] = int64(len(bundles) + 1)
		}
		items[i].BundleID = bundles[items[i].BundleID]
		items[i].ID = 0
	}
	b, _ := json.MarshalIndent(items, "", "  ")
	return append(b, '\n')
}

func TestGoldenImports(t *testing.T) {
	cases := []struct{ marketplace, file, encoding string }{
		{"smartstore", "smartstore.xlsx", ""},
		{"11st", "11st.xls", ""},
		{"esm", "esm_utf8.csv", ""},
		{"coupang", "coupang_cp949.csv", ""},
	}
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		svc := newService(t, db)
		ctx := context.Background()
		for _, c := range cases {
			data := load(t, c.file)
			prev, _, err := svc.Import(ctx, sys, market.ImportInput{Marketplace: c.marketplace, Filename: c.file, Data: data, DryRun: true})
			if err != nil {
				t.Fatalf("%s preview: %v", c.file, err)
			}
			if prev.ErrorRows != 0 || prev.OK == 0 {
				t.Fatalf("%s preview: %+v", c.file, prev)
			}
			if prev.BundleBy != "ship_no" { // every sample has its marketplace's 배송번호
				t.Fatalf("%s preview bundles by %q, want ship_no", c.file, prev.BundleBy)
			}
			if page, _ := svc.List(ctx, sys, market.Filter{Marketplace: c.marketplace}); page.Total != 0 {
				t.Fatalf("%s: the preview stored %d orders", c.file, page.Total)
			}
			_, imp, err := svc.Import(ctx, sys, market.ImportInput{Marketplace: c.marketplace, Filename: c.file, Data: data})
			if err != nil || imp.Status != "done" || imp.Inserted != prev.OK {
				t.Fatalf("%s import: %+v %v", c.file, imp, err)
			}
			got := stored(t, svc, c.marketplace)
			golden := filepath.Join("testdata", c.marketplace+".golden")
			if *update && db.Engine == sqldb.SQLite {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/market -run Golden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s: stored orders differ from %s:\n%s", c.file, golden, got)
			}
			// The same file again adds nothing.
			_, again, err := svc.Import(ctx, sys, market.ImportInput{Marketplace: c.marketplace, Filename: c.file, Data: data})
			if err != nil || again.Inserted != 0 || again.Unchanged != prev.OK {
				t.Fatalf("%s reimport: %+v %v", c.file, again, err)
			}
		}
	})
}

func TestImportRefusesAndReports(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		svc := newService(t, db)
		ctx := context.Background()
		bad := "주문번호,상품주문번호,주문일시,상품명,옵션정보,수량,최종 상품별 총 주문금액,판매자 상품코드,결제수단,배송비 형태,구매자명,수취인명,수취인연락처1,구매자연락처,우편번호,통합배송지,배송메세지,주문상태,상품가격,옵션가격,최종 상품별 할인액,네이버페이 주문관리 수수료,매출연동 수수료,정산예정금액,배송비 합계\n" +
			"1001,1,2025-10-13 09:00:00,교재,,1,\"10,000\",A,카드,선결제,홍,홍,010,010,06236,서울,,결제완료,0,0,0,0,0,0,0\n" +
			"1002,1,어제,교재,,1,10000,A,카드,선결제,홍,홍,010,010,06236,서울,,결제완료,0,0,0,0,0,0,0\n" +
			"1003,1,2025-10-13,교재,,영,10000,A,카드,선결제,홍,홍,010,010,06236,서울,,결제완료,0,0,0,0,0,0,0\n" +
			"1004,1,2025-10-13,,,1,10000,A,카드,선결제,홍,홍,010,010,06236,서울,,결제완료,0,0,0,0,0,0,0\n"
		// No marketplace chosen: refused naming the field (422), not "not found".
		_, _, err := svc.Import(ctx, sys, market.ImportInput{Marketplace: " ", Filename: "bad.csv", Data: []byte(bad), DryRun: true})
		if e, ok := apperr.As(err); !ok || e.Code != apperr.Invalid || len(e.Fields) != 1 || e.Fields[0].Location != "marketplace" {
			t.Fatalf("an import without its marketplace: %v", err)
		}
		prev, _, err := svc.Import(ctx, sys, market.ImportInput{Marketplace: "smartstore", Filename: "bad.csv", Data: []byte(bad), DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if prev.OK != 1 || prev.ErrorRows != 3 || len(prev.Errors) != 3 {
			t.Fatalf("preview = %+v", prev)
		}
		// The sheet has no 배송비 묶음번호 column: bundled by address, and said so.
		if prev.BundleBy != "address" {
			t.Fatalf("a sheet without 배송번호 bundles by %q, want address", prev.BundleBy)
		}
		want := []market.RowError{
			{Row: 3, Column: "주문일시", Value: "어제", Reason: "날짜 형식이 아닙니다"},
			{Row: 4, Column: "수량", Value: "영", Reason: "수량이 숫자가 아닙니다"},
			{Row: 5, Column: "상품명", Value: "", Reason: "필수 항목(상품명)이 비어 있습니다"},
		}
		for i, w := range want {
			if prev.Errors[i] != w {
				t.Errorf("error %d = %+v, want %+v", i, prev.Errors[i], w)
			}
		}
		refused := []struct {
			name string
			data []byte
			word string
		}{
			{"missing header", []byte("주문번호,상품명\n1,x\n"), "파일에 없는 헤더"},
			{"not a spreadsheet", append([]byte{0x7f, 'E', 'L', 'F', 0, 0}, bytes.Repeat([]byte{1}, 100)...), "스프레드시트 파일이 아닙니다"},
			{"broken xlsx", []byte("PK\x03\x04garbage"), "손상"},
			{"broken xls", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, bytes.Repeat([]byte{0}, 600)...), "xls"},
			{"formula", formulaXLSX(t), "수식"},
		}
		for _, r := range refused {
			_, _, err := svc.Import(ctx, sys, market.ImportInput{Marketplace: "smartstore", Filename: r.name, Data: r.data})
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.Invalid || !bytes.Contains([]byte(e.Message), []byte(r.word)) {
				t.Errorf("%s: %v, want a refusal mentioning %q", r.name, err, r.word)
			}
		}
		if page, _ := svc.List(ctx, sys, market.Filter{}); page.Total != 0 {
			t.Fatalf("refused files stored %d orders", page.Total)
		}
	})
}

func formulaXLSX(t testing.TB) []byte {
	f := excelize.NewFile()
	_ = f.SetCellValue("Sheet1", "A1", "주문번호")
	_ = f.SetCellFormula("Sheet1", "A2", "=1+1")
	var buf bytes.Buffer
	_ = f.Write(&buf)
	return buf.Bytes()
}

// An import stopped after its first batch was written stores nothing; run
// again it ends with every order stored once; a later sheet that cancels an
// order updates it.
func TestImportResumesAndCancels(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		svc := newService(t, db)
		ctx := context.Background()
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		header := []string{"주문번호", "주문순번", "결제일시", "판매자 상품코드", "상품명", "옵션", "수량", "주문금액", "판매방식", "배송비결제방식", "구매자",
			"수취인", "휴대폰번호", "전화번호", "우편번호", "주소", "배송메시지", "주문상태", "판매단가", "서비스이용료", "정산예정금액", "옵션가", "배송비"}
		_ = w.Write(header)
		n := market.BatchSize*2 + 500
		for i := 0; i < n; i++ {
			_ = w.Write([]string{fmt.Sprint(500000 + i/2), fmt.Sprint(i%2 + 1), "2025-10-13 09:00:00", "BK-1", "교재", "", "1", "10000", "고정가", "선결제",
				"홍", fmt.Sprint("수취인", i/3), "010-0000-0000", "", "06236", "서울", "", "배송준비중", "10000", "1200", "8800", "0", "0"})
		}
		w.Flush()
		stop := errors.New("killed after a batch")
		svc.AfterBatch = func(b int) error {
			if b == 0 {
				return stop
			}
			return nil
		}
		_, imp, err := svc.Import(ctx, sys, market.ImportInput{Marketplace: "11st", Filename: "big.csv", Data: buf.Bytes()})
		if !errors.Is(err, stop) || imp.Status != "failed" || imp.Inserted != 0 {
			t.Fatalf("stopped import: %+v %v", imp, err)
		}
		if page, _ := svc.List(ctx, sys, market.Filter{Marketplace: "11st"}); page.Total != 0 {
			t.Fatalf("the stopped import stored %d lines", page.Total)
		}
		svc.AfterBatch = nil
		_, imp, err = svc.Import(ctx, sys, market.ImportInput{Marketplace: "11st", Filename: "big.csv", Data: buf.Bytes()})
		if err != nil || imp.Inserted != n || imp.Unchanged != 0 {
			t.Fatalf("rerun: %+v %v", imp, err)
		}
		page, _ := svc.List(ctx, sys, market.Filter{Marketplace: "11st"})
		if page.Total != n {
			t.Fatalf("stored %d, want %d", page.Total, n)
		}
		cancelSheet := bytes.Join([][]byte{[]byte(joinCSV(header)),
			[]byte(joinCSV([]string{"500000", "1", "2025-10-13 09:00:00", "BK-1", "교재", "", "1", "10000", "고정가", "선결제", "홍", "수취인0",
				"010-0000-0000", "", "06236", "서울", "", "취소완료", "10000", "1200", "8800", "0", "0"}))}, nil)
		_, imp, err = svc.Import(ctx, sys, market.ImportInput{Marketplace: "11st", Filename: "cancel.csv", Data: cancelSheet})
		if err != nil || imp.Updated != 1 {
			t.Fatalf("cancel sheet: %+v %v", imp, err)
		}
		got, _ := svc.List(ctx, sys, market.Filter{Marketplace: "11st", Status: "cancelled"})
		if got.Total != 1 || got.Items[0].CancelledDay != "2025-10-14" || got.Items[0].Status != "취소완료" {
			t.Fatalf("cancelled = %+v", got)
		}
	})
}

func joinCSV(rec []string) string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(rec)
	w.Flush()
	return b.String()
}

// 스마트스토어's xlsx comes encrypted with the password typed at download.
func TestEncryptedXLSX(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		svc := newService(t, db)
		ctx := context.Background()
		f, err := excelize.OpenReader(bytes.NewReader(smartstoreXLSX(t)))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "smartstore.xlsx")
		if err := f.SaveAs(path, excelize.Options{Password: "1234"}); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(path)
		_, _, err = svc.Import(ctx, sys, market.ImportInput{Marketplace: "smartstore", Filename: "smartstore.xlsx", Data: data, DryRun: true})
		if e, ok := apperr.As(err); !ok || !bytes.Contains([]byte(e.Message), []byte("비밀번호")) {
			t.Fatalf("without password: %v", err)
		}
		if _, _, err := svc.Import(ctx, sys, market.ImportInput{Marketplace: "smartstore", Filename: "smartstore.xlsx", Data: data, Password: "wrong", DryRun: true}); apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("wrong password: %v", err)
		}
		prev, _, err := svc.Import(ctx, sys, market.ImportInput{Marketplace: "smartstore", Filename: "smartstore.xlsx", Data: data, Password: "1234", DryRun: true})
		if err != nil || prev.OK != 8 {
			t.Fatalf("with password: %+v %v", prev, err)
		}
	})
}
