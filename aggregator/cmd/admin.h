/*
 * admin.h — the parts the `admin` command's files share (admin.c: the
 * command table and its handlers; admin_fields.c: field checks, references
 * and refusals; admin_list.c: listings as TSV or JSON lines).
 *
 * A command runs with one struct cli; every check first looks at
 * c->status and does nothing once a problem was reported, so a refusal is
 * always exactly one line on err ("--field: why", exit 2) and a store
 * failure exits 1. The store is changed only after every field is accepted.
 */
#ifndef GFI_AGG_ADMIN_H
#define GFI_AGG_ADMIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "opts.h"
#include "store.h"

struct cli {
	FILE *out, *err;
	struct store *s;
	const char *object, *verb;
	struct opts o;
	int json;           /* --json: JSON lines instead of TSV */
	int status;         /* 0, or the exit status of the first problem */
	int64_t now_s;      /* agg_now_s() when the command started */
};

/* `gfi-aggregator admin --store FILE OBJECT VERB [--field value ...]`;
 * argv[0] is "admin". Returns 0, 1 (store failure) or 2 (bad input). */
int cmd_admin(int argc, char **argv, FILE *out, FILE *err);

/* ---- admin_fields.c ---- */

/* Refuse input: "--flag: why", exit 2 (only the first problem counts). */
__attribute__((format(printf, 3, 4)))
void admin_refuse(struct cli *c, const char *flag, const char *fmt, ...);
/* Refuse a word of the command itself ("object", "verb", "admin"). */
__attribute__((format(printf, 3, 4)))
void admin_refuse_word(struct cli *c, const char *what, const char *fmt, ...);
/* A store failure ("store: <what> failed: ..."), exit 1. */
void admin_failed(struct cli *c, const char *what, int ret);

/* Whether ret, a registry lookup's answer for key (of a kind such as
 * "county"), lets flag use it: not found, a failed lookup, or (retired)
 * a retired one is refused or reported naming flag. 1 usable, else 0. */
int admin_found(struct cli *c, const char *flag, const char *key,
		const char *kind, int ret, int retired);
/* The value of --name, or NULL. */
const char *admin_opt(const struct cli *c, const char *name);

/* Field parsers: each leaves dst alone when the flag is absent or a
 * problem was already reported. */
void admin_take_text(struct cli *c, const char *name, char *dst, size_t size,
		     int may_be_empty);
void admin_take_word(struct cli *c, const char *name, char *dst, size_t size);
void admin_take_id(struct cli *c, const char *name, char *dst);
void admin_take_credit_code(struct cli *c, const char *name, char *dst);
void admin_take_county_code(struct cli *c, const char *name, char *dst, size_t size);
void admin_take_int(struct cli *c, const char *name, long min, long max, int *dst);
void admin_take_double(struct cli *c, const char *name, double min, double max,
		       double *dst);
/* One of names (NULL-terminated; all: them for the message) into *dst as
 * its index; 1 when taken. */
int admin_take_choice(struct cli *c, const char *name, const char *const *names,
		      const char *all, int *dst);
void admin_take_time(struct cli *c, const char *name, int64_t *dst);
/* A "BEGIN PUBLIC KEY" PEM file holding a P-256 key, its text into dst. */
void admin_take_pubkey(struct cli *c, const char *name, char *dst, size_t size);

/* References: 1 when the key names a registered, not retired entry; else
 * refuse naming flag (0). */
int admin_county_usable(struct cli *c, const char *flag, const char *code);
int admin_unit_usable(struct cli *c, const char *flag, const char *code,
		      struct reg_unit *u);
int admin_gateway_usable(struct cli *c, const char *flag, const char *id);
/* The result of a put: key names the flag of the object's key, ref what
 * kind of thing it refers to. */
void admin_put_result(struct cli *c, int ret, const char *key, const char *val,
		      const char *ref);

/* ---- admin_list.c ---- */

/* names[i] of n, or "unknown". */
const char *admin_choice_name(const char *const *names, int n, int i);

/* One listing: a header line of cols (TSV only), then one line per row the
 * keep function (if any) accepts, built by build. */
struct lister {
	struct cli *c;
	const char *const *cols;   /* TSV columns, NULL-terminated */
	int header_done;
	cJSON *(*build)(const void *row);
	int (*keep)(const struct lister *l, const void *row);
	const char *filter;        /* unit list: county; gateway list: unit */
	int filter_kind;           /* unit list: kind or -1 */
};
void admin_list_header(struct lister *l);
/* A store_row_fn: ctx is the struct lister. */
int admin_list_row(void *ctx, const void *row);
void admin_list_done(struct cli *c, int ret);

/* The dated registry's commands (admin_dated.c): unit change/retire with
 * --from (u: the changed entry), gateway change with --from (g: the
 * gateway with its new unit), unit/gateway/meter history, gateway keys,
 * meter move. */
void admin_unit_change_from(struct cli *c, const struct reg_unit *u);
void admin_gateway_move(struct cli *c, const struct reg_gateway *g);
void admin_unit_history(struct cli *c);
void admin_gateway_history(struct cli *c);
void admin_meter_move(struct cli *c);
void admin_meter_history(struct cli *c);

/* Row builders (the JSON of one row; NULL when out of memory). */
cJSON *admin_county_json(const void *row);
cJSON *admin_unit_json(const void *row);
cJSON *admin_gateway_json(const void *row);
cJSON *admin_meter_json(const void *row);
/* A gateway's assignment span (store_moves.h; open ends null), a key of
 * its key history (store_keys.h, with the PEM's SHA-256). */
cJSON *admin_span_json(const void *row);
cJSON *admin_key_json(const void *row);
/* A meter's own span (unit null: it follows its gateway) and a unit's
 * version (store_moves.h), with who changed them. */
cJSON *admin_meter_span_json(const void *row);
cJSON *admin_unit_version_json(const void *row);
cJSON *admin_replacement_json(const void *row);
cJSON *admin_member_json(const void *row);
cJSON *admin_supplier_json(const void *row);
cJSON *admin_fact_json(const void *row);

#endif
