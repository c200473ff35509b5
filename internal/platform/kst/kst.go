// Package kst holds the business calendar: Seoul time, business days and the
// display formats the console uses (2020.08.08, 2020.01.16 18:04:54).
package kst

import (
	"fmt"
	"time"
)

// Seoul is Korea Standard Time. Korea has kept UTC+9 without daylight saving
// since 1988, so a fixed zone needs no tz database on the host.
var Seoul = time.FixedZone("KST", 9*60*60)

// DayLayout is the API's business-day format.
const DayLayout = "2006-01-02"

// Day returns the Seoul business day of the instant t as YYYY-MM-DD.
func Day(t time.Time) string { return t.In(Seoul).Format(DayLayout) }

// Month returns the Seoul business month of t as YYYY-MM.
func Month(t time.Time) string { return t.In(Seoul).Format("2006-01") }

// ParseDay checks a YYYY-MM-DD business day.
func ParseDay(s string) (time.Time, error) {
	t, err := time.ParseInLocation(DayLayout, s, Seoul)
	if err != nil {
		return time.Time{}, fmt.Errorf("날짜는 YYYY-MM-DD 형식이어야 합니다 (date must be YYYY-MM-DD): %q", s)
	}
	return t, nil
}

// DisplayDate formats t as the console shows dates: 2020.08.08 (Seoul).
func DisplayDate(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(Seoul).Format("2006.01.02")
}

// DisplayTime formats t as the console shows instants: 2020.01.16 18:04:54 (Seoul).
func DisplayTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(Seoul).Format("2006.01.02 15:04:05")
}
