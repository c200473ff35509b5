package api

import (
	"io"
	"net/http"
	"strconv"

	"github.com/orderdesk/orderdesk/internal/access"
	"github.com/orderdesk/orderdesk/internal/export"
	"github.com/orderdesk/orderdesk/internal/platform/apperr"
	"github.com/orderdesk/orderdesk/internal/platform/kst"
	"github.com/orderdesk/orderdesk/internal/platform/paging"
	"github.com/orderdesk/orderdesk/internal/platform/web"
	"github.com/orderdesk/orderdesk/internal/shipping"
)

func (s *Server) listCarriers(r *http.Request, _ access.Actor) (int, any, error) {
	p, err := pageParams(r)
	if err != nil {
		return 0, nil, err
	}
	all := false
	if v := r.URL.Query().Get("include_retired"); v != "" {
		if all, err = strconv.ParseBool(v); err != nil {
			return 0, nil, apperr.New(apperr.Invalid, "include_retired는 true 또는 false입니다.", "include_retired must be true or false")
		}
	}
	list, err := s.Ship.Carriers(r.Context(), all)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, paging.Slice(list, p), nil
}

func (s *Server) createCarrier(r *http.Request, a access.Actor) (int, any, error) {
	var in struct {
		Code        string `json:"code"`
		Name        string `json:"name"`
		URLTemplate string `json:"url_template"`
		NumberForm  string `json:"number_form"`
	}
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	c, err := s.Ship.CreateCarrier(r.Context(), a, shipping.Carrier{Code: in.Code, Name: in.Name, URLTemplate: in.URLTemplate, NumberForm: in.NumberForm})
	return http.StatusCreated, c, err
}

func (s *Server) patchCarrier(r *http.Request, a access.Actor) (int, any, error) {
	var in shipping.CarrierPatch
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	c, err := s.Ship.UpdateCarrier(r.Context(), a, r.PathValue("code"), in)
	return http.StatusOK, c, err
}

func (s *Server) deleteCarrier(r *http.Request, a access.Actor) (int, any, error) {
	out, err := s.Ship.RemoveCarrier(r.Context(), a, r.PathValue("code"))
	return http.StatusOK, out, err
}

func deliveryFilter(r *http.Request) (shipping.Filter, error) {
	return shipping.ParseFilter(r.URL.Query())
}

func (s *Server) listDeliveries(r *http.Request, a access.Actor) (int, any, error) {
	f, err := deliveryFilter(r)
	if err != nil {
		return 0, nil, err
	}
	page, err := s.Ship.List(r.Context(), a, f)
	return http.StatusOK, page, err
}

func (s *Server) exportDeliveries(w http.ResponseWriter, r *http.Request, a access.Actor) {
	f, err := deliveryFilter(r)
	if err == nil {
		n := export.DeliveriesName(f, kst.Day(s.Ship.Now()))
		err = web.SendXLSX(w, r, s.Log, n.Korean, n.ASCII, func(out io.Writer) error { return export.Deliveries(r.Context(), s.Ship, a, f, out) })
	}
	if err != nil {
		web.WriteProblem(w, r, s.Log, err)
	}
}

func itemID(r *http.Request) (int64, error) { return pathNumber(r, "item_id", "항목번호", "item") }

func (s *Server) patchDelivery(r *http.Request, a access.Actor) (int, any, error) {
	id, err := itemID(r)
	if err != nil {
		return 0, nil, err
	}
	var in shipping.Change
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	out, err := s.Ship.Update(r.Context(), a, id, in)
	return http.StatusOK, out, err
}

func (s *Server) bulkDeliveryState(r *http.Request, a access.Actor) (int, any, error) {
	var in shipping.Bulk
	if err := web.DecodeJSON(nil, r, &in); err != nil {
		return 0, nil, err
	}
	out, err := s.Ship.BulkState(r.Context(), a, in)
	return http.StatusOK, out, err
}

// trackingUpload takes multipart file, carrier, state (+ dry_run, encoding).
func (s *Server) trackingUpload(r *http.Request, a access.Actor) (int, any, error) {
	name, data, err := web.FormFile(r, "file", MaxUpload)
	if err != nil {
		return 0, nil, err
	}
	dry, err := dryRun(r)
	if err != nil {
		return 0, nil, err
	}
	out, err := s.Ship.Upload(r.Context(), a, shipping.UploadInput{Filename: name, Data: data, Encoding: r.FormValue("encoding"),
		Carrier: r.FormValue("carrier"), State: r.FormValue("state"), DryRun: dry})
	return http.StatusOK, out, err
}
