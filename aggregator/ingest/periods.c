/*
 * periods.c — closed periods and time tolerance at ingest (periods.h).
 *
 * Why apart from verify.c: verify decides whether a batch is accepted;
 * this only marks and flags what an accepted batch brought, so the order
 * of verify's checks stays in one place.
 *
 * Invariants: nothing here refuses or changes a reading; a late reading is
 * marked once (store_late_mark's key); the late_for_filed alert of a
 * (unit, year) is an upsert carrying the filed value (the snapshot's) and
 * the current one (indicators_compute_at), recomputed at most once a
 * minute per cache, so a late backlog does not compute a year per batch.
 * A dated registry change reaching into a filed year is flagged the same
 * way (registry_after_filing), from the admin command that made it.
 */
#include "periods.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "error.h"
#include "indicators.h"
#include "log.h"

/* Whether the filed and the current 综合能耗 are the same figure. */
static int same_figure(double filed, double now)
{
	if (isnan(filed) || isnan(now))
		return isnan(filed) && isnan(now);
	return fabs(filed - now) <= 1e-9 * fmax(1.0, fabs(filed));
}

int periods_filed_alert(struct store *s, const char *unit, int year, const char *rule,
			const char *cause, int if_changed, int64_t now_s)
{
	struct store_alert a = { .value = NAN, .threshold = NAN };
	struct ind_period *p;
	char *snap = NULL;
	size_t len = 0;
	int64_t snap_s = 0, id = 0;
	int created = 0, ret;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return GFI_E_NOMEM;
	ret = store_filing_snapshot_get(s, unit, year, &snap, &len, &snap_s,
					&a.threshold);
	free(snap);
	if (ret == GFI_OK || ret == GFI_E_NOTFOUND)
		ret = indicators_compute_at(s, unit, year, 0, now_s, p);
	if (ret == GFI_OK && p->v[IND_ENERGY_EQUIV_TCE].has_value)
		a.value = p->v[IND_ENERGY_EQUIV_TCE].value;
	free(p);
	if (ret != GFI_OK || (if_changed && same_figure(a.threshold, a.value)))
		return ret;
	snprintf(a.unit, sizeof(a.unit), "%s", unit);
	snprintf(a.rule, sizeof(a.rule), "%s", rule);
	snprintf(a.subject, sizeof(a.subject), "energy_equiv_tce");
	snprintf(a.period, sizeof(a.period), "%d", year);
	snprintf(a.detail, sizeof(a.detail), "%s: 综合能耗 filed %.6g tce, now %.6g tce",
		 cause, a.threshold, a.value);
	return store_alert_raise(s, &a, now_s, &id, &created);
}

/* Raise late_for_filed for (unit, year), at most once a minute per (unit,
 * year) and cache. */
static int late_alert(struct store *s, struct late_cache *c, const char *unit, int year,
		      int64_t filed_s, int64_t now_s)
{
	char cause[160];
	int64_t late = 0;
	int ret;

	if (strcmp(c->unit, unit) == 0 && c->year == year && now_s - c->at_s < 60)
		return GFI_OK;
	if ((ret = store_late_count(s, unit, year, &late)) != GFI_OK)
		return ret;
	snprintf(cause, sizeof(cause), "%" PRId64 " readings arrived after the filing of "
		 "%d at %" PRId64, late, year, filed_s);
	snprintf(c->unit, sizeof(c->unit), "%s", unit);
	c->year = year;
	c->at_s = now_s;
	return periods_filed_alert(s, unit, year, "late_for_filed", cause, 0, now_s);
}

int periods_registry_changed(struct store *s, const char *const *units, size_t n,
			     int64_t from_s, const char *what, int moved, int64_t now_s)
{
	int first, last, m, d, ret = GFI_OK;

	calendar_date_of(from_s, &first, &m, &d);
	calendar_date_of(now_s, &last, &m, &d);
	for (size_t i = 0; ret == GFI_OK && i < n; i++) {
		if (units[i] == NULL || units[i][0] == '\0')
			continue;
		for (int y = first; ret == GFI_OK && y <= last; y++) {
			int filed = store_filing_held(s, units[i], y);
			if (filed < 0)
				return filed;
			if (filed)
				ret = periods_filed_alert(s, units[i], y, "registry_after_filing",
							  what, moved, now_s);
		}
	}
	return ret;
}

int periods_late_marks(struct store *s, struct late_cache *c, const char *gateway,
		       const struct gfi_reading *const *rs,
		       const unsigned char *inserted, size_t n, int64_t now_s)
{
	char unit[STORE_CODE_LEN + 1];
	int64_t filed_s = 0;
	int year, m, d, last_year = 0, filed = 0, ret = GFI_OK;

	for (size_t i = 0; i < n && ret >= 0; i++) {
		if (!inserted[i])
			continue;
		calendar_date_of(rs[i]->time_s, &year, &m, &d);
		if (year != last_year) {
			if (filed == 1)
				ret = late_alert(s, c, unit, last_year, filed_s, now_s);
			last_year = year;
			filed = ret >= 0 ? store_filed_for_gateway(s, gateway, year, unit,
								  sizeof(unit), &filed_s) : 0;
			if (filed < 0)
				return filed;
		}
		if (filed == 1 && ret >= 0)
			ret = store_late_mark(s, gateway, rs[i], unit, year, now_s);
	}
	if (ret >= 0 && filed == 1)
		ret = late_alert(s, c, unit, last_year, filed_s, now_s);
	return ret < 0 ? ret : GFI_OK;
}

int periods_time_flags(struct store *s, const struct gfi_batch *b,
		       int64_t future_tolerance_s, int64_t now_s)
{
	char why[VERIFY_REASON_MAX] = "";
	int64_t oldest = b->n > 0 ? b->readings[0].time_s : now_s;

	for (size_t i = 1; i < b->n; i++)
		if (b->readings[i].time_s < oldest)
			oldest = b->readings[i].time_s;
	if (b->sent_s < VERIFY_SENT_MIN_S)
		snprintf(why, sizeof(why), "sent: %" PRId64 " before 2020: clock not set",
			 b->sent_s);
	else if (b->sent_s > now_s + future_tolerance_s)
		snprintf(why, sizeof(why), "sent: %" PRId64 " s after its receipt",
			 b->sent_s - now_s);
	else if (now_s - b->sent_s > VERIFY_SENT_PAST_S)
		snprintf(why, sizeof(why), "sent: %" PRId64 " s before its receipt",
			 now_s - b->sent_s);
	else if (now_s - oldest > VERIFY_READING_PAST_S)
		snprintf(why, sizeof(why), "time: a reading %" PRId64 " s before its "
			 "receipt", now_s - oldest);
	if (why[0] == '\0')
		return GFI_OK;
	log_warn("batch flagged: gateway=%s seq=%" PRIu64 ": %s", b->gateway, b->seq, why);
	return store_batch_flag(s, b->gateway, b->epoch, b->seq, why, now_s);
}
