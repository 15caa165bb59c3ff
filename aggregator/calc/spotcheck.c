/*
 * spotcheck.c — on-site spot checks judged (spotcheck.h has the method and
 * the kinds; the chain behind the readings is spotcheck_chain.c; the
 * commands are cmd/spotcheck.c and api/api_spotchecks.c).
 *
 * Why no percentage of the counter: display and register are the same
 * counter, so an accuracy class (0.5 % of a 15 GWh counter is 77 MWh) would
 * hide any under-reporting; the tolerance is only what cannot be known
 * exactly, each part kept in the record so it explains itself years later.
 *
 * Invariants: a verdict is consistent or inconsistent only when readings
 * surround every instant it uses and those readings come from verified,
 * linked batches; else cannot_judge with the reason. The tolerance is the
 * sum of its parts, the verdict |diff| <= tolerance.
 */
#include "spotcheck.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "error.h"

double spotcheck_register_resolution(double step, double value)
{
	float f = (float)fabs(value);

	if (step > 0)
		return step;
	return (double)(nextafterf(f, INFINITY) - f);
}

struct judge {
	struct store *s;
	const struct spotcheck_input *in;
	struct reg_meter m;
	struct store_spotcheck *c;
	size_t n;                    /* of c->reason used */
	double display_res, reg_step, clock_s;
	int imported;
};

/* One instant a check uses: the counter there and its two readings. */
struct end {
	double reported, before_v, after_v;
	int64_t before_s, after_s;
};

struct at_value {
	double v;
	int found;
};

static int take_value(void *ctx, const void *row)
{
	struct at_value *a = ctx;
	const struct gfi_reading *r = row;

	if (!isnan(r->value)) {
		a->v = r->value;
		a->found = 1;
	}
	return 0;
}

/* The value of the series' reading at exactly t. */
static int value_at(struct judge *j, int64_t t, double *v)
{
	struct at_value a = { 0, 0 };
	int ret = store_readings(j->s, j->in->gateway, j->in->meter, j->in->point, t,
				 t + 1, take_value, &a);

	if (ret == GFI_OK && !a.found)
		ret = GFI_E_DB;      /* series_counter_at just found it */
	*v = a.v;
	return ret;
}

__attribute__((format(printf, 2, 3)))
static void add_reason(struct judge *j, const char *fmt, ...)
{
	size_t size = sizeof(j->c->reason);
	char *r = j->c->reason;
	va_list ap;
	int k;

	if (j->n > 0 && j->n < size - 1) {
		k = snprintf(r + j->n, size - j->n, "; ");
		j->n += k > 0 ? (size_t)k : 0;
	}
	if (j->n >= size - 1) {
		j->n = size - 1;
		return;
	}
	va_start(ap, fmt);
	k = vsnprintf(r + j->n, size - j->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		j->n = j->n + (size_t)k < size ? j->n + (size_t)k : size - 1;
}

/* The end at t, its tolerance parts added to c->tol. 1 when computed, 0
 * when no readings surround t (said in the reason), or a GFI_E_*. */
static int end_at(struct judge *j, int64_t t, struct end *e)
{
	struct series_key k = { j->in->gateway, j->in->meter, j->in->point };
	struct spotcheck_tolerance *tol = &j->c->tol;
	int64_t nimported = 0;
	double moved, rate;
	int ret = series_counter_at(j->s, &k, t, j->m.counter_max, &e->reported,
				    &e->before_s, &e->after_s);

	if (ret == GFI_E_NOTFOUND) {
		add_reason(j, "no readings around the time: no reported reading on "
			   "both sides of %" PRId64, t);
		return 0;
	}
	if (ret != GFI_OK || (ret = value_at(j, e->before_s, &e->before_v)) != GFI_OK ||
	    (ret = value_at(j, e->after_s, &e->after_v)) != GFI_OK)
		return ret;
	/* Imported history (docs/import.md) was never signed by the gateway:
	 * no chain vouches for it, so it cannot back a verdict. */
	if ((ret = store_imported_count(j->s, k.gateway, k.meter, k.point, e->before_s,
					e->after_s, &nimported)) != GFI_OK)
		return ret;
	j->imported |= nimported > 0;
	/* What the counter moved between the two readings (a wrap adds
	 * counter_max), and its rate over them. */
	moved = fabs(e->after_v - e->before_v);
	if (j->m.counter_max > 0 && e->after_v < e->before_v)
		moved = e->after_v + j->m.counter_max - e->before_v;
	rate = e->after_s > e->before_s ? moved / (double)(e->after_s - e->before_s) : 0;
	tol->display += j->display_res;
	tol->reg += spotcheck_register_resolution(j->reg_step, e->reported);
	tol->clock += rate * j->clock_s;
	tol->interp += moved;
	return 1;
}

/* Whether the readings of ends e[0..n) come from verified batches. */
static int chain(struct judge *j, const struct end *e, size_t n)
{
	struct series_key k = { j->in->gateway, j->in->meter, j->in->point };
	int64_t t[4];
	double v[4];
	char why[STORE_ALERT_TEXT_MAX];
	int ret;

	if (j->imported) {
		add_reason(j, "imported history: the readings around the time are "
			   "imported, not signed by the gateway");
		return GFI_OK;
	}
	for (size_t i = 0; i < n && i < 2; i++) {
		t[2 * i] = e[i].before_s;
		v[2 * i] = e[i].before_v;
		t[2 * i + 1] = e[i].after_s;
		v[2 * i + 1] = e[i].after_v;
	}
	ret = spotcheck_chain(j->s, &k, t, v, 2 * (n < 2 ? n : 2), why, sizeof(why));
	if (ret == GFI_E_CRYPTO)
		add_reason(j, "%s", why);
	else if (ret == GFI_OK)
		j->c->chain_ok = 1;
	return ret == GFI_E_CRYPTO ? GFI_OK : ret;
}

static int judge_display(struct judge *j)
{
	struct end e;
	int ret = end_at(j, j->in->at_s, &e);

	if (ret <= 0)
		return ret;
	j->c->reported = e.reported;
	j->c->diff = j->in->reading - e.reported;
	add_reason(j, "reported %.10g at %" PRId64 " (between %" PRId64 " and %"
		   PRId64 ")", e.reported, j->in->at_s, e.before_s, e.after_s);
	return (ret = chain(j, &e, 1)) != GFI_OK ? ret : 1;
}

/* Reference and increase: consumption over [from_s, at_s] on both sides. */
static int judge_period(struct judge *j, int64_t from_s, double from_reading)
{
	struct store_spotcheck *c = j->c;
	struct end e[2];
	double used;
	int ret;

	c->from_s = from_s;
	c->from_reading = from_reading;
	if ((ret = end_at(j, from_s, &e[0])) <= 0 || (ret = end_at(j, j->in->at_s, &e[1])) <= 0)
		return ret;
	used = e[1].reported - e[0].reported;
	if (j->m.counter_max > 0 && used < 0)
		used += j->m.counter_max;
	c->reported = used;
	c->diff = (j->in->reading - from_reading) - used;
	add_reason(j, "reported %.10g used from %" PRId64 " to %" PRId64, used, from_s,
		   j->in->at_s);
	return (ret = chain(j, e, 2)) != GFI_OK ? ret : 1;
}

/* A reference meter: its class and gfi's meter's, combined. */
static int judge_reference(struct judge *j)
{
	double acc = j->m.accuracy_pct;
	int ret;

	if (j->in->from_s >= j->in->at_s) {
		snprintf(j->c->reason, sizeof(j->c->reason), "from: must be before at");
		return GFI_E_INVAL;
	}
	if ((ret = judge_period(j, j->in->from_s, j->in->from_reading)) <= 0)
		return ret;
	if (acc <= 0) {
		acc = SPOTCHECK_DEFAULT_ACCURACY_PCT;
		add_reason(j, "accuracy class unknown: %g %% assumed", acc);
	}
	j->c->tol.classes = (acc + j->in->ref_accuracy_pct) / 100.0 *
			    fabs(j->in->reading - j->in->from_reading);
	return 1;
}

/* The display's increase since an earlier display check of the point. */
static int judge_increase(struct judge *j)
{
	struct store_spotcheck old;
	int ret = store_spotcheck_get(j->s, j->in->since_id, &old);

	if (ret == GFI_OK && (strcmp(old.gateway, j->in->gateway) != 0 ||
			      strcmp(old.meter, j->in->meter) != 0 ||
			      strcmp(old.point, j->in->point) != 0 ||
			      strcmp(old.kind, "display") != 0))
		ret = GFI_E_NOTFOUND;
	if (ret == GFI_E_NOTFOUND)
		snprintf(j->c->reason, sizeof(j->c->reason), "since: %" PRId64
			 " is not a display spot check of this point", j->in->since_id);
	if (ret == GFI_OK && old.at_s >= j->in->at_s) {
		snprintf(j->c->reason, sizeof(j->c->reason), "since: spot check %" PRId64
			 " is not before at", j->in->since_id);
		ret = GFI_E_INVAL;
	}
	j->c->since_id = j->in->since_id;
	return ret != GFI_OK ? ret : judge_period(j, old.at_s, old.reading);
}

/* The verdict from the numbers (numbers: 1 when computed). */
static void verdict(struct judge *j, int numbers)
{
	struct store_spotcheck *c = j->c;
	const struct spotcheck_tolerance *t = &c->tol;

	if (!numbers) {
		c->chain_ok = !j->imported;
		c->tol = (struct spotcheck_tolerance){ NAN, NAN, NAN, NAN, NAN };
		snprintf(c->verdict, sizeof(c->verdict), "cannot_judge");
		return;
	}
	c->tolerance = t->display + t->reg + t->clock + t->interp + t->classes;
	c->diff_pct = c->reported != 0 ? c->diff / c->reported * 100.0 : NAN;
	c->tolerance_pct = c->reported != 0 ? c->tolerance / fabs(c->reported) * 100.0 : NAN;
	add_reason(j, "difference %.6g, tolerance %.6g = display %.6g + register %.6g + "
		   "clock %.6g + interpolation %.6g + classes %.6g", c->diff, c->tolerance,
		   t->display, t->reg, t->clock, t->interp, t->classes);
	snprintf(c->verdict, sizeof(c->verdict), "%s", !c->chain_ok ? "cannot_judge"
		 : fabs(c->diff) <= c->tolerance ? "consistent" : "inconsistent");
}

static void record_input(struct store_spotcheck *c, const struct spotcheck_input *in)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->kind, sizeof(c->kind), "%s", in->kind ? in->kind : "display");
	snprintf(c->gateway, sizeof(c->gateway), "%s", in->gateway);
	snprintf(c->meter, sizeof(c->meter), "%s", in->meter);
	snprintf(c->point, sizeof(c->point), "%s", in->point);
	snprintf(c->inspector, sizeof(c->inspector), "%s", in->inspector);
	snprintf(c->note, sizeof(c->note), "%s", in->note ? in->note : "");
	c->at_s = in->at_s;
	c->reading = in->reading;
	c->recorded_s = in->now_s;
	c->from_reading = c->reported = c->diff = c->diff_pct = NAN;
	c->tolerance = c->tolerance_pct = NAN;
}

int spotcheck_judge(struct store *s, const struct spotcheck_input *in,
		    struct store_spotcheck *c)
{
	struct judge j = { .s = s, .in = in, .c = c };
	int ret;

	record_input(c, in);
	if ((ret = store_meter_get(s, in->gateway, in->meter, in->point, &j.m)) != GFI_OK)
		return ret;
	j.display_res = isnan(in->display_resolution) ? SPOTCHECK_DEFAULT_DISPLAY_RES
						       : in->display_resolution;
	j.clock_s = isnan(in->clock_uncertainty_s) ? SPOTCHECK_DEFAULT_CLOCK_S
						   : in->clock_uncertainty_s;
	/* Unless entered: a counter with a known modulus is taken as a 32-bit
	 * integer register (step = modulus / 2^32); without one, a float32
	 * (profiles give floats no counter_max). */
	j.reg_step = !isnan(in->register_step) ? in->register_step
		     : j.m.counter_max > 0 ? j.m.counter_max / 4294967296.0
					   : SPOTCHECK_FLOAT32;
	if (strcmp(c->kind, "display") == 0)
		ret = judge_display(&j);
	else if (strcmp(c->kind, "reference") == 0)
		ret = judge_reference(&j);
	else if (strcmp(c->kind, "increase") == 0)
		ret = judge_increase(&j);
	else {
		snprintf(c->reason, sizeof(c->reason), "kind: must be display, reference or "
			 "increase");
		ret = GFI_E_INVAL;
	}
	if (ret < 0)
		return ret;
	verdict(&j, ret);
	return GFI_OK;
}
