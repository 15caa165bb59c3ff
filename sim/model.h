/*
 * model.h — the simulator's deterministic consumption model.
 *
 * Every value is a pure function of (seed, meter id, point name, UTC second),
 * so a restarted simulator continues the same counters and a test can compute
 * the truth without talking to the simulator. docs/simulator.md gives the
 * formulas.
 *
 * Counters accumulate whole micro-units (1e-6 of the point's unit) per hour,
 * so cached and uncached sums are bit-identical and only grow. The per-meter
 * cache (prefix sums per local day) makes a read a year after the origin cost
 * at most 24 hashes once the day is cached. Not thread-safe: one thread per
 * meter (the simulator has one thread).
 */
#ifndef GFI_SIM_MODEL_H
#define GFI_SIM_MODEL_H

#include <stdint.h>

#include "profile.h"
#include "simconfig.h"

/* 2025-01-01T00:00+08:00, a Wednesday: counters hold `initial` until then. */
#define MODEL_ORIGIN_S INT64_C(1735660800)
/* 2100-01-01T00:00Z: later times are clamped here. */
#define MODEL_END_S INT64_C(4102444800)
#define MODEL_NOISE 0.2 /* hourly rate noise, +-20% */

/* Set up m->model for m->profile (must be loaded). GFI_OK or GFI_E_NOMEM. */
int model_meter_init(struct sim_meter *m);
/* Free m->model; accepts a meter without one. */
void model_meter_free(struct sim_meter *m);

/* The true value of point pt of meter m at UTC second t (pt should be one of
 * m->profile's points; another point is looked up by name, unknown -> NaN).
 * Counters include initial, replacement and rollover; the register holds
 * gfi_point_representable(pt, model_value(...)). */
double model_value(const struct sim_meter *m, const struct gfi_point *pt,
		   int64_t t);

/* Building blocks, public for tests and docs. */
/* Micro-units counted by pt from the origin to t (no initial, replacement or
 * rollover), through the day cache. 0 for gauges. */
int64_t model_counter_micro(const struct sim_meter *m,
			    const struct gfi_point *pt, int64_t t);
/* Micro-units counted by pt in hour `hour` since the origin (uncached). */
int64_t model_hour_micro(const struct sim_meter *m, const struct gfi_point *pt,
			 int64_t hour);
/* Rate shapes: local (Asia/Shanghai) hour 0..23; weekday 0 = Sunday. */
double model_daily_shape(int local_hour);
double model_weekly_shape(int weekday);
/* Default working-hour rate per hour of a counter quantity, e.g. 500 for
 * elec_import_kwh; 0 for gauges. */
double model_default_rate(const struct gfi_quantity *q);
/* Largest base_rate (unit of the meter's first counter) whose gauges still
 * fit their integer registers at peak; INFINITY when nothing limits it. */
double model_max_base_rate(const struct sim_meter *m);
/* splitmix64 finaliser (Steele, Lea, Flood 2014), for seeded noise. */
uint64_t model_splitmix64(uint64_t x);

#endif
