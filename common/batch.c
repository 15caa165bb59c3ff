/*
 * batch.c — build, sign and strictly parse the signed batch wire format.
 *
 * Why: a batch is the unit the agent signs and the aggregator verifies and
 * stores as raw bytes for later audit (DESIGN.md "Batch"), so the bytes that
 * are signed are the bytes that are sent and stored: never re-serialised.
 * docs/wire-format.md is the normative description; keep the two in step.
 *
 * Invariants:
 *  - BATCH_JSON is one line of printable ASCII with no backslash: every
 *    string in it is an id, a quantity name, a status name or hex, so no
 *    escape is ever needed, and the parser refuses any (no "\u0000" tricks,
 *    no second spelling of the same id).
 *  - Numbers round-trip: values use the shortest of %.15g/%.16g/%.17g that
 *    reads back to the identical double; seq and times are integers below
 *    2^53 so every JSON reader holds them exactly.
 *  - Build and parse enforce the same bounds (GFI_BATCH_*), so whatever the
 *    builder emits the parser accepts, and a payload never exceeds
 *    GFI_BATCH_MAX_BYTES.
 *  - Assumes LC_NUMERIC is "C" (no program of ours calls setlocale for it);
 *    the builder refuses to emit a number that is not JSON rather than
 *    trust that.
 *  - The base64 signature line is strict RFC 4648: standard alphabet,
 *    padding, canonical trailing bits, nothing else on the line.
 */
#include "batch.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jsonutil.h"
#include "quantity.h"

/* Base64 length of the largest signature: the signature line's bound. */
#define SIG_B64_MAX (4 * ((GFI_SIG_MAX + 2) / 3))
#define ID_RULE "must be 1..31 of [A-Za-z0-9._-]"

static const char *const top_keys[] = {
	"v", "gateway", "epoch", "seq", "prev", "sent", "readings", "gaps", "events",
	NULL,
};
static const char *const event_keys[] = {
	"id", "kind", "meter", "point", "time", "old_final", "new_initial", NULL,
};
static const char *const gap_keys[] = {
	"id", "meter", "from", "to", "count", NULL,
};
static const char *const reading_keys[] = {
	"meter", "point", "quantity", "time", "value", "status", NULL,
};

/* The payload owns its copies; the public struct is its first member. */
struct batch_owned {
	struct gfi_batch b;
	char *json;
	uint8_t sig[GFI_SIG_MAX];
};

/* ---- output buffer ---------------------------------------------------- */

struct sbuf {
	char *p;      /* NUL-terminated text, or NULL before the first put */
	size_t len;   /* bytes in p, without the NUL */
	size_t cap;   /* bytes allocated */
	size_t limit; /* len may not exceed this: GFI_E_FULL */
	int ret;      /* first error, sticky */
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->ret != GFI_OK)
		return;
	if (n > b->limit - b->len) {
		b->ret = GFI_E_FULL;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		char *p;
		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL) {
			b->ret = GFI_E_NOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[512]; /* the widest head or reading is < 300 bytes */
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		if (b->ret == GFI_OK)
			b->ret = GFI_E_INVAL;
		return;
	}
	sb_put(b, tmp, (size_t)n);
}

/* ---- numbers and base64 ----------------------------------------------- */

/* %.15g of v when it reads back identical (most decimal meter values),
 * else %.17g, which always does. (%.16g is skipped: it rarely helps and
 * every try costs a format and a strtod per reading.) */
static int fmt_double(double v, char *buf, size_t cap)
{
	snprintf(buf, cap, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, cap, "%.17g", v);
	for (const char *p = buf; *p != '\0'; p++) {
		if (!((*p >= '0' && *p <= '9') || *p == '-' || *p == '+' ||
		      *p == '.' || *p == 'e'))
			return GFI_E_STATE; /* a locale's decimal comma */
	}
	return GFI_OK;
}

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* out needs 4 * ceil(n / 3) + 1 bytes; NUL-terminated. */
static size_t b64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = b64_alphabet[(v >> 18) & 63];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64_alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64_alphabet, c) : NULL;
	return p ? (int)(p - b64_alphabet) : -1;
}

/* Strict decode of in[0..n) (n a multiple of 4, padded, canonical) into
 * out[0..cap). GFI_OK, GFI_E_PARSE or GFI_E_RANGE (too long for cap). */
static int b64_decode(const char *in, size_t n, uint8_t *out, size_t cap,
		      size_t *outlen)
{
	size_t pad = 0;
	size_t o = 0;

	if (n == 0 || n % 4 != 0)
		return GFI_E_PARSE;
	if (in[n - 1] == '=')
		pad = in[n - 2] == '=' ? 2 : 1;
	if (n / 4 * 3 - pad > cap)
		return GFI_E_RANGE;
	for (size_t i = 0; i < n; i += 4) {
		int last = i + 4 == n;
		size_t real = last ? 4 - pad : 4;
		uint32_t v = 0;
		for (size_t j = 0; j < 4; j++) {
			int d = j < real ? b64_val(in[i + j]) : 0;
			if (d < 0)
				return GFI_E_PARSE;
			v = v << 6 | (uint32_t)d;
		}
		/* Canonical: the bits a padded quantum drops must be zero. */
		if ((real == 2 && (v & 0xffff) != 0) || (real == 3 && (v & 0xff) != 0))
			return GFI_E_PARSE;
		out[o++] = (uint8_t)(v >> 16);
		if (real > 2)
			out[o++] = (uint8_t)(v >> 8);
		if (real > 3)
			out[o++] = (uint8_t)v;
	}
	*outlen = o;
	return GFI_OK;
}

/* ---- build ------------------------------------------------------------ */

static int zero_hash(const uint8_t h[GFI_SHA256_LEN])
{
	uint8_t acc = 0;
	for (size_t i = 0; i < GFI_SHA256_LEN; i++)
		acc |= h[i];
	return acc == 0;
}

static int id_ok(const char *s, size_t cap)
{
	return strnlen(s, cap) < cap && gfi_id_valid(s);
}

int gfi_batch_epoch_valid(const char *s)
{
	size_t i;

	for (i = 0; i < GFI_BATCH_EPOCH_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

static void put_head(struct sbuf *b, const char *gateway, const char *epoch,
		     uint64_t seq, const uint8_t prev[GFI_SHA256_LEN], int64_t sent_s)
{
	char hex[2 * GFI_SHA256_LEN + 1];

	sb_printf(b, "{\"v\":%d,\"gateway\":\"%s\"", GFI_BATCH_VERSION, gateway);
	if (epoch != NULL && epoch[0] != '\0')
		sb_printf(b, ",\"epoch\":\"%s\"", epoch);
	sb_printf(b, ",\"seq\":%" PRIu64 ",\"prev\":\"%s\",\"sent\":%" PRId64
		  ",\"readings\":[", seq, gfi_hex(prev, GFI_SHA256_LEN, hex), sent_s);
}

/* Validate reading r (index i, for errors) and append it as one JSON
 * object, after a comma when comma is set. */
static int put_reading(struct sbuf *b, const struct gfi_reading *r, size_t i,
		       int comma, char *err, size_t errlen)
{
	char path[32];
	char status[32];
	char num[40];
	int st, detail;

	snprintf(path, sizeof(path), "readings[%zu]", i);
	if (!id_ok(r->meter, sizeof(r->meter))) {
		gfi_field_err(err, errlen, path, "meter", ID_RULE);
		return GFI_E_INVAL;
	}
	if (!id_ok(r->point, sizeof(r->point))) {
		gfi_field_err(err, errlen, path, "point", ID_RULE);
		return GFI_E_INVAL;
	}
	if (strnlen(r->quantity, sizeof(r->quantity)) == sizeof(r->quantity) ||
	    gfi_quantity_find(r->quantity) == NULL) {
		gfi_field_err(err, errlen, path, "quantity", "unknown quantity");
		return GFI_E_INVAL;
	}
	if (r->time_s <= 0 || r->time_s >= GFI_BATCH_TIME_MAX) {
		gfi_field_err(err, errlen, path, "time", "%" PRId64 " out of range 1..%"
			PRId64, r->time_s, GFI_BATCH_TIME_MAX - 1);
		return GFI_E_RANGE;
	}
	/* Only what parses back to the same status may go on the wire. */
	gfi_status_format(r->status, r->detail, status, sizeof(status));
	if (gfi_status_parse(status, &st, &detail) != GFI_OK ||
	    st != r->status || detail != r->detail) {
		gfi_field_err(err, errlen, path, "status", "invalid status %d detail %d",
			r->status, r->detail);
		return GFI_E_INVAL;
	}
	if (gfi_status_has_value(r->status)) {
		if (!isfinite(r->value)) {
			gfi_field_err(err, errlen, path, "value",
				"must be finite for status %s", status);
			return GFI_E_RANGE;
		}
		if (fmt_double(r->value, num, sizeof(num)) != GFI_OK) {
			gfi_field_err(err, errlen, path, "value",
				"LC_NUMERIC is not \"C\"");
			return GFI_E_STATE;
		}
	} else {
		snprintf(num, sizeof(num), "null");
	}
	sb_printf(b, "%s{\"meter\":\"%s\",\"point\":\"%s\",\"quantity\":\"%s\","
		  "\"time\":%" PRId64 ",\"value\":%s,\"status\":\"%s\"}",
		  comma ? "," : "", r->meter, r->point, r->quantity, r->time_s,
		  num, status);
	return GFI_OK;
}

static int check_head(const char *gateway, uint64_t seq,
		      const uint8_t prev[GFI_SHA256_LEN], int64_t sent_s,
		      char *err, size_t errlen)
{
	if (gateway == NULL || !gfi_id_valid(gateway)) {
		gfi_field_err(err, errlen, "", "gateway", ID_RULE);
		return GFI_E_INVAL;
	}
	if (seq < 1 || seq > GFI_BATCH_SEQ_MAX) {
		gfi_field_err(err, errlen, "", "seq", "%" PRIu64 " out of range 1..%llu",
			seq, GFI_BATCH_SEQ_MAX);
		return GFI_E_RANGE;
	}
	if (seq == 1 && !zero_hash(prev)) {
		gfi_field_err(err, errlen, "", "prev", "must be 64 zeros for seq 1");
		return GFI_E_INVAL;
	}
	if (sent_s <= 0 || sent_s >= GFI_BATCH_TIME_MAX) {
		gfi_field_err(err, errlen, "", "sent", "%" PRId64 " out of range 1..%"
			PRId64, sent_s, GFI_BATCH_TIME_MAX - 1);
		return GFI_E_RANGE;
	}
	return GFI_OK;
}

int gfi_batch_build(const char *gateway, uint64_t seq,
		    const uint8_t prev_hash[GFI_SHA256_LEN], int64_t sent_s,
		    const struct gfi_reading *r, size_t n, struct gfi_signer *s,
		    char **payload_out, size_t *len_out,
		    uint8_t hash_out[GFI_SHA256_LEN], char *err, size_t errlen)
{
	size_t used = 0;
	int ret;

	if (n > GFI_BATCH_MAX_READINGS) {
		*payload_out = NULL;
		*len_out = 0;
		gfi_field_err(err, errlen, "", "readings", "%zu readings exceed %d", n,
			      GFI_BATCH_MAX_READINGS);
		return GFI_E_FULL;
	}
	ret = gfi_batch_build_upto(gateway, seq, prev_hash, sent_s, r, n,
				   GFI_BATCH_MAX_BYTES, s, payload_out, len_out,
				   hash_out, &used, err, errlen);
	if (ret == GFI_OK && used < n) {
		free(*payload_out);
		*payload_out = NULL;
		*len_out = 0;
		gfi_field_err(err, errlen, "batch", "", "payload would exceed %d bytes",
			      GFI_BATCH_MAX_BYTES);
		return GFI_E_FULL;
	}
	return ret;
}

/* Bytes after the JSON: "]}" + "\n" + the widest signature + "\n". */
#define TAIL_MAX (2 + 1 + SIG_B64_MAX + 1)

/* Append readings while the payload stays within max_bytes; *used gets how
 * many went in. Stops at the first invalid reading with its error. */
static int put_readings(struct sbuf *b, const struct gfi_reading *r, size_t n,
			size_t max_bytes, size_t *used, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < n && i < GFI_BATCH_MAX_READINGS; i++) {
		size_t before = b->len;
		int ret = put_reading(b, &r[i], i, i > 0, err, errlen);
		if (ret != GFI_OK)
			return ret;
		if (b->ret == GFI_E_FULL || b->len + TAIL_MAX > max_bytes) {
			/* Undo the reading that did not fit. */
			b->ret = GFI_OK;
			b->len = before;
			b->p[before] = '\0';
			break;
		}
		if (b->ret != GFI_OK)
			return b->ret;
	}
	*used = i;
	return GFI_OK;
}

int gfi_batch_build_upto(const char *gateway, uint64_t seq,
			 const uint8_t prev_hash[GFI_SHA256_LEN], int64_t sent_s,
			 const struct gfi_reading *r, size_t n, size_t max_bytes,
			 struct gfi_signer *s, char **payload_out, size_t *len_out,
			 uint8_t hash_out[GFI_SHA256_LEN], size_t *used,
			 char *err, size_t errlen)
{
	return gfi_batch_build_gaps(gateway, seq, prev_hash, sent_s, r, n, NULL, 0,
				    max_bytes, s, payload_out, len_out, hash_out,
				    used, err, errlen);
}

/* Validate gap event g (index i) and append it, after a comma if comma. */
static int put_gap(struct sbuf *b, const void *item, size_t i,
		   int comma, char *err, size_t errlen)
{
	const struct gfi_batch_gap *g = item;
	char path[32];

	snprintf(path, sizeof(path), "gaps[%zu]", i);
	if (g->id < 1 || (uint64_t)g->id > GFI_BATCH_SEQ_MAX) {
		gfi_field_err(err, errlen, path, "id", "%" PRId64 " out of range", g->id);
		return GFI_E_RANGE;
	}
	if (!id_ok(g->meter, sizeof(g->meter))) {
		gfi_field_err(err, errlen, path, "meter", ID_RULE);
		return GFI_E_INVAL;
	}
	if (g->from_s <= 0 || g->to_s < g->from_s || g->to_s >= GFI_BATCH_TIME_MAX) {
		gfi_field_err(err, errlen, path, "to", "times %" PRId64 "..%" PRId64
			" out of range", g->from_s, g->to_s);
		return GFI_E_RANGE;
	}
	if (g->count < 1 || (uint64_t)g->count > GFI_BATCH_SEQ_MAX) {
		gfi_field_err(err, errlen, path, "count", "%" PRId64 " out of range",
			g->count);
		return GFI_E_RANGE;
	}
	sb_printf(b, "%s{\"id\":%" PRId64 ",\"meter\":\"%s\",\"from\":%" PRId64
		  ",\"to\":%" PRId64 ",\"count\":%" PRId64 "}", comma ? "," : "",
		  g->id, g->meter, g->from_s, g->to_s, g->count);
	return GFI_OK;
}

typedef int (*put_item_fn)(struct sbuf *b, const void *item, size_t i, int comma,
			   char *err, size_t errlen);

/* The optional ',"name":[...]' array of the n items (size bytes each, at
 * most max, described as noun in the error) appended to *out, each by put;
 * nothing for none. */
static int put_array(struct sbuf *out, const char *name, const char *noun,
		     const void *items, size_t n, size_t size, size_t max,
		     put_item_fn put, char *err, size_t errlen)
{
	int ret;

	if (n == 0)
		return GFI_OK;
	if (n > max || items == NULL) {
		gfi_field_err(err, errlen, "", name, "%zu %s exceed %zu", n, noun, max);
		return GFI_E_FULL;
	}
	sb_printf(out, ",\"%s\":[", name);
	for (size_t i = 0; i < n; i++) {
		ret = put(out, (const char *)items + i * size, i, i > 0, err, errlen);
		if (ret != GFI_OK)
			return ret;
	}
	sb_str(out, "]");
	if (out->ret != GFI_OK)
		gfi_field_err(err, errlen, "", name, "%s", gfi_strerror(out->ret));
	return out->ret;
}

/* Validate counter event e (index i) and append it, after a comma if comma. */
static int put_event(struct sbuf *b, const void *item, size_t i,
		     int comma, char *err, size_t errlen)
{
	const struct gfi_batch_event *e = item;
	char path[32], old_v[32], new_v[32];

	snprintf(path, sizeof(path), "events[%zu]", i);
	if (e->id < 1 || (uint64_t)e->id > GFI_BATCH_SEQ_MAX) {
		gfi_field_err(err, errlen, path, "id", "%" PRId64 " out of range", e->id);
		return GFI_E_RANGE;
	}
	if (!id_ok(e->meter, sizeof(e->meter)) || !id_ok(e->point, sizeof(e->point))) {
		gfi_field_err(err, errlen, path, "meter", "meter and point " ID_RULE);
		return GFI_E_INVAL;
	}
	if (e->time_s <= 0 || e->time_s >= GFI_BATCH_TIME_MAX) {
		gfi_field_err(err, errlen, path, "time", "%" PRId64 " out of range",
			      e->time_s);
		return GFI_E_RANGE;
	}
	if (!(e->old_final >= 0) || !(e->new_initial >= 0) ||
	    fmt_double(e->old_final, old_v, sizeof(old_v)) != GFI_OK ||
	    fmt_double(e->new_initial, new_v, sizeof(new_v)) != GFI_OK) {
		gfi_field_err(err, errlen, path, "old_final",
			      "values must be finite and >= 0");
		return GFI_E_RANGE;
	}
	sb_printf(b, "%s{\"id\":%" PRId64 ",\"kind\":\"multiplier\",\"meter\":\"%s\","
		  "\"point\":\"%s\",\"time\":%" PRId64 ",\"old_final\":%s,"
		  "\"new_initial\":%s}", comma ? "," : "", e->id, e->meter, e->point,
		  e->time_s, old_v, new_v);
	return GFI_OK;
}

int gfi_batch_build_gaps(const char *gateway, uint64_t seq,
			 const uint8_t prev_hash[GFI_SHA256_LEN], int64_t sent_s,
			 const struct gfi_reading *r, size_t n,
			 const struct gfi_batch_gap *gaps, size_t ngaps,
			 size_t max_bytes, struct gfi_signer *s,
			 char **payload_out, size_t *len_out,
			 uint8_t hash_out[GFI_SHA256_LEN], size_t *used,
			 char *err, size_t errlen)
{
	return gfi_batch_build_epoch(gateway, NULL, seq, prev_hash, sent_s, r, n, gaps,
				     ngaps, NULL, 0, max_bytes, s, payload_out,
				     len_out, hash_out, used, err, errlen);
}

int gfi_batch_build_epoch(const char *gateway, const char *epoch, uint64_t seq,
			  const uint8_t prev_hash[GFI_SHA256_LEN], int64_t sent_s,
			  const struct gfi_reading *r, size_t n,
			  const struct gfi_batch_gap *gaps, size_t ngaps,
			  const struct gfi_batch_event *events, size_t nevents,
			  size_t max_bytes, struct gfi_signer *s,
			  char **payload_out, size_t *len_out,
			  uint8_t hash_out[GFI_SHA256_LEN], size_t *used,
			  char *err, size_t errlen)
{
	struct sbuf b = { .limit = GFI_BATCH_MAX_BYTES };
	struct sbuf gb = { .limit = GFI_BATCH_MAX_BYTES };
	uint8_t sig[GFI_SIG_MAX];
	char sig64[SIG_B64_MAX + 1];
	size_t sig_len = 0;
	int ret;

	*payload_out = NULL;
	*len_out = 0;
	*used = 0;
	if (max_bytes > GFI_BATCH_MAX_BYTES)
		max_bytes = GFI_BATCH_MAX_BYTES;
	ret = check_head(gateway, seq, prev_hash, sent_s, err, errlen);
	if (ret == GFI_OK && epoch != NULL && epoch[0] != '\0' &&
	    !gfi_batch_epoch_valid(epoch)) {
		gfi_field_err(err, errlen, "", "epoch", "must be %d lowercase hex digits",
			      GFI_BATCH_EPOCH_LEN);
		ret = GFI_E_INVAL;
	}
	if (ret != GFI_OK)
		goto cleanup;
	if (n == 0) {
		ret = GFI_E_INVAL;
		gfi_field_err(err, errlen, "", "readings", "must not be empty");
		goto cleanup;
	}
	ret = put_array(&gb, "gaps", "gap events", gaps, ngaps, sizeof(*gaps),
			GFI_BATCH_MAX_GAPS, put_gap, err, errlen);
	if (ret == GFI_OK)
		ret = put_array(&gb, "events", "events", events, nevents,
				sizeof(*events), GFI_BATCH_MAX_EVENTS, put_event,
				err, errlen);
	if (ret != GFI_OK)
		goto cleanup;
	put_head(&b, gateway, epoch, seq, prev_hash, sent_s);
	if (b.ret != GFI_OK)
		goto buffer_error;
	ret = put_readings(&b, r, n, gb.len < max_bytes ? max_bytes - gb.len : 0,
			   used, err, errlen);
	if (ret != GFI_OK)
		goto cleanup;
	if (*used == 0) {
		ret = GFI_E_FULL;
		gfi_field_err(err, errlen, "readings[0]", "", "does not fit in %zu bytes",
			      max_bytes);
		goto cleanup;
	}
	sb_str(&b, "]");
	if (gb.len > 0)
		sb_put(&b, gb.p, gb.len);
	sb_str(&b, "}");
	if (b.ret != GFI_OK)
		goto buffer_error;
	/* One hash serves the chain and the signature. */
	gfi_sha256(b.p, b.len, hash_out);
	ret = gfi_sign_digest(s, hash_out, sig, sizeof(sig), &sig_len);
	if (ret != GFI_OK) {
		gfi_field_err(err, errlen, "", "signature", "signing failed: %s",
			      gfi_strerror(ret));
		goto cleanup;
	}
	b64_encode(sig, sig_len, sig64);
	sb_str(&b, "\n");
	sb_str(&b, sig64);
	sb_str(&b, "\n");
	if (b.ret != GFI_OK)
		goto buffer_error;
	*payload_out = b.p;
	*len_out = b.len;
	b.p = NULL;
	ret = GFI_OK;
	goto cleanup;
buffer_error:
	ret = b.ret;
	gfi_field_err(err, errlen, "batch", "", "%s", gfi_strerror(ret));
cleanup:
	if (ret != GFI_OK)
		*used = 0;
	free(b.p);
	free(gb.p);
	return ret;
}

int gfi_batch_fit(const char *gateway, const struct gfi_reading *r, size_t n,
		  size_t max_bytes, size_t *count, char *err, size_t errlen)
{
	static const uint8_t ones[GFI_SHA256_LEN] = { 1 };
	struct sbuf b = { .limit = GFI_BATCH_MAX_BYTES };
	size_t total;
	size_t i;
	int ret;

	*count = 0;
	if (max_bytes > GFI_BATCH_MAX_BYTES)
		max_bytes = GFI_BATCH_MAX_BYTES;
	/* The widest head: an epoch, seq and sent with the most digits. */
	ret = check_head(gateway, GFI_BATCH_SEQ_MAX, ones,
			 GFI_BATCH_TIME_MAX - 1, err, errlen);
	if (ret != GFI_OK)
		goto cleanup;
	put_head(&b, gateway, "ffffffffffffffffffffffffffffffff", GFI_BATCH_SEQ_MAX,
		 ones, GFI_BATCH_TIME_MAX - 1);
	if (b.ret != GFI_OK) {
		ret = b.ret;
		goto cleanup;
	}
	/* "]}" + "\n" + widest signature + "\n" */
	total = b.len + 2 + 1 + SIG_B64_MAX + 1;
	for (i = 0; i < n && i < GFI_BATCH_MAX_READINGS; i++) {
		b.len = 0;
		ret = put_reading(&b, &r[i], i, i > 0, err, errlen);
		if (ret != GFI_OK)
			goto cleanup;
		if (b.ret != GFI_OK) {
			ret = b.ret;
			goto cleanup;
		}
		if (total + b.len > max_bytes)
			break;
		total += b.len;
	}
	*count = i;
	ret = GFI_OK;
cleanup:
	free(b.p);
	return ret;
}

/* ---- parse ------------------------------------------------------------ */

/* Element i of array name: path becomes "name[i]" for messages, and o
 * must be an object with no key outside keys. */
static int element_start(const cJSON *o, const char *name, size_t i,
			 const char *const *keys, char *path, size_t pathlen,
			 char *err, size_t errlen)
{
	snprintf(path, pathlen, "%s[%zu]", name, i);
	if (!cJSON_IsObject(o)) {
		gfi_field_err(err, errlen, path, "", "must be an object");
		return GFI_E_INVAL;
	}
	return gfi_json_check_keys(o, path, keys, err, errlen);
}

/* The required id field key of o (path for messages) into dst[size]. */
static int parse_id(const cJSON *o, const char *key, const char *path, char *dst,
		    size_t size, char *err, size_t errlen)
{
	int ret = gfi_json_string(o, key, path, 1, NULL, dst, size, err, errlen);

	if (ret == GFI_OK && !gfi_id_valid(dst)) {
		gfi_field_err(err, errlen, path, key, ID_RULE);
		ret = GFI_E_INVAL;
	}
	return ret;
}

static int parse_reading(const cJSON *o, size_t i, void *dst, char *err,
			 size_t errlen)
{
	struct gfi_reading *r = dst;
	char path[32];
	char status[32];
	const cJSON *val;
	long long t;
	int ret;

	ret = element_start(o, "readings", i, reading_keys, path, sizeof(path), err, errlen);
	if (ret != GFI_OK)
		return ret;
	ret = parse_id(o, "meter", path, r->meter, sizeof(r->meter), err, errlen);
	if (ret != GFI_OK)
		return ret;
	ret = parse_id(o, "point", path, r->point, sizeof(r->point), err, errlen);
	if (ret != GFI_OK)
		return ret;
	ret = gfi_json_string(o, "quantity", path, 1, NULL, r->quantity,
			      sizeof(r->quantity), err, errlen);
	if (ret == GFI_OK && gfi_quantity_find(r->quantity) == NULL) {
		gfi_field_err(err, errlen, path, "quantity", "unknown quantity \"%s\"",
			r->quantity);
		ret = GFI_E_INVAL;
	}
	if (ret != GFI_OK)
		return ret;
	ret = gfi_json_int(o, "time", path, 1, 1, GFI_BATCH_TIME_MAX - 1, 0, &t,
			   err, errlen);
	if (ret != GFI_OK)
		return ret;
	r->time_s = (int64_t)t;
	ret = gfi_json_string(o, "status", path, 1, NULL, status,
			      sizeof(status), err, errlen);
	if (ret != GFI_OK)
		return ret;
	if (gfi_status_parse(status, &r->status, &r->detail) != GFI_OK) {
		gfi_field_err(err, errlen, path, "status", "unknown status \"%s\"",
			status);
		return GFI_E_INVAL;
	}
	val = cJSON_GetObjectItemCaseSensitive(o, "value");
	if (val == NULL) {
		gfi_field_err(err, errlen, path, "value", "missing");
		return GFI_E_INVAL;
	}
	if (cJSON_IsNull(val)) {
		if (gfi_status_has_value(r->status)) {
			gfi_field_err(err, errlen, path, "value",
				"null, but status %s carries a value", status);
			return GFI_E_INVAL;
		}
		r->value = NAN;
	} else if (cJSON_IsNumber(val)) {
		if (!isfinite(val->valuedouble)) {
			gfi_field_err(err, errlen, path, "value", "must be finite");
			return GFI_E_RANGE;
		}
		if (!gfi_status_has_value(r->status)) {
			gfi_field_err(err, errlen, path, "value",
				"must be null for status %s", status);
			return GFI_E_INVAL;
		}
		r->value = val->valuedouble;
	} else {
		gfi_field_err(err, errlen, path, "value", "must be a number or null");
		return GFI_E_INVAL;
	}
	return GFI_OK;
}

static int parse_gap(const cJSON *o, size_t i, void *dst, char *err,
		     size_t errlen)
{
	struct gfi_batch_gap *g = dst;
	char path[32];
	long long v;
	int ret;

	ret = element_start(o, "gaps", i, gap_keys, path, sizeof(path), err, errlen);
	if (ret != GFI_OK)
		return ret;
	ret = gfi_json_int(o, "id", path, 1, 1, (long long)GFI_BATCH_SEQ_MAX, 0, &v,
			   err, errlen);
	if (ret != GFI_OK)
		return ret;
	g->id = (int64_t)v;
	ret = parse_id(o, "meter", path, g->meter, sizeof(g->meter), err, errlen);
	if (ret != GFI_OK)
		return ret;
	ret = gfi_json_int(o, "from", path, 1, 1, GFI_BATCH_TIME_MAX - 1, 0, &v, err,
			   errlen);
	if (ret != GFI_OK)
		return ret;
	g->from_s = (int64_t)v;
	ret = gfi_json_int(o, "to", path, 1, g->from_s, GFI_BATCH_TIME_MAX - 1, 0, &v,
			   err, errlen);
	if (ret != GFI_OK)
		return ret;
	g->to_s = (int64_t)v;
	ret = gfi_json_int(o, "count", path, 1, 1, (long long)GFI_BATCH_SEQ_MAX, 0, &v,
			   err, errlen);
	if (ret != GFI_OK)
		return ret;
	g->count = (int64_t)v;
	return GFI_OK;
}

/* How one array of a batch is read: its key, whether it must be there,
 * the messages for an empty and an oversized one, its bound, and its
 * elements. */
struct array_spec {
	const char *key, *empty_msg, *noun;
	int required, max;
	size_t elem;
	int (*parse)(const cJSON *o, size_t i, void *dst, char *err, size_t errlen);
};

static const struct array_spec readings_spec = {
	"readings", "must not be empty", "readings", 1, GFI_BATCH_MAX_READINGS,
	sizeof(struct gfi_reading), parse_reading,
};

static const struct array_spec gaps_spec = {
	"gaps", "must not be empty when present", "gap events", 0, GFI_BATCH_MAX_GAPS,
	sizeof(struct gfi_batch_gap), parse_gap,
};

/* Parse the array spec->key of root, 1..spec->max elements, into a new
 * array *out (also set on error, for the caller to free) and its length
 * *n (on success; 0 for an optional array that is absent). */
static int parse_array(const cJSON *root, const struct array_spec *spec,
		       void **out, size_t *n, char *err, size_t errlen)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, spec->key);
	const cJSON *it;
	size_t i = 0;
	int count, ret;

	if (arr == NULL && !spec->required)
		return GFI_OK;
	if (arr == NULL) {
		gfi_field_err(err, errlen, "", spec->key, "missing");
		return GFI_E_INVAL;
	}
	if (!cJSON_IsArray(arr)) {
		gfi_field_err(err, errlen, "", spec->key, "must be an array");
		return GFI_E_INVAL;
	}
	count = cJSON_GetArraySize(arr);
	if (count == 0) {
		gfi_field_err(err, errlen, "", spec->key, "%s", spec->empty_msg);
		return GFI_E_INVAL;
	}
	if (count < 0 || count > spec->max) {
		gfi_field_err(err, errlen, "", spec->key, "%d %s exceed %d", count,
			      spec->noun, spec->max);
		return GFI_E_RANGE;
	}
	*out = calloc((size_t)count, spec->elem);
	if (*out == NULL) {
		gfi_field_err(err, errlen, "batch", "", "out of memory");
		return GFI_E_NOMEM;
	}
	cJSON_ArrayForEach(it, arr) {
		ret = spec->parse(it, i, (char *)*out + i * spec->elem, err, errlen);
		if (ret != GFI_OK)
			return ret;
		i++;
	}
	*n = i;
	return GFI_OK;
}

static int parse_event(const cJSON *o, size_t i, void *dst, char *err,
		       size_t errlen)
{
	struct gfi_batch_event *e = dst;
	char path[32], kind[16];
	long long v;
	int ret;

	snprintf(path, sizeof(path), "events[%zu]", i);
	if (!cJSON_IsObject(o)) {
		gfi_field_err(err, errlen, path, "", "must be an object");
		return GFI_E_INVAL;
	}
	if ((ret = gfi_json_check_keys(o, path, event_keys, err, errlen)) ||
	    (ret = gfi_json_int(o, "id", path, 1, 1, (long long)GFI_BATCH_SEQ_MAX, 0,
				&v, err, errlen)))
		return ret;
	e->id = (int64_t)v;
	if ((ret = gfi_json_string(o, "kind", path, 1, NULL, kind, sizeof(kind), err,
				   errlen)) == GFI_OK && strcmp(kind, "multiplier") != 0) {
		gfi_field_err(err, errlen, path, "kind", "must be multiplier");
		ret = GFI_E_INVAL;
	}
	if (ret != GFI_OK ||
	    (ret = gfi_json_string(o, "meter", path, 1, NULL, e->meter,
				   sizeof(e->meter), err, errlen)) ||
	    (ret = gfi_json_string(o, "point", path, 1, NULL, e->point,
				   sizeof(e->point), err, errlen)))
		return ret;
	if (!gfi_id_valid(e->meter) || !gfi_id_valid(e->point)) {
		gfi_field_err(err, errlen, path, gfi_id_valid(e->meter) ? "point" : "meter",
			      ID_RULE);
		return GFI_E_INVAL;
	}
	if ((ret = gfi_json_int(o, "time", path, 1, 1, GFI_BATCH_TIME_MAX - 1, 0, &v,
				err, errlen)))
		return ret;
	e->time_s = (int64_t)v;
	if ((ret = gfi_json_double(o, "old_final", path, 1, 0, DBL_MAX, 0,
				   &e->old_final, err, errlen)) ||
	    (ret = gfi_json_double(o, "new_initial", path, 1, 0, DBL_MAX, 0,
				   &e->new_initial, err, errlen)))
		return ret;
	return GFI_OK;
}

static const struct array_spec events_spec = {
	"events", "must not be empty when present", "events", 0, GFI_BATCH_MAX_EVENTS,
	sizeof(struct gfi_batch_event), parse_event,
};

/* The arrays of root into b: "readings", then the optional "gaps" and
 * "events". What was allocated is left in b (to free) even on error. */
static int parse_arrays(const cJSON *root, struct gfi_batch *b, char *err,
			size_t errlen)
{
	void *readings = NULL, *gaps = NULL, *events = NULL;
	int ret = parse_array(root, &readings_spec, &readings, &b->n, err, errlen);

	if (ret == GFI_OK)
		ret = parse_array(root, &gaps_spec, &gaps, &b->ngaps, err, errlen);
	if (ret == GFI_OK)
		ret = parse_array(root, &events_spec, &events, &b->nevents, err, errlen);
	b->readings = readings;
	b->gaps = gaps;
	b->events = events;
	return ret;
}

/* The optional "epoch" of root into b->epoch ("" when absent). */
static int parse_epoch(const cJSON *root, struct gfi_batch *b, char *err,
		       size_t errlen)
{
	char tmp[GFI_BATCH_EPOCH_LEN + 2];
	int ret;

	if (cJSON_GetObjectItemCaseSensitive(root, "epoch") == NULL)
		return GFI_OK;
	ret = gfi_json_string(root, "epoch", "", 1, NULL, tmp, sizeof(tmp), err, errlen);
	if (ret == GFI_OK && !gfi_batch_epoch_valid(tmp)) {
		gfi_field_err(err, errlen, "", "epoch", "must be %d lowercase hex digits",
			      GFI_BATCH_EPOCH_LEN);
		ret = GFI_E_INVAL;
	}
	if (ret == GFI_OK)
		memcpy(b->epoch, tmp, sizeof(b->epoch));
	return ret;
}

/* The JSON object of a batch into b (gateway .. readings, gaps). */
static int parse_json(const cJSON *root, struct gfi_batch *b, char *err,
		      size_t errlen)
{
	const cJSON *it;
	long long v;
	int ret;

	if (!cJSON_IsObject(root)) {
		gfi_field_err(err, errlen, "batch", "", "must be a JSON object");
		return GFI_E_INVAL;
	}
	ret = gfi_json_check_keys(root, "", top_keys, err, errlen);
	if (ret != GFI_OK)
		return ret;
	ret = gfi_json_int(root, "v", "", 1, 0, 1LL << 53, 0, &v, err, errlen);
	if (ret != GFI_OK)
		return ret;
	if (v != GFI_BATCH_VERSION) {
		gfi_field_err(err, errlen, "", "v", "unsupported version %lld (expected %d)",
			v, GFI_BATCH_VERSION);
		return GFI_E_INVAL;
	}
	ret = parse_id(root, "gateway", "", b->gateway, sizeof(b->gateway), err, errlen);
	if (ret != GFI_OK)
		return ret;
	ret = parse_epoch(root, b, err, errlen);
	if (ret != GFI_OK)
		return ret;
	ret = gfi_json_int(root, "seq", "", 1, 1, (long long)GFI_BATCH_SEQ_MAX, 0,
			   &v, err, errlen);
	if (ret != GFI_OK)
		return ret;
	b->seq = (uint64_t)v;
	it = cJSON_GetObjectItemCaseSensitive(root, "prev");
	if (it == NULL) {
		gfi_field_err(err, errlen, "", "prev", "missing");
		return GFI_E_INVAL;
	}
	if (!cJSON_IsString(it) || it->valuestring == NULL ||
	    gfi_unhex(it->valuestring, b->prev, GFI_SHA256_LEN) != GFI_OK) {
		gfi_field_err(err, errlen, "", "prev", "must be 64 lowercase hex digits");
		return GFI_E_INVAL;
	}
	if (b->seq == 1 && !zero_hash(b->prev)) {
		gfi_field_err(err, errlen, "", "prev", "must be 64 zeros for seq 1");
		return GFI_E_INVAL;
	}
	ret = gfi_json_int(root, "sent", "", 1, 1, GFI_BATCH_TIME_MAX - 1, 0, &v,
			   err, errlen);
	if (ret != GFI_OK)
		return ret;
	b->sent_s = (int64_t)v;

	return parse_arrays(root, b, err, errlen);
}

int gfi_batch_parse(const char *payload, size_t len, struct gfi_batch **out,
		    char *err, size_t errlen)
{
	struct batch_owned *o = NULL;
	cJSON *root = NULL;
	const char *nl;
	const char *line;
	size_t json_len, line_len, sig_len = 0;
	uint8_t sig[GFI_SIG_MAX];
	int ret = GFI_E_PARSE;

	*out = NULL;
	if (len > GFI_BATCH_MAX_BYTES) {
		ret = GFI_E_RANGE;
		gfi_field_err(err, errlen, "batch", "", "%zu bytes exceed %d", len,
			GFI_BATCH_MAX_BYTES);
		goto cleanup;
	}
	nl = len ? memchr(payload, '\n', len) : NULL;
	if (nl == NULL) {
		gfi_field_err(err, errlen, "signature", "",
			"missing (no line after the JSON)");
		goto cleanup;
	}
	json_len = (size_t)(nl - payload);
	for (size_t i = 0; i < json_len; i++) {
		unsigned char c = (unsigned char)payload[i];
		if (c < 0x20 || c > 0x7e || c == '\\') {
			gfi_field_err(err, errlen, "batch", "",
				"byte %zu: only printable ASCII without escapes", i);
			goto cleanup;
		}
	}
	line = nl + 1;
	line_len = len - json_len - 1;
	if (line_len == 0 || line[line_len - 1] != '\n') {
		gfi_field_err(err, errlen, "signature", "",
			line_len ? "must end with a newline"
				 : "missing (no line after the JSON)");
		goto cleanup;
	}
	line_len--;
	if (line_len == 0) {
		gfi_field_err(err, errlen, "signature", "", "missing (empty line)");
		goto cleanup;
	}
	if (line_len > SIG_B64_MAX) {
		ret = GFI_E_RANGE;
		gfi_field_err(err, errlen, "signature", "", "longer than %d bytes",
			GFI_SIG_MAX);
		goto cleanup;
	}
	ret = b64_decode(line, line_len, sig, sizeof(sig), &sig_len);
	if (ret != GFI_OK) {
		if (ret == GFI_E_RANGE)
			gfi_field_err(err, errlen, "signature", "", "longer than %d bytes",
				GFI_SIG_MAX);
		else
			gfi_field_err(err, errlen, "signature", "", "invalid base64");
		goto cleanup;
	}

	ret = GFI_E_NOMEM;
	o = calloc(1, sizeof(*o));
	if (o == NULL || (o->json = malloc(json_len + 1)) == NULL) {
		gfi_field_err(err, errlen, "batch", "", "out of memory");
		goto cleanup;
	}
	memcpy(o->json, payload, json_len);
	o->json[json_len] = '\0';
	memcpy(o->sig, sig, sig_len);
	o->b.json = o->json;
	o->b.json_len = json_len;
	o->b.sig = o->sig;
	o->b.sig_len = sig_len;
	gfi_sha256(o->json, json_len, o->b.hash);

	ret = GFI_E_PARSE;
	root = gfi_json_parse(o->json, json_len, "batch", err, errlen);
	if (root == NULL)
		goto cleanup;
	ret = parse_json(root, &o->b, err, errlen);
	if (ret != GFI_OK)
		goto cleanup;
	*out = &o->b;
	o = NULL;
cleanup:
	cJSON_Delete(root);
	gfi_batch_free(o ? &o->b : NULL);
	return ret;
}

int gfi_batch_verify(const struct gfi_batch *b, struct gfi_verifier *v)
{
	return gfi_verify(v, b->json, b->json_len, b->sig, b->sig_len);
}

void gfi_batch_free(struct gfi_batch *b)
{
	struct batch_owned *o = (struct batch_owned *)b;

	if (o == NULL)
		return;
	free(o->b.readings);
	free(o->b.gaps);
	free(o->b.events);
	free(o->json);
	free(o);
}
