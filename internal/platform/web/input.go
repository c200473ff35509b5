package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
)

// Bounds of the input the edges accept. Text is valid UTF-8 without NUL
// (PostgreSQL refuses both); a search keyword is short enough for SQLite's
// LIKE pattern limit; an Idempotency-Key is visible ASCII.
const (
	MaxKeyword        = 200 // characters of a search keyword (the q parameter)
	MaxIdempotencyKey = 200 // characters of an Idempotency-Key
)

// KeywordParams are the query parameters that are search keywords.
var KeywordParams = []string{"q"}

// checkText adds an error for location when v is not valid UTF-8 or holds NUL.
func checkText(fe *apperr.Fields, location, v string) {
	switch {
	case !utf8.ValidString(v):
		fe.Add(location, "글자가 깨져 있습니다 (UTF-8이 아닌 바이트).", "not valid UTF-8 text")
	case strings.IndexByte(v, 0) >= 0:
		fe.Add(location, "입력할 수 없는 글자(NUL)가 들어 있습니다.", "contains a NUL character")
	}
}

// checkValues checks the names and values of a query or form.
func checkValues(fe *apperr.Fields, vals map[string][]string) {
	for name, vs := range vals {
		loc := name
		if !utf8.ValidString(name) || strings.IndexByte(name, 0) >= 0 {
			loc = strings.ToValidUTF8(strings.ReplaceAll(name, "\x00", ""), "\uFFFD")
			checkText(fe, loc, name)
			continue
		}
		for _, v := range vs {
			checkText(fe, loc, v)
		}
	}
}

// CheckQuery refuses a query string whose names or values are not valid UTF-8
// or hold NUL, and keywords over MaxKeyword characters: 422 naming the field.
func CheckQuery(r *http.Request) error {
	var fe apperr.Fields
	q := r.URL.Query()
	checkValues(&fe, q)
	for _, name := range KeywordParams {
		for _, v := range q[name] {
			if utf8.RuneCountInString(v) > MaxKeyword {
				fe.Add(name, fmt.Sprintf("검색어는 %d자 이하입니다.", MaxKeyword), fmt.Sprintf("a keyword is at most %d characters", MaxKeyword))
			}
		}
	}
	return fe.Err()
}

// CheckForm parses a URL-encoded form body (when there is one) and refuses
// names or values that are not valid UTF-8 or hold NUL. Multipart forms are
// checked by FormFile when they are parsed.
func CheckForm(r *http.Request) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" {
		return nil
	}
	if err := r.ParseForm(); err != nil {
		return apperr.Wrap(apperr.Invalid, err, "양식을 읽을 수 없습니다.", "cannot read the form")
	}
	var fe apperr.Fields
	checkValues(&fe, r.PostForm)
	return fe.Err()
}

// CheckPath refuses a path that is not valid UTF-8 or holds NUL: no such
// thing can exist, so it is a 404.
func CheckPath(r *http.Request) error {
	if p := r.URL.Path; !utf8.ValidString(p) || strings.IndexByte(p, 0) >= 0 {
		return apperr.New(apperr.NotFound, "없는 경로입니다.", "No such path.")
	}
	return nil
}

// CheckInput is CheckPath, CheckQuery then CheckForm.
func CheckInput(r *http.Request) error {
	if err := CheckPath(r); err != nil {
		return err
	}
	if err := CheckQuery(r); err != nil {
		return err
	}
	return CheckForm(r)
}

// IdempotencyKey returns the request's Idempotency-Key ("" when none): visible
// ASCII of at most MaxIdempotencyKey characters, else a 400.
func IdempotencyKey(r *http.Request) (string, error) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > MaxIdempotencyKey {
		return "", apperr.New(apperr.BadRequest, fmt.Sprintf("Idempotency-Key는 %d자 이하입니다.", MaxIdempotencyKey),
			fmt.Sprintf("Idempotency-Key is longer than %d characters.", MaxIdempotencyKey))
	}
	if !visibleASCII(key) {
		return "", apperr.New(apperr.BadRequest, "Idempotency-Key는 보이는 ASCII 문자(공백 없이)로만 씁니다.",
			"Idempotency-Key must be visible ASCII characters without spaces.")
	}
	return key, nil
}

func visibleASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// JSONType refuses a request body that is not JSON (415). A request without a
// body passes, so that bodiless POSTs need no Content-Type.
func JSONType(r *http.Request) error {
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil && (ct == "application/json" || ct == "application/merge-patch+json") {
		return nil
	}
	return apperr.New(apperr.MediaType, "요청 본문은 JSON(Content-Type: application/json)이어야 합니다.",
		"The request body must be JSON (Content-Type: application/json).")
}

// checkJSONText walks the tokens of a JSON document and refuses strings (names
// and values) that are not valid UTF-8 or hold NUL, naming their location as
// items[0].name. encoding/json would silently turn invalid bytes into U+FFFD
// and pass NUL on to the database. Syntax errors are left to the decoder.
func checkJSONText(body []byte) error {
	type frame struct {
		array bool
		key   string
		index int
		isKey bool // the next string of an object is a name
	}
	var stack []*frame
	loc := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.array {
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		}
		return b.String()
	}
	// valueDone moves the enclosing container past the value just read.
	valueDone := func() {
		if n := len(stack); n > 0 {
			if f := stack[n-1]; f.array {
				f.index++
			} else {
				f.isKey = true
			}
		}
	}
	var fe apperr.Fields
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	prev := int64(0)
	for len(fe) < 10 {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		end := dec.InputOffset()
		raw := body[prev:end]
		prev = end
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				stack = append(stack, &frame{array: t == '[', isKey: t == '{'})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			top := (*frame)(nil)
			if n := len(stack); n > 0 {
				top = stack[n-1]
			}
			// Outside a string, bytes that are not ASCII are a syntax error,
			// so invalid UTF-8 in raw belongs to this string.
			bad := t
			if !utf8.Valid(raw) {
				bad = string(raw)
			}
			if top != nil && !top.array && top.isKey {
				top.key = strings.ToValidUTF8(strings.ReplaceAll(t, "\x00", ""), "\uFFFD")
				top.isKey = false
				checkText(&fe, loc(), bad)
				continue
			}
			checkText(&fe, loc(), bad)
			valueDone()
		default:
			valueDone()
		}
	}
	return fe.Err()
}

// unknownField names the field of encoding/json's "unknown field" error.
func unknownField(err error) (string, bool) {
	name, ok := strings.CutPrefix(err.Error(), `json: unknown field "`)
	if !ok {
		return "", false
	}
	return strings.TrimSuffix(name, `"`), true
}
