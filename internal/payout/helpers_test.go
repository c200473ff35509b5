package payout_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/payout"
	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/settlement"
)

var sys = access.System()

type env struct {
	db *sqldb.DB
	mk *market.Service
	st *settlement.Service
	po *payout.Service
}

var testNow = time.Date(2025, 11, 20, 3, 0, 0, 0, time.UTC)

// setup creates the marketplaces (with their preset sheet formats and
// default rules) and imports each one's order sample.
func setup(t *testing.T, db *sqldb.DB, codes ...string) env {
	t.Helper()
	now := func() time.Time { return testNow }
	st := &settlement.Service{DB: db, Now: now}
	mk := &market.Service{DB: db, Now: now, Settle: st.SettleOrderNos, Preset: st.AddDefaultRule, LateCancel: st.LateCancel}
	e := env{db: db, mk: mk, st: st, po: &payout.Service{DB: db, Now: now}}
	samples := map[string]string{"smartstore": "smartstore_source.csv", "coupang": "coupang_cp949.csv", "esm": "esm_utf8.csv"}
	for _, c := range codes {
		if _, err := mk.CreateMarketplace(context.Background(), sys, market.Marketplace{Code: c, Name: c}); err != nil {
			t.Fatal(err)
		}
		if f, ok := samples[c]; ok {
			data, err := os.ReadFile(filepath.Join("..", "market", "testdata", f))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := mk.Import(context.Background(), sys, market.ImportInput{Marketplace: c, Filename: f, Data: data}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return e
}
