/*
 * batch.h — the signed batch of readings: the one MQTT payload on
 * gfi/v1/<gateway>/batch (docs/wire-format.md is the normative description).
 *
 *   payload    = BATCH_JSON "\n" base64(DER ECDSA signature) "\n"
 *   BATCH_JSON = {"v":1,"gateway":"G"[,"epoch":"<32 hex>"],"seq":N,
 *                 "prev":"<64 hex>","sent":T,
 *                 "readings":[{"meter","point","quantity","time","value",
 *                 "status"}, ...]}     (one line, printable ASCII, no escapes)
 *
 * The signature covers exactly the BATCH_JSON bytes, so an auditor verifies a
 * stored payload with `openssl dgst -sha256 -verify` and no re-serialisation.
 * "prev" is the SHA-256 of the previous batch's BATCH_JSON (64 zeros for
 * seq 1): a hash chain per (gateway, epoch). The optional "epoch" is the id
 * an agent's queue made when it was created; a reinstalled agent (a new
 * queue) starts a new chain at seq 1 under a new epoch. Batches without it
 * (agents before epochs) belong to the gateway's epoch "".
 */
#ifndef GFI_BATCH_H
#define GFI_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "reading.h"
#include "sign.h"

#define GFI_BATCH_VERSION 1
#define GFI_BATCH_MAX_BYTES 262144   /* whole payload, both lines, bytes */
#define GFI_BATCH_MAX_READINGS 5000  /* readings in one batch, >= 1 */
#define GFI_BATCH_TIME_MAX ((int64_t)1 << 40) /* times: 0 < t < this, epoch s */
#define GFI_BATCH_SEQ_MAX 9007199254740991ULL  /* 2^53 - 1: exact in JSON */
#define GFI_BATCH_MAX_GAPS 64        /* gap events in one batch, 0.. */
#define GFI_BATCH_MAX_EVENTS 64      /* counter events in one batch, 0.. */
#define GFI_BATCH_EPOCH_LEN 32       /* hex digits of an epoch id */

/* A gap event: readings of one meter the gateway's queue dropped (its bound,
 * or a full disk), reported so the city knows why a series has a hole. */
struct gfi_batch_gap {
	int64_t id;                    /* the gateway's gap id, 1..2^53-1, grows */
	char meter[GFI_ID_MAX];        /* meter id, gfi_id_valid */
	int64_t from_s;                /* read time of the oldest dropped, epoch s */
	int64_t to_s;                  /* of the newest dropped, >= from_s */
	int64_t count;                 /* readings dropped, 1..2^53-1 */
};

/* A counter event: the meaning of a counter point changed at one instant
 * (kind "multiplier": its meter's multiplier, 倍率, was changed), so the
 * city splits the series there as at a registered meter replacement: the
 * counter's last value in the old meaning and its value at the same
 * instant in the new one. */
struct gfi_batch_event {
	int64_t id;                    /* the gateway's event id, 1..2^53-1, grows */
	char meter[GFI_ID_MAX];        /* meter id, gfi_id_valid */
	char point[GFI_ID_MAX];        /* point id, gfi_id_valid */
	int64_t time_s;                /* the instant, epoch s, as a reading's time */
	double old_final;              /* finite, >= 0: value in the old meaning */
	double new_initial;            /* finite, >= 0: value in the new meaning */
};

/* A parsed batch. Owns all its memory; free with gfi_batch_free. */
struct gfi_batch {
	char gateway[GFI_ID_MAX];      /* gateway id, gfi_id_valid */
	char epoch[GFI_BATCH_EPOCH_LEN + 1]; /* chain epoch; "" when absent */
	uint64_t seq;                  /* 1..GFI_BATCH_SEQ_MAX */
	uint8_t prev[GFI_SHA256_LEN];  /* SHA-256 of the previous BATCH_JSON */
	uint8_t hash[GFI_SHA256_LEN];  /* SHA-256 of this batch's BATCH_JSON */
	int64_t sent_s;                /* UTC epoch s the batch was built */
	size_t n;                      /* 1..GFI_BATCH_MAX_READINGS */
	struct gfi_reading *readings;  /* n readings; value NaN where null */
	const char *json;              /* BATCH_JSON bytes (NUL after them) */
	size_t json_len;               /* bytes of json, without the NUL */
	const uint8_t *sig;            /* DER signature bytes */
	size_t sig_len;                /* 1..GFI_SIG_MAX */
	size_t ngaps;                  /* 0..GFI_BATCH_MAX_GAPS ("gaps" absent: 0) */
	struct gfi_batch_gap *gaps;    /* ngaps gap events, NULL when none */
	size_t nevents;                /* 0..GFI_BATCH_MAX_EVENTS ("events" absent: 0) */
	struct gfi_batch_event *events; /* nevents counter events, NULL when none */
};

/* Build and sign one batch of readings r[0..n) (1 <= n <= MAX_READINGS)
 * with signer s (borrowed). prev_hash is the previous batch's hash_out (all
 * zeros for seq 1). On success *payload_out is a NUL-terminated payload the
 * caller frees with free(), *len_out its length without the NUL, and hash_out the
 * SHA-256 of its BATCH_JSON (the next batch's prev). A reading without a
 * value by its status is written as null whatever its value field holds.
 * Returns GFI_OK; GFI_E_FULL when the payload would exceed
 * GFI_BATCH_MAX_BYTES or n exceeds MAX_READINGS (send fewer: gfi_batch_fit);
 * GFI_E_INVAL/GFI_E_RANGE with a one-line reason naming the field
 * ("readings[3].quantity: unknown quantity"); GFI_E_CRYPTO; GFI_E_NOMEM. */
int gfi_batch_build(const char *gateway, uint64_t seq,
		    const uint8_t prev_hash[GFI_SHA256_LEN], int64_t sent_s,
		    const struct gfi_reading *r, size_t n, struct gfi_signer *s,
		    char **payload_out, size_t *len_out,
		    uint8_t hash_out[GFI_SHA256_LEN], char *err, size_t errlen);

/* Like gfi_batch_build, but takes as many readings from the front of
 * r[0..n) as fit in a payload of at most max_bytes (capped at
 * GFI_BATCH_MAX_BYTES) and GFI_BATCH_MAX_READINGS: *used gets how many
 * (>= 1 on success). One pass: nothing is formatted twice. GFI_E_FULL when
 * not even the first reading fits. */
int gfi_batch_build_upto(const char *gateway, uint64_t seq,
			 const uint8_t prev_hash[GFI_SHA256_LEN], int64_t sent_s,
			 const struct gfi_reading *r, size_t n, size_t max_bytes,
			 struct gfi_signer *s, char **payload_out, size_t *len_out,
			 uint8_t hash_out[GFI_SHA256_LEN], size_t *used,
			 char *err, size_t errlen);

/* Like gfi_batch_build_upto, and the batch also carries gap events
 * gaps[0..ngaps) (0 <= ngaps <= GFI_BATCH_MAX_GAPS; all of them or
 * GFI_E_FULL) in its optional "gaps" array; their bytes are taken from
 * max_bytes before the readings'. ngaps 0 builds exactly what
 * gfi_batch_build_upto does. */
int gfi_batch_build_gaps(const char *gateway, uint64_t seq,
			 const uint8_t prev_hash[GFI_SHA256_LEN], int64_t sent_s,
			 const struct gfi_reading *r, size_t n,
			 const struct gfi_batch_gap *gaps, size_t ngaps,
			 size_t max_bytes, struct gfi_signer *s,
			 char **payload_out, size_t *len_out,
			 uint8_t hash_out[GFI_SHA256_LEN], size_t *used,
			 char *err, size_t errlen);

/* Like gfi_batch_build_gaps, and the batch also carries counter events
 * events[0..nevents) (0 <= nevents <= GFI_BATCH_MAX_EVENTS; all or
 * GFI_E_FULL) in its optional "events" array, after "gaps"; their bytes are
 * taken from max_bytes before the readings'. nevents 0 and no epoch build
 * exactly what gfi_batch_build_gaps does. epoch is the chain epoch
 * (GFI_BATCH_EPOCH_LEN lowercase hex digits) written after "gateway"; NULL
 * or "" writes no "epoch" key (an agent's queue before epochs). */
int gfi_batch_build_epoch(const char *gateway, const char *epoch, uint64_t seq,
			  const uint8_t prev_hash[GFI_SHA256_LEN], int64_t sent_s,
			  const struct gfi_reading *r, size_t n,
			  const struct gfi_batch_gap *gaps, size_t ngaps,
			  const struct gfi_batch_event *events, size_t nevents,
			  size_t max_bytes, struct gfi_signer *s,
			  char **payload_out, size_t *len_out,
			  uint8_t hash_out[GFI_SHA256_LEN], size_t *used,
			  char *err, size_t errlen);

/* Whether s is a well-formed epoch id (GFI_BATCH_EPOCH_LEN lowercase hex). */
int gfi_batch_epoch_valid(const char *s);

/* How many of the readings r[0..n), taken from the front, fit in one batch
 * of gateway whose payload is at most max_bytes (capped at
 * GFI_BATCH_MAX_BYTES) and at most GFI_BATCH_MAX_READINGS; assumes an
 * epoch, the widest seq, sent and signature, so building exactly *count of them never
 * returns GFI_E_FULL. *count may be 0 (max_bytes too small for one).
 * GFI_OK, or GFI_E_INVAL/GFI_E_RANGE for the first invalid reading. */
int gfi_batch_fit(const char *gateway, const struct gfi_reading *r, size_t n,
		  size_t max_bytes, size_t *count, char *err, size_t errlen);

/* Parse payload[0..len) strictly (no signature check): both lines, every
 * key known and present once, every type and bound checked. On success
 * *out is a batch the caller frees with gfi_batch_free; it keeps its own
 * copy of the payload. On failure a one-line reason starting with the
 * field ("readings[12].value: must be a number or null") and GFI_E_PARSE
 * (not JSON, not two lines, bad base64), GFI_E_INVAL (wrong type, unknown or
 * missing key, bad id), GFI_E_RANGE (bounds, size) or GFI_E_NOMEM. */
int gfi_batch_parse(const char *payload, size_t len, struct gfi_batch **out,
		    char *err, size_t errlen);

/* Check b's signature over its BATCH_JSON with v. GFI_OK or GFI_E_CRYPTO.
 * Whether v is the right key for b->gateway is the caller's registry's
 * business. */
int gfi_batch_verify(const struct gfi_batch *b, struct gfi_verifier *v);

/* Free a parsed batch. Accepts NULL. */
void gfi_batch_free(struct gfi_batch *b);

#endif
