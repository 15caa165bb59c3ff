/*
 * verify.h — what the aggregator does with one message on gfi/v1/<gw>/batch.
 *
 * verify_message runs the whole pipeline for one (topic, payload) against
 * the store, in this order, and records its outcome there:
 *   size → parse → topic matches the payload's gateway → gateway registered
 *   and active → signature (the registry's public key) → sequence and chain
 *   → each reading's sanity.
 * A refusal up to the chain is a quarantined batch with its reason; a batch
 * already held is a replay (nothing stored); a batch beyond the chain head
 * is a gap (recorded, not stored: the agent's resend fills it); an accepted
 * batch stores its raw bytes, its sane readings with their rollups, and
 * moves the chain; insane readings are quarantined one by one with their
 * reason while the batch itself is accepted, so the chain moves on.
 *
 * Transactions are the caller's: store_begin, one or several
 * verify_message, store_commit; only then may the ack be published (the
 * decision's head). verify_one wraps one message in its own transaction.
 * Threads: a struct verify is used by the thread that owns its store.
 */
#ifndef GFI_AGG_VERIFY_H
#define GFI_AGG_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "reading.h"
#include "store.h"

#define VERIFY_REASON_MAX 256
#define VERIFY_FUTURE_TOLERANCE_S 300   /* default, seconds */
/* Time tolerance (docs/wire-format.md): an accepted batch is flagged (table
 * batch_flags, not refused) when `sent` is before 2020 (a clock never set),
 * after its receipt by more than the future tolerance, or more than
 * VERIFY_SENT_PAST_S before it, or when a reading is older than
 * VERIFY_READING_PAST_S at its receipt. */
#define VERIFY_SENT_MIN_S 1577836800LL          /* 2020-01-01 UTC */
#define VERIFY_SENT_PAST_S (30LL * 86400)       /* a month's backlog */
#define VERIFY_READING_PAST_S (400LL * 86400)   /* a year and a filing window */

enum verify_outcome {
	VERIFY_ACCEPTED,     /* stored; the chain moved to seq */
	VERIFY_REPLAY,       /* already held: nothing stored (re-ack) */
	VERIFY_GAP,          /* seq > head + 1: gap recorded, not stored */
	VERIFY_QUARANTINED,  /* refused whole, kept in the quarantine */
};

struct verify_decision {
	enum verify_outcome outcome;
	char reason[VERIFY_REASON_MAX];  /* why, for QUARANTINED and GAP */
	char gateway[GFI_ID_MAX];        /* from the payload, else the topic, or "" */
	uint64_t seq;                    /* the batch's seq; 0 if not parsed */
	char epoch[GFI_BATCH_EPOCH_LEN + 1]; /* the chain epoch head is of */
	int ack;                         /* 1: publish {"seq": head} to gateway */
	uint64_t head;                   /* contiguous chain head after this */
	size_t readings;                 /* readings in the batch */
	size_t stored;                   /* new readings stored */
	size_t duplicates;               /* readings already held */
	size_t bad_readings;             /* readings quarantined */
	size_t unregistered;             /* readings of points the registry does not
					    list on a registered meter: not stored
					    (the raw batch keeps them), not an error */
};

struct verify;

/* A verifier pipeline over s (borrowed; must outlive it). future_tolerance_s:
 * how far into the future (past now_s) a reading's time may lie, seconds.
 * GFI_OK or GFI_E_NOMEM. */
int verify_new(struct store *s, int64_t future_tolerance_s, struct verify **out);
/* Bound what v keeps of refused batches (store_quarantine.h); until
 * called, QUARANTINE_LIMITS_DEFAULT. */
void verify_set_quarantine_limits(struct verify *v,
				  const struct quarantine_limits *lim);
/* Free v and its cached public keys. Accepts NULL. */
void verify_free(struct verify *v);

/* Run the pipeline for one message inside the caller's open transaction;
 * now_s is the receiving clock (UTC epoch s), passed in so tests drive time.
 * Fills *d. Returns GFI_OK when a decision was recorded (whatever it is), or
 * GFI_E_DB/GFI_E_NOMEM when the store failed: the caller rolls back and does
 * not ack (the agent resends). topic need not be NUL-free beyond its C
 * string; payload is len bytes, borrowed. */
int verify_message(struct verify *v, const char *topic, const void *payload,
		   size_t len, int64_t now_s, struct verify_decision *d);

/* verify_message in its own transaction (begin, verify, commit; rollback on
 * failure). */
int verify_one(struct verify *v, const char *topic, const void *payload,
	       size_t len, int64_t now_s, struct verify_decision *d);

/* Re-verify held batch (gateway, seq) of its current epoch from the
 * registry's key valid for it:
 * parse, signature, and its link to the held seq - 1. GFI_OK, GFI_E_NOTFOUND
 * (not held, or gateway unknown), GFI_E_CRYPTO (signature or chain), with
 * one line in err. For auditors (`gfi-aggregator verify-batch`). */
int verify_stored(struct store *s, const char *gateway, uint64_t seq,
		  char *err, size_t errlen);

/* verify_stored for batch seq of the gateway's chain epoch (any epoch,
 * current or ended), with the key valid for it (store_keys.h). */
int verify_stored_in(struct store *s, const char *gateway, const char *epoch,
		     uint64_t seq, char *err, size_t errlen);

/* Check parsed batch b's signature with the key of b's gateway valid at its
 * place (epoch, seq) in the key history. GFI_OK, GFI_E_CRYPTO (does not
 * verify, or the key is unusable), GFI_E_NOTFOUND (gateway unknown),
 * GFI_E_DB; one line in err. For verify-batch, spot checks, evidence. */
int verify_batch_key(struct store *s, const struct gfi_batch *b, char *err,
		     size_t errlen);

/* Name of an outcome: "accepted", "replay", "gap", "quarantined". */
const char *verify_outcome_name(enum verify_outcome o);

#endif
