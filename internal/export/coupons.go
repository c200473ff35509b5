package export

import (
	"context"
	"io"
	"strconv"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/coupon"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/sheet"
)

// CouponListHeaders are the columns of the 쿠폰관리 export.
var CouponListHeaders = []string{"No", "사이트명", "쿠폰범위", "쿠폰명", "할인혜택 (최대금액)", "유효기간", "기간상태", "발행수", "사용수", "공용여부", "상태",
	"id", "scope", "kind", "status"}

func sharedLabel(shared bool) string {
	if shared {
		return "공용"
	}
	return "개별"
}

// CouponList writes the coupons of the filter as xlsx.
func CouponList(ctx context.Context, svc *coupon.Service, a access.Actor, f coupon.Filter, siteName func(string) string, out io.Writer) error {
	w, err := sheet.NewWriter(out, "쿠폰관리", CouponListHeaders)
	if err != nil {
		return err
	}
	n := 0
	err = svc.Each(ctx, a, f, func(c coupon.Coupon) error {
		n++
		return w.Row(int64(n), siteName(c.Site), coupon.Label(coupon.Scopes, c.Scope), c.Title, c.Benefit, dotted(c.ValidFrom)+" - "+dotted(c.ValidTo),
			coupon.Label(coupon.Periods, c.Period), int64(c.Codes), int64(c.Used), sharedLabel(c.Shared), coupon.Label(coupon.Statuses, c.Status),
			c.ID, c.Scope, c.Kind, c.Status)
	})
	if err != nil {
		return err
	}
	return w.Finish()
}

// CouponCodeHeaders are the columns of the 쿠폰사용관리 export.
var CouponCodeHeaders = []string{"No", "쿠폰 사이트", "쿠폰번호", "회원 사이트", "소속", "회원명", "사용여부", "사용일시", "주문번호", "발급일시"}

// CouponCodes writes the codes of one coupon as xlsx.
func CouponCodes(ctx context.Context, svc *coupon.Service, a access.Actor, id int64, f coupon.CodeFilter, siteName func(string) string, out io.Writer) error {
	w, err := sheet.NewWriter(out, "쿠폰사용관리", CouponCodeHeaders)
	if err != nil {
		return err
	}
	n := 0
	err = svc.EachCode(ctx, a, id, f, func(c coupon.Code) error {
		n++
		member, site, used, usedAt, orderNo, assigned := "", "", "미사용", "", "", ""
		if c.MemberName != "" {
			member, site = c.MemberName+" ("+c.MemberLogin+")", siteName(c.MemberSite)
		}
		if c.Used {
			used = "사용"
		}
		if c.UsedAt != nil {
			usedAt = kst.DisplayTime(*c.UsedAt)
		}
		if c.OrderNo != nil {
			orderNo = strconv.FormatInt(*c.OrderNo, 10)
		}
		if c.AssignedAt != nil {
			assigned = kst.DisplayTime(*c.AssignedAt)
		}
		return w.Row(int64(n), siteName(c.CouponSite), c.Code, site, c.MemberAffiliation, member, used, usedAt, orderNo, assigned)
	})
	if err != nil {
		return err
	}
	return w.Finish()
}

// CouponListName names the 쿠폰관리 export.
func CouponListName(f coupon.Filter, day string) Name {
	var status [2]string
	if f.Status != "" {
		status = [2]string{coupon.Label(coupon.Statuses, f.Status), f.Status}
	}
	return name("쿠폰목록", "coupons", day, same(f.Site), status, span(f.From, f.To))
}

// CouponCodesName names the 쿠폰사용관리 export of coupon id.
func CouponCodesName(id int64, day string) Name {
	no := strconv.FormatInt(id, 10)
	return name("쿠폰번호_"+no, "coupon_codes_"+no, day)
}
