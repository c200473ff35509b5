package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/sheet"
	"github.com/orderdesk/orderdesk/internal/staff"
)

func num(v any) int64 { return int64(v.(float64)) }

// orderItems returns the items of an order from the API.
func orderItems(t *testing.T, e *env, tok string, no int64) []map[string]any {
	t.Helper()
	r := e.do("GET", fmt.Sprintf("/api/v1/orders/%d", no), tok, nil)
	if r.Status != 200 {
		t.Fatalf("order %d = %d %s", no, r.Status, r.Body)
	}
	var out []map[string]any
	for _, it := range r.json(t)["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

// Order 202 of the demo: the course paid 0원 by the learner (8,000원 환급)
// is cancelled with a reason and without money; no refund request is made,
// verify holds, the audit log has the entry, and the textbook is untouched.
// Order 285 (무과금, one course) becomes 결제취소 with it.
func TestEnrollmentCancelWithoutMoney(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, _, _ := demoEnv(t, e)
		items := orderItems(t, e, tok, 202)
		course, book := items[0], items[1]
		if course["kind"] != "course" || num(course["paid"]) != 0 || num(course["subsidy"]) != 8000 || book["kind"] != "textbook" {
			t.Fatalf("demo order 202 items: %v", items)
		}
		// The dead end of the issue: a refund of the course has nothing to return.
		if r := e.do("POST", "/api/v1/refunds", tok, map[string]any{"order_no": 202, "item_ids": []any{course["item_id"]}, "reason": "수강취소",
			"method": "pg_cancel"}); r.Status != 409 {
			t.Fatalf("refund of the 0원 course = %d %s", r.Status, r.Body)
		}
		path := fmt.Sprintf("/api/v1/enrollments/%d/cancel", num(course["enrollment_id"]))
		if r := e.do("POST", path, tok, map[string]string{"reason": " "}); r.Status != 422 {
			t.Fatalf("cancel without a reason = %d %s", r.Status, r.Body)
		}
		// An enrollment that does not exist is not found.
		if r := e.do("POST", "/api/v1/enrollments/999999/cancel", tok, map[string]string{"reason": "x"}); r.Status != 404 {
			t.Fatalf("cancel of a missing enrollment = %d", r.Status)
		}
		r := e.do("POST", path, tok, map[string]string{"reason": "HRD-Net 수강신청 없음"})
		if r.Status != 200 || r.json(t)["status"] != "cancelled" {
			t.Fatalf("cancel = %d %s", r.Status, r.Body)
		}
		if r := e.do("POST", path, tok, map[string]string{"reason": "again"}); r.Status != 409 {
			t.Fatalf("second cancel = %d %s", r.Status, r.Body)
		}
		after := orderItems(t, e, tok, 202)
		if after[0]["status"] != "cancelled" || after[0]["enrollment_status"] != "cancelled" {
			t.Errorf("course item after 수강취소: %v", after[0])
		}
		if after[1]["status"] != "paid" || num(after[1]["paid"]) != 10000 || num(after[1]["refunded"]) != 0 || after[1]["delivery_status"] != book["delivery_status"] {
			t.Errorf("textbook changed: %v → %v", book, after[1])
		}
		o := e.do("GET", "/api/v1/orders/202", tok, nil).json(t)
		if o["status"] != "paid" || num(o["collected"]) != 10000 || num(o["refunded"]) != 0 {
			t.Errorf("order 202 after 수강취소: status %v collected %v refunded %v", o["status"], o["collected"], o["refunded"])
		}
		if refunds := e.do("GET", "/api/v1/refunds?field=order_no&q=202", tok, nil).json(t); num(refunds["total"]) != 0 {
			t.Errorf("a refund request was created: %v", refunds)
		}
		audit := e.do("GET", "/api/v1/audit?entity=enrollment&entity_id="+strconv.FormatInt(num(course["enrollment_id"]), 10)+"&action=enrollment.cancel", tok, nil).json(t)
		if num(audit["total"]) != 1 || !strings.Contains(audit["items"].([]any)[0].(map[string]any)["after"].(string), "HRD-Net 수강신청 없음") {
			t.Errorf("audit of the cancel: %v", audit)
		}

		// 285: 무과금, its only item cancelled → the order is 결제취소, still without money.
		e285 := orderItems(t, e, tok, 285)[0]["enrollment_id"]
		if r := e.do("POST", fmt.Sprintf("/api/v1/enrollments/%d/cancel", num(e285)), tok, map[string]string{"reason": "수강 포기"}); r.Status != 200 {
			t.Fatalf("cancel 285 = %d %s", r.Status, r.Body)
		}
		if o := e.do("GET", "/api/v1/orders/285", tok, nil).json(t); o["status"] != "cancelled" {
			t.Errorf("order 285 = %v", o["status"])
		}
		// A paid course with money left is a refund, never a money-free cancel.
		i283 := orderItems(t, e, tok, 283)[0]
		if i283["enrollment_id"] != nil {
			if r := e.do("POST", fmt.Sprintf("/api/v1/enrollments/%d/cancel", num(i283["enrollment_id"])), tok, map[string]string{"reason": "x"}); r.Status != 409 {
				t.Errorf("cancel of an item with money = %d %s", r.Status, r.Body)
			}
		}
		e.verified(t, "")

		// The order page shows it, with no 수강취소 button left for the item.
		if _, err := e.app.Staff.Create(context.Background(), access.System(), staff.NewStaff{Login: "clerk", Password: "correct horse battery", Role: access.SuperAdmin}); err != nil {
			t.Fatal(err)
		}
		c := e.consoleClient("clerk", "correct horse battery")
		_, body := get(t, c, e.srv.URL+"/orders/202")
		if !strings.Contains(body, "수강취소: HRD-Net 수강신청 없음") || strings.Count(body, `class="button small enroll-cancel"`) != 0 {
			t.Errorf("order page 202 does not show the 수강취소")
		}
	})
}

// 선택 수강승인: the paid ones go through, an unpaid and a cancelled one are
// refused with their reasons, and a viewer may approve nothing.
func TestApproveEnrollmentsBatch(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, _, _ := demoEnv(t, e)
		list := e.do("GET", "/api/v1/voucher-orders?enrollment_status=awaiting_approval", tok, nil).json(t)
		if num(list["total"]) != 1 { // order 202
			t.Fatalf("awaiting approval in the demo: %v", list["total"])
		}
		waiting := list["items"].([]any)[0].(map[string]any)
		course := orderItems(t, e, tok, 232)[0]["product_id"]
		memberID := num(e.do("GET", "/api/v1/orders/202", tok, nil).json(t)["member_id"])
		unpaid := e.do("POST", "/api/v1/orders", tok, map[string]any{"site": "malgn", "member_id": memberID, "payment_method": "bank_deposit",
			"items": []map[string]any{{"product_id": course, "qty": 1}}})
		if unpaid.Status != 201 {
			t.Fatalf("place = %d %s", unpaid.Status, unpaid.Body)
		}
		unpaidEnrollment := unpaid.json(t)["items"].([]any)[0].(map[string]any)["enrollment_id"]
		cancelled := orderItems(t, e, tok, 256)[0]["enrollment_id"]
		viewer := e.staffToken("viewer", access.Viewer, "malgn")
		r := e.do("POST", "/api/v1/enrollments/approve", viewer, map[string]any{"enrollment_ids": []any{waiting["enrollment_id"]}}).json(t)
		if num(r["approved"]) != 0 || num(r["refused"]) != 1 {
			t.Fatalf("viewer approved: %v", r)
		}
		ans := e.do("POST", "/api/v1/enrollments/approve", tok, map[string]any{"enrollment_ids": []any{unpaidEnrollment, waiting["enrollment_id"], cancelled}})
		if ans.Status != 200 {
			t.Fatalf("approve = %d %s", ans.Status, ans.Body)
		}
		a := ans.json(t)
		res := a["results"].([]any)
		if num(a["approved"]) != 1 || num(a["refused"]) != 2 || len(res) != 3 {
			t.Fatalf("approve answer: %v", a)
		}
		first, second, third := res[0].(map[string]any), res[1].(map[string]any), res[2].(map[string]any)
		if first["approved"] != false || !strings.Contains(first["reason"].(string), "결제(입금)되지 않았습니다") {
			t.Errorf("unpaid: %v", first)
		}
		if second["approved"] != true || num(second["order_no"]) != 202 {
			t.Errorf("paid: %v", second)
		}
		if third["approved"] != false || !strings.Contains(third["reason"].(string), "취소") {
			t.Errorf("cancelled: %v", third)
		}
		if items := orderItems(t, e, tok, 202); items[0]["enrollment_status"] != "active" {
			t.Errorf("202 after approval: %v", items[0]["enrollment_status"])
		}
		if r := e.do("POST", "/api/v1/enrollments/approve", tok, map[string]any{"enrollment_ids": []any{}}); r.Status != 422 {
			t.Errorf("empty approve = %d", r.Status)
		}
		audit := e.do("GET", "/api/v1/audit?action=enrollment.approve&entity=enrollment&entity_id="+strconv.FormatInt(num(waiting["enrollment_id"]), 10), tok, nil).json(t)
		if num(audit["total"]) != 1 {
			t.Errorf("approval audit entries: %v", audit["total"])
		}
	})
}

var fullRRN = regexp.MustCompile(`^\d{6}-\d{7}$`)

// memberSheet downloads 회원 EXCEL and returns the resident number column.
func memberSheet(t *testing.T, e *env, tok, query string) (int, []string) {
	t.Helper()
	r := e.do("GET", "/api/v1/voucher-orders/members.xlsx?"+query, tok, nil)
	if r.Status != 200 {
		return r.Status, nil
	}
	rows, err := sheet.ReadAll(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range rows[0] {
		if h == "주민등록번호" {
			col = i
		}
	}
	var out []string
	for _, row := range rows[1:] {
		out = append(out, row[col])
	}
	return r.Status, out
}

// 회원 EXCEL: a viewer gets masked numbers only; a site_admin must give a
// reason and then gets them in full; each download is audited with the
// reason and the row count, never the numbers.
func TestVoucherMembersExportByRole(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		root, _, _ := demoEnv(t, e)
		viewer := e.staffToken("viewer", access.Viewer, "malgn")
		admin := e.staffToken("siteadmin", access.SiteAdmin, "malgn")
		q := "year=2019&round=7"
		total := num(e.do("GET", "/api/v1/voucher-orders?"+q, root, nil).json(t)["total"])
		if total != 4 {
			t.Fatalf("2019/07 rows = %d", total)
		}
		status, nums := memberSheet(t, e, viewer, q+"&reason="+url.QueryEscape("확인"))
		if status != 200 || int64(len(nums)) != total {
			t.Fatalf("viewer export = %d, %d rows", status, len(nums))
		}
		for _, n := range nums {
			if !strings.HasSuffix(n, "******") || fullRRN.MatchString(n) {
				t.Errorf("viewer sees %q", n)
			}
		}
		if status, _ := memberSheet(t, e, admin, q); status != 422 {
			t.Errorf("site_admin without a reason = %d", status)
		}
		status, nums = memberSheet(t, e, admin, q+"&reason="+url.QueryEscape("HRD-Net 수강생 등록"))
		if status != 200 || int64(len(nums)) != total {
			t.Fatalf("site_admin export = %d, %d rows", status, len(nums))
		}
		for _, n := range nums {
			if !fullRRN.MatchString(n) {
				t.Errorf("site_admin sees %q", n)
			}
		}
		if nums[0] != "111111-1111126" {
			t.Errorf("hong041's number = %q", nums[0])
		}
		audit := e.do("GET", "/api/v1/audit?action=member.export_rrn", root, nil).json(t)
		if num(audit["total"]) != 2 {
			t.Fatalf("export audit entries = %v", audit["total"])
		}
		var got []map[string]any
		for _, it := range audit["items"].([]any) {
			entry := it.(map[string]any)
			var after map[string]any
			if err := json.Unmarshal([]byte(entry["after"].(string)), &after); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(entry["after"].(string), "111111-") {
				t.Errorf("the audit holds a number: %s", entry["after"])
			}
			after["actor"] = entry["actor_login"]
			got = append(got, after)
		}
		// Newest first: the site_admin's, then the viewer's.
		if got[0]["actor"] != "siteadmin" || got[0]["reason"] != "HRD-Net 수강생 등록" || num(got[0]["rows"]) != total || num(got[0]["revealed"]) != 1 {
			t.Errorf("site_admin's export audit: %v", got[0])
		}
		if got[1]["actor"] != "viewer" || num(got[1]["rows"]) != total || num(got[1]["revealed"]) != 0 {
			t.Errorf("viewer's export audit: %v", got[1])
		}
		// [EXCEL] is the list as shown: masked for everyone.
		r := e.do("GET", "/api/v1/voucher-orders/export.xlsx?"+q, admin, nil)
		rows, err := sheet.ReadAll(bytes.NewReader(r.Body))
		if err != nil || int64(len(rows)-1) != total {
			t.Fatalf("list export: %v, %d rows", err, len(rows))
		}
		for _, row := range rows[1:] {
			if !strings.HasSuffix(row[5], "******") {
				t.Errorf("list export shows %q", row[5])
			}
		}
	})
}

// The 차수 picker's counts equal the rows the list shows for each round,
// with and without other filters.
func TestVoucherCohortCounts(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, _, _ := demoEnv(t, e)
		for _, filter := range []string{"", "enrollment_status=active", "item_status=paid&ordered_from=2019-07-01", "field=course&q=" + url.QueryEscape("근로자카드 2"),
			"product_id=" + strconv.FormatInt(num(orderItems(t, e, tok, 258)[0]["product_id"]), 10)} {
			all := e.do("GET", "/api/v1/voucher-orders?per_page=500&"+filter, tok, nil).json(t)
			cohorts := all["cohorts"].([]any)
			sum := int64(0)
			for _, c := range cohorts {
				c := c.(map[string]any)
				y, r, n := num(c["year"]), num(c["round"]), num(c["count"])
				sum += n
				page := e.do("GET", fmt.Sprintf("/api/v1/voucher-orders?per_page=500&year=%d&round=%d&%s", y, r, filter), tok, nil).json(t)
				if num(page["total"]) != n || int64(len(page["items"].([]any))) != n {
					t.Errorf("%q %d/%02d: count %d, list %v (%d rows)", filter, y, r, n, page["total"], len(page["items"].([]any)))
				}
				for _, it := range page["items"].([]any) {
					if it := it.(map[string]any); num(it["year"]) != y || num(it["round"]) != r {
						t.Errorf("%d/%02d lists a row of %v/%v", y, r, it["year"], it["round"])
					}
				}
			}
			if sum != num(all["all_cohorts"]) || sum != num(all["total"]) {
				t.Errorf("%q: rounds sum to %d, 전체 차수 %v, list %v", filter, sum, all["all_cohorts"], all["total"])
			}
		}
		// The manual's 2019 / 07: 254, 256, 258, 259.
		page := e.do("GET", "/api/v1/voucher-orders?year=2019&round=7", tok, nil).json(t)
		var nos []string
		for _, it := range page["items"].([]any) {
			nos = append(nos, fmt.Sprint(num(it.(map[string]any)["order_no"])))
		}
		if strings.Join(nos, ",") != "259,258,256,254" {
			t.Errorf("2019/07 rows: %v", nos)
		}
	})
}

// The order page of demo order 202: [수강취소] of the 0원 course asks a
// reason and cancels the enrollment without a refund form; the resident
// number in 환급정보 is masked and revealed (audited) only for a site_admin.
func TestConsoleOrder202CancelAndReveal(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		root, _, _ := demoEnv(t, e)
		ctx := context.Background()
		for _, s := range []staff.NewStaff{{Login: "admin202", Role: access.SiteAdmin, Sites: []string{"malgn"}}, {Login: "viewer202", Role: access.Viewer, Sites: []string{"malgn"}}} {
			s.Password = "correct horse battery"
			if _, err := e.app.Staff.Create(ctx, access.System(), s); err != nil {
				t.Fatal(err)
			}
		}
		course := orderItems(t, e, root, 202)[0]
		cancelPath := fmt.Sprintf("/enrollments/%d/cancel", num(course["enrollment_id"]))

		viewer := e.consoleClient("viewer202", "correct horse battery")
		_, page := get(t, viewer, e.srv.URL+"/orders/202")
		if !strings.Contains(page, "900101-1******") || strings.Contains(page, "order-reveal-rrn") || strings.Contains(page, cancelPath) {
			t.Errorf("viewer's order page offers reveal or 수강취소")
		}
		if status, body := postForm(t, viewer, e.srv.URL+"/orders/202/reveal-rrn", nil); status != 403 || strings.Contains(body, "900101-1111111") {
			t.Errorf("viewer reveal = %d", status)
		}

		admin := e.consoleClient("admin202", "correct horse battery")
		_, page = get(t, admin, e.srv.URL+"/orders/202")
		if !strings.Contains(page, `href="`+cancelPath+`"`) || strings.Contains(page, "/refunds/new?order_no=202&amp;item_id="+fmt.Sprint(num(course["item_id"]))+"&amp;reason") {
			t.Fatalf("the 0원 course's 수강취소 does not lead to the money-free cancel")
		}
		if status, body := postForm(t, admin, e.srv.URL+"/orders/202/reveal-rrn", nil); status != 200 || !strings.Contains(body, "900101-1111111") {
			t.Errorf("site_admin reveal = %d", status)
		}
		audit := e.do("GET", "/api/v1/audit?action=member.reveal_rrn&actor=admin202", root, nil).json(t)
		if num(audit["total"]) != 1 {
			t.Errorf("reveal audit entries = %v", audit["total"])
		}
		// [결제완료/수강대기 검색] lists the one learner waiting (202), its radios set.
		_, list := get(t, admin, e.srv.URL+"/voucher-orders?awaiting=true")
		if !strings.Contains(list, `value="awaiting_approval" checked`) || !strings.Contains(list, `value="paid" checked`) ||
			!strings.Contains(list, "Total : <strong>1</strong> 건") || !strings.Contains(list, `data-order="202"`) {
			t.Errorf("결제완료/수강대기 검색 does not list 202 alone")
		}
		if status, body := get(t, admin, e.srv.URL+cancelPath); status != 200 || !strings.Contains(body, "환불 없이 바로 수강취소") {
			t.Fatalf("ask page = %d", status)
		}
		if status, body := postForm(t, admin, e.srv.URL+cancelPath, url.Values{"reason": {""}}); status != 422 || !strings.Contains(body, "사유를 적어 주세요") {
			t.Errorf("without a reason = %d", status)
		}
		status, body := postForm(t, admin, e.srv.URL+cancelPath, url.Values{"reason": {"HRD-Net 미신청"}})
		if status != 200 || !strings.Contains(body, "수강취소했습니다.") || !strings.Contains(body, "수강취소: HRD-Net 미신청") {
			t.Fatalf("cancel = %d", status)
		}
		items := orderItems(t, e, root, 202)
		if items[0]["enrollment_status"] != "cancelled" || items[1]["status"] != "paid" {
			t.Errorf("items after: %v", items)
		}
		if r := e.do("GET", "/api/v1/refunds?field=order_no&q=202", root, nil).json(t); num(r["total"]) != 0 {
			t.Errorf("refund requests of 202: %v", r["total"])
		}
		e.verified(t, "")
	})
}
