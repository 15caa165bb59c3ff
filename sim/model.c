/*
 * model.c — deterministic consumption model of gfi-meter-sim.
 *
 * What: the true value of every point of every simulated meter at any UTC
 * second. Why: the agent's readings, the aggregator's totals and the tests'
 * expectations must agree, and a restarted simulator must continue the same
 * counters, so values depend only on (seed, meter id, point name, second).
 *
 * Counters: hour k after MODEL_ORIGIN_S counts
 *   micro(k) = llround(rate * daily(k mod 24) * weekly((3 + k div 24) mod 7)
 *                      * (1 + 0.2 * noise(key, k)) * 1e6)
 * micro-units; within an hour counting is linear (integer floor). Sums are
 * int64, so the cached path (prefix sums per local day) equals the plain sum
 * exactly and a counter never decreases. The value is
 *   initial + micro_sum * 1e-6, or after a replacement
 *   replacement_initial + (micro_sum(t) - micro_sum(at)) * 1e-6,
 * then taken modulo the wrap (config rollover_max or the register maximum).
 * Gauges: a nominal per quantity with noise per minute; flows, powers and
 * currents follow the current hourly rate of their counter (kW = kWh per
 * hour). Points named *_l1, *_l2, *_l3 (energy, power) carry a third of the
 * total. Without a configured base_rate the default is lowered until the
 * following gauges fit their integer registers.
 *
 * Invariants: rates >= 0; day_cum[0] = 0 and day_cum only grows; every input
 * time is clamped to [MODEL_ORIGIN_S, MODEL_END_S] for counters and to
 * [0, MODEL_END_S] for gauges, so no arithmetic overflows.
 */
#include "model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define DOMAIN_HOUR UINT64_C(0x686f7572)   /* "hour" */
#define DOMAIN_MINUTE UINT64_C(0x6d696e75) /* "minu" */
#define MICRO 1e6

struct model_point {
	uint64_t key;      /* hash of seed, meter id, point name */
	double rate;       /* counters and followed rate: per hour, >= 0 */
	double wrap;       /* counters: value that wraps to 0; 0 = never */
	int follows;       /* gauges: index of the counter point followed, -1
			      for a virtual counter (key/rate below), -2 none */
	uint64_t follow_key;
	double follow_rate;
	int64_t *day_cum;  /* counters: day_cum[d] = micro-units in days < d */
	size_t ndays;      /* valid entries of day_cum */
	size_t cap;
};

struct model_state {
	size_t npoints;
	int hot;               /* profile has steam or heat points */
	struct model_point *points;
};

uint64_t model_splitmix64(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

static uint64_t point_key(uint64_t seed, const char *meter, const char *point)
{
	uint64_t k = model_splitmix64(seed);

	k = model_splitmix64(k ^ fnv1a(meter));
	return model_splitmix64(k ^ fnv1a(point));
}

/* Uniform in [-1, 1) from key, index and domain. */
static double noise(uint64_t key, int64_t index, uint64_t domain)
{
	uint64_t h = model_splitmix64(key ^ model_splitmix64((uint64_t)index ^
							     domain));

	return (double)(h >> 11) * 0x1p-52 - 1.0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

double model_daily_shape(int local_hour)
{
	/* A one-shift-and-a-half factory: base load at night, ramps, a lunch
	 * dip, full load 08-12 and 13-18 local time. */
	static const double shape[24] = {
		0.30, 0.30, 0.30, 0.30, 0.30, 0.30, /* 00-05 */
		0.45, 0.70, 1.00, 1.00, 1.00, 1.00, /* 06-11 */
		0.80, 1.00, 1.00, 1.00, 1.00, 1.00, /* 12-17 */
		0.85, 0.70, 0.60, 0.50, 0.40, 0.35, /* 18-23 */
	};

	if (local_hour < 0 || local_hour > 23)
		return 0.0;
	return shape[local_hour];
}

double model_weekly_shape(int weekday)
{
	static const double shape[7] = { 0.50, 1.0, 1.0, 1.0, 1.0, 1.0, 0.80 };

	if (weekday < 0 || weekday > 6)
		return 0.0;
	return shape[weekday];
}

double model_default_rate(const struct gfi_quantity *q)
{
	static const struct {
		const char *name;
		double rate;
	} rates[] = {
		{ "elec_import_kwh", 500.0 },  { "elec_export_kwh", 5.0 },
		{ "elec_reactive_kvarh", 200.0 }, { "water_volume_m3", 20.0 },
		{ "gas_volume_m3", 300.0 },    { "fuel_mass_t", 2.0 },
		{ "steam_mass_t", 10.0 },      { "heat_energy_gj", 25.0 },
		{ "product_count", 1200.0 },   { "product_mass_t", 15.0 },
		{ "wastewater_volume_m3", 15.0 },
	};

	if (q == NULL || q->kind != GFI_COUNTER)
		return 0.0;
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		if (strcmp(rates[i].name, q->name) == 0)
			return rates[i].rate;
	}
	return 10.0; /* a counter kind added to the table later */
}

/* sqrt(3) * 400 V * power factor 0.92: line current of a 400 V three-phase
 * load is P / (sqrt(3) U cos phi). */
#define CURRENT_PER_KW (1000.0 / (1.7320508075688772 * 400.0 * 0.92))
/* Largest gauge value relative to its followed rate: shape 1, +20% hourly
 * and +3% minute noise. */
#define GAUGE_PEAK ((1.0 + MODEL_NOISE) * 1.03)

/* The counter quantity a gauge follows, or NULL. */
static const char *followed_quantity(const char *gauge)
{
	static const char *const pairs[][2] = {
		{ "elec_power_kw", "elec_import_kwh" },
		{ "elec_current_a", "elec_import_kwh" },
		{ "water_flow_m3h", "water_volume_m3" },
		{ "gas_flow_m3h", "gas_volume_m3" },
		{ "steam_flow_th", "steam_mass_t" },
		{ "heat_power_kw", "heat_energy_gj" },
		{ "wastewater_flow_m3h", "wastewater_volume_m3" },
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		if (strcmp(pairs[i][0], gauge) == 0)
			return pairs[i][1];
	}
	return NULL;
}

/* A per-phase energy or power point (name ending _l1, _l2, _l3) carries a
 * third of the total; line voltages (_l1_l2) and currents are not shares. */
static double phase_share(const struct gfi_point *pt)
{
	size_t n = strlen(pt->name);
	const char *q = pt->quantity->name;

	if (pt->quantity->kind != GFI_COUNTER && strcmp(q, "elec_power_kw") != 0)
		return 1.0;
	if (n > 3 && pt->name[n - 3] == '_' && pt->name[n - 2] == 'l' &&
	    pt->name[n - 1] >= '1' && pt->name[n - 1] <= '3' &&
	    !(n > 6 && pt->name[n - 6] == '_' && pt->name[n - 5] == 'l'))
		return 1.0 / 3.0;
	return 1.0;
}

/* Gauge value per unit of followed counter rate. */
static double follow_factor(const struct gfi_point *pt)
{
	const char *q = pt->quantity->name;

	if (strcmp(q, "heat_power_kw") == 0)
		return 1e6 / 3600.0; /* GJ per hour -> kW */
	if (strcmp(q, "elec_current_a") == 0)
		return CURRENT_PER_KW;
	return phase_share(pt);
}

/* The quantity base_rate is given in: the first counter point's, else the
 * counter the first following gauge follows. */
static const struct gfi_quantity *primary_quantity(const struct gfi_profile *p)
{
	for (size_t i = 0; i < p->npoints; i++) {
		if (p->points[i].quantity->kind == GFI_COUNTER)
			return p->points[i].quantity;
	}
	for (size_t i = 0; i < p->npoints; i++) {
		const char *cq = followed_quantity(p->points[i].quantity->name);
		if (cq != NULL)
			return gfi_quantity_find(cq);
	}
	return NULL;
}

double model_max_base_rate(const struct sim_meter *m)
{
	const struct gfi_profile *p = m->profile;
	const struct gfi_quantity *prim = primary_quantity(p);
	double max = INFINITY;

	for (size_t i = 0; prim != NULL && i < p->npoints; i++) {
		const struct gfi_point *pt = &p->points[i];
		const char *cq = followed_quantity(pt->quantity->name);
		/* 1% below the register maximum: rounding to the register's
		 * resolution must not carry a peak over it. */
		double cap = 0.99 * fabs(pt->scale) *
			     (pt->format.bytes > 0  /* DL/T 645: its digits */
			      ? dlt645_representable(&pt->format, HUGE_VAL)
			      : gfi_regtype_max(pt->type));
		if (cq == NULL || cap <= 0.0)
			continue;
		/* gauge peak = base * def(cq)/def(prim) * factor * GAUGE_PEAK */
		double per_base = model_default_rate(gfi_quantity_find(cq)) /
				  model_default_rate(prim) *
				  follow_factor(pt) * GAUGE_PEAK;
		if (cap / per_base < max)
			max = cap / per_base;
	}
	return max;
}

/* Rate per hour of a counter of quantity q, before the phase share. Without
 * a configured base_rate, the default is lowered so that the gauges that
 * follow it fit their registers (a small meter's 16-bit power register). */
static double counter_rate(const struct sim_meter *m,
			   const struct gfi_quantity *q)
{
	const struct gfi_quantity *prim = primary_quantity(m->profile);
	double base;

	if (prim == NULL)
		return model_default_rate(q);
	base = m->has_base_rate ? m->base_rate : model_default_rate(prim);
	if (!m->has_base_rate && base > model_max_base_rate(m))
		base = model_max_base_rate(m);
	return base * model_default_rate(q) / model_default_rate(prim);
}

static int64_t hour_micro(uint64_t key, double rate, int64_t hour)
{
	int local_hour = (int)floor_mod(hour, 24);
	int weekday = (int)floor_mod(3 + floor_div(hour, 24), 7);
	double r = rate * model_daily_shape(local_hour) *
		   model_weekly_shape(weekday) *
		   (1.0 + MODEL_NOISE * noise(key, hour, DOMAIN_HOUR));

	return r > 0.0 ? llround(r * MICRO) : 0;
}

static int point_index(const struct sim_meter *m, const struct gfi_point *pt)
{
	const struct gfi_profile *p = m->profile;

	if (p == NULL || pt == NULL)
		return -1;
	if (pt >= p->points && pt < p->points + p->npoints)
		return (int)(pt - p->points);
	for (size_t i = 0; i < p->npoints; i++) {
		if (strcmp(p->points[i].name, pt->name) == 0)
			return (int)i;
	}
	return -1;
}

int64_t model_hour_micro(const struct sim_meter *m, const struct gfi_point *pt,
			 int64_t hour)
{
	int i = point_index(m, pt);

	if (i < 0 || m->model == NULL ||
	    m->profile->points[i].quantity->kind != GFI_COUNTER)
		return 0;
	return hour_micro(m->model->points[i].key, m->model->points[i].rate,
			  hour);
}

static int64_t day_micro(const struct model_point *mp, int64_t day)
{
	int64_t sum = 0;

	for (int h = 0; h < 24; h++)
		sum += hour_micro(mp->key, mp->rate, day * 24 + h);
	return sum;
}

/* Make day_cum[0..day] valid. On allocation failure returns -1 and the
 * caller sums without the cache. */
static int ensure_days(struct model_point *mp, size_t day)
{
	if (day < mp->ndays)
		return 0;
	if (day >= mp->cap) {
		size_t cap = mp->cap ? mp->cap : 512;
		while (cap <= day)
			cap *= 2;
		int64_t *p = realloc(mp->day_cum, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		mp->day_cum = p;
		mp->cap = cap;
	}
	if (mp->ndays == 0) {
		mp->day_cum[0] = 0;
		mp->ndays = 1;
	}
	for (; mp->ndays <= day; mp->ndays++) {
		mp->day_cum[mp->ndays] = mp->day_cum[mp->ndays - 1] +
					 day_micro(mp, (int64_t)mp->ndays - 1);
	}
	return 0;
}

static int64_t clamp(int64_t t, int64_t lo, int64_t hi)
{
	return t < lo ? lo : (t > hi ? hi : t);
}

static int64_t counter_micro_at(struct model_point *mp, int64_t t)
{
	int64_t s = clamp(t, MODEL_ORIGIN_S, MODEL_END_S) - MODEL_ORIGIN_S;
	int64_t hour = s / 3600;
	int64_t day = hour / 24;
	int64_t sum;

	if (ensure_days(mp, (size_t)day) == 0) {
		sum = mp->day_cum[day];
	} else {
		sum = 0;
		for (int64_t d = 0; d < day; d++)
			sum += day_micro(mp, d);
	}
	for (int64_t h = day * 24; h < hour; h++)
		sum += hour_micro(mp->key, mp->rate, h);
	return sum + hour_micro(mp->key, mp->rate, hour) * (s % 3600) / 3600;
}

int64_t model_counter_micro(const struct sim_meter *m,
			    const struct gfi_point *pt, int64_t t)
{
	int i = point_index(m, pt);

	if (i < 0 || m->model == NULL ||
	    m->profile->points[i].quantity->kind != GFI_COUNTER)
		return 0;
	return counter_micro_at(&m->model->points[i], t);
}

static double counter_value(const struct sim_meter *m,
			    const struct gfi_point *pt, struct model_point *mp,
			    int64_t t)
{
	int64_t now = counter_micro_at(mp, t);
	double v;

	if (m->has_replacement && t >= m->replacement_at_s) {
		int64_t at = counter_micro_at(mp, m->replacement_at_s);
		v = m->replacement_initial + (double)(now - at) / MICRO;
	} else {
		v = m->initial + (double)now / MICRO;
	}
	if (mp->wrap > 0.0) {
		v = fmod(v, mp->wrap);
		/* A register rounds to its resolution; the last half step
		 * before the wrap reads as the wrap itself, which a register
		 * cannot hold: the real meter shows 0 there. */
		if (gfi_point_representable(pt, v) >= mp->wrap)
			v = 0.0;
	}
	return v;
}

static double followed_rate(const struct sim_meter *m,
			    const struct model_point *mp, int64_t hour)
{
	if (mp->follows >= 0) {
		const struct model_point *c = &m->model->points[mp->follows];
		return (double)hour_micro(c->key, c->rate, hour) / MICRO;
	}
	return (double)hour_micro(mp->follow_key, mp->follow_rate, hour) /
	       MICRO;
}

static double gauge_value(const struct sim_meter *m, const struct gfi_point *pt,
			  const struct model_point *mp, int64_t t)
{
	int64_t s = clamp(t, 0, MODEL_END_S) - MODEL_ORIGIN_S;
	int64_t hour = floor_div(s, 3600);
	double n = noise(mp->key, floor_div(s, 60), DOMAIN_MINUTE);
	const char *q = pt->quantity->name;
	int hot = m->model->hot;

	if (mp->follows != -2) {
		double r = followed_rate(m, mp, hour) * follow_factor(pt);
		return r * (1.0 + 0.03 * n);
	}
	if (strcmp(q, "elec_voltage_v") == 0)
		return 230.0 * (1.0 + 0.01 * n);
	if (strcmp(q, "elec_power_factor") == 0)
		return 0.92 + 0.02 * n;
	if (strcmp(q, "elec_frequency_hz") == 0)
		return 50.0 + 0.02 * n;
	if (strcmp(q, "temperature_c") == 0)
		return hot ? 180.0 + 5.0 * n : 25.0 + 2.0 * n;
	if (strcmp(q, "pressure_mpa") == 0)
		return hot ? 0.80 + 0.02 * n : 0.35 + 0.02 * n;
	if (strcmp(q, "flue_flow_m3h") == 0)
		return 50000.0 * (1.0 + 0.05 * n);
	if (strcmp(q, "so2_mgm3") == 0)
		return 35.0 * (1.0 + 0.10 * n);
	if (strcmp(q, "nox_mgm3") == 0)
		return 80.0 * (1.0 + 0.10 * n);
	if (strcmp(q, "dust_mgm3") == 0)
		return 8.0 * (1.0 + 0.15 * n);
	if (strcmp(q, "o2_pct") == 0)
		return 9.0 + 0.5 * n;
	if (strcmp(q, "cems_flag") == 0)
		return 0.0;
	if (strcmp(q, "cod_mgl") == 0)
		return 40.0 * (1.0 + 0.10 * n);
	if (strcmp(q, "nh3n_mgl") == 0)
		return 3.0 * (1.0 + 0.10 * n);
	return 100.0 * (1.0 + 0.05 * n); /* a gauge kind added later */
}

double model_value(const struct sim_meter *m, const struct gfi_point *pt,
		   int64_t t)
{
	int i = point_index(m, pt);

	if (i < 0 || m->model == NULL)
		return NAN;
	pt = &m->profile->points[i];
	if (pt->quantity->kind == GFI_COUNTER)
		return counter_value(m, pt, &m->model->points[i], t);
	return gauge_value(m, pt, &m->model->points[i], t);
}

static void init_gauge(const struct sim_meter *m, struct model_point *mp,
		       const struct gfi_point *pt)
{
	const struct gfi_profile *p = m->profile;
	const char *cq = followed_quantity(pt->quantity->name);

	mp->follows = -2;
	if (cq == NULL)
		return;
	for (size_t j = 0; j < p->npoints; j++) {
		if (strcmp(p->points[j].quantity->name, cq) == 0) {
			mp->follows = (int)j;
			return;
		}
	}
	/* No counter point in the profile: follow a virtual one named after
	 * the counter quantity, with that quantity's rate. */
	mp->follows = -1;
	mp->follow_key = point_key(m->seed, m->id, cq);
	mp->follow_rate = counter_rate(m, gfi_quantity_find(cq));
}

static void init_counter(const struct sim_meter *m, struct model_point *mp,
			 const struct gfi_point *pt)
{
	double wrap = pt->counter_max;

	mp->rate = counter_rate(m, pt->quantity) * phase_share(pt);
	if (m->rollover_max > 0.0 && (wrap <= 0.0 || m->rollover_max < wrap))
		wrap = m->rollover_max;
	mp->wrap = wrap;
}

int model_meter_init(struct sim_meter *m)
{
	struct model_state *st = NULL;
	const struct gfi_profile *p = m->profile;

	model_meter_free(m);
	if (p == NULL)
		return GFI_E_INVAL;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return GFI_E_NOMEM;
	st->points = calloc(p->npoints ? p->npoints : 1, sizeof(*st->points));
	if (st->points == NULL) {
		free(st);
		return GFI_E_NOMEM;
	}
	st->npoints = p->npoints;
	for (size_t i = 0; i < p->npoints; i++) {
		const struct gfi_point *pt = &p->points[i];
		const char *q = pt->quantity->name;
		if (strncmp(q, "steam_", 6) == 0 || strncmp(q, "heat_", 5) == 0)
			st->hot = 1;
	}
	for (size_t i = 0; i < p->npoints; i++) {
		const struct gfi_point *pt = &p->points[i];
		struct model_point *mp = &st->points[i];
		mp->key = point_key(m->seed, m->id, pt->name);
		if (pt->quantity->kind == GFI_COUNTER)
			init_counter(m, mp, pt);
		else
			init_gauge(m, mp, pt);
	}
	m->model = st;
	return GFI_OK;
}

void model_meter_free(struct sim_meter *m)
{
	if (m == NULL || m->model == NULL)
		return;
	for (size_t i = 0; i < m->model->npoints; i++)
		free(m->model->points[i].day_cum);
	free(m->model->points);
	free(m->model);
	m->model = NULL;
}
