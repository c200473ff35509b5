package sheet

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// HeaderScan is how many top rows FindHeader looks at for the header row.
const HeaderScan = 30

// FindHeader finds the header row of a sheet: of the top rows, the first
// that holds the most of the wanted headers (marketplaces put notices and
// titles above it). norm normalises a cell and a wanted header alike before
// they are compared (nil: strings.TrimSpace). It returns the row's index,
// each normalised header's column (the first when a header repeats), and the
// wanted headers the row lacks; row is -1 when no top row holds any.
func FindHeader(rows [][]string, want []string, norm func(string) string) (row int, idx map[string]int, missing []string) {
	if norm == nil {
		norm = strings.TrimSpace
	}
	set := map[string]bool{}
	for _, h := range want {
		set[norm(h)] = true
	}
	best, bestHits := -1, 0
	for i := 0; i < len(rows) && i < HeaderScan; i++ {
		hits := 0
		for _, c := range rows[i] {
			if set[norm(c)] {
				hits++
			}
		}
		if hits > bestHits {
			best, bestHits = i, hits
		}
	}
	if best < 0 {
		return -1, nil, nil
	}
	idx = map[string]int{}
	for j, c := range rows[best] {
		c = norm(c)
		if _, dup := idx[c]; !dup && c != "" {
			idx[c] = j
		}
	}
	seen := map[string]bool{}
	for _, h := range want {
		h = norm(h)
		if _, ok := idx[h]; !ok && !seen[h] {
			seen[h] = true
			missing = append(missing, h)
		}
	}
	return best, idx, missing
}

// ParseWon reads an amount in won as spreadsheets write it: "31,000",
// "31000원", "-1,053", "31000.0", "₩ 5,000".
func ParseWon(s string) (int64, error) {
	t := wonMarks.Replace(strings.TrimSpace(s))
	if t == "" {
		return 0, fmt.Errorf("금액이 비어 있습니다")
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > 1e15 {
		return 0, fmt.Errorf("숫자가 아닙니다")
	}
	if f != math.Trunc(f) {
		return 0, fmt.Errorf("원 단위 정수가 아닙니다")
	}
	return int64(f), nil
}

// wonMarks are what an amount may carry besides its digits (made once: a
// Replacer is safe for concurrent use).
var wonMarks = strings.NewReplacer(",", "", "원", "", " ", "", "₩", "")

var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// ParseDate reads a date or time as a marketplace writes it (Seoul time):
// "2025-10-13 09:40:12", "2025.10.13", "2025/10/13 9:40", "20251013", or an
// Excel serial number (45943.4029...).
func ParseDate(s string) (time.Time, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return time.Time{}, fmt.Errorf("날짜가 비어 있습니다")
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02", "2006.01.02 15:04:05", "2006.01.02 15:04",
		"2006.01.02", "2006/01/02 15:04:05", "2006/01/02 15:04", "2006/01/02", "2006-01-02T15:04:05", "20060102150405", "20060102",
		"2006-1-2 15:04:05", "2006-1-2", "01-02-06 15:04", "1/2/06 15:04", "1/2/2006 15:04:05", "1/2/2006"} {
		if v, err := time.Parse(layout, t); err == nil {
			return v, nil
		}
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil && f > 20000 && f < 80000 {
		secs := math.Round(f * 86400)
		return excelEpoch.Add(time.Duration(secs) * time.Second), nil
	}
	return time.Time{}, fmt.Errorf("날짜 형식이 아닙니다")
}
