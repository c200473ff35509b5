package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/orderdesk/orderdesk/internal/platform/sqldb"
	"github.com/orderdesk/orderdesk/internal/platform/won"
)

// decodeNumbers reads a JSON object keeping numbers exact.
func decodeNumbers(t *testing.T, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("body %q: %v", b, err)
	}
	return v
}

func bigOf(t *testing.T, v any) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(string(v.(json.Number)), 10)
	if !ok {
		t.Fatalf("not an integer: %v", v)
	}
	return n
}

// Random extreme amounts and quantities through POST /api/v1/products and
// POST /api/v1/orders: every answer is 201 with the exact total, or 422;
// never 500 and never a wrapped number. A product priced 2^62 before the
// bound existed (planted in the table) cannot wrap an order's total either.
func TestMoneyBoundsUnderExtremeInputs(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		tok, memberID, _ := demoEnv(t, e)
		rng := rand.New(rand.NewPCG(9, 2026))
		amounts := []json.Number{"0", "1", "8000", "9999999999", "10000000000", "10000000001", "4611686018427387904",
			"9223372036854775807", "-1", "-9223372036854775808", "99999999999999999999", "1e3"}
		amount := func() json.Number {
			if rng.IntN(3) == 0 {
				return json.Number(fmt.Sprint(rng.Int64N(2 * won.Max)))
			}
			return amounts[rng.IntN(len(amounts))]
		}
		quantities := []json.Number{"0", "1", "2", "4", "999", "1000", "10000", "10001", "2147483648", "9223372036854775807", "-1"}
		type product struct {
			id          int64
			price, ship *big.Int
			textbook    bool
		}
		var products []product
		created := 0
		for i := 0; i < 40; i++ {
			body := map[string]any{"site": "malgn", "name": fmt.Sprintf("극단값 상품 %d", i), "display": "visible",
				"sale_price": amount(), "list_price": amount()}
			textbook := rng.IntN(2) == 0
			if textbook {
				body["kind"], body["shipping_fee"] = "textbook", amount()
			} else {
				body["kind"], body["delivery"], body["schedule"], body["access_days"] = "course", "online", "always_open", 30
			}
			if i < 4 { // some certainly good ones
				body["sale_price"], body["list_price"] = json.Number(fmt.Sprint(1000*(i+1))), json.Number("9000")
				if textbook {
					body["shipping_fee"] = json.Number("2500")
				}
			}
			r := e.do("POST", "/api/v1/products", tok, body)
			switch r.Status {
			case 201:
				created++
				p := decodeNumbers(t, r.Body)
				pr := product{id: bigOf(t, p["id"]).Int64(), price: bigOf(t, p["sale_price"]), ship: big.NewInt(0), textbook: textbook}
				if textbook {
					pr.ship = bigOf(t, p["shipping_fee"])
				}
				for _, k := range []string{"sale_price", "list_price"} {
					if v := bigOf(t, p[k]); v.Sign() < 0 || v.Cmp(big.NewInt(won.Max)) > 0 || v.Cmp(bigOf(t, body[k].(json.Number))) != 0 {
						t.Fatalf("product stored %s = %v from %v", k, v, body[k])
					}
				}
				products = append(products, pr)
			case 422:
			default:
				t.Fatalf("POST /products %v = %d %s", body, r.Status, r.Body)
			}
		}
		if created < 4 || created == 40 {
			t.Fatalf("%d of 40 products created", created)
		}
		// A product priced 2^62 before amounts were bounded.
		err := e.app.DB.InTx(context.Background(), func(tx *sqldb.Tx) error {
			_, err := tx.ExecContext(context.Background(), `UPDATE products SET sale_price = $1 WHERE id = $2`, int64(1<<62), products[0].id)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		products[0].price = big.NewInt(1 << 62)

		placed := 0
		for i := 0; i < 150; i++ {
			n := 1 + rng.IntN(3)
			var items []map[string]any
			list, discount, ship := new(big.Int), new(big.Int), new(big.Int)
			for j := 0; j < n; j++ {
				p := products[rng.IntN(len(products))]
				if i == 0 {
					p = products[0] // 2^62 × 4
				}
				qty := quantities[rng.IntN(len(quantities))]
				disc := json.Number("0")
				if rng.IntN(2) == 0 {
					disc = amount()
				}
				if i == 0 {
					qty, disc = "4", "0"
				}
				if i%5 == 1 { // ordinary orders among the extremes
					p, qty, disc = products[1+rng.IntN(len(products)-1)], "2", "0"
				}
				items = append(items, map[string]any{"product_id": p.id, "qty": qty, "discount": disc})
				q, okq := new(big.Int).SetString(string(qty), 10)
				d, okd := new(big.Int).SetString(string(disc), 10)
				if okq && okd {
					list.Add(list, new(big.Int).Mul(p.price, q))
					discount.Add(discount, d)
				}
				if p.textbook && p.ship.Cmp(ship) > 0 {
					ship.Set(p.ship)
				}
			}
			body := map[string]any{"site": "malgn", "member_id": memberID, "payment_method": "card", "items": items,
				"shipping": map[string]string{"recipient": "홍길동", "phone": "010-0000-0000", "zipcode": "08797", "address": "서울시 관악구"}}
			r := e.do("POST", "/api/v1/orders", tok, body)
			switch r.Status {
			case 201:
				placed++
				o := decodeNumbers(t, r.Body)
				want := new(big.Int).Sub(list, discount)
				want.Add(want, ship)
				got := bigOf(t, o["total"])
				if got.Cmp(want) != 0 || got.Sign() <= 0 || got.Cmp(big.NewInt(won.Max)) > 0 {
					t.Fatalf("order %v: total %v, want %v (list %v, discount %v, shipping %v)", items, got, want, list, discount, ship)
				}
			case 422:
				if i == 0 {
					t.Logf("2^62 × 4 refused: %s", r.Body)
				}
			default:
				t.Fatalf("POST /orders %v = %d %s", items, r.Status, r.Body)
			}
			if i == 0 && r.Status != 422 {
				t.Fatalf("a product of 2^62원 ×4 was ordered: %d %s", r.Status, r.Body)
			}
		}
		if placed < 10 {
			t.Fatalf("only %d of 150 orders placed", placed)
		}
		// The other amounts that come in: a payment, a refund, the calculator's.
		for _, c := range []struct {
			path string
			body map[string]any
		}{
			{"/api/v1/orders/289/payments/confirm", map[string]any{"gateway": "sandbox", "payment_key": "sbx_big", "amount": json.Number("9223372036854775807")}},
			{"/api/v1/refunds/1/complete", map[string]any{"amount": json.Number("10000000001")}},
			{"/api/v1/refunds/quote", map[string]any{"policy": "by_days", "amount": json.Number("9223372036854775807"), "total_days": 10, "elapsed_days": 1}},
		} {
			if r := e.do("POST", c.path, tok, c.body); r.Status != 422 {
				t.Errorf("POST %s %v = %d %s", c.path, c.body, r.Status, r.Body)
			}
		}
		e.verified(t, "")
	})
}
