package app

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// ErrVerifyFailed is returned when verify found broken invariants.
var ErrVerifyFailed = errors.New("verify found problems")

// check is one invariant: it returns a line per broken instance.
type check struct {
	name string
	run  func(ctx context.Context, a *App) ([]string, error)
}

var checks = []check{
	{"schema is migrated to the latest version", func(ctx context.Context, a *App) ([]string, error) {
		applied, latest, err := a.DB.Version(ctx)
		if err != nil || applied == latest {
			return nil, err
		}
		return []string{fmt.Sprintf("schema at version %d, binary expects %d", applied, latest)}, nil
	}},
	{"every resident registration number decrypts with the configured key", func(ctx context.Context, a *App) ([]string, error) {
		rows, err := a.DB.Read().QueryContext(ctx, `SELECT id, rrn_enc FROM members WHERE rrn_enc <> '' ORDER BY id`)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var bad []string
		for rows.Next() {
			var id int64
			var enc string
			if err := rows.Scan(&id, &enc); err != nil {
				return nil, err
			}
			if _, err := a.Members.Box.Open(enc); err != nil {
				bad = append(bad, fmt.Sprintf("member %d: resident registration number does not decrypt (wrong ORDERDESK_SECRET_KEY?)", id))
			}
		}
		return bad, rows.Err()
	}},
	{"site admins and viewers have at least one site", func(ctx context.Context, a *App) ([]string, error) {
		rows, err := a.DB.Read().QueryContext(ctx, `SELECT login FROM staff s WHERE role <> 'super_admin'
			AND NOT EXISTS (SELECT 1 FROM staff_sites x WHERE x.staff_id = s.id) ORDER BY login`)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var bad []string
		for rows.Next() {
			var login string
			if err := rows.Scan(&login); err != nil {
				return nil, err
			}
			bad = append(bad, "staff "+login+" has no site")
		}
		return bad, rows.Err()
	}},
}

// Verify runs every check, prints each broken invariant and returns
// ErrVerifyFailed when there was any.
func (a *App) Verify(ctx context.Context, w io.Writer) error {
	broken := 0
	for _, c := range checks {
		lines, err := c.run(ctx, a)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		status := "ok"
		if len(lines) > 0 {
			status = fmt.Sprintf("BROKEN (%d)", len(lines))
		}
		fmt.Fprintf(w, "%-70s %s\n", c.name, status)
		for _, l := range lines {
			fmt.Fprintln(w, "  "+l)
		}
		broken += len(lines)
	}
	if broken > 0 {
		return ErrVerifyFailed
	}
	fmt.Fprintln(w, "all checks passed")
	return nil
}
