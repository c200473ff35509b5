// Package paging holds the list-page parameters shared by every list: page
// from 1, per_page 20 by default and 500 at most.
package paging

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
)

const (
	DefaultPerPage = 20
	MaxPerPage     = 500
	// MaxPage bounds page so that the offset, (page-1)*per_page, stays far
	// inside int64 (and int32 row counts) on every engine.
	MaxPage = 1_000_000
)

// Params asks for one page of a list.
type Params struct {
	Page    int
	PerPage int
}

// Normalize fills defaults and clamps out-of-range values.
func (p Params) Normalize() Params {
	if p.Page < 1 {
		p.Page = 1
	}
	if p.PerPage < 1 {
		p.PerPage = DefaultPerPage
	}
	if p.PerPage > MaxPerPage {
		p.PerPage = MaxPerPage
	}
	if p.Page > MaxPage {
		p.Page = MaxPage
	}
	return p
}

// Offset is the number of rows before the page (of the normalized params).
func (p Params) Offset() int {
	p = p.Normalize()
	return (p.Page - 1) * p.PerPage
}

// Slice cuts the page p of a list that is already whole in memory (a few
// master-data rows) and answers it as a Page.
func Slice[T any](all []T, p Params) Page[T] {
	p = p.Normalize()
	out := Page[T]{Items: []T{}, Total: len(all), Page: p.Page, PerPage: p.PerPage}
	if off := p.Offset(); off < len(all) {
		out.Items = all[off:min(off+p.PerPage, len(all))]
	}
	return out
}

// Page is one page of a list and the total it is cut from.
type Page[T any] struct {
	Items   []T `json:"items"`
	Total   int `json:"total"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
}

// Pages is the number of pages for the total.
func (p Page[T]) Pages() int {
	if p.PerPage == 0 || p.Total == 0 {
		return 1
	}
	return (p.Total + p.PerPage - 1) / p.PerPage
}

// RowNo is the descending "No" column of the manual's lists for the i-th row.
func (p Page[T]) RowNo(i int) int { return p.Total - (p.Page-1)*p.PerPage - i }

// FromQuery reads page and per_page; numbers that are not whole numbers from
// 1, or a per_page over MaxPerPage, are input errors.
func FromQuery(q url.Values) (Params, error) {
	var p Params
	var fe apperr.Fields
	for _, name := range []string{"page", "per_page"} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		switch {
		case err != nil || n < 1:
			fe.Add(name, name+"는 1 이상의 정수입니다.", name+" must be a whole number from 1.")
			n = 0
		case name == "page" && n > MaxPage:
			fe.Add("page", fmt.Sprintf("page는 %d 이하입니다.", MaxPage), fmt.Sprintf("page must be at most %d.", MaxPage))
		}
		if name == "page" {
			p.Page = n
		} else {
			p.PerPage = n
		}
	}
	if p.PerPage > MaxPerPage {
		fe.Add("per_page", "per_page는 500 이하입니다.", "per_page must be at most 500.")
	}
	return p, fe.Err()
}
