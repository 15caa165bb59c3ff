/*
 * store_quarantine.c — the bounded quarantine (store_quarantine.h).
 *
 * Why: a refused batch is kept so an operator can see what a gateway sent,
 * but a gateway (or a stolen certificate) must not be able to fill the
 * city's disk with refusals. So each gateway's rows and bytes are capped;
 * a payload held already (same SHA-256, same gateway) only bumps its
 * repeat count and last-seen time; a payload whose signature never
 * verified is kept only as a short prefix (it is nobody's word); beyond
 * the cap a refusal is only counted (table quarantine_refused).
 * Invariants: a gateway's rows never exceed max_rows, its stored bytes
 * (payload + topic + reason) never exceed max_bytes; counters only grow
 * until purged.
 */
#include "store-private.h"

#include <stdio.h>
#include <string.h>

#include "batch.h"
#include "error.h"
#include "sign.h"
#include "store_quarantine.h"

/* The bytes a row costs against its gateway's cap. */
#define ROW_BYTES "length(payload) + length(topic) + length(reason)"

static int held_repeat(struct store *s, const char *gateway,
		       const uint8_t hash[GFI_SHA256_LEN], int64_t now_s, int *found)
{
	int ret = db_run(s->db, "UPDATE quarantine SET repeats = repeats + 1, "
			 "last_s = max(last_s, ?3) WHERE gateway = ?1 AND hash = ?2",
			 DB_ARGS(DB_TEXT(gateway), DB_BLOB(hash, GFI_SHA256_LEN),
				 DB_INT(now_s)), "quarantine repeat");

	*found = ret == GFI_OK && sqlite3_changes(s->db) > 0;
	return ret;
}

static void pair_decode(sqlite3_stmt *st, void *row)
{
	int64_t *v = row;
	v[0] = sqlite3_column_int64(st, 0);
	v[1] = sqlite3_column_int64(st, 1);
}

/* Whether gateway may keep one more row of cost bytes under lim. */
static int under_cap(struct store *s, const struct quarantine_limits *lim,
		     const char *gateway, int64_t cost, int *ok)
{
	int64_t held[2] = { 0, 0 };
	int ret = db_select_one(s->db, "SELECT count(*), coalesce(sum(" ROW_BYTES
				"), 0) FROM quarantine WHERE gateway = ?1",
				DB_ARGS(DB_TEXT(gateway)), pair_decode, held,
				"quarantine cap");

	*ok = ret == GFI_OK && held[0] < lim->max_rows &&
	      held[1] + cost <= lim->max_bytes;
	return ret;
}

int store_quarantine_put(struct store *s, const struct quarantine_limits *lim,
			 const struct quarantine_item *it, enum quarantine_fate *fate)
{
	uint8_t hash[GFI_SHA256_LEN];
	size_t keep = it->len;
	int found = 0, ok = 0, ret;

	if (!it->signed_ok && keep > (size_t)lim->prefix_bytes)
		keep = (size_t)lim->prefix_bytes;
	if (keep > GFI_BATCH_MAX_BYTES)
		keep = GFI_BATCH_MAX_BYTES;
	gfi_sha256(it->len > 0 ? it->payload : "", it->len, hash);
	*fate = QUARANTINE_REPEAT;
	if ((ret = held_repeat(s, it->gateway, hash, it->received_s, &found)) || found)
		return ret;
	ret = under_cap(s, lim, it->gateway,
			(int64_t)(keep + strlen(it->topic) + strlen(it->reason)), &ok);
	if (ret != GFI_OK)
		return ret;
	if (!ok) {
		*fate = QUARANTINE_OVER_CAP;
		return store_quarantine_count(s, it->gateway, 1, 0, it->received_s);
	}
	*fate = QUARANTINE_KEPT;
	return db_run(s->db, "INSERT INTO quarantine (received_s, topic, gateway, "
		      "reason, payload, hash, size, repeats, last_s, signed) "
		      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?1, ?8)",
		      DB_ARGS(DB_INT(it->received_s), DB_TEXT(it->topic),
			      DB_TEXT(it->gateway), DB_TEXT(it->reason),
			      DB_BLOB(keep > 0 ? it->payload : "", keep),
			      DB_BLOB(hash, GFI_SHA256_LEN), DB_INT(it->len),
			      DB_INT(it->signed_ok != 0)), "quarantine batch");
}

int store_quarantine_count(struct store *s, const char *gateway, int64_t over_cap,
			   int64_t throttled, int64_t now_s)
{
	return db_run(s->db, "INSERT INTO quarantine_refused (gateway, over_cap, "
		      "throttled, last_s) VALUES (?1, ?2, ?3, ?4) "
		      "ON CONFLICT (gateway) DO UPDATE SET "
		      "over_cap = over_cap + ?2, throttled = throttled + ?3, "
		      "last_s = max(last_s, ?4)",
		      DB_ARGS(DB_TEXT(gateway), DB_INT(over_cap), DB_INT(throttled),
			      DB_INT(now_s)), "quarantine count");
}

static void summary_decode(sqlite3_stmt *st, void *row)
{
	struct quarantine_summary *q = row;

	memset(q, 0, sizeof(*q));
	DB_ROW(st, q, DB_COL_TEXT(q->gateway), DB_COL_INT(q->rows),
	       DB_COL_INT(q->bytes), DB_COL_INT(q->repeats),
	       DB_COL_INT(q->over_cap), DB_COL_INT(q->throttled),
	       DB_COL_INT(q->last_s));
}

/* Per gateway: its rows joined with its counters (either may be absent);
 * ?1 = '' for every gateway. */
#define SUMMARY_SQL \
	"WITH held AS (SELECT gateway, count(*) AS n, sum(" ROW_BYTES ") AS b," \
	"  sum(repeats) - count(*) AS r, max(last_s) AS l FROM quarantine" \
	"  WHERE ?1 = '' OR gateway = ?1 GROUP BY gateway)," \
	" gws AS (SELECT gateway FROM held UNION SELECT gateway FROM" \
	"  quarantine_refused WHERE ?1 = '' OR gateway = ?1) " \
	"SELECT g.gateway, coalesce(h.n, 0) AS n, coalesce(h.b, 0) AS b," \
	" coalesce(h.r, 0) AS r, coalesce(c.over_cap, 0) AS o," \
	" coalesce(c.throttled, 0) AS t," \
	" max(coalesce(h.l, 0), coalesce(c.last_s, 0)) AS l FROM gws g" \
	" LEFT JOIN held h ON h.gateway = g.gateway" \
	" LEFT JOIN quarantine_refused c ON c.gateway = g.gateway"

int store_quarantine_summaries(struct store *s, const char *gateway,
			       store_row_fn fn, void *ctx)
{
	struct quarantine_summary q;

	return db_select(s->db, SUMMARY_SQL " ORDER BY g.gateway",
			 DB_ARGS(DB_TEXT(gateway ? gateway : "")), summary_decode,
			 &q, fn, ctx, "quarantine list");
}

int store_quarantine_totals(struct store *s, struct quarantine_summary *out)
{
	return db_select_one(s->db, "SELECT '', coalesce(sum(n), 0), coalesce(sum(b), 0), "
			     "coalesce(sum(r), 0), coalesce(sum(o), 0), "
			     "coalesce(sum(t), 0), coalesce(max(l), 0) FROM ("
			     SUMMARY_SQL ")", DB_ARGS(DB_TEXT("")), summary_decode,
			     out, "quarantine totals");
}

int store_quarantine_purge(struct store *s, const char *gateway, int64_t before_s,
			   int all_counters, int64_t *deleted)
{
	const char *gw = gateway ? gateway : "";
	int ret = db_run(s->db, "DELETE FROM quarantine WHERE last_s < ?2 AND "
			 "(?1 = '' OR gateway = ?1)",
			 DB_ARGS(DB_TEXT(gw), DB_INT(before_s)), "quarantine purge");

	*deleted = ret == GFI_OK ? sqlite3_changes(s->db) : 0;
	if (ret == GFI_OK && all_counters)
		ret = db_run(s->db, "DELETE FROM quarantine_refused WHERE "
			     "?1 = '' OR gateway = ?1", DB_ARGS(DB_TEXT(gw)),
			     "quarantine purge");
	return ret;
}
