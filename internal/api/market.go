package api

import (
	"io"
	"net/http"
	"strconv"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/export"
	"github.com/orderdesk/orderdesk/internal/market"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/web"
)

func (s *Server) listMarketplaces(r *http.Request, _ access.Actor) (int, any, error) {
	p, err := pageParams(r)
	if err != nil {
		return 0, nil, err
	}
	list, err := s.Market.Marketplaces(r.Context())
	return http.StatusOK, paging.Slice(list, p), err
}

func (s *Server) createMarketplace(r *http.Request, a access.Actor) (int, any, error) {
	var in market.Marketplace
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	m, err := s.Market.CreateMarketplace(r.Context(), a, in)
	return http.StatusCreated, m, err
}

func (s *Server) listSuppliers(r *http.Request, _ access.Actor) (int, any, error) {
	p, err := pageParams(r)
	if err != nil {
		return 0, nil, err
	}
	list, err := s.Market.Suppliers(r.Context())
	return http.StatusOK, paging.Slice(list, p), err
}

func (s *Server) createSupplier(r *http.Request, a access.Actor) (int, any, error) {
	var in market.Supplier
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	m, err := s.Market.CreateSupplier(r.Context(), a, in)
	return http.StatusCreated, m, err
}

// formatDoc is a sheet format as the API shows it.
type formatDoc struct {
	Marketplace string `json:"marketplace"`
	market.Format
}

func (s *Server) listFormats(r *http.Request, _ access.Actor) (int, any, error) {
	p, err := pageParams(r)
	if err != nil {
		return 0, nil, err
	}
	list, err := s.Market.Marketplaces(r.Context())
	if err != nil {
		return 0, nil, err
	}
	out := []formatDoc{}
	for _, m := range list {
		if mp := r.URL.Query().Get("marketplace"); mp != "" && mp != m.Code {
			continue
		}
		f, err := s.Market.Format(r.Context(), m.Code)
		if err != nil {
			return 0, nil, err
		}
		out = append(out, formatDoc{Marketplace: m.Code, Format: f})
	}
	return http.StatusOK, paging.Slice(out, p), nil
}

func (s *Server) saveFormat(r *http.Request, a access.Actor) (int, any, error) {
	var in formatDoc
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	f, err := s.Market.SaveFormat(r.Context(), a, in.Marketplace, in.Format)
	return http.StatusOK, formatDoc{Marketplace: in.Marketplace, Format: f}, err
}

// MaxUpload bounds a multipart upload.
const MaxUpload = 60 << 20

// importOrders takes multipart file + marketplace (+ dry_run, encoding, password).
func (s *Server) importOrders(r *http.Request, a access.Actor) (int, any, error) {
	in, err := ReadUpload(r)
	if err != nil {
		return 0, nil, err
	}
	prev, imp, err := s.Market.Import(r.Context(), a, in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"preview": prev, "import": imp}, nil
}

// ReadUpload reads the import form: file, marketplace, dry_run, encoding, password.
func ReadUpload(r *http.Request) (market.ImportInput, error) {
	name, data, err := web.FormFile(r, "file", MaxUpload)
	if err != nil {
		return market.ImportInput{}, err
	}
	dry, err := dryRun(r)
	if err != nil {
		return market.ImportInput{}, err
	}
	return market.ImportInput{Marketplace: r.FormValue("marketplace"), Filename: name, Data: data, Encoding: r.FormValue("encoding"),
		Password: r.FormValue("password"), DryRun: dry}, nil
}

// dryRun reads a form's dry_run: true or false (empty: false). Another
// value is refused (422): a misspelt preview must not store the file.
func dryRun(r *http.Request) (bool, error) {
	v := r.FormValue("dry_run")
	if v == "" {
		return false, nil
	}
	dry, err := strconv.ParseBool(v)
	if err != nil {
		return false, &apperr.Error{Code: apperr.Invalid, Message: "dry_run은 true 또는 false입니다: " + v, English: "dry_run must be true or false",
			Fields: []apperr.FieldError{{Location: "dry_run", Message: "true 또는 false입니다.", English: "true or false"}}}
	}
	return dry, nil
}

func (s *Server) listMarketOrders(r *http.Request, a access.Actor) (int, any, error) {
	f, err := market.ParseFilter(r.URL.Query().Get)
	if err != nil {
		return 0, nil, err
	}
	if f.Params, err = pageParams(r); err != nil {
		return 0, nil, err
	}
	page, err := s.Market.List(r.Context(), a, f)
	return http.StatusOK, page, err
}

func (s *Server) getMarketOrder(r *http.Request, a access.Actor) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	o, err := s.Market.Order(r.Context(), a, id)
	return http.StatusOK, o, err
}

func (s *Server) exportMarketOrders(w http.ResponseWriter, r *http.Request, a access.Actor) {
	f, err := market.ParseFilter(r.URL.Query().Get)
	if err == nil {
		n := export.MarketOrdersName(f, kst.Day(s.Orders.Now()))
		err = web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, func(out io.Writer) error { return export.MarketOrders(r.Context(), s.Market, a, f, out) })
	}
	if err != nil {
		web.WriteProblem(w, r, s.Log, err)
	}
}

func (s *Server) importErrors(w http.ResponseWriter, r *http.Request, _ access.Actor) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		var imp market.Import
		if imp, err = s.Market.GetImport(r.Context(), id); err == nil {
			n := export.ImportErrorsName(id, kst.Day(s.Orders.Now()))
			err = web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, func(out io.Writer) error { return export.ImportErrors(imp.Errors, out) })
		}
	} else {
		err = apperr.New(apperr.NotFound, "없는 가져오기입니다.", "no such import")
	}
	if err != nil {
		web.WriteProblem(w, r, s.Log, err)
	}
}
