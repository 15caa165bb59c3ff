/*
 * evidence.c — `gfi-aggregator evidence --store FILE --unit CODE --year Y
 * --out DIR`: an evidence pack a reviewer checks without gfi (issue 17).
 *
 * DIR (made here, must not exist) holds, for each gateway reading a meter
 * point the unit had in the year (store_moves.h: through the gateway or a
 * move of the meter's own):
 *   keys/<gw>.<n>.pem and keys.txt    every key it has had, with the place
 *                                     (epoch, seq) it signs from, its
 *                                     revocation and its SHA-256;
 *   batches/<gw>/<epoch>/<chunk>/<seq>.json and .sig
 *                                     the signed batches received in the
 *                                     year (and up to EVIDENCE_LATE_S after
 *                                     it): BATCH_JSON bytes and the DER
 *                                     signature, exactly as signed; the
 *                                     batch before each run, so every prev
 *                                     is checked;
 *   batches.txt                       one line per batch in chain order:
 *                                     gateway epoch seq keyfile mode path;
 *   trail.csv                         every metered counter point's part
 *                                     of the year that was the unit's:
 *                                     interpolated end values, total, flags;
 *   filing.json                       the unit's table as filed, when it was;
 *   verify.sh                         sh and openssl alone: every signature
 *                                     with the key valid for it, every key's
 *                                     hash, the chain (prev = SHA-256 of the
 *                                     batch before; zeros at seq 1).
 * Epoch "" (agents before epochs) is written "-". Invariants: nothing is
 * re-serialised (the .json files are the signed bytes); the key of each
 * batch is the one verification uses (store_gateway_key_for); a refusal is
 * one line naming the option (exit 2), a store or I/O failure exit 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "batch.h"
#include "calendar.h"
#include "cmd.h"
#include "error.h"
#include "grow.h"
#include "opts.h"
#include "quantity.h"
#include "series.h"
#include "sign.h"
#include "store.h"

#define EVIDENCE_LATE_S (31 * 86400)   /* batches received after the year */
#define CHUNK 1000                     /* batches per directory */
#define PATH_MAX_LEN 512

extern const char evidence_verify_sh[];   /* evidence_sh.c: the script */

struct pack {
	struct store *s;
	const char *dir;
	FILE *err;
	FILE *index;                   /* batches.txt */
	FILE *keys_txt;                /* keys.txt */
	int64_t t0, t1;                /* the year */
	struct store_gateway_key *keys;  /* the current gateway's keys */
	size_t nkeys, kcap;
	struct store_batch_ref *refs;  /* the current gateway's batches */
	size_t nrefs, rcap;
	size_t batches;                /* written, all gateways */
	int nomem;
};

static const char *epoch_dir(const char *epoch)
{
	return epoch[0] ? epoch : "-";
}

/* DIR/rel into p[PATH_MAX_LEN]: 0, or -1 (ENAMETOOLONG) when longer. */
static int rel_path(char *p, const char *dir, const char *rel)
{
	int n = snprintf(p, PATH_MAX_LEN, "%s/%s", dir, rel);

	if (n < 0 || n >= PATH_MAX_LEN) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* mkdir -p of DIR/rel (rel's parents included). 0 or -1 (errno). */
static int make_dirs(const char *dir, const char *rel)
{
	char p[PATH_MAX_LEN];

	if (rel_path(p, dir, rel) != 0)
		return -1;
	for (char *c = p + strlen(dir) + 1; *c != '\0'; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			return -1;
		*c = '/';
	}
	return mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* Write data[0..len) to DIR/rel. 0 or -1 (errno). */
static int write_rel(const char *dir, const char *rel, const void *data, size_t len)
{
	char p[PATH_MAX_LEN];
	FILE *f;
	int ok;

	if (rel_path(p, dir, rel) != 0 || (f = fopen(p, "wb")) == NULL)
		return -1;
	ok = fwrite(data, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static FILE *open_rel(const char *dir, const char *rel)
{
	char p[PATH_MAX_LEN];

	return rel_path(p, dir, rel) == 0 ? fopen(p, "w") : NULL;
}

static int io_fail(struct pack *p, const char *what)
{
	fprintf(p->err, "--out: %s: %s\n", what, strerror(errno));
	return OPTS_FAIL;
}

/* ---- keys ---- */

static int take_key(void *ctx, const void *row)
{
	struct pack *p = ctx;
	struct store_gateway_key *k = gfi_grow(p->keys, &p->kcap, p->nkeys,
					       sizeof(*k), 4);

	if (k == NULL) {
		p->nomem = 1;
		return 1;
	}
	p->keys = k;
	p->keys[p->nkeys++] = *(const struct store_gateway_key *)row;
	return 0;
}

/* The keys of gateway gw: keys/<gw>.<n>.pem and a line each in keys.txt. */
static int write_keys(struct pack *p, const char *gw)
{
	char rel[PATH_MAX_LEN], hex[2 * GFI_SHA256_LEN + 1];
	uint8_t h[GFI_SHA256_LEN];
	int ret;

	p->nkeys = 0;
	ret = store_gateway_key_list(p->s, gw, take_key, p);
	if (ret == GFI_OK && p->nomem)
		ret = GFI_E_NOMEM;
	if (ret != GFI_OK)
		return ret;
	for (size_t i = 0; i < p->nkeys; i++) {
		const struct store_gateway_key *k = &p->keys[i];
		size_t len = strlen(k->pubkey_pem);

		snprintf(rel, sizeof(rel), "keys/%s.%" PRId64 ".pem", gw, k->n);
		if (write_rel(p->dir, rel, k->pubkey_pem, len) != 0)
			return GFI_E_IO;
		gfi_sha256(k->pubkey_pem, len, h);
		fprintf(p->keys_txt, "%s.%" PRId64 ".pem %s %s %s %" PRIu64 " %s %" PRIu64
			" %" PRId64 " %s\n", gw, k->n, gfi_hex(h, sizeof(h), hex), gw,
			epoch_dir(k->from_epoch), k->from_seq,
			k->revoked_seq ? epoch_dir(k->revoked_epoch) : "-", k->revoked_seq,
			k->added_s, k->added_by[0] ? k->added_by : "-");
	}
	return GFI_OK;
}

/* The key file name of the key valid for (gw, epoch, seq) into name. */
static int key_name(struct pack *p, const char *gw, const char *epoch,
		    uint64_t seq, char *name, size_t size)
{
	char pem[sizeof(p->keys[0].pubkey_pem)];
	int ret = store_gateway_key_for(p->s, gw, epoch, seq, pem, sizeof(pem));

	if (ret != GFI_OK)
		return ret;
	for (size_t i = 0; i < p->nkeys; i++) {
		if (strcmp(p->keys[i].pubkey_pem, pem) == 0) {
			snprintf(name, size, "%s.%" PRId64 ".pem", gw, p->keys[i].n);
			return GFI_OK;
		}
	}
	return GFI_E_NOTFOUND;
}

/* ---- batches ---- */

static int take_ref(void *ctx, const void *row)
{
	struct pack *p = ctx;
	const struct store_batch_ref *r = row;
	struct store_batch_ref *v;

	if (r->received_s < p->t0 || r->received_s >= p->t1 + EVIDENCE_LATE_S)
		return 0;
	v = gfi_grow(p->refs, &p->rcap, p->nrefs, sizeof(*v), 256);
	if (v == NULL) {
		p->nomem = 1;
		return 1;
	}
	p->refs = v;
	p->refs[p->nrefs++] = *r;
	return 0;
}

/* Batch (gw, epoch, seq): its .json and .sig, and its line in batches.txt
 * (mode "anchor": only there for the next one's prev). */
static int write_batch(struct pack *p, const char *gw, const char *epoch,
		       uint64_t seq, const char *mode)
{
	char rel[PATH_MAX_LEN], key[GFI_ID_MAX + 32], err[256], *payload = NULL;
	struct gfi_batch *b = NULL;
	size_t len = 0, n;
	int ret = store_batch_get_in(p->s, gw, epoch, seq, &payload, &len);

	if (ret == GFI_OK && (ret = gfi_batch_parse(payload, len, &b, err,
						    sizeof(err))) != GFI_OK)
		fprintf(p->err, "evidence: stored batch %s seq %" PRIu64 ": %s\n", gw,
			seq, err);
	if (ret == GFI_OK)
		ret = key_name(p, gw, epoch, seq, key, sizeof(key));
	n = (size_t)snprintf(rel, sizeof(rel), "batches/%s/%s/%09" PRIu64, gw,
			     epoch_dir(epoch), seq / CHUNK);
	if (ret == GFI_OK && make_dirs(p->dir, rel) != 0)
		ret = GFI_E_IO;
	snprintf(rel + n, sizeof(rel) - n, "/%012" PRIu64 ".json", seq);
	if (ret == GFI_OK && write_rel(p->dir, rel, b->json, b->json_len) != 0)
		ret = GFI_E_IO;
	if (ret == GFI_OK)
		fprintf(p->index, "%s %s %" PRIu64 " %s %s %.*s\n", gw, epoch_dir(epoch),
			seq, key, mode, (int)(strlen(rel) - 5), rel);
	snprintf(rel + n, sizeof(rel) - n, "/%012" PRIu64 ".sig", seq);
	if (ret == GFI_OK && write_rel(p->dir, rel, b->sig, b->sig_len) != 0)
		ret = GFI_E_IO;
	gfi_batch_free(b);
	free(payload);
	p->batches += ret == GFI_OK;
	return ret;
}

/* The gateway's batches of the year, each run led by its anchor. */
static int write_batches(struct pack *p, const char *gw)
{
	int ret;

	p->nrefs = 0;
	ret = store_batch_refs(p->s, gw, take_ref, p);
	if (ret == GFI_OK && p->nomem)
		ret = GFI_E_NOMEM;
	for (size_t i = 0; ret == GFI_OK && i < p->nrefs; i++) {
		const struct store_batch_ref *r = &p->refs[i];
		int starts = i == 0 || strcmp(r->epoch, p->refs[i - 1].epoch) != 0 ||
			     r->seq != p->refs[i - 1].seq + 1;

		if (starts && r->seq > 1)
			ret = write_batch(p, gw, r->epoch, r->seq - 1, "anchor");
		if (ret == GFI_OK || ret == GFI_E_NOTFOUND)
			ret = write_batch(p, gw, r->epoch, r->seq, "batch");
	}
	return ret;
}

/* ---- the computation trail ---- */

/* One counter point's part [t0, t1) of the year: the interpolated counter
 * at both ends (with the readings they lie between), the total the
 * indicators use, flags. */
static int trail_row(struct pack *p, FILE *f, const struct reg_meter *m, int64_t t0,
		     int64_t t1)
{
	const struct series_key k = { m->gateway, m->meter, m->point };
	int64_t b0 = 0, a0 = 0, b1 = 0, a1 = 0, interval = 60;
	double v0 = 0, v1 = 0;
	struct series_total t;
	int r0, r1, ret;

	ret = series_interval_estimate(p->s, &k, t0, t1, &interval);
	if (ret == GFI_OK)
		ret = series_counter_total(p->s, &k, t0, t1, m->counter_max, interval, &t);
	if (ret != GFI_OK)
		return ret;
	r0 = series_counter_at(p->s, &k, t0, m->counter_max, &v0, &b0, &a0);
	r1 = series_counter_at(p->s, &k, t1, m->counter_max, &v1, &b1, &a1);
	if ((r0 != GFI_OK && r0 != GFI_E_NOTFOUND) ||
	    (r1 != GFI_OK && r1 != GFI_E_NOTFOUND))
		return r0 != GFI_OK ? r0 : r1;
	fprintf(f, "%s,%s,%s,%s,%s,%" PRId64 ",%" PRId64 ",", m->gateway, m->meter,
		m->point, m->quantity, m->carrier, t0, t1);
	if (r0 == GFI_OK)
		fprintf(f, "%.17g,%" PRId64 ",%" PRId64 ",", v0, b0, a0);
	else
		fputs(",,,", f);
	if (r1 == GFI_OK)
		fprintf(f, "%.17g,%" PRId64 ",%" PRId64 ",", v1, b1, a1);
	else
		fputs(",,,", f);
	if (t.has_value)
		fprintf(f, "%.17g", t.value);
	fprintf(f, ",%.6f,%d,%d,%d,%d,%d\n", t.completeness, t.extrapolated, t.resets,
		t.rollovers, t.replacements, t.split_gap);
	return GFI_OK;
}

/* A trail row for point span ps when it is a counter with a role. */
static int trail_point(struct pack *p, FILE *f, const struct store_point_span *ps)
{
	const struct gfi_quantity *q = gfi_quantity_find(ps->m.quantity);

	if (ps->m.role == ROLE_NONE || q == NULL || q->kind != GFI_COUNTER)
		return GFI_OK;
	return trail_row(p, f, &ps->m, ps->from_s, ps->to_s);
}

/* ---- the pack ---- */

/* filing.json: the unit's filed table of the year as filed, when it was. */
static int write_filing(struct pack *p, const char *unit)
{
	char *bytes = NULL;
	size_t len = 0;
	int64_t filed_s = 0;
	double energy;
	int year, m, d;
	int ret;

	calendar_date_of(p->t0, &year, &m, &d);
	ret = store_filing_snapshot_get(p->s, unit, year, &bytes, &len, &filed_s, &energy);
	if (ret == GFI_OK && write_rel(p->dir, "filing.json", bytes, len) != 0)
		ret = GFI_E_IO;
	free(bytes);
	return ret == GFI_E_NOTFOUND ? GFI_OK : ret;
}

/* Every part of the pack for the unit's point spans (by gateway). */
static int write_pack(struct pack *p, const char *unit,
		      const struct store_point_span *v, size_t n, FILE *trail)
{
	int ret = GFI_OK;

	fputs("gateway,meter,point,quantity,carrier,from,to,start_value,start_before,"
	      "start_after,end_value,end_before,end_after,total,completeness,"
	      "extrapolated,resets,rollovers,replacements,split_gap\n", trail);
	for (size_t i = 0; ret == GFI_OK && i < n; i++) {
		if (i == 0 || strcmp(v[i].m.gateway, v[i - 1].m.gateway) != 0) {
			ret = write_keys(p, v[i].m.gateway);
			if (ret == GFI_OK)
				ret = write_batches(p, v[i].m.gateway);
		}
		if (ret == GFI_OK)
			ret = trail_point(p, trail, &v[i]);
	}
	if (ret == GFI_OK)
		ret = write_rel(p->dir, "verify.sh", evidence_verify_sh,
				strlen(evidence_verify_sh)) == 0 ? GFI_OK : GFI_E_IO;
	return ret == GFI_OK ? write_filing(p, unit) : ret;
}

/* Open the pack's files and write it. */
static int make_pack(struct pack *p, const char *unit)
{
	struct gfi_rows l = GFI_ROWS(struct store_point_span);
	FILE *trail = NULL;
	char sh[PATH_MAX_LEN];
	int ret = gfi_rows_finish(&l, store_point_list_unit_spans(p->s, unit, p->t0, p->t1,
								  gfi_rows_collect, &l));

	if (ret == GFI_OK && (make_dirs(p->dir, "keys") != 0 ||
			      (p->index = open_rel(p->dir, "batches.txt")) == NULL ||
			      (p->keys_txt = open_rel(p->dir, "keys.txt")) == NULL ||
			      (trail = open_rel(p->dir, "trail.csv")) == NULL))
		ret = GFI_E_IO;
	if (ret == GFI_OK)
		ret = write_pack(p, unit, l.v, l.n, trail);
	if (p->index != NULL && fclose(p->index) != 0 && ret == GFI_OK)
		ret = GFI_E_IO;
	if (p->keys_txt != NULL && fclose(p->keys_txt) != 0 && ret == GFI_OK)
		ret = GFI_E_IO;
	if (trail != NULL && fclose(trail) != 0 && ret == GFI_OK)
		ret = GFI_E_IO;
	if (ret == GFI_OK && (rel_path(sh, p->dir, "verify.sh") != 0 ||
			      chmod(sh, 0755) != 0))
		ret = GFI_E_IO;
	free(l.v);
	return ret;
}

int cmd_evidence(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct opts_spec spec = { .options = "store unit year out" };
	struct pack p = { .err = err };
	const char *unit;
	struct opts o;
	long year = 0;
	int rc, ret;

	if ((rc = opts_parse(argc, argv, 1, &spec, &o, err)) != 0)
		return rc;
	unit = opts_get(&o, "unit");
	p.dir = opts_get(&o, "out");
	if ((rc = opts_required("unit", unit, err)) ||
	    (rc = opts_credit_code("unit", unit, err)) ||
	    (rc = opts_required("year", opts_get(&o, "year"), err)) ||
	    (rc = opts_int("year", opts_get(&o, "year"), 2000, 2100, &year, err)) ||
	    (rc = opts_required("out", p.dir, err)))
		return rc;
	if (strlen(p.dir) > PATH_MAX_LEN - 128)
		return opts_refuse(err, "out", "path longer than %d bytes", PATH_MAX_LEN - 128);
	if (calendar_bounds((int)year, 0, 0, &p.t0, &p.t1) != GFI_OK)
		return opts_refuse(err, "year", "%ld out of range", year);
	if (mkdir(p.dir, 0755) != 0)
		return opts_refuse(err, "out", "%s: %s (give a new directory)", p.dir,
				   strerror(errno));
	if ((rc = opts_open_store(opts_get(&o, "store"), &p.s, err)) != 0)
		return rc;
	ret = make_pack(&p, unit);
	store_close(p.s);
	free(p.keys);
	free(p.refs);
	if (ret == GFI_E_IO)
		return io_fail(&p, p.dir);
	if (ret != GFI_OK) {
		fprintf(err, "evidence: %s\n", gfi_strerror(ret));
		return OPTS_FAIL;
	}
	fprintf(out, "evidence: unit=%s year=%ld batches=%zu out=%s\n", unit, year,
		p.batches, p.dir);
	return 0;
}
