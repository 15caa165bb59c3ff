/*
 * metrics.c — GET /metrics (Prometheus text format: readings, batches,
 * quarantine by reason, each gateway's queue depth and lag) and
 * GET /api/v1/health (docs/api.md, docs/operations.md).
 *
 * Invariants: label values are reduced to [a-z0-9_-] so nothing stored
 * can break out of a quoted label; who may read /metrics is the route
 * table's rule (this host, or a city token).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api-private.h"
#include "error.h"

#ifndef GFI_VERSION
#define GFI_VERSION "0"
#endif

int api_get_health(struct api_ctx *c)
{
	cJSON *o;

	if (api_params_check(c, NULL))
		return -1;
	if ((o = cJSON_CreateObject()) != NULL) {
		cJSON_AddStringToObject(o, "status", "ok");
		cJSON_AddStringToObject(o, "version", GFI_VERSION);
	}
	return api_reply_json(c, 200, o);
}

/* Per-gateway lines and totals for /metrics, built while listing. */
struct metrics_walk {
	struct api_ctx *c;
	char *buf;
	size_t len, cap;
	int64_t gateways, online;
	int64_t now;
	int rc;
};

static void mw_printf(struct metrics_walk *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void mw_printf(struct metrics_walk *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->rc != GFI_OK)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(w->buf + w->len, w->cap - w->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			w->rc = GFI_E_INVAL;
			return;
		}
		if ((size_t)n < w->cap - w->len)
			break;
		char *p = realloc(w->buf, w->cap * 2 + (size_t)n);
		if (p == NULL) {
			w->rc = GFI_E_NOMEM;
			return;
		}
		w->buf = p;
		w->cap = w->cap * 2 + (size_t)n;
	}
	w->len += (size_t)n;
}

static int metrics_gateway(void *ctx, const void *row)
{
	struct metrics_walk *w = ctx;
	const struct reg_gateway *g = row;
	struct gw_status st;
	int rc = store_status_get(w->c->s, g->id, &st);

	w->gateways++;
	if (rc == GFI_E_NOTFOUND)
		return 0;
	if (rc != GFI_OK) {
		w->rc = rc;
		return 1;
	}
	if (strcmp(st.state, "online") == 0)
		w->online++;
	mw_printf(w, "gfi_agent_queue_depth{gateway=\"%s\"} %" PRId64 "\n", g->id,
		  st.queue_depth);
	/* Lag: how old the oldest reading still on the gateway is. */
	mw_printf(w, "gfi_agent_lag_seconds{gateway=\"%s\"} %" PRId64 "\n", g->id,
		  st.queue_depth > 0 && st.oldest_queued_s > 0 && w->now > st.oldest_queued_s
			  ? w->now - st.oldest_queued_s : 0);
	return 0;
}

static int metrics_reason(void *ctx, const void *row)
{
	struct metrics_walk *w = ctx;
	const struct reason_count *r = row;
	char cls[48];
	size_t j = 0;

	/* Label values: keep [a-z0-9 _-] only, so no quote can break out. */
	for (size_t i = 0; r->reason[i] != '\0' && j + 1 < sizeof(cls); i++) {
		char ch = r->reason[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
		    ch == '-' || ch == ' ')
			cls[j++] = ch == ' ' ? '_' : ch;
	}
	cls[j] = '\0';
	mw_printf(w, "gfi_quarantined_batches_by_reason{reason=\"%s\"} %" PRId64 "\n",
		  cls, r->n);
	return 0;
}

/* The bounded quarantine's totals (store_quarantine.h): what it holds and
 * what it only counted. */
static int metrics_quarantine(struct metrics_walk *w, struct store *s)
{
	struct quarantine_summary q;
	int rc = store_quarantine_totals(s, &q);

	if (rc != GFI_OK)
		return rc;
	mw_printf(w,
		"# HELP gfi_quarantine_rows Refused batches held (distinct payloads).\n"
		"# TYPE gfi_quarantine_rows gauge\n"
		"gfi_quarantine_rows %" PRId64 "\n"
		"# HELP gfi_quarantine_bytes Bytes held against the gateways' caps.\n"
		"# TYPE gfi_quarantine_bytes gauge\n"
		"gfi_quarantine_bytes %" PRId64 "\n"
		"# HELP gfi_quarantine_repeats_total Refused payloads already held.\n"
		"# TYPE gfi_quarantine_repeats_total counter\n"
		"gfi_quarantine_repeats_total %" PRId64 "\n"
		"# HELP gfi_quarantine_over_cap_total Refused batches not kept: "
		"their gateway was at its cap.\n"
		"# TYPE gfi_quarantine_over_cap_total counter\n"
		"gfi_quarantine_over_cap_total %" PRId64 "\n"
		"# HELP gfi_quarantine_throttled_total Messages only counted: their "
		"gateway's refusal budget was spent.\n"
		"# TYPE gfi_quarantine_throttled_total counter\n"
		"gfi_quarantine_throttled_total %" PRId64 "\n",
		q.rows, q.bytes, q.repeats, q.over_cap, q.throttled);
	return GFI_OK;
}

int api_get_metrics(struct api_ctx *c)
{
	struct metrics_walk w = { .c = c, .cap = 4096, .now = (int64_t)time(NULL) };
	struct store_counts n;
	int rc;

	if (api_params_check(c, NULL))
		return -1;
	if ((rc = store_counts(c->s, &n)) != GFI_OK)
		return api_fail_store(c, rc);
	if ((w.buf = malloc(w.cap)) == NULL)
		return api_fail(c, 500, "out of memory");
	mw_printf(&w,
		"# HELP gfi_readings_total Readings stored.\n"
		"# TYPE gfi_readings_total counter\n"
		"gfi_readings_total %" PRId64 "\n"
		"# HELP gfi_batches_total Verified batches stored.\n"
		"# TYPE gfi_batches_total counter\n"
		"gfi_batches_total %" PRId64 "\n"
		"# HELP gfi_quarantined_batches_total Batches refused and quarantined.\n"
		"# TYPE gfi_quarantined_batches_total counter\n"
		"gfi_quarantined_batches_total %" PRId64 "\n"
		"# HELP gfi_quarantined_batches_by_reason Batches refused, by reason.\n"
		"# TYPE gfi_quarantined_batches_by_reason counter\n",
		n.readings, n.batches, n.quarantined_batches);
	if (w.rc == GFI_OK)
		rc = store_quarantine_reasons(c->s, metrics_reason, &w);
	if (rc == GFI_OK && w.rc == GFI_OK)
		rc = metrics_quarantine(&w, c->s);
	mw_printf(&w, "# HELP gfi_agent_queue_depth Readings queued on the gateway "
		  "(its last status).\n# TYPE gfi_agent_queue_depth gauge\n"
		  "# HELP gfi_agent_lag_seconds Age of the oldest reading queued on "
		  "the gateway.\n# TYPE gfi_agent_lag_seconds gauge\n");
	if (rc == GFI_OK && w.rc == GFI_OK)
		rc = store_gateway_list(c->s, metrics_gateway, &w);
	mw_printf(&w,
		"# HELP gfi_gateways Gateways registered.\n"
		"# TYPE gfi_gateways gauge\n"
		"gfi_gateways %" PRId64 "\n"
		"# HELP gfi_gateways_online Gateways whose last status is online.\n"
		"# TYPE gfi_gateways_online gauge\n"
		"gfi_gateways_online %" PRId64 "\n", w.gateways, w.online);
	if (rc == GFI_OK)
		rc = w.rc;
	if (rc != GFI_OK) {
		free(w.buf);
		return api_fail_store(c, rc);
	}
	api_set_body(c, 200, "text/plain; version=0.0.4; charset=utf-8", w.buf, w.len);
	return 0;
}
