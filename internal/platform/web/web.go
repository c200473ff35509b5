// Package web holds what every HTTP edge shares: the one mapping from errors
// to statuses, RFC 9457 problem documents, JSON decoding with a size limit,
// request ids, logging and recovery middleware, and the display formats.
package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
)

// MaxJSONBody bounds a JSON request body.
const MaxJSONBody = 1 << 20

// Status maps an error to its HTTP status: the one place that does.
func Status(err error) int {
	if errors.Is(err, context.Canceled) {
		return 499
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	switch apperr.CodeOf(err) {
	case apperr.Invalid:
		return http.StatusUnprocessableEntity
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.Unauthorized:
		return http.StatusUnauthorized
	case apperr.TooMany:
		return http.StatusTooManyRequests
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.BadRequest:
		return http.StatusBadRequest
	case apperr.MediaType:
		return http.StatusUnsupportedMediaType
	case apperr.MethodNotAllowed:
		return http.StatusMethodNotAllowed
	}
	return http.StatusInternalServerError
}

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type     string              `json:"type"`
	Title    string              `json:"title"`
	Status   int                 `json:"status"`
	Detail   string              `json:"detail"`
	Instance string              `json:"instance,omitempty"`
	Errors   []apperr.FieldError `json:"errors,omitempty"`
}

// ProblemOf turns err into what a user may see: the business message, never
// an internal error's text.
func ProblemOf(err error, lang string) Problem {
	status := Status(err)
	p := Problem{Type: "about:blank", Title: http.StatusText(status), Status: status}
	if e, ok := apperr.As(err); ok {
		p.Detail = e.Localized(lang)
		p.Errors = e.Fields
		if lang == "en" {
			for i := range p.Errors {
				if p.Errors[i].English != "" {
					p.Errors[i].Message = p.Errors[i].English
				}
			}
		}
		return p
	}
	switch status {
	case http.StatusRequestEntityTooLarge:
		p.Detail = fmt.Sprintf("요청 본문이 너무 큽니다 (최대 %d바이트). Request body too large.", MaxJSONBody)
	case 499:
		p.Detail = "request cancelled"
	default:
		p.Detail = "서버 오류가 발생했습니다. 잠시 후 다시 시도해 주세요. (internal error)"
	}
	return p
}

// WriteProblem writes err as application/problem+json and logs internal errors.
func WriteProblem(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	p := ProblemOf(err, Lang(r))
	p.Instance = r.URL.Path
	if p.Status >= 500 {
		log.ErrorContext(r.Context(), "request failed", "err", err, "path", r.URL.Path)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// Lang is "en" when the client prefers English, else "ko".
func Lang(r *http.Request) string {
	if strings.HasPrefix(strings.ToLower(r.Header.Get("Accept-Language")), "en") {
		return "en"
	}
	return "ko"
}

// WriteJSON writes v with the status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", JSONContentType)
	w.WriteHeader(status)
	_ = jsonEncoder(w).Encode(v)
}

// JSONContentType is the Content-Type of WriteJSON's answers.
const JSONContentType = "application/json; charset=utf-8"

// EncodeJSON is the body WriteJSON writes for v.
func EncodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	err := jsonEncoder(&b).Encode(v)
	return b.Bytes(), err
}

func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// DecodeJSON reads one JSON value of at most MaxJSONBody bytes into v,
// refusing unknown fields so that a misspelt field is an error, not a no-op,
// and text that is not valid UTF-8 or holds NUL, naming the field.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := ReadBody(w, r)
	if err != nil {
		return err
	}
	return DecodeJSONBytes(body, v)
}

// DecodeNone checks the body of a request that takes no fields: empty, or a
// JSON object without any; a field is refused as DecodeJSON refuses an
// unknown one, so that a caller who sends some learns that nothing reads it.
func DecodeNone(w http.ResponseWriter, r *http.Request) error {
	body, err := ReadBody(w, r)
	if err != nil || len(bytes.TrimSpace(body)) == 0 {
		return err
	}
	return DecodeJSONBytes(body, &struct{}{})
}

// ReadBody reads a request body of at most MaxJSONBody bytes.
func ReadBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxJSONBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, apperr.New(apperr.TooLarge, fmt.Sprintf("요청 본문이 너무 큽니다 (최대 %d바이트).", MaxJSONBody), fmt.Sprintf("Request body over %d bytes.", MaxJSONBody))
		}
		return nil, err
	}
	return body, nil
}

// DecodeJSONBytes is DecodeJSON over a body already read.
func DecodeJSONBytes(body []byte, v any) error {
	if err := checkJSONText(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			ko, en := jsonKind(ute.Type)
			return &apperr.Error{Code: apperr.Invalid, Message: "입력값의 형식이 틀렸습니다.", English: "A field has the wrong type.",
				Fields: []apperr.FieldError{{Location: ute.Field, Message: ute.Value + " 값은 이 항목에 맞지 않습니다. " + ko + withRo(ko) + " 적어 주세요.",
					English: "expected " + en + ", got " + ute.Value}}}
		}
		if name, ok := unknownField(err); ok {
			if path := unknownPath(body, reflect.TypeOf(v), name); path != "" {
				name = path // items[0].price, not price
			}
			return &apperr.Error{Code: apperr.Invalid, Message: "알 수 없는 항목입니다: " + name, English: "Unknown field: " + name, Err: err,
				Fields: []apperr.FieldError{{Location: name, Message: "이 요청에 없는 항목입니다.", English: "unknown field"}}}
		}
		msg := err.Error()
		if errors.Is(err, io.EOF) {
			msg = "empty body"
		}
		return apperr.Wrap(apperr.Invalid, err, "JSON 본문을 읽을 수 없습니다: "+msg, "Cannot read the JSON body: "+msg)
	}
	if dec.More() {
		return apperr.New(apperr.Invalid, "JSON 값이 하나보다 많습니다.", "More than one JSON value in the body.")
	}
	return nil
}

// unknownPath finds where in body the unknown field name is, as a path of
// the request (items[0].price), by reading body beside the Go type t it was
// decoded into; "" when it cannot tell (the name is unknown in several
// places: encoding/json names the first in the text, which a decoded map no
// longer knows).
func unknownPath(body []byte, t reflect.Type, name string) string {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	var found []string
	var walk func(v any, t reflect.Type, at string)
	walk = func(v any, t reflect.Type, at string) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch x := v.(type) {
		case map[string]any:
			if t.Kind() == reflect.Map {
				for k, e := range x {
					walk(e, t.Elem(), at+"."+k)
				}
				return
			}
			if t.Kind() != reflect.Struct {
				return
			}
			fields := jsonFields(t)
			for k, e := range x {
				ft, ok := fields[strings.ToLower(k)]
				switch {
				case !ok && k == name:
					found = append(found, strings.TrimPrefix(at+"."+k, "."))
				case ok:
					walk(e, ft, at+"."+k)
				}
			}
		case []any:
			if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
				return
			}
			for i, e := range x {
				walk(e, t.Elem(), fmt.Sprintf("%s[%d]", at, i))
			}
		}
	}
	walk(v, t, "")
	if len(found) != 1 {
		return ""
	}
	return found[0]
}

// jsonFields are the JSON names of a struct's fields (embedded ones
// included), lower-cased: encoding/json matches them without regard to case.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		ft := f.Type
		if f.Anonymous && tag == "" {
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					if _, ok := out[k]; !ok {
						out[k] = v
					}
				}
				continue
			}
		}
		if tag == "" {
			tag = f.Name
		}
		out[strings.ToLower(tag)] = ft
	}
	return out
}

// jsonKind names what a Go type takes in JSON, in Korean and English, for
// the callers who see JSON and not the Go types behind it.
func jsonKind(t reflect.Type) (ko, en string) {
	if t.Implements(reflect.TypeFor[json.Unmarshaler]()) || reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) {
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Float32, reflect.Float64:
			return "숫자", "a number" // reads its own form (units.Value takes 7.5)
		}
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "정수", "a whole number"
	case reflect.Float32, reflect.Float64:
		return "숫자", "a number"
	case reflect.String:
		return "문자열", "text"
	case reflect.Bool:
		return "true 또는 false", "true or false"
	case reflect.Slice, reflect.Array:
		ko, en := jsonKind(t.Elem())
		return ko + "의 목록", "a list, each " + en
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "객체", "an object"
}

// withRo is the particle (으)로 after word: 으로 after a Hangul syllable
// with a final consonant other than ㄹ, else 로 (정수로, 목록으로, 문자열로).
func withRo(word string) string {
	r, _ := utf8.DecodeLastRuneInString(word)
	if r >= 0xAC00 && r <= 0xD7A3 {
		if jong := (r - 0xAC00) % 28; jong != 0 && jong != 8 {
			return "으로"
		}
	}
	return "로"
}

type ctxKey int

const requestIDKey ctxKey = iota

// RequestID returns the id of the request in ctx.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// LogHandler adds the request id of the context to every record.
type LogHandler struct{ slog.Handler }

// Handle implements slog.Handler.
func (h LogHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h LogHandler) WithAttrs(a []slog.Attr) slog.Handler { return LogHandler{h.Handler.WithAttrs(a)} }

// WithGroup implements slog.Handler.
func (h LogHandler) WithGroup(n string) slog.Handler { return LogHandler{h.Handler.WithGroup(n)} }

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
	w.ResponseWriter.WriteHeader(s)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Middleware gives each request an id (X-Request-Id, kept when a proxy sets a
// sane one), logs it when done, and turns a panic into a 500.
func Middleware(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if len(id) == 0 || len(id) > 64 || !visibleASCII(id) {
			id = newRequestID()
		}
		// The User-Agent is logged and stored with sessions: keep it valid text.
		if ua := r.UserAgent(); !utf8.ValidString(ua) || strings.IndexByte(ua, 0) >= 0 || len(ua) > 512 {
			ua = strings.ToValidUTF8(strings.ReplaceAll(ua, "\x00", ""), "\uFFFD")
			if len(ua) > 512 {
				ua = strings.ToValidUTF8(ua[:512], "")
			}
			r.Header.Set("User-Agent", ua)
		}
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		r = r.WithContext(ctx)
		w.Header().Set("X-Request-Id", id)
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler { // a download cut short on purpose (SendXLSX)
					log.InfoContext(ctx, "request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
						"bytes", sw.bytes, "duration_ms", time.Since(start).Milliseconds(), "aborted", true)
					panic(p)
				}
				log.ErrorContext(ctx, "panic", "panic", fmt.Sprint(p), "path", r.URL.Path)
				if sw.status == 0 {
					WriteProblem(sw, r, log, errors.New("panic"))
				}
			}
			log.InfoContext(ctx, "request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
				"bytes", sw.bytes, "duration_ms", time.Since(start).Milliseconds())
		}()
		next.ServeHTTP(sw, r)
	})
}

// SecurityHeaders sets the headers every page of the console wants.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
		next.ServeHTTP(w, r)
	})
}

// FormFile reads the uploaded file of a multipart form, at most max bytes.
func FormFile(r *http.Request, field string, max int64) (string, []byte, error) {
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		return "", nil, apperr.Wrap(apperr.Invalid, err, "파일 업로드 형식(multipart/form-data)이 아닙니다.", "expected multipart/form-data with a file")
	}
	var fe apperr.Fields
	checkValues(&fe, r.MultipartForm.Value)
	if err := fe.Err(); err != nil {
		return "", nil, err
	}
	f, hdr, err := r.FormFile(field)
	if err != nil {
		return "", nil, &apperr.Error{Code: apperr.Invalid, Message: "파일을 선택해 주세요.", English: field + " is required",
			Fields: []apperr.FieldError{{Location: field, Message: "파일을 선택해 주세요.", English: "required"}}}
	}
	defer f.Close()
	if checkText(&fe, field, hdr.Filename); fe != nil {
		return "", nil, fe.Err()
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return "", nil, err
	}
	if int64(len(data)) > max {
		return "", nil, apperr.New(apperr.TooLarge, fmt.Sprintf("파일이 너무 큽니다 (최대 %dMB).", max>>20), fmt.Sprintf("file over %d MiB", max>>20))
	}
	return hdr.Filename, data, nil
}
