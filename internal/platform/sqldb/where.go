package sqldb

import (
	"context"
	"strconv"
	"strings"

	"github.com/orderdesk/orderdesk/internal/platform/paging"
)

// Where builds the WHERE clause of a list query from filters chosen in code
// (never from user-typed column names), numbering $N placeholders as it goes.
type Where struct {
	conds []string
	args  []any
}

// Add appends a condition; each "?" in cond becomes the next $N and takes the
// next of args.
func (w *Where) Add(cond string, args ...any) {
	var b strings.Builder
	i := 0
	for _, r := range cond {
		if r == '?' && i < len(args) {
			b.WriteString(w.Arg(args[i]))
			i++
			continue
		}
		b.WriteRune(r)
	}
	w.conds = append(w.conds, b.String())
}

// In appends "col IN (...)"; an empty list matches nothing.
func (w *Where) In(col string, vals []string) {
	w.in(col, len(vals), func(i int) any { return vals[i] })
}

// InInt appends "col IN (...)" of numbers; an empty list matches nothing.
func (w *Where) InInt(col string, vals []int64) {
	w.in(col, len(vals), func(i int) any { return vals[i] })
}

func (w *Where) in(col string, n int, val func(int) any) {
	if n == 0 {
		w.conds = append(w.conds, "1 = 0")
		return
	}
	ph := make([]string, n)
	for i := range ph {
		ph[i] = w.Arg(val(i))
	}
	w.conds = append(w.conds, col+" IN ("+strings.Join(ph, ", ")+")")
}

// Arg adds one argument and returns its placeholder.
func (w *Where) Arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

// SQL is " WHERE c1 AND c2 ..." or "" with no conditions.
func (w *Where) SQL() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// Args are the arguments in placeholder order.
func (w *Where) Args() []any { return w.args }

// Like escapes s for a LIKE pattern that contains it anywhere (ESCAPE '\').
func Like(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + strings.ToLower(r.Replace(s)) + "%"
}

// Scanner is a *sql.Row or *sql.Rows.
type Scanner interface{ Scan(dest ...any) error }

// ListPage runs a list's count and one page of its rows: SELECT columns
// FROM from WHERE … ORDER BY orderBy, newest first as the caller orders.
func ListPage[T any](ctx context.Context, q Querier, from string, w Where, columns, orderBy string, p paging.Params,
	scan func(Scanner) (T, error)) (paging.Page[T], error) {
	p = p.Normalize()
	page := paging.Page[T]{Page: p.Page, PerPage: p.PerPage, Items: []T{}}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+from+w.SQL(), w.Args()...).Scan(&page.Total); err != nil {
		return page, err
	}
	rows, err := q.QueryContext(ctx, `SELECT `+columns+` FROM `+from+w.SQL()+` ORDER BY `+orderBy+
		` LIMIT `+strconv.Itoa(p.PerPage)+` OFFSET `+strconv.Itoa(p.Offset()), w.Args()...)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	for rows.Next() {
		item, err := scan(rows)
		if err != nil {
			return page, err
		}
		page.Items = append(page.Items, item)
	}
	return page, rows.Err()
}

// IndexedBy makes SQLite read a table by the named index (" INDEXED BY
// name"): without statistics its planner prefers an index of the filter and a
// sort where walking the index of the order is cheaper. PostgreSQL chooses by
// its statistics, so there it is "".
func IndexedBy(db *DB, index string) string {
	if db.Engine == SQLite {
		return " INDEXED BY " + index
	}
	return ""
}
