package bot

import "context"

// PaidBroadcastRate is Telegram's rate for a bot that pays for broadcasts:
// up to 1 000 messages a second instead of about 30.
const PaidBroadcastRate = 1000

// paidBroadcasts marks every message sent through it as a paid broadcast.
// The dispatcher wraps Telegram in it (DispatcherOptions.PaidBroadcast), so
// alerts are paid for and answers to commands, sent by the bot directly,
// are not.
type paidBroadcasts struct{ Platform }

func (p paidBroadcasts) Send(ctx context.Context, msg Message) (string, error) {
	msg.PaidBroadcast = true
	return p.Platform.Send(ctx, msg)
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
