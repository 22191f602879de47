package zalo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultAPIURL is the Zalo Bot API's base (the older host is
// https://bot-api.zapps.me).
const DefaultAPIURL = "https://bot-api.zaloplatforms.com"

// maxResponse caps how much of an answer is read.
const maxResponse = 1 << 20

// ErrUnauthorized means Zalo refused the bot token (401): a configuration
// error that waiting will not fix. An *APIError with code 401 matches it
// with errors.Is.
var ErrUnauthorized = errors.New("zalo: the bot token was refused (401): check zalo.token or ZALO_BOT_TOKEN")

// APIError is an answer with "ok": false, or an HTTP error without a usable
// envelope. Zalo sends some errors with HTTP 200: the envelope decides.
type APIError struct {
	Method      string
	Code        int // error_code, or the HTTP status when there is none
	HTTPStatus  int
	Description string        // with the token removed
	RetryAfter  time.Duration // parameters.retry_after when Zalo sends one
}

func (e *APIError) Error() string {
	return fmt.Sprintf("zalo: %s: %d %s", e.Method, e.Code, e.Description)
}

// Is makes a 401 match ErrUnauthorized.
func (e *APIError) Is(target error) bool {
	return target == ErrUnauthorized && e.Code == http.StatusUnauthorized
}

// Client calls the Zalo Bot API: POST {base}/bot{token}/{method} with a
// JSON body. Every error it returns has the token replaced by "<token>".
// It is safe for concurrent use.
type Client struct {
	token    string
	endpoint string // base + "/bot" + token + "/"
	http     *http.Client
}

// NewClient returns a client for token at apiURL (DefaultAPIURL when
// empty). A nil httpClient means one without a timeout: give it one longer
// than the long polls you make.
func NewClient(token, apiURL string, httpClient *http.Client) *Client {
	base := strings.TrimRight(apiURL, "/")
	if base == "" {
		base = DefaultAPIURL
	}
	if httpClient == nil {
		httpClient = &http.Client{}
	}
	return &Client{token: token, endpoint: base + "/bot" + token + "/", http: httpClient}
}

// BotInfo is what getMe says about the bot.
type BotInfo struct {
	ID            string `json:"id"`
	AccountName   string `json:"account_name"`
	DisplayName   string `json:"display_name"`
	AccountType   string `json:"account_type"`
	CanJoinGroups bool   `json:"can_join_groups"`
}

// WebhookInfo is what getWebhookInfo says; URL is "" when none is set.
type WebhookInfo struct {
	URL       string    `json:"url"`
	UpdatedAt time.Time `json:"-"`
}

// SentMessage is the answer to sendMessage and sendPhoto.
type SentMessage struct {
	MessageID string
	Date      time.Time
}

// GetMe checks the token and describes the bot.
func (c *Client) GetMe(ctx context.Context) (BotInfo, error) {
	var raw struct {
		ID            flexString `json:"id"`
		AccountName   string     `json:"account_name"`
		DisplayName   string     `json:"display_name"`
		Name          string     `json:"name"`
		AccountType   string     `json:"account_type"`
		CanJoinGroups bool       `json:"can_join_groups"`
	}
	if err := c.call(ctx, "getMe", struct{}{}, &raw); err != nil {
		return BotInfo{}, err
	}
	info := BotInfo{ID: string(raw.ID), AccountName: raw.AccountName, DisplayName: raw.DisplayName, AccountType: raw.AccountType, CanJoinGroups: raw.CanJoinGroups}
	if info.DisplayName == "" {
		info.DisplayName = raw.Name
	}
	return info, nil
}

// GetUpdates long-polls for up to timeout (whole seconds, at least one) and
// returns what arrived. Zalo answers 408 when nothing did: that is returned
// as no updates and no error. The result may be one update or an array.
func (c *Client) GetUpdates(ctx context.Context, timeout time.Duration) ([]Update, error) {
	secs := max(int(timeout/time.Second), 1)
	var raw json.RawMessage
	err := c.call(ctx, "getUpdates", map[string]string{"timeout": strconv.Itoa(secs)}, &raw)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Code == http.StatusRequestTimeout {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ups, err := decodeUpdates(raw)
	if err != nil {
		return nil, fmt.Errorf("zalo: getUpdates: %w", err)
	}
	return ups, nil
}

// SetWebhook makes Zalo POST updates to url with secret (8–256 characters)
// in the X-Bot-Api-Secret-Token header; getUpdates stops working.
func (c *Client) SetWebhook(ctx context.Context, url, secret string) error {
	return c.call(ctx, "setWebhook", map[string]string{"url": url, "secret_token": secret}, nil)
}

// DeleteWebhook removes the webhook, so that getUpdates works again.
func (c *Client) DeleteWebhook(ctx context.Context) error {
	return c.call(ctx, "deleteWebhook", struct{}{}, nil)
}

// GetWebhookInfo returns the webhook set, with URL "" when there is none.
func (c *Client) GetWebhookInfo(ctx context.Context) (WebhookInfo, error) {
	var raw struct {
		URL       string    `json:"url"`
		UpdatedAt flexInt64 `json:"updated_at"`
	}
	if err := c.call(ctx, "getWebhookInfo", struct{}{}, &raw); err != nil {
		return WebhookInfo{}, err
	}
	info := WebhookInfo{URL: raw.URL}
	if raw.UpdatedAt > 0 {
		info.UpdatedAt = time.UnixMilli(int64(raw.UpdatedAt))
	}
	return info, nil
}

// SendMessage sends text (1–2000 characters) to chatID.
func (c *Client) SendMessage(ctx context.Context, chatID, text string) (SentMessage, error) {
	return c.send(ctx, "sendMessage", map[string]string{"chat_id": chatID, "text": text})
}

// SendPhoto sends the image at photoURL to chatID with an optional caption
// (at most 2000 characters).
func (c *Client) SendPhoto(ctx context.Context, chatID, photoURL, caption string) (SentMessage, error) {
	p := map[string]string{"chat_id": chatID, "photo": photoURL}
	if caption != "" {
		p["caption"] = caption
	}
	return c.send(ctx, "sendPhoto", p)
}

// SendChatAction shows a passing status in chatID: "typing" or "upload_photo".
func (c *Client) SendChatAction(ctx context.Context, chatID, action string) error {
	return c.call(ctx, "sendChatAction", map[string]string{"chat_id": chatID, "action": action}, nil)
}

func (c *Client) send(ctx context.Context, method string, params map[string]string) (SentMessage, error) {
	var raw struct {
		MessageID flexString `json:"message_id"`
		Date      flexInt64  `json:"date"`
	}
	if err := c.call(ctx, method, params, &raw); err != nil {
		return SentMessage{}, err
	}
	m := SentMessage{MessageID: string(raw.MessageID)}
	if raw.Date > 0 {
		m.Date = time.UnixMilli(int64(raw.Date))
	}
	return m, nil
}

// envelope is every answer's shape.
type envelope struct {
	OK          *bool           `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   flexInt64       `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter flexInt64 `json:"retry_after"`
	} `json:"parameters"`
}

// call POSTs params as JSON to method and decodes the result into out
// (unless out is nil). "ok" decides success, whatever the HTTP status.
func (c *Client) call(ctx context.Context, method string, params, out any) error {
	body, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("zalo: %s: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+method, bytes.NewReader(body))
	if err != nil {
		return c.redactError(method, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return c.redactError(method, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return c.redactError(method, err)
	}

	var env envelope
	if err := json.Unmarshal(data, &env); err != nil || env.OK == nil {
		// A proxy's error page or something that is not the API.
		return &APIError{Method: method, Code: resp.StatusCode, HTTPStatus: resp.StatusCode, Description: c.redact(snippet(data, resp.Status))}
	}
	if !*env.OK {
		code := int(env.ErrorCode)
		if code == 0 {
			code = resp.StatusCode
		}
		return &APIError{
			Method:      method,
			Code:        code,
			HTTPStatus:  resp.StatusCode,
			Description: c.redact(env.Description),
			RetryAfter:  time.Duration(env.Parameters.RetryAfter) * time.Second,
		}
	}
	if out == nil || len(env.Result) == 0 {
		return nil
	}
	if err := json.Unmarshal(env.Result, out); err != nil {
		return fmt.Errorf("zalo: %s: unexpected result: %w", method, err)
	}
	return nil
}

// snippet is the start of a body that is not an envelope, for the error text.
func snippet(data []byte, status string) string {
	s := strings.Join(strings.Fields(string(data)), " ")
	if r := []rune(s); len(r) > 120 {
		s = string(r[:120]) + "…"
	}
	if s == "" {
		return status
	}
	return status + ": " + s
}

// redact replaces the token, which net/http puts in every error about a
// request URL, with "<token>".
func (c *Client) redact(s string) string {
	if c.token == "" {
		return s
	}
	s = strings.ReplaceAll(s, c.token, "<token>")
	for _, esc := range []string{url.PathEscape(c.token), url.QueryEscape(c.token)} {
		if esc != c.token {
			s = strings.ReplaceAll(s, esc, "<token>")
		}
	}
	return s
}

// redactedError carries a network error whose text no longer holds the
// token; it unwraps to the cause (context.Canceled, a timeout).
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func (c *Client) redactError(method string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		// A copy without the token, so that unwrapping cannot leak it.
		err = &url.Error{Op: ue.Op, URL: c.redact(ue.URL), Err: ue.Err}
	}
	return &redactedError{msg: "zalo: " + method + ": " + c.redact(err.Error()), err: err}
}

// flexString decodes a JSON string or number as text: ids are documented as
// strings, and a number would otherwise fail the whole update.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string or a number, got %s", b)
	}
	*f = flexString(n.String())
	return nil
}

// flexInt64 decodes a JSON number or a numeric string; null is 0.
type flexInt64 int64

func (f *flexInt64) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*f = flexInt64(n)
		return nil
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("want a number, got %s", b)
	}
	*f = flexInt64(n)
	return nil
}
