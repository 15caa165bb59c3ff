/*
 * agent.c — the agent's commands and its polling loop.
 *
 * `run` starts one worker thread per line, each with its own master (a
 * libmodbus context, or a DL/T 645 line: line645.c) and
 * its own queue connection (one SQLite connection per thread). A worker sleeps
 * until the next meter is due (due times are multiples of the meter's interval
 * on the UTC clock, so polls line up with minute and hour boundaries), polls
 * every due meter, and commits the cycle's readings in one transaction before
 * anything else. The main thread only waits for signals: stop, or reload.
 * A stop ends a poll under way before its next transaction (each bounded by
 * the meter's timeout_ms, deadline.h), so SIGTERM exits within about one
 * transaction, whatever a slave does.
 * Invariant: a reading is reported as collected (logged "queued") only after
 * queue_push returned.
 *
 * Time: readings and the poll schedule use the agent's clock
 * (agent_now_ms): the wall clock while it runs forward, CLOCK_MONOTONIC
 * anchored to it when it steps back. A reading's time is never a wrong past
 * time (a step back would file readings an hour early and make the city
 * see the same slot twice); a step forward is followed (it is the wall
 * clock catching up, e.g. NTP after boot). Waits are on CLOCK_MONOTONIC.
 */
#include "agent.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "error.h"
#include "log.h"
#include "dtu.h"
#include "line645.h"
#include "poller.h"
#include "queue.h"
#include "ratios.h"
#include "rtulink.h"
#include "runlock.h"
#include "sign.h"
#include "uplink.h"
#include "wiretime.h"

/* Shared by the workers of one configuration generation. */
struct agent_ctl {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;                     /* guarded by mu */
	atomic_int halt;              /* set with stop: a poll under way ends
					 before its next transaction */
};

struct worker {
	const struct agent_config *cfg;
	struct poll_stats *stats;     /* shared with the uplink */
	struct ratios *ratios;        /* shared; NULL when its file failed */
	size_t *meter_index;          /* nmeters: index into cfg->meters */
	const struct line_cfg *line;
	struct agent_ctl *ctl;
	size_t nmeters;
	struct poll_meter *meters;    /* nmeters */
	int64_t *next_due_s;          /* nmeters: next aligned poll time */
	struct gfi_reading *buf;      /* readings of one cycle */
	size_t bufcap;
	modbus_t *ctx;                /* a Modbus line, or: */
	struct line645 *l645;         /* a DL/T 645 line, or: */
	struct rtulink *rtu;          /* an rtu-tcp or dtu-listen line */
	struct dtu_hub *hub;          /* hands a dtu-listen line its DTU */
	int connected;
	struct queue *q;
	pthread_t thread;
	int started;
};

static void report_to_file(void *ctx, const char *line)
{
	fprintf((FILE *)ctx, "%s\n", line);
}

int agent_check_config(const char *config_path, FILE *err)
{
	struct agent_config *cfg = NULL;
	int rc = config_load(config_path, &cfg, report_to_file, err);

	/* A line too slow for its meters is legal, but worth a warning. */
	if (rc == GFI_OK)
		wiretime_check(cfg, report_to_file, err);
	config_free(cfg);
	return rc == GFI_OK ? 0 : 2;
}

static int64_t next_aligned(int64_t now_s, int interval_s)
{
	return (now_s / interval_s + 1) * interval_s;
}

/* A step back smaller than this is followed: it is NTP-sized, below the
 * one-second resolution of a reading's time, and no slot repeats (a due
 * time is only realigned when it lies more than an interval ahead). */
#define CLOCK_STEP_TOLERANCE_MS 1000

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* CLOCK_MONOTONIC in ms, rounded up: an anchor taken as wall - mono_up is
 * never ahead of the wall clock, so anchored time never says a second
 * has begun before time() does. */
static int64_t mono_up_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + (ts.tv_nsec + 999999) / 1000000;
}

/* Anchor the agent's clock to the wall clock now. */
static void agent_clock_init(struct poll_stats *st)
{
	int64_t wall = clock_ms(CLOCK_REALTIME_COARSE);

	st->clock_offset_ms = wall - mono_up_ms();
	st->clock_behind_s = 0;
	st->clock_stepped = 0;
}

/* The agent's clock, UTC epoch ms: the wall clock unless it is behind the
 * monotonic-anchored time by more than the tolerance (a step back); then
 * the anchored time, with one warning, until the wall clock catches up. */
static int64_t agent_now_ms(struct poll_stats *st)
{
	/* The coarse wall clock is the one time() reads: a poll of second T
	 * starts when every time() on the machine (a meter's, the simulator's)
	 * says T, not a few milliseconds before the coarse tick. Wall first,
	 * then monotonic: the anchor errs late, never early. */
	int64_t wall = clock_ms(CLOCK_REALTIME_COARSE);
	int64_t mono = mono_up_ms();
	int64_t now;

	pthread_mutex_lock(&st->mu);
	now = mono + st->clock_offset_ms;
	if (wall >= now - CLOCK_STEP_TOLERANCE_MS) {
		st->clock_offset_ms = wall - mono;
		now = wall;
		if (st->clock_stepped)
			log_notice("wall clock caught up: readings follow it again");
		st->clock_stepped = 0;
		st->clock_behind_s = 0;
	} else {
		st->clock_behind_s = (now - wall) / 1000;
		if (!st->clock_stepped)
			log_warn("wall clock stepped back: by=%llds: readings and polls "
				 "keep the monotonic clock until it catches up",
				 (long long)st->clock_behind_s);
		st->clock_stepped = 1;
	}
	pthread_mutex_unlock(&st->mu);
	return now;
}

static void fill_link_down(const struct meter_cfg *m, int64_t now_s,
			   struct gfi_reading *out);

/* ---- read: once, live, printed ---- */

static void print_reading(FILE *out, const struct gfi_reading *r,
			  const char *unit)
{
	char st[32];
	cJSON *o = cJSON_CreateObject();
	char *text;

	if (o == NULL)
		return;
	cJSON_AddStringToObject(o, "meter", r->meter);
	cJSON_AddStringToObject(o, "point", r->point);
	cJSON_AddStringToObject(o, "quantity", r->quantity);
	cJSON_AddStringToObject(o, "unit", unit);
	cJSON_AddNumberToObject(o, "time", (double)r->time_s);
	if (gfi_status_has_value(r->status)) {
		/* cJSON prints 15 digits when they compare equal within an
		 * epsilon: print 17 so the value parses back to the same double. */
		char num[32];
		snprintf(num, sizeof(num), "%.17g", r->value);
		cJSON_AddRawToObject(o, "value", num);
	} else
		cJSON_AddNullToObject(o, "value");
	cJSON_AddStringToObject(o, "status",
				gfi_status_format(r->status, r->detail, st, sizeof(st)));
	text = cJSON_PrintUnformatted(o);
	if (text != NULL) {
		fprintf(out, "%s\n", text);
		cJSON_free(text);
	}
	cJSON_Delete(o);
}

/* The line's links of a `read`: opened on first use, closed at the end. */
struct read_links {
	modbus_t **ctxs;              /* nlines */
	struct line645 **l645;        /* nlines */
	struct rtulink **rtu;         /* nlines */
};

/* Poll meter m on its rtu-tcp line into rs (a dtu-listen line has no DTU
 * outside `run`: its points read comm-error). */
static int read_rtu(const struct agent_config *cfg, const struct meter_cfg *m,
		    struct read_links *k, struct poll_meter *pm,
		    struct gfi_reading *rs, FILE *err)
{
	char msg[256];

	if (k->rtu[m->line] == NULL &&
	    (k->rtu[m->line] = rtulink_new(&cfg->lines[m->line])) == NULL)
		return GFI_E_NOMEM;
	if (rtulink_connect(k->rtu[m->line], msg, sizeof(msg)) != GFI_OK) {
		fprintf(err, "%s\n", msg);
		fill_link_down(m, (int64_t)time(NULL), rs);
		return GFI_E_IO;
	}
	return rtulink_poll_meter(pm, k->rtu[m->line], (int64_t)time(NULL), rs);
}

/* Connect the DL/T 645 line of meter m if not yet; non-zero when usable. */
static int read_link_645(const struct agent_config *cfg,
			 const struct meter_cfg *m, struct read_links *k,
			 FILE *err)
{
	char msg[256];

	if (k->l645[m->line] == NULL) {
		k->l645[m->line] = line645_new(&cfg->lines[m->line]);
		if (k->l645[m->line] != NULL &&
		    line645_connect(k->l645[m->line], msg, sizeof(msg)) != GFI_OK)
			fprintf(err, "%s\n", msg);
	}
	return line645_connected(k->l645[m->line]);
}

/* Poll meter m on its DL/T 645 line into rs. */
static int read_645(const struct agent_config *cfg, const struct meter_cfg *m,
		    struct read_links *k, struct poll_meter *pm,
		    struct gfi_reading *rs, FILE *err)
{
	int rc = GFI_E_IO;

	if (read_link_645(cfg, m, k, err))
		rc = line645_poll_meter(pm, k->l645[m->line], (int64_t)time(NULL), rs);
	if (rc == GFI_E_IO && !line645_connected(k->l645[m->line]))
		fill_link_down(m, (int64_t)time(NULL), rs);
	log_debug("polled meter=%s requests=%llu", m->id,
		  (unsigned long long)pm->requests);
	return rc;
}

/* Poll meter m on its Modbus line into rs, connecting it on first use. */
static int read_modbus(const struct agent_config *cfg, const struct meter_cfg *m,
		       struct read_links *k, struct poll_meter *pm,
		       struct gfi_reading *rs, FILE *err)
{
	modbus_t **ctxs = k->ctxs;
	char msg[256];
	int rc;

	if (ctxs[m->line] == NULL) {
		ctxs[m->line] = poll_line_new(&cfg->lines[m->line], msg, sizeof(msg));
		if (ctxs[m->line] != NULL && modbus_connect(ctxs[m->line]) != 0) {
			fprintf(err, "line %s: connect failed: %s\n",
				cfg->lines[m->line].id, modbus_strerror(errno));
			modbus_free(ctxs[m->line]);
			ctxs[m->line] = NULL;
		} else if (ctxs[m->line] == NULL) {
			fprintf(err, "%s\n", msg);
		}
	}
	if (ctxs[m->line] == NULL) {
		/* No link: every point is a comm error, printed all the same. */
		fill_link_down(m, (int64_t)time(NULL), rs);
		return GFI_E_IO;
	}
	rc = poll_meter_read(pm, ctxs[m->line], (int64_t)time(NULL), rs);
	log_debug("polled meter=%s requests=%llu registers=%llu", m->id,
		  (unsigned long long)pm->requests,
		  (unsigned long long)pm->registers);
	return rc;
}

static int read_one_meter(const struct agent_config *cfg,
			  const struct meter_cfg *m, struct read_links *k,
			  FILE *out, FILE *err)
{
	struct poll_meter pm;
	struct gfi_reading *rs = calloc(m->npoints ? m->npoints : 1, sizeof(*rs));
	int rc;

	if (rs == NULL || poll_meter_init(&pm, m) != GFI_OK) {
		free(rs);
		return 1;
	}
	enum line_type t = cfg->lines[m->line].type;

	rc = cfg->lines[m->line].dlt645 ? read_645(cfg, m, k, &pm, rs, err)
	   : t == LINE_RTU_TCP || t == LINE_DTU ? read_rtu(cfg, m, k, &pm, rs, err)
					: read_modbus(cfg, m, k, &pm, rs, err);
	for (size_t i = 0; i < m->npoints; i++)
		print_reading(out, &rs[i], m->points[i].pt->unit);
	fflush(out);
	poll_meter_free(&pm);
	free(rs);
	return rc == GFI_OK ? 0 : 1;
}

int agent_read(const char *config_path, const char *meter_id, FILE *out,
	       FILE *err)
{
	struct agent_config *cfg = NULL;
	struct read_links k = { NULL, NULL, NULL };
	int status = 0;

	if (config_load(config_path, &cfg, report_to_file, err) != GFI_OK)
		return 2;
	if (meter_id != NULL && config_meter(cfg, meter_id) == NULL) {
		fprintf(err, "--meter: \"%s\" is not a configured meter\n", meter_id);
		config_free(cfg);
		return 2;
	}
	k.ctxs = calloc(cfg->nlines, sizeof(*k.ctxs));
	k.l645 = calloc(cfg->nlines, sizeof(*k.l645));
	k.rtu = calloc(cfg->nlines, sizeof(*k.rtu));
	if (k.ctxs == NULL || k.l645 == NULL || k.rtu == NULL) {
		free(k.ctxs);
		free(k.l645);
		free(k.rtu);
		config_free(cfg);
		return 1;
	}
	for (size_t i = 0; i < cfg->nmeters; i++) {
		const struct meter_cfg *m = &cfg->meters[i];
		if (meter_id != NULL && strcmp(m->id, meter_id) != 0)
			continue;
		if (read_one_meter(cfg, m, &k, out, err) != 0)
			status = 1;
	}
	for (size_t i = 0; i < cfg->nlines; i++) {
		if (k.ctxs[i] != NULL) {
			modbus_close(k.ctxs[i]);
			modbus_free(k.ctxs[i]);
		}
		line645_free(k.l645[i]);
		rtulink_free(k.rtu[i]);
	}
	free(k.ctxs);
	free(k.l645);
	free(k.rtu);
	config_free(cfg);
	return status;
}

/* ---- discover: DL/T 645 addresses ---- */

#define DISCOVER_TIMEOUT_MS 500
#define DISCOVER_MAX_SPAN 10000

/* The 12-digit address as a number, or -1. */
static long long address_number(const char *text)
{
	uint8_t a[DLT645_ADDR_LEN];
	char *end;
	long long v;

	if (text == NULL || dlt645_addr_parse(text, a) != GFI_OK || text[0] == 'A')
		return -1;
	v = strtoll(text, &end, 10);
	return *end == '\0' ? v : -1;
}

static void print_found(FILE *out, const char *line, const uint8_t *addr)
{
	char text[DLT645_ADDR_DIGITS + 1];

	dlt645_addr_format(addr, text);
	fprintf(out, "{\"line\":\"%s\",\"address\":\"%s\"}\n", line, text);
	fflush(out);
}

/* Probe from..to on l; returns the number of meters found. */
static int discover_range(struct line645 *l, const char *line, long long from,
			  long long to, FILE *out)
{
	int found = 0;

	for (long long v = from; v <= to; v++) {
		uint8_t addr[DLT645_ADDR_LEN];
		char text[DLT645_ADDR_DIGITS + 1];
		int rc;

		snprintf(text, sizeof(text), "%012lld", v);
		dlt645_addr_parse(text, addr);
		rc = line645_probe(l, addr, DISCOVER_TIMEOUT_MS);
		if (rc == GFI_OK) {
			print_found(out, line, addr);
			found++;
		} else if (rc == GFI_E_IO) {
			break;
		}
	}
	return found;
}

/* Read address or probe the range on the connected line l. */
static int discover_on(struct line645 *l, const char *line, const char *from,
		       long long lo, long long hi, FILE *out, FILE *err)
{
	uint8_t addr[DLT645_ADDR_LEN];

	if (from != NULL)
		return discover_range(l, line, lo, hi, out) > 0 ? 0 : 1;
	if (line645_read_address(l, DISCOVER_TIMEOUT_MS, addr) == GFI_OK) {
		print_found(out, line, addr);
		return 0;
	}
	fprintf(err, "line %s: no single meter answered read address (several "
		"meters? give --from and --to)\n", line);
	return 1;
}

int agent_discover(const char *config_path, const char *line_id,
		   const char *from, const char *to, FILE *out, FILE *err)
{
	struct agent_config *cfg = NULL;
	const struct line_cfg *lc = NULL;
	struct line645 *l = NULL;
	long long lo = address_number(from), hi = address_number(to);
	char msg[256];
	int status = 2;

	if (config_load(config_path, &cfg, report_to_file, err) != GFI_OK)
		return 2;
	for (size_t i = 0; line_id != NULL && i < cfg->nlines; i++)
		if (strcmp(cfg->lines[i].id, line_id) == 0)
			lc = &cfg->lines[i];
	if (lc == NULL || !lc->dlt645) {
		fprintf(err, "--line: \"%s\" is not a configured dlt645 line\n",
			line_id ? line_id : "");
	} else if ((from || to) &&
		   (lo < 0 || hi < lo || hi - lo >= DISCOVER_MAX_SPAN)) {
		fprintf(err, "--from/--to: two 12-digit addresses, from <= to, at "
			"most %d apart\n", DISCOVER_MAX_SPAN);
	} else if ((l = line645_new(lc)) == NULL ||
		   line645_connect(l, msg, sizeof(msg)) != GFI_OK) {
		fprintf(err, "%s\n", l ? msg : "out of memory");
		status = 1;
	} else {
		status = discover_on(l, lc->id, from, lo, hi, out, err);
	}
	line645_free(l);
	config_free(cfg);
	return status;
}

/* ---- run: workers ---- */

static int ctl_stopped(struct agent_ctl *ctl)
{
	pthread_mutex_lock(&ctl->mu);
	int s = ctl->stop;
	pthread_mutex_unlock(&ctl->mu);
	return s;
}

/* Sleep until the agent's clock (stats) reaches due_s, or stop; returns
 * non-zero when stopping. The wait runs on CLOCK_MONOTONIC (ctl->cv's
 * clock): a wall clock step during it changes nothing. */
static int ctl_wait_until(struct agent_ctl *ctl, struct poll_stats *st,
			  int64_t due_s)
{
	int64_t delay_ms = due_s * 1000 - agent_now_ms(st);
	int64_t until_ms = clock_ms(CLOCK_MONOTONIC) + (delay_ms > 0 ? delay_ms : 0);
	struct timespec ts = { .tv_sec = (time_t)(until_ms / 1000),
			       .tv_nsec = (long)(until_ms % 1000) * 1000000L };
	int stop;

	pthread_mutex_lock(&ctl->mu);
	while (!ctl->stop) {
		if (pthread_cond_timedwait(&ctl->cv, &ctl->mu, &ts) == ETIMEDOUT)
			break;
	}
	stop = ctl->stop;
	pthread_mutex_unlock(&ctl->mu);
	return stop;
}

static void fill_link_down(const struct meter_cfg *m, int64_t now_s,
			   struct gfi_reading *out)
{
	for (size_t i = 0; i < m->npoints; i++) {
		struct gfi_reading *r = &out[i];
		memset(r, 0, sizeof(*r));
		snprintf(r->meter, sizeof(r->meter), "%s", m->id);
		snprintf(r->point, sizeof(r->point), "%s", m->points[i].pt->name);
		snprintf(r->quantity, sizeof(r->quantity), "%s",
			 m->points[i].pt->quantity->name);
		r->time_s = now_s;
		r->value = NAN;
		r->status = GFI_ST_COMM;
	}
}

static void worker_ensure_link(struct worker *w)
{
	char msg[256];

	int fd = w->rtu ? dtu_hub_take(w->hub, (size_t)(w->line - w->cfg->lines)) : -1;

	if (fd >= 0) {
		rtulink_adopt(w->rtu, fd);  /* a reconnecting DTU replaces the old */
		w->connected = 1;
		log_info("dtu connected: line=%s", w->line->id);
	}
	if (w->connected)
		return;
	if (w->rtu != NULL) {
		int rc = rtulink_connect(w->rtu, msg, sizeof(msg));
		w->connected = rc == GFI_OK;
		if (rc == GFI_OK)
			log_info("line connected: line=%s", w->line->id);
		else if (rc == GFI_E_IO)
			log_warn("line connect failed: %s", msg);
		return;
	}
	if (w->l645 != NULL) {
		w->connected = line645_connect(w->l645, msg, sizeof(msg)) == GFI_OK;
		if (w->connected)
			log_info("line connected: line=%s", w->line->id);
		else
			log_warn("line connect failed: %s", msg);
		return;
	}
	if (modbus_connect(w->ctx) == 0) {
		w->connected = 1;
		log_info("line connected: line=%s", w->line->id);
	} else {
		log_warn("line connect failed: line=%s: %s", w->line->id,
			 modbus_strerror(errno));
	}
}

/* Poll meter i into out; returns readings written. */
static size_t worker_poll_meter(struct worker *w, size_t i, struct gfi_reading *out)
{
	struct poll_meter *pm = &w->meters[i];
	int64_t now_s = agent_now_ms(w->stats) / 1000;
	int rc;

	worker_ensure_link(w);
	if (!w->connected) {
		fill_link_down(pm->cfg, now_s, out);
		return pm->cfg->npoints;
	}
	rc = w->l645  ? line645_poll_meter(pm, w->l645, now_s, out)
	     : w->rtu ? rtulink_poll_meter(pm, w->rtu, now_s, out)
		      : poll_meter_read(pm, w->ctx, now_s, out);
	if (w->ratios != NULL)
		ratios_after_poll(w->ratios, w->meter_index[i], out);
	if (rc == GFI_E_IO) {
		log_warn("line lost: line=%s meter=%s", w->line->id, pm->cfg->id);
		if (w->l645)
			line645_close(w->l645);
		else if (w->rtu)
			rtulink_close(w->rtu);
		else
			modbus_close(w->ctx);
		w->connected = 0;
	} else if (rc == GFI_E_TIMEOUT && pm->fail_streak == 1) {
		log_warn("meter not answering: meter=%s line=%s slave=%d",
			 pm->cfg->id, w->line->id, pm->cfg->slave);
	}
	return pm->cfg->npoints;
}

static void worker_commit(struct worker *w, size_t n)
{
	if (n == 0)
		return;
	if (queue_push(w->q, w->buf, n) != GFI_OK) {
		log_err("queue commit failed: line=%s readings=%zu", w->line->id, n);
		return;
	}
	if (gfi_log_threshold >= GFI_LOG_DEBUG) {
		for (size_t i = 0; i < n; i++)
			if (i == 0 || strcmp(w->buf[i].meter, w->buf[i - 1].meter) != 0)
				log_debug("queued meter=%s time=%lld", w->buf[i].meter,
					  (long long)w->buf[i].time_s);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	while (!ctl_stopped(w->ctl)) {
		int64_t now_s = agent_now_ms(w->stats) / 1000;
		int64_t due = INT64_MAX;
		size_t n = 0;

		for (size_t i = 0; i < w->nmeters; i++) {
			int iv = w->meters[i].cfg->interval_s;
			/* A clock stepped back leaves a due time far ahead:
			 * realign instead of waiting out the step. */
			if (w->next_due_s[i] > now_s + iv)
				w->next_due_s[i] = next_aligned(now_s, iv);
			if (w->next_due_s[i] < due)
				due = w->next_due_s[i];
		}
		if (due > now_s) {
			if (ctl_wait_until(w->ctl, w->stats, due))
				break;
			continue;
		}
		for (size_t i = 0; i < w->nmeters && !atomic_load(&w->ctl->halt); i++) {
			if (w->next_due_s[i] > now_s)
				continue;
			size_t got = worker_poll_meter(w, i, w->buf + n);
			/* A poll the stop cut short is not a poll: its points
			 * would read "timeout" for a meter that never failed. */
			if (atomic_load(&w->ctl->halt))
				break;
			n += got;
			pthread_mutex_lock(&w->stats->mu);
			w->stats->last_poll_s[w->meter_index[i]] = now_s;
			pthread_mutex_unlock(&w->stats->mu);
			w->next_due_s[i] = next_aligned(agent_now_ms(w->stats) / 1000,
							w->meters[i].cfg->interval_s);
		}
		worker_commit(w, n);
	}
	return NULL;
}

static void worker_free(struct worker *w)
{
	if (w->meters) {
		for (size_t i = 0; i < w->nmeters; i++)
			poll_meter_free(&w->meters[i]);
	}
	free(w->meters);
	free(w->meter_index);
	free(w->next_due_s);
	free(w->buf);
	if (w->ctx) {
		modbus_close(w->ctx);
		modbus_free(w->ctx);
	}
	line645_free(w->l645);
	rtulink_free(w->rtu);
	queue_close(w->q);
	memset(w, 0, sizeof(*w));
}

static int worker_init(struct worker *w, const struct agent_config *cfg,
		       size_t line, struct agent_ctl *ctl, const char *queue_path,
		       struct poll_stats *stats)
{
	char msg[256];
	int64_t now_s = agent_now_ms(stats) / 1000;

	memset(w, 0, sizeof(*w));
	w->cfg = cfg;
	w->line = &cfg->lines[line];
	w->ctl = ctl;
	w->stats = stats;
	for (size_t i = 0; i < cfg->nmeters; i++) {
		if (cfg->meters[i].line == line) {
			w->nmeters++;
			w->bufcap += cfg->meters[i].npoints;
		}
	}
	w->meters = calloc(w->nmeters ? w->nmeters : 1, sizeof(*w->meters));
	w->next_due_s = calloc(w->nmeters ? w->nmeters : 1, sizeof(*w->next_due_s));
	w->meter_index = calloc(w->nmeters ? w->nmeters : 1, sizeof(*w->meter_index));
	w->buf = calloc(w->bufcap ? w->bufcap : 1, sizeof(*w->buf));
	if (!w->meters || !w->next_due_s || !w->buf || !w->meter_index)
		return GFI_E_NOMEM;
	size_t k = 0;
	for (size_t i = 0; i < cfg->nmeters; i++) {
		if (cfg->meters[i].line != line)
			continue;
		w->meter_index[k] = i;
		if (poll_meter_init(&w->meters[k], &cfg->meters[i]) != GFI_OK)
			return GFI_E_NOMEM;
		w->meters[k].stop = &ctl->halt;
		/* First poll at the next aligned slot: polls stay on the grid
		 * and a quick restart never reads a meter twice in one second. */
		w->next_due_s[k] = next_aligned(now_s, cfg->meters[i].interval_s);
		k++;
	}
	if (w->line->dlt645) {
		w->l645 = line645_new(w->line);
		if (w->l645 == NULL)
			return GFI_E_NOMEM;
	} else if (w->line->type == LINE_RTU_TCP || w->line->type == LINE_DTU) {
		if ((w->rtu = rtulink_new(w->line)) == NULL)
			return GFI_E_NOMEM;
	} else if ((w->ctx = poll_line_new(w->line, msg, sizeof(msg))) == NULL) {
		log_err("%s", msg);
		return GFI_E_INVAL;
	}
	if (queue_open(queue_path, cfg->queue_max_readings, &w->q) != GFI_OK) {
		log_err("queue open failed: path=%s", queue_path);
		return GFI_E_DB;
	}
	return GFI_OK;
}

struct generation {
	struct agent_config *cfg;
	struct agent_ctl ctl;
	struct worker *workers;
	size_t nworkers;
	struct poll_stats stats;
	struct uplink *uplink;        /* NULL without an "uplink" config */
	struct ratios *ratios;        /* multipliers last polled (ratios.h) */
	struct dtu_hub *hub;          /* listeners of dtu-listen lines, or NULL */
};

static void generation_stop(struct generation *g)
{
	atomic_store(&g->ctl.halt, 1);
	pthread_mutex_lock(&g->ctl.mu);
	g->ctl.stop = 1;
	pthread_cond_broadcast(&g->ctl.cv);
	pthread_mutex_unlock(&g->ctl.mu);
	for (size_t i = 0; i < g->nworkers; i++) {
		if (g->workers[i].started)
			pthread_join(g->workers[i].thread, NULL);
		worker_free(&g->workers[i]);
	}
	free(g->workers);
	g->workers = NULL;
	dtu_hub_stop(g->hub);
	g->hub = NULL;
	/* After the pollers: their last commits are in the queue for next time. */
	uplink_stop(g->uplink);
	g->uplink = NULL;
	ratios_close(g->ratios);
	g->ratios = NULL;
	free(g->stats.last_poll_s);
	g->stats.last_poll_s = NULL;
	pthread_mutex_destroy(&g->stats.mu);
	pthread_cond_destroy(&g->ctl.cv);
	pthread_mutex_destroy(&g->ctl.mu);
	config_free(g->cfg);
	g->cfg = NULL;
}

static int generation_start(struct generation *g, struct agent_config *cfg)
{
	char queue_path[CONFIG_PATH_MAX + 16], msg[512];

	pthread_condattr_t ca;

	memset(g, 0, sizeof(*g));
	g->cfg = cfg;
	pthread_mutex_init(&g->ctl.mu, NULL);
	/* Poll waits are on the monotonic clock (ctl_wait_until). */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->ctl.cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&g->stats.mu, NULL);
	agent_clock_init(&g->stats);
	g->stats.n = cfg->nmeters;
	g->stats.last_poll_s = calloc(cfg->nmeters ? cfg->nmeters : 1,
				      sizeof(*g->stats.last_poll_s));
	if (g->stats.last_poll_s == NULL)
		return GFI_E_NOMEM;
	if (mkdir(cfg->data_dir, 0700) != 0 && errno != EEXIST) {
		log_err("data_dir: cannot create %s: %s", cfg->data_dir, strerror(errno));
		return GFI_E_IO;
	}
	snprintf(queue_path, sizeof(queue_path), "%s/queue.db", cfg->data_dir);
	/* Without its state a multiplier change goes unmarked, but readings
	 * still flow: say so loudly and poll on. */
	if (ratios_open(cfg, &g->ratios, msg, sizeof(msg)) != GFI_OK)
		log_err("multiplier state unusable, changes will not be marked: %s",
			msg);
	if (dtu_hub_start(cfg, &g->hub, msg, sizeof(msg)) != GFI_OK) {
		log_err("%s", msg);
		return GFI_E_IO;
	}
	g->workers = calloc(cfg->nlines, sizeof(*g->workers));
	if (g->workers == NULL)
		return GFI_E_NOMEM;
	g->nworkers = cfg->nlines;
	for (size_t i = 0; i < cfg->nlines; i++) {
		int rc = worker_init(&g->workers[i], cfg, i, &g->ctl, queue_path,
				     &g->stats);
		g->workers[i].ratios = g->ratios;
		g->workers[i].hub = g->hub;
		if (rc != GFI_OK)
			return rc;
	}
	if (cfg->uplink.enabled) {
		int rc = uplink_start(cfg, queue_path, &g->stats, g->ratios, &g->uplink);
		if (rc != GFI_OK) {
			log_err("uplink start failed: %s", gfi_strerror(rc));
			return rc;
		}
	}
	for (size_t i = 0; i < g->nworkers; i++) {
		if (g->workers[i].nmeters == 0)
			continue;
		if (pthread_create(&g->workers[i].thread, NULL, worker_main,
				   &g->workers[i]) != 0)
			return GFI_E_NOMEM;
		g->workers[i].started = 1;
	}
	log_notice("polling: gateway=%s lines=%zu meters=%zu", cfg->gateway_id,
		   cfg->nlines, cfg->nmeters);
	return GFI_OK;
}

static void report_to_log(void *ctx, const char *line)
{
	(void)ctx;
	log_err("config: %s", line);
}

int agent_run(const char *config_path)
{
	struct agent_config *cfg = NULL;
	struct generation gen;
	sigset_t set;
	int sig = 0;

	if (config_load(config_path, &cfg, report_to_log, NULL) != GFI_OK)
		return 2;
	gfi_log_set_level(cfg->log_level > gfi_log_threshold ? cfg->log_level
							     : gfi_log_threshold);
	/* Held until exit: `probe` refuses lines while the service runs. */
	runlock_take(cfg->data_dir);
	/* Workers inherit the blocked set; only this thread takes signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* A file size limit (RLIMIT_FSIZE) must make the queue's write fail
	 * with EFBIG, which SQLite reports as a full disk and the queue
	 * handles, not kill the agent. */
	signal(SIGXFSZ, SIG_IGN);
	if (generation_start(&gen, cfg) != GFI_OK) {
		generation_stop(&gen);
		return 1;
	}
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		struct agent_config *next = NULL;
		if (config_load(config_path, &next, report_to_log, NULL) != GFI_OK) {
			log_err("reload refused, keeping the running config: %s",
				config_path);
			continue;
		}
		generation_stop(&gen);
		if (generation_start(&gen, next) != GFI_OK) {
			generation_stop(&gen);
			return 1;
		}
		log_notice("config reloaded: %s", config_path);
	}
	log_notice("stopping on signal %d", sig);
	generation_stop(&gen);
	return 0;
}

/* ---- keys ---- */

int agent_keygen(const char *key_path, int force, FILE *out, FILE *err)
{
	char msg[256], pem[GFI_PUBKEY_PEM_MAX];
	int rc = gfi_sign_keygen(key_path, force ? GFI_SIGN_FORCE : 0, msg,
				 sizeof(msg));

	if (rc != GFI_OK) {
		fprintf(err, "--key: %s\n", msg);
		return rc == GFI_E_EXISTS ? 2 : 1;
	}
	if (gfi_sign_pubkey_pem(key_path, pem, sizeof(pem), msg, sizeof(msg)) == GFI_OK)
		fputs(pem, out);
	return 0;
}

int agent_csr(const char *key_path, const char *cn, const char *out_path,
	      FILE *err)
{
	char msg[256];
	int rc = gfi_sign_csr(key_path, cn, out_path, msg, sizeof(msg));

	if (rc != GFI_OK) {
		fprintf(err, "%s%s\n", rc == GFI_E_INVAL ? "--cn: " : "", msg);
		return rc == GFI_E_INVAL ? 2 : 1;
	}
	return 0;
}
