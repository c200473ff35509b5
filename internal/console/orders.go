package console

import (
	"github.com/orderdesk/orderdesk/internal/access"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/orderdesk/orderdesk/internal/coupon"
	"github.com/orderdesk/orderdesk/internal/export"
	"github.com/orderdesk/orderdesk/internal/member"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/web"
)

// dottedDay writes 2020-08-08 as 2020.08.08, and "" as -.
func dottedDay(day string) string {
	if len(day) != 10 {
		return "-"
	}
	return strings.ReplaceAll(day, "-", ".")
}

func orderNoOf(r *http.Request) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue("no"), 10, 64)
	if err != nil || n <= 0 {
		return 0, apperr.New(apperr.NotFound, "없는 주문번호입니다.", "No such order.")
	}
	return n, nil
}

func (s *Server) orders(w http.ResponseWriter, r *http.Request) {
	err := checkDates(r.URL.Query(), orderDates...)
	var f order.Filter
	if err == nil {
		f, err = order.ParseFilter(r.URL.Query())
	}
	if err != nil {
		s.render(w, r, http.StatusUnprocessableEntity, "orders", "주문목록", map[string]any{"Page": nil}, err)
		return
	}
	page, err := s.Orders.List(r.Context(), actorOf(r), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	export := r.URL.Query()
	export.Del("page")
	export.Del("anchor")
	export.Del("anchor_page")
	s.render(w, r, http.StatusOK, "orders", "주문목록", map[string]any{"Page": page, "Pager": pagerOf(page, anchored(r.URL.Query(), page)),
		"Export": "/orders/export.xlsx?" + export.Encode(), "Viewer": actorOf(r).Role == access.Viewer}, nil)
}

// anchored adds the page's anchor to the pager's links: the first order of
// the page and its number, from which the pages they link are read.
func anchored(q url.Values, page paging.Page[order.ListRow]) url.Values {
	q.Del("anchor")
	q.Del("anchor_page")
	if len(page.Items) > 0 {
		q.Set("anchor", strconv.FormatInt(page.Items[0].OrderNo, 10))
		q.Set("anchor_page", strconv.Itoa(page.Page))
	}
	return q
}

func (s *Server) ordersExport(w http.ResponseWriter, r *http.Request) {
	err := checkDates(r.URL.Query(), orderDates...)
	var f order.Filter
	if err == nil {
		f, err = order.ParseFilter(r.URL.Query())
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n := export.OrderListName(f, kst.Day(s.Orders.Now()))
	if err := web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, func(out io.Writer) error { return export.OrderList(r.Context(), s.Orders, actorOf(r), f, out) }); err != nil {
		s.fail(w, r, err)
	}
}

type orderView struct {
	O        order.Order
	Member   member.Member
	Txs      []order.Transaction
	CanWrite bool
	// 근로자카드주문: the resident number once revealed, whether the actor may
	// reveal it, and the 수강취소 of the items by item id.
	Revealed  string
	CanReveal bool
	Cancels   map[int64]order.EnrollmentCancel
	// Coupons are the codes the order used (given back ones too).
	Coupons []coupon.OrderUse
}

func (s *Server) loadOrderView(r *http.Request) (orderView, error) {
	no, err := orderNoOf(r)
	if err != nil {
		return orderView{}, err
	}
	a := actorOf(r)
	o, err := s.Orders.Get(r.Context(), a, no)
	if err != nil {
		return orderView{}, err
	}
	m, err := s.Members.Get(r.Context(), a, o.MemberID)
	if err != nil {
		return orderView{}, err
	}
	txs, err := s.Orders.Transactions(r.Context(), a, no)
	if err != nil {
		return orderView{}, err
	}
	cancels, err := s.Orders.EnrollmentCancels(r.Context(), a, no)
	if err != nil {
		return orderView{}, err
	}
	uses, err := s.Coupons.OrderUses(r.Context(), o.ID)
	return orderView{O: o, Member: m, Txs: txs, CanWrite: a.CanWrite(o.Site), CanReveal: member.CanRevealRRN(a, o.Site), Cancels: cancels,
		Coupons: uses}, err
}

func (s *Server) orderDetail(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadOrderView(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "order", "주문목록", v, nil)
}

func (s *Server) orderPrint(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadOrderView(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "order_print", "주문출력", v, nil)
}

// orderExport is the order page's EXCEL: the order, its items, 결제내역 and
// shipping in one workbook.
func (s *Server) orderExport(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadOrderView(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n := export.OrderName(v.O.OrderNo, kst.Day(s.Orders.Now()))
	if err := web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, func(out io.Writer) error { return export.Order(v.O, v.Txs, out) }); err != nil {
		s.fail(w, r, err)
	}
}

func (s *Server) orderTransactions(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadOrderView(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "order_transactions", "결제내역", v, nil)
}

// The confirmation screens ask as the manual's dialogs do, without script.
func (s *Server) orderConfirmDepositAsk(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadOrderView(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "order_ask", "입금확인", map[string]any{"V": v, "Action": "confirm-deposit"}, nil)
}

func (s *Server) orderConfirmDeposit(w http.ResponseWriter, r *http.Request) {
	no, err := orderNoOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.Orders.ConfirmDeposit(r.Context(), actorOf(r), no); err != nil {
		s.orderAskAgain(w, r, "confirm-deposit", "입금확인", err)
		return
	}
	redirect(w, r, "/orders/"+strconv.FormatInt(no, 10), "입금을 확인했습니다.")
}

func (s *Server) orderAskAgain(w http.ResponseWriter, r *http.Request, action, title string, cause error) {
	v, err := s.loadOrderView(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, web.Status(cause), "order_ask", title, map[string]any{"V": v, "Action": action}, cause)
}

func (s *Server) orderCancelAsk(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadOrderView(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "order_ask", "주문취소", map[string]any{"V": v, "Action": "cancel"}, nil)
}

func (s *Server) orderCancel(w http.ResponseWriter, r *http.Request) {
	no, err := orderNoOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.Orders.Cancel(r.Context(), actorOf(r), no, r.PostFormValue("reason")); err != nil {
		s.orderAskAgain(w, r, "cancel", "주문취소", err)
		return
	}
	redirect(w, r, "/orders/"+strconv.FormatInt(no, 10), "주문을 취소했습니다.")
}
