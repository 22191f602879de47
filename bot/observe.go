package bot

import (
	"errors"
	"time"
)

// Send outcomes reported in SendEvent.Outcome.
const (
	SendSent    = "sent"    // the platform accepted the message
	SendFailed  = "failed"  // not sent this time; see SendEvent.Reason (it may be retried)
	SendDropped = "dropped" // the chat is gone: its waiting deliveries are dropped
)

// SendEvent is one send of the outbox, for monitoring (see
// DispatcherOptions.Observe).
type SendEvent struct {
	Platform   string
	Outcome    string        // SendSent, SendFailed or SendDropped
	Reason     string        // "rate_limited", "refused", "migrated", "transient", "chat_gone"; "" when sent
	Deliveries int           // deliveries the message carried (a combined message carries several)
	Latency    time.Duration // how long the platform took to answer
}

// sendEvent classifies the answer of a platform to one send.
func sendEvent(platform string, deliveries int, latency time.Duration, err error) SendEvent {
	ev := SendEvent{Platform: platform, Outcome: SendFailed, Deliveries: deliveries, Latency: latency}
	var retry *RetryAfterError
	var migrated *MigratedError
	var perm *PermanentError
	switch {
	case err == nil:
		ev.Outcome = SendSent
	case errors.As(err, &retry):
		ev.Reason = "rate_limited"
	case errors.Is(err, ErrChatGone):
		ev.Outcome, ev.Reason = SendDropped, "chat_gone"
	case errors.As(err, &migrated):
		ev.Reason = "migrated"
	case errors.As(err, &perm):
		ev.Reason = "refused"
	default:
		ev.Reason = "transient"
	}
	return ev
}

// observe reports a send to the dispatcher's Observe, when set.
func (d *Dispatcher) observe(platform string, deliveries int, latency time.Duration, err error) {
	if d.opts.Observe != nil {
		d.opts.Observe(sendEvent(platform, deliveries, latency, err))
	}
}
