package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/feeds"
	"github.com/newsbot-vn/newsbot/storage"
)

// metrics holds the bot's Prometheus collectors, on a registry of its own
// (not the global one, so tests and several runs in one process do not
// collide). feeds and bot know nothing of Prometheus: they report through
// the callbacks observePoll, observeSend and countCommand.
type metrics struct {
	reg          *prometheus.Registry
	polls        *prometheus.CounterVec
	newArticles  prometheus.Counter
	pollDuration prometheus.Histogram
	deliveries   *prometheus.CounterVec
	sendLatency  *prometheus.HistogramVec
	commands     *prometheus.CounterVec
}

// newMetrics registers the collectors; store is read at each scrape for the
// queue and the polling state.
func newMetrics(store *storage.Store, log *slog.Logger) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsbot_feed_polls_total",
			Help: "Feed polls by outcome (ok, not_modified, failed) and, for failures, reason. The 304 ratio is outcome=\"not_modified\" over all.",
		}, []string{"outcome", "reason"}),
		newArticles: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "newsbot_articles_new_total",
			Help: "New items stored by feed polls.",
		}),
		pollDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "newsbot_feed_poll_duration_seconds",
			Help:    "Time one feed poll took: fetch, parse, article pages, save.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsbot_deliveries_total",
			Help: "Deliveries by platform, outcome (sent, failed, dropped) and reason (rate_limited, refused, migrated, transient, chat_gone). A failed delivery is usually retried.",
		}, []string{"platform", "outcome", "reason"}),
		sendLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "newsbot_send_latency_seconds",
			Help:    "Time a platform took to answer one send.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"platform"}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsbot_commands_total",
			Help: "Commands people sent, by name.",
		}, []string{"command"}),
	}
	m.reg.MustRegister(m.polls, m.newArticles, m.pollDuration, m.deliveries, m.sendLatency, m.commands,
		&storeCollector{store: store, log: log},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Zero series from the start, so rate() and ratios have a base.
	for _, o := range []string{feeds.PollOK, feeds.PollNotModified} {
		m.polls.WithLabelValues(o, "")
	}
	return m
}

func (m *metrics) observePoll(ev feeds.PollEvent) {
	// The poll is counted last: a scrape that sees it also sees its new
	// articles and its duration (TestMetricsAndHealthMove read the counter
	// between the two once, under -race).
	m.newArticles.Add(float64(ev.New))
	m.pollDuration.Observe(ev.Duration.Seconds())
	m.polls.WithLabelValues(ev.Outcome, ev.Reason).Inc()
}

func (m *metrics) observeSend(ev bot.SendEvent) {
	m.deliveries.WithLabelValues(ev.Platform, ev.Outcome, ev.Reason).Add(float64(ev.Deliveries))
	m.sendLatency.WithLabelValues(ev.Platform).Observe(ev.Latency.Seconds())
}

func (m *metrics) countCommand(name string) { m.commands.WithLabelValues(name).Inc() }

// handler serves /metrics in the Prometheus text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// storeCollector reads the queue and polling state from the database at
// each scrape (two cheap queries), so the figures are the database's, also
// across restarts.
type storeCollector struct {
	store *storage.Store
	log   *slog.Logger
}

var (
	queueDepthDesc = prometheus.NewDesc("newsbot_queue_depth", "Deliveries waiting to be sent.", nil, nil)
	queueOldest    = prometheus.NewDesc("newsbot_queue_oldest_pending_seconds", "Age of the oldest waiting delivery; 0 when none.", nil, nil)
	lastPollDesc   = prometheus.NewDesc("newsbot_last_poll_success_timestamp_seconds", "When a feed was last polled successfully (a 304 counts); 0 if never.", nil, nil)
	feedsDesc      = prometheus.NewDesc("newsbot_feeds", "Feeds that are polled (not paused).", nil, nil)
	writableDesc   = prometheus.NewDesc("newsbot_database_writable", "1 when the last write to the database went through, 0 when it was refused (a full disk).", nil, nil)
)

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{queueDepthDesc, queueOldest, lastPollDesc, feedsDesc, writableDesc} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	writable := 1.0
	if err, _ := c.store.WriteHealth(); err != nil {
		writable = 0
	}
	ch <- prometheus.MustNewConstMetric(writableDesc, prometheus.GaugeValue, writable)
	st, err := c.store.Status(ctx, time.Now())
	if err != nil {
		c.log.Warn("metrics: read the database", "err", err)
		ch <- prometheus.NewInvalidMetric(queueDepthDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(st.QueueDepth))
	ch <- prometheus.MustNewConstMetric(queueOldest, prometheus.GaugeValue, st.OldestPending.Seconds())
	last := 0.0
	if !st.LastSuccess.IsZero() {
		last = float64(st.LastSuccess.UnixMilli()) / 1000
	}
	ch <- prometheus.MustNewConstMetric(lastPollDesc, prometheus.GaugeValue, last)
	ch <- prometheus.MustNewConstMetric(feedsDesc, prometheus.GaugeValue, float64(st.Feeds))
}

// healthMissedPeriods is how many schedule periods may pass without any
// feed succeeding before /healthz answers 503.
const healthMissedPeriods = 3

// healthz answers /healthz: the database (writable?), the age of the last
// successful poll and the queue, as JSON; 503 when the database refuses
// writes or cannot be read, or when no feed has succeeded for
// healthMissedPeriods periods of poll.schedule.
type healthz struct {
	store    *storage.Store
	schedule string    // poll.schedule
	started  time.Time // a bot just started is not stale before its first polls
	now      func() time.Time
}

// healthReport is the body of /healthz.
type healthReport struct {
	Status   string   `json:"status"` // "ok" or "unhealthy"
	Problems []string `json:"problems,omitempty"`
	Database struct {
		Writable bool   `json:"writable"`
		Error    string `json:"error,omitempty"`
		Since    string `json:"since,omitempty"` // RFC 3339: when writes started failing
	} `json:"database"`
	Feeds              int     `json:"feeds"`
	LastPollSuccess    string  `json:"last_poll_success,omitempty"` // RFC 3339
	LastPollAgeSeconds float64 `json:"last_poll_age_seconds"`       // since the last success, or since start if none since
	PollPeriodSeconds  float64 `json:"poll_period_seconds"`
	Queue              struct {
		Depth                int     `json:"depth"`
		OldestPendingSeconds float64 `json:"oldest_pending_seconds"`
	} `json:"queue"`
}

func (h *healthz) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := h.now()
	rep := healthReport{Status: "ok"}
	rep.Database.Writable = true
	if err, since := h.store.WriteHealth(); err != nil {
		rep.Database.Writable, rep.Database.Error = false, err.Error()
		rep.Database.Since = since.UTC().Format(time.RFC3339)
		rep.Problems = append(rep.Problems, "the database refuses writes")
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	st, err := h.store.Status(ctx, now)
	if err != nil {
		rep.Database.Error = err.Error()
		rep.Problems = append(rep.Problems, "the database cannot be read")
	}
	rep.Feeds = st.Feeds
	rep.Queue.Depth, rep.Queue.OldestPendingSeconds = st.QueueDepth, st.OldestPending.Seconds()
	since := h.started
	if st.LastSuccess.After(since) {
		since = st.LastSuccess
	}
	if !st.LastSuccess.IsZero() {
		rep.LastPollSuccess = st.LastSuccess.UTC().Format(time.RFC3339)
	}
	age := max(now.Sub(since), 0)
	rep.LastPollAgeSeconds = age.Seconds()
	if period, err := feeds.SchedulePeriod(h.schedule, now); err == nil {
		rep.PollPeriodSeconds = period.Seconds()
		if st.Feeds > 0 && age > healthMissedPeriods*period {
			rep.Problems = append(rep.Problems, "no feed has been polled successfully for "+age.Round(time.Second).String())
		}
	}
	code := http.StatusOK
	if len(rep.Problems) > 0 {
		rep.Status, code = "unhealthy", http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(rep)
}
