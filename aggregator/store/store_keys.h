/*
 * store_keys.h — a gateway's key history (issue 17): every public key it
 * has had, each with the place in its chains from which it signs (epoch,
 * seq: the gateway's word `sent` is no clock to trust) and, once a newer
 * key replaced it, its revocation at the newer one's place. Nothing is
 * re-keyed in place: verification, spot checks and the evidence pack take
 * the key valid for each batch. Part of the store (store_keys.c, table
 * gateway_keys of migration 11); included by store.h.
 */
#ifndef GFI_AGG_STORE_KEYS_H
#define GFI_AGG_STORE_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "store.h"
#include "store_registry.h"

/* One key of a gateway. revoked_seq 0: not revoked. */
struct store_gateway_key {
	char gateway[GFI_ID_MAX];
	int64_t n;                                   /* 1, 2, ... in order added */
	char pubkey_pem[sizeof(((struct reg_gateway *)0)->pubkey_pem)];
	char from_epoch[GFI_BATCH_EPOCH_LEN + 1];
	uint64_t from_seq;
	char revoked_epoch[GFI_BATCH_EPOCH_LEN + 1];
	uint64_t revoked_seq;
	int64_t added_s;
	char added_by[64];
};

/* Add pem as gateway's newest key, signing from (from_epoch, from_seq) on;
 * the key before it is revoked there; the registry's current key becomes
 * pem. A gateway without history first gets its registered key as key 1
 * (from seq 1 of epoch ""). GFI_E_NOTFOUND (no gateway), GFI_E_EXISTS (pem
 * is already its newest key), GFI_E_DB. */
int store_gateway_key_add(struct store *s, const char *gateway, const char *pem,
			  const char *from_epoch, uint64_t from_seq,
			  int64_t now_s, const char *by);

/* The PEM of the key valid for batch (epoch, seq) of gateway into pem: the
 * newest key whose place is not after the batch's (an epoch the city has
 * not seen yet lies after all). A gateway without history: its registered
 * key. GFI_E_NOTFOUND (no gateway), GFI_E_DB. */
int store_gateway_key_for(struct store *s, const char *gateway, const char *epoch,
			  uint64_t seq, char *pem, size_t size);

/* Every key of gateway, oldest first (its registered key alone when it has
 * no history). Rows: struct store_gateway_key. GFI_E_DB. */
int store_gateway_key_list(struct store *s, const char *gateway, store_row_fn fn,
			   void *ctx);

#endif
