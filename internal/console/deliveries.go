package console

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/orderdesk/orderdesk/internal/export"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/web"
	"github.com/orderdesk/orderdesk/internal/shipping"
)

// deliveries is 배송관리: the textbook items with the manual's filters,
// a page of whole orders (No and Total count orders, as the manual's do),
// ticked rows changed in bulk.
func (s *Server) deliveries(w http.ResponseWriter, r *http.Request) {
	s.deliveriesPage(w, r, http.StatusOK, nil)
}

func (s *Server) deliveriesPage(w http.ResponseWriter, r *http.Request, status int, cause error) {
	a := actorOf(r)
	carriers, err := s.Ship.Carriers(r.Context(), false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := map[string]any{"Carriers": carriers}
	f, ferr := shipping.ParseFilter(r.URL.Query())
	if err := checkDates(r.URL.Query(), orderDates...); err != nil {
		ferr = err
	}
	f.Params = pageOf(r)
	if ferr != nil {
		s.render(w, r, http.StatusUnprocessableEntity, "deliveries", "배송관리", data, ferr)
		return
	}
	page, err := s.Ship.ListOrders(r.Context(), a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var accounts []member.Account
	for _, o := range page.Items {
		accounts = append(accounts, member.Account{Site: o.Items[0].Site, Login: o.Items[0].MemberLogin})
	}
	gone, err := s.Members.Withdrawn(r.Context(), a, accounts)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	q.Del("page")
	q.Del("flash")
	data["Page"], data["Pager"], data["Export"], data["Back"] = page, pagerOf(page, r.URL.Query()), "/deliveries/export.xlsx?"+q.Encode(), r.URL.RequestURI()
	data["Withdrawn"] = gone
	s.render(w, r, status, "deliveries", "배송관리", data, cause)
}

func (s *Server) deliveriesExport(w http.ResponseWriter, r *http.Request) {
	err := checkDates(r.URL.Query(), orderDates...)
	var f shipping.Filter
	if err == nil {
		f, err = shipping.ParseFilter(r.URL.Query())
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n := export.DeliveriesName(f, kst.Day(s.Ship.Now()))
	if err := web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, func(out io.Writer) error { return export.Deliveries(r.Context(), s.Ship, actorOf(r), f, out) }); err != nil {
		s.fail(w, r, err)
	}
}

// back is the list to return to after a form: a local path only.
func back(r *http.Request, fallback string) string {
	b := r.PostFormValue("back")
	if !strings.HasPrefix(b, "/") || strings.HasPrefix(b, "//") || strings.Contains(b, `\`) {
		return fallback
	}
	return b
}

func (s *Server) deliveriesBulk(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	in := shipping.Bulk{State: r.PostFormValue("state"), Carrier: r.PostFormValue("carrier"), TrackingNo: r.PostFormValue("tracking_no")}
	for _, v := range r.PostForm["item_id"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			in.ItemIDs = append(in.ItemIDs, id)
		}
	}
	res, err := s.Ship.BulkState(r.Context(), actorOf(r), in)
	if err != nil {
		s.deliveriesPage(w, r, web.Status(err), err)
		return
	}
	redirect(w, r, back(r, "/deliveries"), fmt.Sprintf("%d건의 배송상태를 %s(으)로 바꿨습니다.", res.Changed, shipping.StateLabel(in.State)))
}

// carriers is 배송업체 관리.
func (s *Server) carriers(w http.ResponseWriter, r *http.Request) {
	s.carriersPage(w, r, http.StatusOK, nil)
}

func (s *Server) carriersPage(w http.ResponseWriter, r *http.Request, status int, cause error) {
	list, err := s.Ship.Carriers(r.Context(), true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "carriers", "배송업체 관리", map[string]any{"Carriers": list, "Forms": shipping.NumberForms}, cause)
}

func (s *Server) carrierCreate(w http.ResponseWriter, r *http.Request) {
	_, err := s.Ship.CreateCarrier(r.Context(), actorOf(r), shipping.Carrier{Code: r.PostFormValue("code"), Name: r.PostFormValue("name"),
		URLTemplate: r.PostFormValue("url_template"), NumberForm: r.PostFormValue("number_form")})
	if err != nil {
		s.carriersPage(w, r, web.Status(err), err)
		return
	}
	redirect(w, r, "/carriers", "배송업체를 등록했습니다.")
}

func (s *Server) carrierUpdate(w http.ResponseWriter, r *http.Request) {
	name, tmpl, form := r.PostFormValue("name"), r.PostFormValue("url_template"), r.PostFormValue("number_form")
	retired := r.PostFormValue("retired") == "1"
	_, err := s.Ship.UpdateCarrier(r.Context(), actorOf(r), r.PathValue("code"), shipping.CarrierPatch{Name: &name, URLTemplate: &tmpl, NumberForm: &form, Retired: &retired})
	if err != nil {
		s.carriersPage(w, r, web.Status(err), err)
		return
	}
	redirect(w, r, "/carriers", "배송업체를 수정했습니다.")
}

func (s *Server) carrierDelete(w http.ResponseWriter, r *http.Request) {
	res, err := s.Ship.RemoveCarrier(r.Context(), actorOf(r), r.PathValue("code"))
	if err != nil {
		s.carriersPage(w, r, web.Status(err), err)
		return
	}
	msg := "배송업체를 삭제했습니다."
	if res.Retired {
		msg = "배송한 적이 있는 업체라서 삭제하지 않고 사용중지했습니다 (선택 목록에서 숨김)."
	}
	redirect(w, r, "/carriers", msg)
}

// deliveryUpload is 송장번호 일괄갱신: 미리보기 shows what each row will do;
// 등록하기 sends the same file again (kept in the page) and applies it.
func (s *Server) deliveryUpload(w http.ResponseWriter, r *http.Request) {
	s.uploadPage(w, r, http.StatusOK, map[string]any{"State": "shipped"}, nil)
}

func (s *Server) uploadPage(w http.ResponseWriter, r *http.Request, status int, data map[string]any, cause error) {
	carriers, err := s.Ship.Carriers(r.Context(), false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data["Carriers"], data["States"] = carriers, shipping.States[:5]
	s.render(w, r, status, "delivery_upload", "송장번호 일괄갱신", data, cause)
}

// maxKeptUpload bounds a file that the preview page carries to 등록하기.
const maxKeptUpload = 8 << 20

func (s *Server) deliveryUploadPost(w http.ResponseWriter, r *http.Request) {
	in := shipping.UploadInput{Carrier: r.FormValue("carrier"), State: r.FormValue("state"), Encoding: r.FormValue("encoding"), DryRun: r.FormValue("apply") != "1"}
	data := map[string]any{"Carrier": in.Carrier, "State": in.State}
	var err error
	if kept := r.FormValue("data"); kept != "" && r.FormValue("apply") == "1" {
		in.Filename = r.FormValue("filename")
		in.Data, err = base64.StdEncoding.DecodeString(kept)
	} else {
		in.Filename, in.Data, err = web.FormFile(r, "file", shipping.UploadLimits.MaxBytes)
		in.DryRun = true
	}
	if err != nil {
		s.uploadPage(w, r, web.Status(err), data, err)
		return
	}
	res, err := s.Ship.Upload(r.Context(), actorOf(r), in)
	if err != nil {
		s.uploadPage(w, r, web.Status(err), data, err)
		return
	}
	data["Result"] = res
	if in.DryRun && res.Changes > 0 && len(in.Data) <= maxKeptUpload {
		data["Kept"], data["Filename"] = base64.StdEncoding.EncodeToString(in.Data), in.Filename
	}
	s.uploadPage(w, r, http.StatusOK, data, nil)
}

// deliveryOrder is 배송정보: the order's payment block, recipient, the
// order's delivery and its textbook items.
func (s *Server) deliveryOrder(w http.ResponseWriter, r *http.Request) {
	s.deliveryOrderPage(w, r, http.StatusOK, nil)
}

func (s *Server) deliveryOrderPage(w http.ResponseWriter, r *http.Request, status int, cause error) {
	no, _ := strconv.ParseInt(r.PathValue("no"), 10, 64)
	v, err := s.Ship.Order(r.Context(), actorOf(r), no)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	carriers, err := s.Ship.Carriers(r.Context(), true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "delivery_order", "배송정보", map[string]any{"V": v, "O": v.Order, "Carriers": carriers, "States": shipping.States[:5],
		"CanWrite": actorOf(r).CanWrite(v.Order.Site)}, cause)
}

func (s *Server) deliveryOrderSave(w http.ResponseWriter, r *http.Request) {
	no, _ := strconv.ParseInt(r.PathValue("no"), 10, 64)
	in := shipping.OrderChange{Shipping: order.Shipping{Recipient: r.PostFormValue("recipient"), Phone: r.PostFormValue("phone"),
		Zipcode: r.PostFormValue("zipcode"), Address: r.PostFormValue("address"), Request: r.PostFormValue("request")},
		All: r.PostFormValue("all") == "1", State: r.PostFormValue("state"), Carrier: r.PostFormValue("carrier"), TrackingNo: r.PostFormValue("tracking_no")}
	if err := s.Ship.UpdateOrder(r.Context(), actorOf(r), no, in); err != nil {
		s.deliveryOrderPage(w, r, web.Status(err), err)
		return
	}
	msg := "배송정보를 저장했습니다."
	if in.All {
		msg = "배송정보를 저장하고 전체 상품의 배송정보를 같이 수정했습니다."
	}
	redirect(w, r, fmt.Sprintf("/deliveries/orders/%d", no), msg)
}

func (s *Server) deliveryItemSave(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	state, carrier, number, shipped := r.PostFormValue("state"), r.PostFormValue("carrier"), r.PostFormValue("tracking_no"), r.PostFormValue("shipped_on")
	in := shipping.Change{State: &state, Carrier: &carrier, TrackingNo: &number}
	if shipped != "" {
		in.ShippedOn = &shipped
	}
	row, err := s.Ship.Update(r.Context(), actorOf(r), id, in)
	if err != nil {
		r.SetPathValue("no", r.PostFormValue("order_no"))
		s.deliveryOrderPage(w, r, web.Status(err), err)
		return
	}
	redirect(w, r, fmt.Sprintf("/deliveries/orders/%d", row.OrderNo), fmt.Sprintf("항목 %d의 배송정보를 저장했습니다.", id))
}

// kdayOf is the Seoul day of an instant, as a date input wants it.
func kdayOf(t *time.Time) string {
	if t == nil {
		return ""
	}
	return kst.Day(*t)
}
