package web

import (
	"io"
	"log/slog"
	"net/http"
)

// SendXLSX answers with a workbook that write streams to the client as it is
// built, named name (filename*) and ascii (filename).
//
// The status and headers go out with write's first byte, not before: until
// then SendXLSX returns write's error for the caller to answer as any other
// (a problem for the API, an error page for the console), so a bad filter or
// a query that fails to start is still a 4xx or 5xx answer. The exports write
// nothing before their query has returned its first row. After the first
// byte the 200 cannot be taken back: the error is logged and the connection
// is cut (http.ErrAbortHandler), so the client sees a failed download, never
// a shorter file that looks whole (a workbook cut short also lacks its zip
// directory and does not open).
func SendXLSX(w http.ResponseWriter, r *http.Request, log *slog.Logger, name, ascii string, write func(out io.Writer) error) error {
	dw := &downloadWriter{w: w, start: func() {
		w.Header().Set("Content-Type", XLSX)
		Attachment(w, name, ascii)
		w.WriteHeader(http.StatusOK)
	}}
	err := write(dw)
	if err == nil {
		if !dw.started { // nothing written (no workbook writes nothing): still a 200 with the headers
			dw.started = true
			dw.start()
		}
		return nil
	}
	if !dw.started {
		return err
	}
	if log != nil {
		level := slog.LevelError
		if r.Context().Err() != nil {
			level = slog.LevelWarn // the client went away
		}
		log.Log(r.Context(), level, "download cut short", "err", err, "path", r.URL.Path, "bytes", dw.n)
	}
	panic(http.ErrAbortHandler)
}

// downloadWriter sends the headers with the first byte written.
type downloadWriter struct {
	w       http.ResponseWriter
	start   func()
	started bool
	n       int64
}

func (d *downloadWriter) Write(p []byte) (int, error) {
	if !d.started && len(p) > 0 {
		d.started = true
		d.start()
	}
	n, err := d.w.Write(p)
	d.n += int64(n)
	return n, err
}
