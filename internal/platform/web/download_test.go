package web

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/orderdesk/orderdesk/internal/platform/apperr"
)

// A download that fails before its first byte is an ordinary problem answer
// (no attachment header); one that fails after it is cut off, so the client
// sees an error, not a short file that looks whole.
func TestSendXLSXErrorsBeforeAndAfterTheFirstByte(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	fail := errors.New("database went away")
	srv := httptest.NewServer(Middleware(log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := SendXLSX(w, r, log, "주문목록.xlsx", "orders.xlsx", func(out io.Writer) error {
			switch r.URL.Path {
			case "/before":
				return apperr.New(apperr.Invalid, "잘못된 조건입니다.", "bad filter")
			case "/after":
				if _, err := out.Write(bytes.Repeat([]byte("PK"), 64<<10)); err != nil {
					return err
				}
				return fail
			}
			_, err := out.Write([]byte("PK whole"))
			return err
		})
		if err != nil {
			WriteProblem(w, r, log, err)
		}
	})))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/before")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity && resp.StatusCode != http.StatusBadRequest {
		t.Errorf("failure before the first byte answered %d %s", resp.StatusCode, body)
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != "" || !strings.Contains(resp.Header.Get("Content-Type"), "problem+json") {
		t.Errorf("problem answered as a download: %q, %q", cd, resp.Header.Get("Content-Type"))
	}

	resp, err = http.Get(srv.URL + "/after")
	if err != nil {
		t.Fatal(err)
	}
	body, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err == nil {
		t.Errorf("failure after the first byte: status %d, %d bytes read without an error", resp.StatusCode, len(body))
	}
	if bytes.Contains(body, []byte("problem")) || bytes.Contains(body, []byte("database")) {
		t.Errorf("an error was appended to the download")
	}
	if !strings.Contains(logs.String(), "download cut short") || !strings.Contains(logs.String(), "database went away") {
		t.Errorf("the cut was not logged: %s", logs.String())
	}

	resp, err = http.Get(srv.URL + "/whole")
	if err != nil {
		t.Fatal(err)
	}
	body, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(body) != "PK whole" || resp.Header.Get("Content-Type") != XLSX ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="orders.xlsx"; filename*=UTF-8''%EC%A3%BC%EB%AC%B8%EB%AA%A9%EB%A1%9D.xlsx` {
		t.Errorf("download: %v %q %q %q", err, body, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
}
