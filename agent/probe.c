/*
 * probe.c — `gfi-agent probe`: who answers on a line, and which shipped
 * profile and word order each responder's registers fit best.
 *
 * What: scan the slave ids (a read of holding register 0: any reply, an
 * exception too, is a responder; a gateway's exception 10/11 is not), then
 * read every shipped Modbus profile's points from each responder twice, a
 * second apart, and rank each profile in each of the four word orders by
 * the plausibility of its values (probe.h). Prints, per responder, the
 * evidence as '#' lines and a ready-to-paste meter entry as one JSON line.
 * Why: a new meter's register map and word order are unknown until tried.
 * Invariants: only read functions (1-4) are ever sent, never a write; the
 * whole run ends within --seconds (every wait is bounded by what is left);
 * a line the running service holds (runlock.h) is refused untouched.
 */
#include "agent.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <modbus.h>

#include "config.h"
#include "dtu.h"
#include "error.h"
#include "poller.h"
#include "probe.h"
#include "rtulink.h"
#include "runlock.h"

#define PROBE_MAX_PROFILES 64
#define PROBE_DEFAULT_SECONDS 60
#define PROBE_READ_TIMEOUT_MS 500
#define PROBE_SECOND_READ_MS 1100    /* counters need time to move */

/* ---- judging -------------------------------------------------------- */

static int within(double v, double lo, double hi)
{
	return v >= lo && v <= hi;
}

int probe_judge(const struct gfi_point *pt, int rc1, double v1, int rc2,
		double v2)
{
	const char *q = pt->quantity->name;

	if (rc1 != GFI_OK || rc2 != GFI_OK || !isfinite(v1) || !isfinite(v2))
		return -1;
	if (pt->type == GFI_T_BOOL || (v1 == 0 && v2 == 0))
		return 0;
	if (strcmp(q, "elec_voltage_v") == 0)
		return within(v1, 180, 260) || within(v1, 342, 456) ? 1 : -1;
	if (strcmp(q, "elec_frequency_hz") == 0)
		return within(v1, 45, 65) ? 1 : -1;
	if (strcmp(q, "elec_power_factor") == 0)
		return within(v1, -1, 1) ? 1 : -1;
	if (pt->quantity->kind == GFI_COUNTER)
		return v1 >= 0 && v2 >= v1 && v2 < 1e12 ? 1 : -1;
	return within(fabs(v1), 1e-6, 1e9) ? 1 : -1;
}

int probe_decode(const struct gfi_point *pt, enum gfi_order o,
		 const uint16_t *words, double *v)
{
	struct gfi_point p = *pt;

	if (gfi_point_width(pt) >= 2)
		p.order = o;
	return gfi_point_decode(&p, words, v);
}

/* ---- the line ------------------------------------------------------- */

struct probe_link {
	const struct agent_config *cfg;
	const struct line_cfg *line;
	modbus_t *ctx;               /* tcp and rtu lines */
	struct rtulink *rtu;         /* rtu-tcp and dtu-listen lines */
	struct dtu_hub *hub;         /* dtu-listen: waits for the DTU */
	int64_t deadline_ms;         /* monotonic end of the whole run */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t left_ms(const struct probe_link *k)
{
	int64_t left = k->deadline_ms - now_ms();

	return left > 0 ? left : 0;
}

/* One read (function 1..4 only: the probe never writes). Returns count or
 * -1 with errno as poll_io says. */
static int probe_read(struct probe_link *k, int slave, int timeout_ms,
		      enum gfi_function fn, uint16_t start, uint16_t count,
		      uint16_t *regs, uint8_t *bits)
{
	int rc = -1;

	if (k->rtu != NULL)
		return rtulink_read(k->rtu, slave, timeout_ms, fn, start, count,
				    regs, bits);
	modbus_set_slave(k->ctx, slave);
	modbus_set_response_timeout(k->ctx, (uint32_t)(timeout_ms / 1000),
				    (uint32_t)(timeout_ms % 1000) * 1000);
	if (fn == GFI_FN_COIL)
		rc = modbus_read_bits(k->ctx, start, count, bits);
	else if (fn == GFI_FN_DISCRETE)
		rc = modbus_read_input_bits(k->ctx, start, count, bits);
	else if (fn == GFI_FN_HOLDING)
		rc = modbus_read_registers(k->ctx, start, count, regs);
	else
		rc = modbus_read_input_registers(k->ctx, start, count, regs);
	if (rc < 0 && errno == ETIMEDOUT)
		modbus_flush(k->ctx);  /* a late reply must not answer the next */
	return rc;
}

/* Wait (within the bound) for the line's DTU to dial in. */
static int wait_dtu(struct probe_link *k, char *err, size_t errlen)
{
	size_t idx = (size_t)(k->line - k->cfg->lines);
	int fd = -1;

	if (dtu_hub_start(k->cfg, &k->hub, err, errlen) != GFI_OK)
		return GFI_E_IO;
	while (fd < 0 && left_ms(k) > 0) {
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
		fd = dtu_hub_take(k->hub, idx);
	}
	if (fd < 0) {
		snprintf(err, errlen, "line %s: no DTU registered within --seconds",
			 k->line->id);
		return GFI_E_TIMEOUT;
	}
	rtulink_adopt(k->rtu, fd);
	return GFI_OK;
}

static int link_open(struct probe_link *k, char *err, size_t errlen)
{
	enum line_type t = k->line->type;

	if (t == LINE_RTU_TCP || t == LINE_DTU) {
		if ((k->rtu = rtulink_new(k->line)) == NULL)
			return GFI_E_NOMEM;
		return t == LINE_DTU ? wait_dtu(k, err, errlen)
				     : rtulink_connect(k->rtu, err, errlen);
	}
	if ((k->ctx = poll_line_new(k->line, err, errlen)) == NULL)
		return GFI_E_IO;
	if (modbus_connect(k->ctx) != 0) {
		snprintf(err, errlen, "line %s: connect failed: %s", k->line->id,
			 modbus_strerror(errno));
		return GFI_E_IO;
	}
	return GFI_OK;
}

static void link_close(struct probe_link *k)
{
	if (k->ctx != NULL) {
		modbus_close(k->ctx);
		modbus_free(k->ctx);
	}
	rtulink_free(k->rtu);
	dtu_hub_stop(k->hub);
}

/* ---- reading the profiles ------------------------------------------- */

/* One shipped profile read from one responder, twice. */
struct reading_set {
	const struct gfi_profile *p;
	int ok;                      /* both reads answered in full */
	char why[96];                /* else what failed */
	uint16_t *words;             /* [2][npoints][PROBE_MAX_WORDS] */
};

static uint16_t *set_words(const struct reading_set *s, int pass, size_t idx)
{
	return s->words + ((size_t)pass * s->p->npoints + idx) * PROBE_MAX_WORDS;
}

static void read_failed(struct reading_set *s, const struct read_block *b)
{
	int e = errno;

	if (e > MODBUS_ENOBASE && e <= MODBUS_ENOBASE + 11)
		snprintf(s->why, sizeof(s->why), "exception %d at function %d "
			 "address %u", e - MODBUS_ENOBASE, b->function, b->start);
	else
		snprintf(s->why, sizeof(s->why), "%s at function %d address %u",
			 e == ETIMEDOUT ? "no reply" : "a damaged reply",
			 b->function, b->start);
}

/* Read every point of s's profile from slave into pass `pass`. */
static int read_profile(struct probe_link *k, int slave, struct reading_set *s,
			int pass)
{
	const struct gfi_profile *p = s->p;
	struct meter_point mp[GFI_PROFILE_MAX_POINTS];
	struct read_block blocks[GFI_PROFILE_MAX_POINTS];
	size_t order[GFI_PROFILE_MAX_POINTS], nb;
	uint16_t regs[POLL_MAX_REGS];
	uint8_t bits[POLL_MAX_BITS];

	for (size_t i = 0; i < p->npoints; i++)
		mp[i] = (struct meter_point){ &p->points[i], 0, 1 };
	nb = poll_plan(mp, p->npoints, p->max_gap, order, blocks);
	for (size_t bi = 0; bi < nb; bi++) {
		const struct read_block *b = &blocks[bi];
		int64_t t = left_ms(k) < PROBE_READ_TIMEOUT_MS ? left_ms(k)
							       : PROBE_READ_TIMEOUT_MS;
		if (t < 10 || probe_read(k, slave, (int)t, b->function, b->start,
					 b->count, regs, bits) != b->count) {
			if (t < 10)
				snprintf(s->why, sizeof(s->why), "out of time");
			else
				read_failed(s, b);
			return -1;
		}
		for (size_t j = 0; j < b->n; j++) {
			size_t idx = order[b->first + j];
			const struct gfi_point *pt = &p->points[idx];
			uint16_t *w = set_words(s, pass, idx);
			size_t off = pt->address - b->start;
			if (pt->type == GFI_T_BOOL)
				w[0] = bits[off] ? 1 : 0;
			else
				memcpy(w, regs + off, gfi_point_width(pt) * sizeof(*w));
		}
	}
	return 0;
}

/* ---- ranking -------------------------------------------------------- */

struct fit {
	const struct reading_set *set;
	enum gfi_order order;
	int passed, failed;
	char evidence[256];          /* a few plausible values */
};

/* The order the profile's manual gives (its first multi-register point's). */
static enum gfi_order declared_order(const struct gfi_profile *p)
{
	for (size_t i = 0; i < p->npoints; i++)
		if (gfi_point_width(&p->points[i]) >= 2)
			return p->points[i].order;
	return GFI_ORDER_ABCD;
}

static void judge_fit(const struct reading_set *s, enum gfi_order o,
		      struct fit *f)
{
	size_t used = 0;
	int shown = 0;

	memset(f, 0, sizeof(*f));
	f->set = s;
	f->order = o;
	for (size_t i = 0; i < s->p->npoints; i++) {
		const struct gfi_point *pt = &s->p->points[i];
		double v1 = NAN, v2 = NAN;
		int rc1 = probe_decode(pt, o, set_words(s, 0, i), &v1);
		int rc2 = probe_decode(pt, o, set_words(s, 1, i), &v2);
		int j = probe_judge(pt, rc1, v1, rc2, v2);
		f->passed += j > 0;
		f->failed += j < 0;
		if (j > 0 && shown++ < 4 && used < sizeof(f->evidence))
			used += (size_t)snprintf(f->evidence + used,
						 sizeof(f->evidence) - used, "%s%s=%.6g %s",
						 shown > 1 ? ", " : "", pt->name, v1, pt->unit);
	}
}

/* Whether a ranks before b: more evidence for than against, then fewer
 * implausible values, then the manual's word order. */
static int better(const struct fit *a, const struct fit *b)
{
	int sa = a->passed - 2 * a->failed, sb = b->passed - 2 * b->failed;

	if (sa != sb)
		return sa > sb;
	if (a->failed != b->failed)
		return a->failed < b->failed;
	return a->order == declared_order(a->set->p) &&
	       b->order != declared_order(b->set->p);
}

/* Print the evidence and, if a profile fits, the meter entry for slave. */
static int report_responder(FILE *out, const struct line_cfg *line, int slave,
			    const struct reading_set *sets, size_t nsets)
{
	struct fit best = { 0 }, second = { 0 }, f;
	size_t refused = 0;

	for (size_t i = 0; i < nsets; i++) {
		refused += !sets[i].ok;
		for (int o = GFI_ORDER_ABCD; sets[i].ok && o <= GFI_ORDER_DCBA; o++) {
			judge_fit(&sets[i], (enum gfi_order)o, &f);
			if (best.set == NULL || better(&f, &best)) {
				second = best;
				best = f;
			} else if (second.set == NULL || better(&f, &second)) {
				second = f;
			}
		}
	}
	if (best.set == NULL || best.passed == 0 || best.failed > 0) {
		fprintf(out, "# slave %d: answers, but no shipped profile fits "
			"(%zu of %zu refused the reads)\n", slave, refused, nsets);
		return 0;
	}
	fprintf(out, "# slave %d: %s word order %s: %d values plausible, %d not "
		"(%s)\n", slave, best.set->p->id, gfi_order_name(best.order),
		best.passed, best.failed, best.evidence);
	if (second.set != NULL)
		fprintf(out, "# slave %d: next %s %s: %d plausible, %d not; %zu "
			"profiles refused the reads\n", slave, second.set->p->id,
			gfi_order_name(second.order), second.passed, second.failed,
			refused);
	fprintf(out, "{\"id\": \"%s-%d\", \"line\": \"%s\", \"slave\": %d, "
		"\"profile\": \"%s\"", line->id, slave, line->id, slave,
		best.set->p->id);
	if (best.order != declared_order(best.set->p))
		fprintf(out, ", \"word_order\": \"%s\"", gfi_order_name(best.order));
	fprintf(out, "}\n");
	fflush(out);
	return 1;
}

/* ---- scanning ------------------------------------------------------- */

/* Whether slave answers a read of holding register 0 within timeout_ms:
 * 1 yes (an exception is an answer, a gateway's 10/11 is not), 0 no, -1
 * the link broke. */
static int responds(struct probe_link *k, int slave, int timeout_ms)
{
	uint16_t reg;
	uint8_t bit;
	int e;

	if (probe_read(k, slave, timeout_ms, GFI_FN_HOLDING, 0, 1, &reg, &bit) == 1)
		return 1;
	e = errno;
	if (e == ECONNRESET || e == EPIPE || e == EBADF || e == ENOTCONN)
		return -1;
	if (e == ETIMEDOUT || e == MODBUS_ENOBASE + 10 || e == MODBUS_ENOBASE + 11)
		return 0;
	return 1;
}

/* Scan lo..hi within half the time left; the responders into found. */
static int scan(struct probe_link *k, int lo, int hi, int *found, FILE *err)
{
	int64_t budget = left_ms(k) / 2;
	int per = (int)(budget / (hi - lo + 1));
	int n = 0;

	per = per < 20 ? 20 : per > 300 ? 300 : per;
	for (int s = lo; s <= hi; s++) {
		int r;
		if (left_ms(k) < per) {
			fprintf(err, "line %s: scan stopped at slave %d: --seconds "
				"reached\n", k->line->id, s);
			break;
		}
		r = responds(k, s, per);
		if (r < 0) {
			fprintf(err, "line %s: the link broke at slave %d\n",
				k->line->id, s);
			break;
		}
		if (r > 0)
			found[n++] = s;
	}
	return n;
}

/* ---- the command ---------------------------------------------------- */

static int by_id(const void *a, const void *b)
{
	const struct gfi_profile *const *pa = a, *const *pb = b;

	return strcmp((*pa)->id, (*pb)->id);
}

/* Every profile of protocol in dir, sorted by id; returns the count. */
static size_t load_profiles(const char *dir, enum gfi_protocol protocol,
			    struct gfi_profile **out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	while (d != NULL && (e = readdir(d)) != NULL && n < PROBE_MAX_PROFILES) {
		char id[256], msg[256];
		size_t len = strlen(e->d_name);
		if (len <= 5 || len >= sizeof(id) ||
		    strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		snprintf(id, sizeof(id), "%.*s", (int)(len - 5), e->d_name);
		if (gfi_profile_load(dir, id, &out[n], msg, sizeof(msg)) != GFI_OK)
			continue;
		if (out[n]->protocol == protocol)
			n++;
		else
			gfi_profile_free(out[n]);
	}
	if (d != NULL)
		closedir(d);
	qsort(out, n, sizeof(*out), by_id);
	return n;
}

/* Read every profile from every responder twice, a second apart, and
 * print each responder's report. Returns the entries printed. */
static int probe_responders(struct probe_link *k, const int *found, int nfound,
			    struct gfi_profile **profiles, size_t np, FILE *out)
{
	size_t n = (size_t)nfound * np;
	struct reading_set *sets = calloc(n ? n : 1, sizeof(*sets));
	int64_t first = now_ms();
	int entries = 0;

	for (size_t i = 0; sets != NULL && i < n; i++) {
		sets[i].p = profiles[i % np];
		sets[i].words = calloc(2 * sets[i].p->npoints * PROBE_MAX_WORDS,
				       sizeof(uint16_t));
		sets[i].ok = sets[i].words != NULL &&
			     read_profile(k, found[i / np], &sets[i], 0) == 0;
	}
	while (sets != NULL && now_ms() - first < PROBE_SECOND_READ_MS && left_ms(k) > 0) {
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
	for (size_t i = 0; sets != NULL && i < n; i++)
		if (sets[i].ok)
			sets[i].ok = read_profile(k, found[i / np], &sets[i], 1) == 0;
	for (int r = 0; sets != NULL && r < nfound; r++)
		entries += report_responder(out, k->line, found[r], sets + (size_t)r * np, np);
	for (size_t i = 0; sets != NULL && i < n; i++)
		free(sets[i].words);
	free(sets);
	return entries;
}

/* "A-B" or "N" within 1..247 (0..255 on a tcp line). */
static int parse_slaves(const char *text, const struct line_cfg *line, int *lo,
			int *hi)
{
	int max = line->type == LINE_TCP ? 255 : 247, min = line->type == LINE_TCP ? 0 : 1;
	char *end;

	*lo = min;
	*hi = max == 255 ? 247 : max;
	if (text == NULL)
		return GFI_OK;
	*lo = (int)strtol(text, &end, 10);
	*hi = *end == '-' ? (int)strtol(end + 1, &end, 10) : *lo;
	return *end == '\0' && end != text && *lo >= min && *hi <= max && *lo <= *hi
		       ? GFI_OK : GFI_E_RANGE;
}

static const struct line_cfg *find_line(const struct agent_config *cfg,
					const char *id)
{
	for (size_t i = 0; id != NULL && i < cfg->nlines; i++)
		if (strcmp(cfg->lines[i].id, id) == 0)
			return &cfg->lines[i];
	return NULL;
}

/* Check the arguments against the line; 0 or the exit status. */
static int probe_args(const struct agent_config *cfg, const struct probe_args *a,
		      const struct line_cfg **line, int *lo, int *hi, FILE *err)
{
	long pid;

	if ((*line = find_line(cfg, a->line)) == NULL) {
		fprintf(err, "--line: \"%s\" is not a configured line\n",
			a->line ? a->line : "");
		return 2;
	}
	if (a->protocol != NULL &&
	    strcmp(a->protocol, (*line)->dlt645 ? "dlt645" : "modbus") != 0) {
		fprintf(err, "--protocol: \"%s\": line %s speaks %s\n", a->protocol,
			(*line)->id, (*line)->dlt645 ? "dlt645" : "modbus");
		return 2;
	}
	if (parse_slaves(a->slaves, *line, lo, hi) != GFI_OK) {
		fprintf(err, "--slaves: \"%s\" must be N or FROM-TO within %s\n",
			a->slaves, (*line)->type == LINE_TCP ? "0..255" : "1..247");
		return 2;
	}
	if (a->seconds < 1 || a->seconds > 3600) {
		fprintf(err, "--seconds: %d out of range 1..3600\n", a->seconds);
		return 2;
	}
	if (runlock_held(cfg->data_dir, &pid)) {
		fprintf(err, "--line: %s is held by the running gfi-agent (pid %ld, "
			"%s/agent.lock): stop the service before probing\n",
			(*line)->id, pid, cfg->data_dir);
		return 1;
	}
	return 0;
}

int agent_probe(const char *config_path, const struct probe_args *a, FILE *out,
		FILE *err)
{
	struct agent_config *cfg = NULL;
	struct probe_link k = { 0 };
	struct gfi_profile *profiles[PROBE_MAX_PROFILES];
	int found[256], lo, hi, nfound, status, entries = 0;
	size_t np = 0;
	char msg[256];

	if (config_load(config_path, &cfg, NULL, NULL) != GFI_OK) {
		fprintf(err, "--config: %s is not a valid config (check-config says "
			"why)\n", config_path);
		return 2;
	}
	k.cfg = cfg;
	k.deadline_ms = now_ms() + (int64_t)a->seconds * 1000;
	status = probe_args(cfg, a, &k.line, &lo, &hi, err);
	if (status == 0 && (np = load_profiles(cfg->profiles_dir, k.line->dlt645 ?
					       GFI_PROTO_DLT645 : GFI_PROTO_MODBUS,
					       profiles)) == 0) {
		fprintf(err, "profiles_dir: no profile for the line in %s\n",
			cfg->profiles_dir);
		status = 2;
	}
	if (status == 0 && k.line->dlt645) {
		entries = probe_dlt645(k.line, profiles, np, k.deadline_ms, out, err);
	} else if (status == 0 && link_open(&k, msg, sizeof(msg)) != GFI_OK) {
		fprintf(err, "%s\n", msg);
		status = 1;
	} else if (status == 0) {
		nfound = scan(&k, lo, hi, found, err);
		fprintf(out, "# line %s: %d responder(s) among slaves %d-%d\n",
			k.line->id, nfound, lo, hi);
		entries = probe_responders(&k, found, nfound, profiles, np, out);
	}
	if (status == 0)
		status = entries > 0 ? 0 : 1;
	link_close(&k);
	for (size_t i = 0; i < np; i++)
		gfi_profile_free(profiles[i]);
	config_free(cfg);
	return status;
}
