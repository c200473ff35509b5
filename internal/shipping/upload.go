package shipping

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/sheet"
)

// UploadLimits bound a 송장번호 일괄갱신 file.
var UploadLimits = sheet.Limits{MaxBytes: 20 << 20, MaxRows: 50_000, MaxUncompressed: 200 << 20}

// The columns the upload reads, by their header in the 배송관리 EXCEL.
const (
	headItem     = "항목번호"
	headOrder    = "주문번호"
	headTracking = "송장번호"
)

// fileRow is one data row of the file.
type fileRow struct {
	line            int
	item, order, no string
}

// parseUpload finds the header row (the first with 항목번호 and 송장번호) and
// returns the rows under it.
func parseUpload(data []byte, name, encoding string) ([]fileRow, error) {
	rows, _, err := sheet.Read(data, name, sheet.ReadOptions{Encoding: encoding, Limits: UploadLimits})
	if err != nil {
		return nil, err
	}
	if len(rows) > UploadLimits.MaxRows+1 {
		return nil, apperr.New(apperr.Invalid, fmt.Sprintf("행이 너무 많습니다 (최대 %d행).", UploadLimits.MaxRows), fmt.Sprintf("more than %d rows", UploadLimits.MaxRows))
	}
	for h, head := range rows {
		if h > 20 {
			break
		}
		col := map[string]int{}
		for j, v := range head {
			v = strings.TrimSpace(v)
			if _, dup := col[v]; !dup {
				col[v] = j
			}
		}
		ci, ok1 := col[headItem]
		ct, ok2 := col[headTracking]
		if !ok1 || !ok2 {
			continue
		}
		co, hasOrder := col[headOrder]
		cell := func(r []string, j int) string {
			if j < len(r) {
				return strings.TrimSpace(r[j])
			}
			return ""
		}
		var out []fileRow
		for i := h + 1; i < len(rows); i++ {
			r := fileRow{line: i + 1, item: cell(rows[i], ci), no: cell(rows[i], ct)}
			if hasOrder {
				r.order = cell(rows[i], co)
			}
			if r.item == "" && r.no == "" {
				continue
			}
			out = append(out, r)
		}
		return out, nil
	}
	return nil, apperr.New(apperr.Invalid, "머리글에 '항목번호'와 '송장번호' 열이 있어야 합니다. 배송관리에서 받은 엑셀을 채워 올려 주세요.",
		"the header needs the columns 항목번호 and 송장번호: fill in the 배송관리 EXCEL")
}

// cellNumber undoes what a spreadsheet does to a long number typed into a
// cell: 123456789013.0 or 1.23456789013E+11 are the digits again. A number
// shown rounded (1.23457E+11) has lost digits and is refused.
func cellNumber(v string) (string, bool) {
	if i := strings.IndexAny(v, "eE"); i > 0 && strings.Trim(v[:i], "0123456789.") == "" {
		exp, err := strconv.Atoi(strings.TrimPrefix(v[i+1:], "+"))
		whole, frac, _ := strings.Cut(v[:i], ".")
		if err != nil || len(whole) != 1 || len(frac) != exp {
			return v, false
		}
		return whole + frac, true
	}
	if d, ok := strings.CutSuffix(v, ".0"); ok && d != "" && strings.Trim(d, "0123456789") == "" {
		return d, true
	}
	return v, true
}

// Upload is 송장번호 일괄갱신: every row of the file with a tracking number
// is previewed with what will change or why not (unknown item, another
// site's item, a cancelled or refunded item, a bad number, unchanged); unless
// DryRun, the rows shown as changing are applied in one transaction. Only the
// courier, the number and the state change; an item already at or past the
// state keeps it, so the same file again changes nothing.
func (s *Service) Upload(ctx context.Context, a access.Actor, in UploadInput) (UploadResult, error) {
	out := UploadResult{Carrier: strings.ToUpper(strings.TrimSpace(in.Carrier)), State: in.State, DryRun: in.DryRun, Rows: []UploadRow{}}
	carriers, err := s.carrierMap(ctx)
	if err != nil {
		return out, err
	}
	var fe apperr.Fields
	c, ok := carriers[out.Carrier]
	switch {
	case out.Carrier == "":
		fe.Add("carrier", "배송업체를 선택해 주세요.", "carrier is required")
	case !ok:
		fe.Add("carrier", "없는 배송업체입니다: "+out.Carrier, "no such carrier")
	case c.Retired:
		fe.Add("carrier", "더 쓰지 않는 배송업체입니다: "+c.Name, "the carrier is retired")
	}
	if rank(in.State) == 0 {
		fe.Add("state", "배송상태는 배송대기, 배송준비중, 발송완료, 배송완료, 구매확정 중 하나입니다.", "state must be waiting, preparing, shipped, delivered or confirmed")
	}
	if len(in.Data) == 0 {
		fe.Add("file", "업로드할 파일을 선택해 주세요.", "file is required")
	}
	if err := fe.Err(); err != nil {
		return out, err
	}
	lines, err := parseUpload(in.Data, in.Filename, in.Encoding)
	if err != nil {
		return out, err
	}
	if in.DryRun {
		err = s.preview(ctx, s.DB.Read(), a, carriers, lines, &out)
		return out, err
	}
	now := sqldb.Instant(s.Now())
	err = s.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		out.Rows, out.Changes, out.Unchanged, out.Refused, out.Blank, out.Applied = []UploadRow{}, 0, 0, 0, 0, 0
		if err := s.preview(ctx, tx, a, carriers, lines, &out); err != nil {
			return err
		}
		for _, r := range out.Rows {
			if r.Outcome != OutcomeChange {
				continue
			}
			next, changed, err := plan(a, r.cur, carriers, target{State: in.State, Carrier: r.carrier, TrackingNo: r.TrackingNo, forwardOnly: true}, now)
			if err != nil || !changed {
				return err
			}
			if err := apply(ctx, tx, a, "delivery.upload", r.cur, next, now); err != nil {
				return err
			}
			out.Applied++
		}
		return nil
	})
	return out, err
}

// preview reads the items of the rows (in batches) and plans each row.
func (s *Service) preview(ctx context.Context, q sqldb.Querier, a access.Actor, carriers map[string]Carrier, lines []fileRow, out *UploadResult) error {
	ids := make([]int64, 0, len(lines))
	for _, l := range lines {
		if id, err := strconv.ParseInt(l.item, 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
	}
	states, err := loadStates(ctx, q, ids)
	if err != nil {
		return err
	}
	carrier := carriers[out.Carrier]
	now := sqldb.Instant(s.Now())
	seen := map[int64]int{}
	for _, l := range lines {
		r := UploadRow{Line: l.line, TrackingNo: l.no, CarrierName: carrier.Name, carrier: carrier.Code}
		r.OrderNo, _ = strconv.ParseInt(l.order, 10, 64)
		refuseRow := func(ko, en string) {
			r.Outcome, r.Reason, r.ReasonEn = OutcomeRefused, ko, en
		}
		id, perr := strconv.ParseInt(l.item, 10, 64)
		st, found := states[id]
		if found && !a.CanRead(st.Site) {
			found = false
		}
		if found {
			r.ItemID, r.OrderNo, r.ProductName, r.Qty, r.BuyerName, r.Recipient, r.From = st.ItemID, st.OrderNo, st.Name, st.Qty, st.BuyerName, st.Recipient, st.State
			r.site, r.cur = st.Site, st
		}
		if l.no == "" {
			out.Blank++
			continue
		}
		no, numOK := cellNumber(l.no)
		switch {
		case perr != nil || id <= 0:
			r.ItemID = 0
			refuseRow(fmt.Sprintf("항목번호가 숫자가 아닙니다: %s", l.item), "the item number is not a number: "+l.item)
		case !found && states[id].Site != "":
			r.ItemID = id
			refuseRow(fmt.Sprintf("다른 사이트의 항목입니다: %d", id), fmt.Sprintf("item %d belongs to another site", id))
		case !found:
			r.ItemID = id
			refuseRow(fmt.Sprintf("없는 항목번호입니다: %d", id), fmt.Sprintf("no item %d", id))
		case l.order != "" && l.order != strconv.FormatInt(st.OrderNo, 10):
			refuseRow(fmt.Sprintf("파일의 주문번호(%s)와 항목 %d의 주문번호(%d)가 다릅니다.", l.order, id, st.OrderNo), fmt.Sprintf("item %d is of order %d, not %s", id, st.OrderNo, l.order))
		case seen[id] > 0:
			refuseRow(fmt.Sprintf("같은 항목이 파일의 %d행에 이미 있습니다.", seen[id]), fmt.Sprintf("the item is already on row %d", seen[id]))
		case !numOK:
			refuseRow(fmt.Sprintf("송장번호 %s: 엑셀이 숫자를 줄여 적었습니다. 송장번호 열을 텍스트로 바꿔 다시 입력해 주세요.", l.no),
				fmt.Sprintf("tracking number %s was shortened by the spreadsheet; format the column as text", l.no))
		default:
			next, changed, err := plan(a, st, carriers, target{State: out.State, Carrier: carrier.Code, TrackingNo: no, forwardOnly: true}, now)
			switch {
			case err != nil:
				if e, ok := apperr.As(err); ok {
					refuseRow(e.Message, e.English)
				} else {
					return err
				}
			case !changed:
				r.Outcome, r.To, r.Reason, r.ReasonEn = OutcomeUnchanged, next.State, "변경 없음", "unchanged"
				r.TrackingNo = next.TrackingNo
			default:
				r.Outcome, r.To, r.TrackingNo = OutcomeChange, next.State, next.TrackingNo
				if st.TrackingNo != "" && st.TrackingNo != next.TrackingNo {
					r.TrackingFrom = st.TrackingNo // shown: a number replaced, not only a state
				}
			}
		}
		if found && seen[id] == 0 {
			seen[id] = l.line
		}
		switch r.Outcome {
		case OutcomeChange:
			out.Changes++
		case OutcomeUnchanged:
			out.Unchanged++
		default:
			out.Refused++
		}
		out.Rows = append(out.Rows, r)
	}
	return nil
}

// loadStates reads the items by id, 500 at a time.
func loadStates(ctx context.Context, q sqldb.Querier, ids []int64) (map[int64]itemState, error) {
	out := make(map[int64]itemState, len(ids))
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		ph := make([]string, len(part))
		args := make([]any, len(part))
		for i, id := range part {
			ph[i], args[i] = "$"+strconv.Itoa(i+1), id
		}
		rows, err := q.QueryContext(ctx, `SELECT `+stateColumns+` WHERE i.id IN (`+strings.Join(ph, ", ")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			st, err := scanState(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[st.ItemID] = st
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
