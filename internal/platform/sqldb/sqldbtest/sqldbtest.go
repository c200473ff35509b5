// Package sqldbtest gives tests real, migrated databases: an SQLite file in a
// temporary folder always, and a fresh PostgreSQL schema when
// ORDERDESK_TEST_POSTGRES holds a URL.
package sqldbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
)

// EnvPostgres names the variable that switches the PostgreSQL half on.
const EnvPostgres = "ORDERDESK_TEST_POSTGRES"

// Engines returns the engines this run tests: sqlite, and postgres when configured.
func Engines() []sqldb.Engine {
	if os.Getenv(EnvPostgres) != "" {
		return []sqldb.Engine{sqldb.SQLite, sqldb.Postgres}
	}
	return []sqldb.Engine{sqldb.SQLite}
}

// Each runs fn as a subtest on every engine, each with its own fresh database.
func Each(t *testing.T, fn func(t *testing.T, db *sqldb.DB)) {
	t.Helper()
	for _, e := range Engines() {
		t.Run(string(e), func(t *testing.T) {
			fn(t, Open(t, e))
		})
	}
}

// Open returns a fresh, migrated database of the engine, closed at cleanup.
func Open(t testing.TB, engine sqldb.Engine) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), DSN(t, engine))
	if err != nil {
		t.Fatalf("open %s: %v", engine, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", engine, err)
	}
	return db
}

// DSN returns the address of a fresh, empty database of the engine; a
// PostgreSQL schema made for it is dropped at cleanup.
func DSN(t testing.TB, engine sqldb.Engine) string {
	t.Helper()
	if engine == sqldb.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	}
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skip(EnvPostgres + " is not set")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		t.Fatalf("postgres at %s: %v", EnvPostgres, err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
