/*
 * ratios.c — the multipliers meters were last polled with, and the counter
 * events their changes make (ratios.h).
 *
 * Why a file of its own: the state is tiny (two numbers a meter, a few
 * events), must survive restarts (a change made while the agent was down
 * is seen at start), and is written only when it changes. It is rewritten
 * whole, atomically (temporary file, fsync, rename), so a crash leaves the
 * old or the new state, never half of one.
 *
 * Invariants: m[i] describes cfg->meters[i]; a meter is pending exactly
 * while its stored ratios differ from the configured ones: the first poll
 * in which it answers makes the events of all its multiplied counter
 * points at once and stores the new ratios in the same write, so a restart
 * never makes an event twice; events are kept oldest
 * first, ids grow and are never reused (next_id is stored). A meter that
 * leaves the configuration leaves the file; if it comes back, it is taken
 * as new (no event).
 */
#include "ratios.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "error.h"
#include "jsonutil.h"
#include "log.h"

#define STATE_FILE "multipliers.json"
#define STATE_MAX_BYTES (4 * 1024 * 1024)

struct meter_state {
	double ct, pt;            /* stored: what the last poll used */
	int pending;              /* configured ratios differ, events due */
};

struct ratios {
	pthread_mutex_t mu;
	const struct agent_config *cfg;
	char path[CONFIG_PATH_MAX + 32];
	struct meter_state *m;    /* cfg->nmeters */
	struct gfi_batch_event *events;  /* RATIOS_MAX_EVENTS */
	size_t nevents;
	int64_t next_id;          /* >= 1 */
};

/* ---- the file ----------------------------------------------------------- */

static void add_number(cJSON *o, const char *key, double v)
{
	char num[32];

	snprintf(num, sizeof(num), "%.17g", v);
	cJSON_AddRawToObject(o, key, num);
}

static cJSON *state_json(const struct ratios *r)
{
	cJSON *root = cJSON_CreateObject(), *meters, *events;

	if (root == NULL)
		return NULL;
	add_number(root, "next_event_id", (double)r->next_id);
	meters = cJSON_AddObjectToObject(root, "meters");
	events = cJSON_AddArrayToObject(root, "events");
	for (size_t i = 0; meters && i < r->cfg->nmeters; i++) {
		cJSON *o = cJSON_AddObjectToObject(meters, r->cfg->meters[i].id);
		if (o != NULL) {
			add_number(o, "ct_ratio", r->m[i].ct);
			add_number(o, "pt_ratio", r->m[i].pt);
		}
	}
	for (size_t i = 0; events && i < r->nevents; i++) {
		const struct gfi_batch_event *e = &r->events[i];
		cJSON *o = cJSON_CreateObject();
		if (o == NULL || !cJSON_AddItemToArray(events, o))
			break;
		add_number(o, "id", (double)e->id);
		cJSON_AddStringToObject(o, "meter", e->meter);
		cJSON_AddStringToObject(o, "point", e->point);
		add_number(o, "time", (double)e->time_s);
		add_number(o, "old_final", e->old_final);
		add_number(o, "new_initial", e->new_initial);
	}
	return root;
}

/* Write the state atomically. GFI_OK or GFI_E_IO/GFI_E_NOMEM. */
static int save(const struct ratios *r)
{
	char tmp[sizeof(r->path) + 8];
	cJSON *root = state_json(r);
	char *text = root ? cJSON_PrintUnformatted(root) : NULL;
	int fd = -1, ret = text ? GFI_E_IO : GFI_E_NOMEM;
	size_t len;

	cJSON_Delete(root);
	if (text == NULL)
		return ret;
	len = strlen(text);
	snprintf(tmp, sizeof(tmp), "%s.tmp", r->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0 && write(fd, text, len) == (ssize_t)len && fsync(fd) == 0 &&
	    close(fd) == 0) {
		fd = -1;
		if (rename(tmp, r->path) == 0)
			ret = GFI_OK;
	}
	if (fd >= 0)
		close(fd);
	if (ret != GFI_OK)
		log_err("multiplier state not saved: path=%s: %s", r->path,
			strerror(errno));
	free(text);
	return ret;
}

static int parse_event(const cJSON *o, struct gfi_batch_event *e)
{
	char err[128];
	long long id, t;

	memset(e, 0, sizeof(*e));
	if (gfi_json_int(o, "id", "", 1, 1, INT64_MAX, 0, &id, err, sizeof(err)) ||
	    gfi_json_string(o, "meter", "", 1, NULL, e->meter, sizeof(e->meter), err,
			    sizeof(err)) ||
	    gfi_json_string(o, "point", "", 1, NULL, e->point, sizeof(e->point), err,
			    sizeof(err)) ||
	    gfi_json_int(o, "time", "", 1, 1, INT64_MAX, 0, &t, err, sizeof(err)) ||
	    gfi_json_double(o, "old_final", "", 1, 0, HUGE_VAL, 0, &e->old_final, err,
			    sizeof(err)) ||
	    gfi_json_double(o, "new_initial", "", 1, 0, HUGE_VAL, 0, &e->new_initial,
			    err, sizeof(err)))
		return GFI_E_PARSE;
	e->id = id;
	e->time_s = t;
	return GFI_OK;
}

/* Read the stored state into r: ratios of the configured meters (marking
 * the changed ones pending, *fresh set when some meter was unknown), the
 * events and the next id. A missing file is a first start. */
static int load(struct ratios *r, int *fresh, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	const cJSON *meters, *events, *it;
	cJSON *root;
	double next = 1;

	*fresh = 1;
	if (access(r->path, F_OK) != 0)
		return GFI_OK;
	if (gfi_read_file(r->path, STATE_MAX_BYTES, &text, &len, err, errlen) != GFI_OK)
		return GFI_E_IO;
	root = gfi_json_parse(text, len, r->path, err, errlen);
	free(text);
	if (root == NULL)
		return GFI_E_PARSE;
	meters = cJSON_GetObjectItemCaseSensitive(root, "meters");
	events = cJSON_GetObjectItemCaseSensitive(root, "events");
	if (gfi_json_double(root, "next_event_id", "", 1, 1, 9007199254740991.0, 1,
			    &next, err, errlen) != GFI_OK ||
	    !cJSON_IsObject(meters) || !cJSON_IsArray(events)) {
		snprintf(err, errlen, "%s: not a multiplier state file", r->path);
		cJSON_Delete(root);
		return GFI_E_PARSE;
	}
	r->next_id = (int64_t)next;
	*fresh = 0;
	for (size_t i = 0; i < r->cfg->nmeters; i++) {
		const struct meter_cfg *mc = &r->cfg->meters[i];
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(meters, mc->id);
		double ct = 0, pt = 0;
		if (!cJSON_IsObject(o) ||
		    gfi_json_double(o, "ct_ratio", "", 1, 0, HUGE_VAL, 0, &ct, err, errlen) ||
		    gfi_json_double(o, "pt_ratio", "", 1, 0, HUGE_VAL, 0, &pt, err, errlen)) {
			*fresh = 1;  /* new meter: its configured ratios are its own */
			continue;
		}
		r->m[i].ct = ct;
		r->m[i].pt = pt;
		r->m[i].pending = ct != mc->ct_ratio || pt != mc->pt_ratio;
	}
	cJSON_ArrayForEach(it, events) {
		if (r->nevents < RATIOS_MAX_EVENTS &&
		    parse_event(it, &r->events[r->nevents]) == GFI_OK)
			r->nevents++;
	}
	cJSON_Delete(root);
	return GFI_OK;
}

/* ---- public ------------------------------------------------------------- */

int ratios_open(const struct agent_config *cfg, struct ratios **out,
		char *err, size_t errlen)
{
	struct ratios *r = calloc(1, sizeof(*r));
	int fresh = 0, ret = GFI_E_NOMEM;

	*out = NULL;
	if (r == NULL)
		return ret;
	pthread_mutex_init(&r->mu, NULL);
	r->cfg = cfg;
	r->next_id = 1;
	snprintf(r->path, sizeof(r->path), "%s/%s", cfg->data_dir, STATE_FILE);
	r->m = calloc(cfg->nmeters ? cfg->nmeters : 1, sizeof(*r->m));
	r->events = calloc(RATIOS_MAX_EVENTS, sizeof(*r->events));
	if (r->m == NULL || r->events == NULL)
		goto fail;
	for (size_t i = 0; i < cfg->nmeters; i++) {
		r->m[i].ct = cfg->meters[i].ct_ratio;
		r->m[i].pt = cfg->meters[i].pt_ratio;
	}
	if ((ret = load(r, &fresh, err, errlen)) != GFI_OK)
		goto fail;
	if (fresh && (ret = save(r)) != GFI_OK) {
		snprintf(err, errlen, "%s: cannot write: %s", r->path, strerror(errno));
		goto fail;
	}
	*out = r;
	return GFI_OK;
fail:
	ratios_close(r);
	return ret;
}

void ratios_close(struct ratios *r)
{
	if (r == NULL)
		return;
	free(r->m);
	free(r->events);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* Record the event of point k of meter i, read as reading rd. */
static void make_event(struct ratios *r, size_t i, size_t k,
		       const struct gfi_reading *rd)
{
	const struct meter_cfg *mc = &r->cfg->meters[i];
	const struct meter_point *mp = &mc->points[k];
	double old_factor = config_ratio_factor(mp->pt->ratio, r->m[i].ct, r->m[i].pt);
	struct gfi_batch_event *e;

	if (r->nevents == RATIOS_MAX_EVENTS) {  /* never sent: drop the oldest */
		memmove(r->events, r->events + 1, (r->nevents - 1) * sizeof(*e));
		r->nevents--;
	}
	e = &r->events[r->nevents++];
	memset(e, 0, sizeof(*e));
	e->id = r->next_id++;
	snprintf(e->meter, sizeof(e->meter), "%s", mc->id);
	snprintf(e->point, sizeof(e->point), "%s", mp->pt->name);
	e->time_s = rd->time_s;
	e->new_initial = rd->value;
	/* The same register in the old meaning. */
	e->old_final = rd->value / mp->factor * old_factor;
	log_notice("multiplier changed: meter=%s point=%s time=%lld old_final=%.17g "
		   "new_initial=%.17g (the city registers it from the batch, or by "
		   "hand: gfi-aggregator admin replacement add --meter %s --point %s "
		   "--time %lld --old-final %.17g --new-initial %.17g)", e->meter,
		   e->point, (long long)e->time_s, e->old_final, e->new_initial,
		   e->meter, e->point, (long long)e->time_s, e->old_final,
		   e->new_initial);
}

/* Whether the poll out[] of meter mc got any value: the meter answered. */
static int answered(const struct meter_cfg *mc, const struct gfi_reading *out)
{
	for (size_t k = 0; k < mc->npoints; k++)
		if (gfi_status_has_value(out[k].status))
			return 1;
	return 0;
}

int ratios_after_poll(struct ratios *r, size_t meter,
		      const struct gfi_reading *out)
{
	const struct meter_cfg *mc = &r->cfg->meters[meter];
	struct meter_state *st = &r->m[meter];
	int made = 0;

	pthread_mutex_lock(&r->mu);
	if (!st->pending || !answered(mc, out)) {
		pthread_mutex_unlock(&r->mu);
		return 0;
	}
	for (size_t k = 0; k < mc->npoints; k++) {
		const struct meter_point *mp = &mc->points[k];
		if (mp->pt->ratio == GFI_RATIO_NONE ||
		    mp->pt->quantity->kind != GFI_COUNTER)
			continue;
		if (gfi_status_has_value(out[k].status) && mp->factor > 0) {
			make_event(r, meter, k, &out[k]);
			made++;
		} else {
			log_warn("multiplier changed but no value to mark it: meter=%s "
				 "point=%s time=%lld: register the change at the city "
				 "by hand", mc->id, mp->pt->name, (long long)out[k].time_s);
		}
	}
	st->ct = mc->ct_ratio;
	st->pt = mc->pt_ratio;
	st->pending = 0;
	save(r);
	pthread_mutex_unlock(&r->mu);
	return made;
}

int ratios_pending(struct ratios *r, size_t meter)
{
	int p;

	pthread_mutex_lock(&r->mu);
	p = r->m[meter].pending;
	pthread_mutex_unlock(&r->mu);
	return p;
}

int ratios_events(struct ratios *r, struct gfi_batch_event *ev, size_t max,
		  size_t *n)
{
	pthread_mutex_lock(&r->mu);
	*n = r->nevents < max ? r->nevents : max;
	memcpy(ev, r->events, *n * sizeof(*ev));
	pthread_mutex_unlock(&r->mu);
	return GFI_OK;
}

int ratios_events_taken(struct ratios *r, int64_t upto_id)
{
	size_t k = 0;
	int ret;

	pthread_mutex_lock(&r->mu);
	while (k < r->nevents && r->events[k].id <= upto_id)
		k++;
	memmove(r->events, r->events + k, (r->nevents - k) * sizeof(*r->events));
	r->nevents -= k;
	ret = k > 0 ? save(r) : GFI_OK;
	pthread_mutex_unlock(&r->mu);
	return ret;
}
