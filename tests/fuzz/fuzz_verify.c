/*
 * fuzz_verify.c — the aggregator's whole verify pipeline (verify.h:
 * size, parse, topic, registry, signature, chain, each reading) on
 * arbitrary messages, against a real store. gfi_batch_parse alone is
 * fuzz_batch; this target reaches what lies behind a valid signature.
 *
 * One store per process in $TMPDIR/gfi-fuzz-verify-XXXXXX (removed at exit)
 * holds a county, a unit and two registered gateways, gw-a and gw-b, with
 * meter E1 point kwh (elec_import_kwh) on each; gw-a's key is made at
 * start-up, so no committed input can carry a valid signature of its own.
 * Every input runs inside a transaction that is rolled back: one input
 * never changes how the next is handled.
 *
 * Input: byte 0 picks how the message is made, byte 1 the topic, the rest
 * is the payload or the BATCH_JSON to sign:
 *   byte 0  'r' rest is the whole payload, as received
 *           's' rest is BATCH_JSON, signed here with gw-a's registered key
 *           'f' rest is BATCH_JSON, signed with a key nobody registered
 *   byte 1  'a' gfi/v1/gw-a/batch, 'b' gfi/v1/gw-b/batch, else gfi/v1/<byte>/batch
 * Invariants checked (a violation traps, so libFuzzer reports it):
 *   - 'r' and 'f' are always quarantined: only a registered key gets a
 *     batch past the signature, and no committed or generated input can
 *     hold a signature by gw-a's key (gw-b's key is made and thrown away);
 *   - an accepted batch came on gw-a's own topic and stored no more
 *     readings than it carried;
 *   - the reason is a NUL-terminated string.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "fuzz.h"
#include "sign.h"
#include "store.h"
#include "verify.h"

#define NOW 1764547800 /* 2025-12-01 08:10 Asia/Shanghai */
#define UNIT "91350100M000100Y43"

static char dir[200], db[240], key_a[240], key_b[240], key_x[240];
static struct store *store;
static struct verify *ver;
static struct gfi_signer *sign_a, *sign_x;

static void cleanup(void)
{
	static const char *const ext[] = { "", "-wal", "-shm", "-journal" };
	char path[256];
	size_t i;

	verify_free(ver);
	store_close(store);
	gfi_signer_close(sign_a);
	gfi_signer_close(sign_x);
	ver = NULL;
	store = NULL;
	sign_a = sign_x = NULL;
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", db, ext[i]);
		unlink(path);
	}
	unlink(key_a);
	unlink(key_b);
	unlink(key_x);
	rmdir(dir);
}

static int add_gateway(const char *id, const char *pem)
{
	struct reg_gateway g = { .active = 1, .registered_s = NOW - 86400 * 30,
				 .unit = UNIT };
	struct reg_meter m = { .meter = "E1", .point = "kwh",
			       .quantity = "elec_import_kwh",
			       .role = ROLE_ELEC_PURCHASED, .carrier = "electricity",
			       .registered_s = NOW - 86400 * 30 };

	snprintf(g.id, sizeof(g.id), "%s", id);
	snprintf(g.pubkey_pem, sizeof(g.pubkey_pem), "%s", pem);
	snprintf(m.gateway, sizeof(m.gateway), "%s", id);
	if (store_gateway_put(store, &g, 1) != 0 || store_meter_put(store, &m, 1) != 0)
		return -1;
	return 0;
}

static int setup(void)
{
	struct reg_county c = { .code = "350102", .name = "Gulou" };
	struct reg_unit u = { .kind = UNIT_FACTORY, .level = LEVEL_CITY,
			      .year_listed = 2020, .sector = "C3011",
			      .code = UNIT, .name = "Works", .county = "350102" };
	char pem_a[GFI_PUBKEY_PEM_MAX], pem_b[GFI_PUBKEY_PEM_MAX], err[256];

	if (fuzz_tmpdir(dir, sizeof(dir), "verify") != 0)
		return -1;
	snprintf(db, sizeof(db), "%s/gfi.db", dir);
	snprintf(key_a, sizeof(key_a), "%s/a.key", dir);
	snprintf(key_b, sizeof(key_b), "%s/b.key", dir);
	snprintf(key_x, sizeof(key_x), "%s/x.key", dir);
	atexit(cleanup);
	err[0] = '\0';
	if (gfi_sign_keygen(key_a, 0, err, sizeof(err)) != 0 ||
	    gfi_sign_keygen(key_b, 0, err, sizeof(err)) != 0 ||
	    gfi_sign_keygen(key_x, 0, err, sizeof(err)) != 0 ||
	    gfi_sign_pubkey_pem(key_b, pem_b, sizeof(pem_b), err, sizeof(err)) != 0 ||
	    gfi_signer_open(key_a, &sign_a, err, sizeof(err)) != 0 ||
	    gfi_signer_open(key_x, &sign_x, err, sizeof(err)) != 0 ||
	    gfi_signer_pubkey_pem(sign_a, pem_a, sizeof(pem_a)) != 0) {
		fprintf(stderr, "fuzz_verify: keys: %s\n", err);
		return -1;
	}
	if (store_open(db, &store) != 0 || store_county_put(store, &c, 1) != 0 ||
	    store_unit_put(store, &u, 1) != 0 || add_gateway("gw-a", pem_a) != 0 ||
	    add_gateway("gw-b", pem_b) != 0 ||
	    verify_new(store, VERIFY_FUTURE_TOLERANCE_S, &ver) != 0)
		return -1;
	return 0;
}

static size_t base64(const uint8_t *in, size_t n, char *out)
{
	static const char t[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		out[o++] = t[in[i] >> 2];
		out[o++] = t[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		out[o++] = t[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		out[o++] = t[in[i + 2] & 63];
	}
	if (i < n) {
		out[o++] = t[in[i] >> 2];
		if (i + 1 < n) {
			out[o++] = t[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
			out[o++] = t[(in[i + 1] & 15) << 2];
		} else {
			out[o++] = t[(in[i] & 3) << 4];
			out[o++] = '=';
		}
		out[o++] = '=';
	}
	return o;
}

/* json[0..n) "\n" base64(signature by s) "\n" in a new buffer. */
static char *signed_payload(struct gfi_signer *s, const uint8_t *json, size_t n,
			    size_t *len)
{
	uint8_t sig[GFI_SIG_MAX];
	size_t sig_len = 0;
	char *p;

	if (gfi_sign(s, json, n, sig, sizeof(sig), &sig_len) != 0)
		return NULL;
	p = malloc(n + 2 + 4 * ((sig_len + 2) / 3) + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, json, n);
	p[n] = '\n';
	*len = n + 1 + base64(sig, sig_len, p + n + 1);
	p[(*len)++] = '\n';
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct verify_decision d;
	char topic[64];
	char *owned = NULL;
	const void *payload;
	size_t len;
	int rc;

	if (!ready) {
		if (setup() != 0)
			abort();
		ready = 1;
	}
	if (size < 2)
		return 0;
	if (data[1] == 'a' || data[1] == 'b')
		snprintf(topic, sizeof(topic), "gfi/v1/gw-%c/batch", data[1]);
	else
		snprintf(topic, sizeof(topic), "gfi/v1/%c/batch", data[1]);
	payload = data + 2;
	len = size - 2;
	if (data[0] == 's' || data[0] == 'f') {
		/* Signing is slow; real batches are under 256 KiB anyway. */
		if (len > GFI_BATCH_MAX_BYTES)
			return 0;
		owned = signed_payload(data[0] == 's' ? sign_a : sign_x, data + 2,
				       size - 2, &len);
		if (owned == NULL)
			abort();
		payload = owned;
	}
	if (store_begin(store) != 0)
		abort();
	memset(d.reason, 'x', sizeof(d.reason));
	rc = verify_message(ver, topic, payload, len, NOW, &d);
	store_rollback(store);
	if (rc != 0)
		abort(); /* the store failed on a sane temp file: a bug */
	if (memchr(d.reason, '\0', sizeof(d.reason)) == NULL)
		__builtin_trap();
	if (data[0] != 's' && d.outcome != VERIFY_QUARANTINED)
		__builtin_trap(); /* got past the signature without gw-a's key */
	if (d.outcome == VERIFY_ACCEPTED &&
	    (strcmp(topic, "gfi/v1/gw-a/batch") != 0 || d.stored > d.readings))
		__builtin_trap(); /* stored off gw-a's own topic */
	if (d.outcome == VERIFY_REPLAY)
		__builtin_trap(); /* nothing is held: every input is rolled back */
	if (fuzz_verbose())
		printf("outcome %d stored %zu/%zu: %s\n", (int)d.outcome, d.stored,
		       d.readings, d.reason);
	free(owned);
	return 0;
}
