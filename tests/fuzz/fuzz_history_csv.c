/*
 * fuzz_history_csv.c — import_parse (aggregator/ingest/import.c) on arbitrary
 * bytes: the history CSV a factory's energy management system exported,
 * checked against an in-memory registry (gateway gw-a of unit U1 with a
 * counter E1/kwh, a gauge E1/kw; gw-b's points all retired). No store is
 * opened: the parser is a pure function over the buffer and the lookup.
 * Invariants checked on every input: each data record is either a good row
 * or counted bad once; good rows belong to a series the lookup accepted,
 * carry a time in range and a finite value exactly when their status has
 * one; no two good rows share (series, time); kept errors are sorted by
 * line and start with the file name.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "import.h"

#define NOW 1767225600

static int lookup(void *ctx, const char *gateway, const char *meter,
		  const char *point, struct import_target *out, char *why,
		  size_t whylen)
{
	(void)ctx;
	if (strcmp(gateway, "gw-b") == 0) {
		snprintf(why, whylen, "point: %s/%s on gateway gw-b is retired", meter, point);
		return 1;
	}
	if (strcmp(gateway, "gw-a") != 0) {
		snprintf(why, whylen, "gateway: %s is not registered", gateway);
		return 1;
	}
	if (strcmp(meter, "E1") != 0 ||
	    (strcmp(point, "kwh") != 0 && strcmp(point, "kw") != 0)) {
		snprintf(why, whylen, "point: %s/%s is not registered", meter, point);
		return 1;
	}
	snprintf(out->quantity, sizeof(out->quantity), "%s",
		 strcmp(point, "kwh") == 0 ? "elec_import_kwh" : "elec_power_kw");
	snprintf(out->unit, sizeof(out->unit), "U1");
	return 0;
}

static int row_cmp(const struct import_row *a, const struct import_row *b)
{
	return a->series == b->series && a->time_s == b->time_s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct import_result res;
	char err[256];
	size_t good = 0;
	int ret = import_parse("f.csv", data, size, NOW, lookup, NULL, &res, err,
			       sizeof(err));

	if (ret != 0) {
		if (fuzz_verbose())
			printf("refused: %s\n", err);
		if (err[0] == '\0' || strncmp(err, "f.csv", 5) != 0)
			__builtin_trap();
		import_result_free(&res);
		return 0;
	}
	for (size_t i = 0; i < res.nrows; i++) {
		const struct import_row *r = &res.rows[i];
		if (r->bad)
			continue;
		good++;
		if (r->series >= res.nseries || res.series[r->series].refused ||
		    r->time_s < IMPORT_TIME_MIN ||
		    r->time_s > NOW + IMPORT_FUTURE_TOLERANCE_S ||
		    gfi_status_has_value(r->status) != !isnan(r->value) ||
		    (!isnan(r->value) && !isfinite(r->value)))
			__builtin_trap();
		/* rows are sorted by (series, time): a duplicate is adjacent */
		for (size_t j = i + 1; j < res.nrows; j++) {
			if (res.rows[j].bad)
				continue;
			if (row_cmp(r, &res.rows[j]))
				__builtin_trap();
			break;
		}
	}
	if (good + res.bad_rows != res.data_rows ||
	    res.nerrors > IMPORT_ERRORS_KEPT || res.nerrors > res.bad_rows ||
	    (res.bad_rows > 0 && res.nerrors == 0))
		__builtin_trap();
	for (size_t i = 0; i < res.nerrors; i++) {
		if (strncmp(res.errors[i].text, "f.csv:", 6) != 0 ||
		    (i > 0 && res.errors[i].line < res.errors[i - 1].line))
			__builtin_trap();
	}
	if (fuzz_verbose())
		printf("ok: %zu rows, %zu good, %zu bad%s%s\n", res.data_rows, good,
		       res.bad_rows, res.nerrors ? ", first: " : "",
		       res.nerrors ? res.errors[0].text : "");
	import_result_free(&res);
	return 0;
}
