package bot

import "context"

// PaidBroadcastRate is Telegram's rate for a bot that pays for broadcasts:
// up to 1 000 messages a second instead of about 30.
const PaidBroadcastRate = 1000

// paidBroadcasts marks every message sent through it as a paid broadcast.
// The dispatcher wraps Telegram in it (DispatcherOptions.PaidBroadcast), so
// alerts are paid for and answers to commands, sent by the bot directly,
// are not.
type paidBroadcasts struct{ inner Platform }

func (p paidBroadcasts) Name() string { return p.inner.Name() }

func (p paidBroadcasts) Run(ctx context.Context, handle func(context.Context, Update)) error {
	return p.inner.Run(ctx, handle)
}

func (p paidBroadcasts) Send(ctx context.Context, msg Message) (string, error) {
	msg.PaidBroadcast = true
	return p.inner.Send(ctx, msg)
}

func (p paidBroadcasts) AnswerCallback(ctx context.Context, id, text string) error {
	return p.inner.AnswerCallback(ctx, id, text)
}

func (p paidBroadcasts) Buttons() bool { return p.inner.Buttons() }

// Platform is the platform underneath, as a StartingPlatform gives it (nil
// while it connects), so that what the dispatcher asks of a platform's
// abilities (canEdit) sees through the wrapper.
func (p paidBroadcasts) Platform() Platform {
	if s, ok := p.inner.(interface{ Platform() Platform }); ok {
		return s.Platform()
	}
	return p.inner
}

// withPaidBroadcasts returns platforms with Telegram's sends marked as paid
// broadcasts; the map passed in is not changed.
func withPaidBroadcasts(platforms map[string]Platform) map[string]Platform {
	out := make(map[string]Platform, len(platforms))
	for name, p := range platforms {
		if name == "telegram" {
			p = paidBroadcasts{p}
		}
		out[name] = p
	}
	return out
}
