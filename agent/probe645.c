/*
 * probe645.c — `gfi-agent probe` on a DL/T 645 line: the one meter's
 * address (read address, 0x13) and the shipped dlt645 profile its data
 * identifiers and values fit best.
 *
 * Each profile's points are read twice, a second apart, through the
 * line's own poll (line645_poll_meter, every read a read-data request: the
 * probe never writes); a point the meter refuses (an error reply: no such
 * data) or damages counts against the profile, the values are judged as
 * on Modbus lines (probe_judge). There is no word order in BCD.
 * Invariant: every wait is bounded by the run's deadline.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "line645.h"
#include "poller.h"
#include "probe.h"

#define PROBE645_TIMEOUT_MS 500

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int timeout_left(int64_t deadline_ms)
{
	int64_t left = deadline_ms - mono_ms();

	return left < 10 ? 0 : left > PROBE645_TIMEOUT_MS ? PROBE645_TIMEOUT_MS
							  : (int)left;
}

/* One profile read twice from addr: its fit (passed, failed). */
struct fit645 {
	int passed, failed;
};

static int poll_twice(struct line645 *l, const struct meter_cfg *mc,
		      struct gfi_reading *r1, struct gfi_reading *r2,
		      int64_t deadline_ms)
{
	struct poll_meter pm;
	int64_t t0 = mono_ms();
	int rc;

	if (poll_meter_init(&pm, mc) != GFI_OK)
		return GFI_E_NOMEM;
	rc = line645_poll_meter(&pm, l, 0, r1);
	while (rc == GFI_OK && mono_ms() - t0 < 1100 && mono_ms() < deadline_ms) {
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
	if (rc == GFI_OK)
		rc = line645_poll_meter(&pm, l, 0, r2);
	poll_meter_free(&pm);
	return rc;
}

static struct fit645 judge_profile(struct line645 *l, const struct gfi_profile *p,
				   const uint8_t *addr, int64_t deadline_ms)
{
	struct fit645 f = { 0, 0 };
	struct meter_cfg mc;
	struct meter_point *mp = calloc(p->npoints, sizeof(*mp));
	struct gfi_reading *r = calloc(2 * p->npoints, sizeof(*r));

	for (size_t i = 0; mp != NULL && i < p->npoints; i++)
		mp[i] = (struct meter_point){ &p->points[i], 0, 1 };
	memset(&mc, 0, sizeof(mc));
	snprintf(mc.id, sizeof(mc.id), "probe");
	memcpy(mc.address, addr, sizeof(mc.address));
	mc.slave = -1;
	mc.profile = p;
	mc.timeout_ms = timeout_left(deadline_ms);
	mc.npoints = p->npoints;
	mc.points = mp;
	if (mp == NULL || r == NULL || mc.timeout_ms == 0 ||
	    poll_twice(l, &mc, r, r + p->npoints, deadline_ms) != GFI_OK) {
		f.failed = (int)p->npoints;
	} else {
		for (size_t i = 0; i < p->npoints; i++) {
			const struct gfi_reading *a = &r[i], *b = &r[p->npoints + i];
			int j = probe_judge(&p->points[i],
					    gfi_status_has_value(a->status) ? GFI_OK : GFI_E_PROTO,
					    a->value,
					    gfi_status_has_value(b->status) ? GFI_OK : GFI_E_PROTO,
					    b->value);
			f.passed += j > 0;
			f.failed += j < 0;
		}
	}
	free(mp);
	free(r);
	return f;
}

int probe_dlt645(const struct line_cfg *line, struct gfi_profile **profiles,
		 size_t np, int64_t deadline_ms, FILE *out, FILE *err)
{
	struct line645 *l = line645_new(line);
	uint8_t addr[DLT645_ADDR_LEN];
	char msg[256], text[DLT645_ADDR_DIGITS + 1];
	struct fit645 best = { 0, 1 };
	size_t bi = np, ties = 0;

	if (l == NULL || line645_connect(l, msg, sizeof(msg)) != GFI_OK) {
		fprintf(err, "%s\n", l ? msg : "out of memory");
		line645_free(l);
		return -1;
	}
	if (timeout_left(deadline_ms) == 0 ||
	    line645_read_address(l, timeout_left(deadline_ms), addr) != GFI_OK) {
		fprintf(out, "# line %s: no single meter answered read address "
			"(several? find them with discover --from --to)\n", line->id);
		line645_free(l);
		return 0;
	}
	dlt645_addr_format(addr, text);
	for (size_t i = 0; i < np; i++) {
		struct fit645 f = judge_profile(l, profiles[i], addr, deadline_ms);
		fprintf(out, "# address %s: %s: %d values plausible, %d not or refused\n",
			text, profiles[i]->id, f.passed, f.failed);
		int score = f.passed - 2 * f.failed, top = best.passed - 2 * best.failed;
		/* Ties go to the generic profile: the identifiers are the
		 * standard's, so any that fit read the same data. */
		if (bi != np && score == top) {
			ties++;
			if (strcmp(profiles[i]->id, "generic-dlt645") == 0)
				bi = i;
		} else if (bi == np || score > top) {
			best = f;
			bi = i;
			ties = 0;
		}
	}
	line645_free(l);
	if (bi == np || best.passed == 0 || best.failed > 0)
		return 0;
	if (ties > 0)
		fprintf(out, "# address %s: %zu profiles fit equally (the standard's "
			"identifiers); proposing %s\n", text, ties + 1, profiles[bi]->id);
	fprintf(out, "{\"id\": \"%s-%s\", \"line\": \"%s\", \"address\": \"%s\", "
		"\"profile\": \"%s\"}\n", line->id, text, line->id, text,
		profiles[bi]->id);
	return 1;
}
