package export

import (
	"strconv"
	"strings"

	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/order"
	"github.com/orderdesk/orderdesk/internal/refund"
)

// Name is a download's file name: a Korean name for people and an ASCII one
// for old clients, both carrying the day of the download and the filter.
type Name struct{ Korean, ASCII string }

// name joins base, the day and the filter's parts with underscores:
// 주문목록_2026-11-29_결제완료_2020-01-01~2020-12-31.xlsx. Characters that
// file systems refuse become underscores; the name stays under 150 characters.
func name(ko, en, day string, parts ...[2]string) Name {
	n := Name{Korean: ko + "_" + day, ASCII: en + "_" + day}
	for _, p := range parts {
		if p[0] != "" {
			n.Korean += "_" + p[0]
		}
		if p[1] != "" {
			n.ASCII += "_" + p[1]
		}
	}
	clean := func(s string) string {
		s = strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f || strings.ContainsRune(`/\:*?"<>|`, r) {
				return '_'
			}
			return r
		}, s)
		if rs := []rune(s); len(rs) > 145 {
			s = string(rs[:145])
		}
		return s + ".xlsx"
	}
	return Name{Korean: clean(n.Korean), ASCII: clean(n.ASCII)}
}

// span writes a date range as from~to; an open end stays empty (2020-01-01~).
func span(from, to string) [2]string {
	if from == "" && to == "" {
		return [2]string{}
	}
	s := from + "~" + to
	return [2]string{s, s}
}

func same(s string) [2]string { return [2]string{s, s} }

// OrderListName names the 주문목록 export of the filter.
func OrderListName(f order.Filter, day string) Name {
	var status, method [2]string
	if f.Status != "" {
		status = [2]string{order.Label(order.Statuses, f.Status), f.Status}
	}
	if f.Method != "" {
		method = [2]string{order.Label(order.Methods, f.Method), f.Method}
	}
	ordered, paid := span(f.OrderedFrom, f.OrderedTo), span(f.PaidFrom, f.PaidTo)
	if paid[0] != "" {
		paid = [2]string{"결제일" + paid[0], "paid" + paid[1]}
	}
	return name("주문목록", "orders", day, same(f.Site), status, method, ordered, paid)
}

// RefundListName names the 환불관리 export of the filter.
func RefundListName(f refund.Filter, day string) Name {
	var status, kind, itemKind, product [2]string
	if f.Status != "" {
		status = [2]string{refund.Label(refund.Statuses, f.Status), f.Status}
	}
	if f.Kind != "" {
		kind = [2]string{refund.Label(refund.Kinds, f.Kind), f.Kind}
	}
	if f.ItemKind != "" {
		itemKind = [2]string{order.Label(order.KindLabels, f.ItemKind), f.ItemKind}
	}
	if f.ProductID != 0 {
		id := strconv.FormatInt(f.ProductID, 10)
		product = [2]string{"과정" + id, "product" + id}
	}
	return name("환불목록", "refunds", day, product, status, kind, itemKind, span(f.From, f.To))
}

// OrderName names the workbook of one order.
func OrderName(orderNo int64, day string) Name {
	no := strconv.FormatInt(orderNo, 10)
	return name("주문_"+no, "order_"+no, day)
}

// MarketOrdersName names the marketplace order export of the filter.
func MarketOrdersName(f market.Filter, day string) Name {
	var matched, status [2]string
	switch f.Matched {
	case "yes":
		matched = [2]string{"매칭", "matched"}
	case "no":
		matched = [2]string{"미매칭", "unmatched"}
	}
	switch f.Status {
	case "cancelled":
		status = [2]string{"취소", "cancelled"}
	case "active":
		status = [2]string{"정상", "active"}
	}
	return name("판매처주문", "marketplace-orders", day, same(f.Marketplace), span(f.From, f.To), status, matched)
}

// ImportErrorsName names the refused cells of an import.
func ImportErrorsName(id int64, day string) Name {
	n := strconv.FormatInt(id, 10)
	return name("가져오기오류_"+n, "import-errors_"+n, day)
}

// ReportName names a settlement report of a period (and marketplace).
func ReportName(title, en, from, to, marketplace, day string) Name {
	return name(title, en, day, span(from, to), same(marketplace))
}
