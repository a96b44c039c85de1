package handlers

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"confidant/auth"
	"confidant/portability/transfer"
	"confidant/store"
	"confidant/views"
	"confidant/web/webctx"
)

// transferOutRequest is what the person confirms on the source; it rides
// sealed in the step-up ceremony from begin to finish.
type transferOutRequest struct {
	To    string `json:"to"`
	ID    string `json:"id"`
	Token string `json:"token"`
	Key   string `json:"key"`
}

// OutPage verifies the destination named in the query and shows the
// result, with the passkey confirmation when it may receive the data.
func (h *Transfer) OutPage(c echo.Context) error {
	page := h.Pages.Page(c, "Move your data", "")
	if _, _, ok := webctx.Session(c); !ok {
		d := views.TransferOutData{SignedOut: true, Here: h.Service.Origin(), Return: c.Request().URL.RequestURI()}
		return render(c, http.StatusOK, views.TransferOutPage(page, d))
	}
	to, id := c.QueryParam("to"), c.QueryParam("id")
	d := views.TransferOutData{To: to, ID: id, Token: c.QueryParam("token")}
	v, err := h.Service.Inspect(c.Request().Context(), to, id)
	if v.Origin != "" {
		d.To = v.Origin
	}
	d.Account = v.Account
	for _, f := range v.Facts {
		d.Facts = append(d.Facts, views.Fact{Label: factLabel(f.Name), Value: f.Value})
	}
	for _, ch := range v.Verdict.Checks {
		d.Checks = append(d.Checks, views.CheckView{Name: ch.Name, Status: string(ch.Status), Detail: ch.Detail})
	}
	d.State = string(v.Verdict.State)
	status := http.StatusOK
	switch msg := transferMessage(err); {
	case err == nil:
		d.Verified, d.Simulated, d.PublicKey = true, v.Simulated, hex.EncodeToString(v.PublicKey)
		if v.Simulated {
			d.Notice = transfer.Notice
		}
	case msg != "":
		d.Error, status = msg, http.StatusUnprocessableEntity
	default:
		return err
	}
	return render(c, status, views.TransferOutPage(page, d))
}

// OutBegin asks for a passkey before sending.
func (h *Transfer) OutBegin(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	var req transferOutRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ch, err := h.Settings.Service.BeginStepUpWith(c.Request().Context(), user, auth.ActionTransferOut, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ch)
}

// OutFinish checks the passkey, verifies the destination once more and
// starts sending.
func (h *Transfer) OutFinish(c echo.Context) error {
	user, ceremony, body, err := userAndCeremony(c)
	if err != nil {
		return err
	}
	extra, err := h.Settings.Service.FinishStepUpWith(c.Request().Context(), user, ceremony, auth.ActionTransferOut, body)
	if err != nil {
		return err
	}
	var req transferOutRequest
	if err := json.Unmarshal(extra, &req); err != nil {
		return fmt.Errorf("transfer: step-up details: %w", err)
	}
	key, err := hex.DecodeString(req.Key)
	if err != nil {
		return &auth.Error{Code: "transfer_refused", Message: "The destination's key is missing. Open the link from the destination again.", Status: http.StatusBadRequest}
	}
	sendID, err := h.Service.Send(c.Request().Context(), user.ID, transfer.SendRequest{To: req.To, ID: req.ID, Token: req.Token, PublicKey: key})
	if msg := transferMessage(err); msg != "" {
		return &auth.Error{Code: "transfer_refused", Message: msg, Status: http.StatusUnprocessableEntity}
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, finishResponse{Redirect: "/transfer/out/" + sendID.String()})
}

// SendPage follows a send.
func (h *Transfer) SendPage(c echo.Context) error {
	d, err := h.sendStatus(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.TransferSendPage(h.Pages.Page(c, "Sending your data", ""), d))
}

// SendStatus is the polled part of the send page.
func (h *Transfer) SendStatus(c echo.Context) error {
	d, err := h.sendStatus(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.TransferSendStatus(d))
}

func (h *Transfer) sendStatus(c echo.Context) (views.TransferSendData, error) {
	user, id, err := userAndID(c, "id")
	if err != nil {
		return views.TransferSendData{}, err
	}
	t, err := h.Service.Outgoing(c.Request().Context(), user.ID, id)
	if isNotFound(err) {
		return views.TransferSendData{}, errNotFound
	}
	if err != nil {
		return views.TransferSendData{}, err
	}
	d := views.TransferSendData{ID: t.ID.String(), Destination: t.Destination, State: t.State, Sent: byteWords(t.BytesSent),
		Continue: t.Destination + "/settings/transfer/" + t.TransferID.String()}
	switch {
	case t.State == store.TransferSending && h.Service.Now().Sub(t.UpdatedAt) > transfer.StaleAfter:
		d.State, d.Error = store.TransferFailed, "This send was cut off by a restart of this server. The destination imports nothing from a broken transfer; start again from the destination."
	case t.State == store.TransferFailed:
		d.Error = transferCodeText(t.ErrorCode)
	}
	return d, nil
}

// factLabels name the evidence facts for people.
var factLabels = map[string]string{
	"app_id": "App id", "app_name": "App name", "instance_id": "Instance", "compose_hash": "Compose hash",
	"os_image_hash": "OS image hash", "images": "Container images", "quote": "Quote", "simulated": "Simulated",
	"mrtd": "MRTD", "rtmr0": "RTMR0", "rtmr1": "RTMR1", "rtmr2": "RTMR2", "rtmr3": "RTMR3",
	"mr_config_id": "MR config id", "tcb_status": "TCB status", "event_log_rtmr3_events": "RTMR3 events",
}

func factLabel(name string) string {
	if l, ok := factLabels[name]; ok {
		return l
	}
	return name
}

// byteWords writes a size for people.
func byteWords(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
}
