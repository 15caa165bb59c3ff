/*
 * opts.h — the one option parser of gfi-aggregator's commands.
 *
 * Every command reads `--name value` pairs, a few flags without a value and
 * at most a couple of bare words (verbs) through opts_parse, then checks each
 * field with the opts_* checks below. Every refusal is one line on err that
 * starts with the option ("--year: 1999 out of range 2000..2100"), control
 * characters of echoed input replaced, and exit status 2 (OPTS_BAD).
 */
#ifndef GFI_AGG_OPTS_H
#define GFI_AGG_OPTS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store.h"

#define OPTS_MAX 24
#define OPTS_WORDS_MAX 2
#define OPTS_FAIL 1   /* exit status: store or I/O failure */
#define OPTS_BAD 2    /* exit status: bad input */

/* What a command accepts. Lists are space separated ("store year unit"). */
struct opts_spec {
	const char *options;  /* "--name value" options; NULL: any (see opts_only) */
	const char *flags;    /* options without a value ("json"), or NULL */
	int words;            /* bare words accepted, 0..OPTS_WORDS_MAX */
	const char *owner;    /* an extra word: "owner: unexpected argument W";
			       * NULL: "W: unexpected argument" */
};

struct opts {
	const char *name[OPTS_MAX];   /* without the leading "--" */
	const char *value[OPTS_MAX];  /* "" for a flag */
	int n;
	const char *word[OPTS_WORDS_MAX];
	int nwords;
};

/* Parse argv[first..argc) into o by spec. 0, or one line on err and
 * OPTS_BAD (unknown option, given twice, missing value, extra word).
 * Values are borrowed from argv. */
int opts_parse(int argc, char **argv, int first, const struct opts_spec *spec,
	       struct opts *o, FILE *err);

/* The value of option name ("" for a flag), or NULL when absent. */
const char *opts_get(const struct opts *o, const char *name);

/* Whether word is one of the space-separated words of list. */
int opts_word_in(const char *list, const char *word);

/* Refuse every option of o not in allowed (space separated; "store" is
 * always allowed): "--x: unknown option for <what>". 0 or OPTS_BAD. */
int opts_only(const struct opts *o, const char *allowed, const char *what,
	      FILE *err);

/* Write "--name: why" on err (control characters replaced); OPTS_BAD. */
__attribute__((format(printf, 3, 4)))
int opts_refuse(FILE *err, const char *name, const char *fmt, ...);

/* Write "prefix: why" on err (control characters replaced); OPTS_BAD. */
__attribute__((format(printf, 3, 0)))
int opts_vrefuse(FILE *err, const char *prefix, const char *fmt, va_list ap);

/* Field checks: each returns 0, or writes "--name: why" on err and returns
 * OPTS_BAD. A NULL value is "missing" for opts_required, else left alone
 * (0, *out untouched). */
int opts_required(const char *name, const char *value, FILE *err);
int opts_int(const char *name, const char *value, long min, long max,
	     long *out, FILE *err);
int opts_double(const char *name, const char *value, double min, double max,
		double *out, FILE *err);
/* UTF-8 text without control characters, 1..size-1 bytes (0..size-1 when
 * may_be_empty). */
int opts_text(const char *name, const char *value, size_t size,
	      int may_be_empty, FILE *err);
/* A time: epoch seconds or "YYYY-MM-DD[ HH:MM[:SS]]" Asia/Shanghai. */
int opts_time(const char *name, const char *value, int64_t *out, FILE *err);
/* A unified social credit code with a valid check character. */
int opts_credit_code(const char *name, const char *value, FILE *err);
/* A gateway/meter/point id (1..31 of A-Z a-z 0-9 . _ -). */
int opts_id(const char *name, const char *value, FILE *err);

/* `--now TIME`: when given, pin the aggregator's now (now.h) to it, so the
 * command's output is reproducible. 0 or OPTS_BAD. */
int opts_pin_now(const struct opts *o, FILE *err);

/* Open the store at path, refusing a path that does not exist (a mistyped
 * path must not leave an empty store behind). 0, OPTS_BAD (--store missing
 * or absent), OPTS_FAIL (cannot open). */
int opts_open_store(const char *path, struct store **s, FILE *err);

/* Close s after a command's store work that returned rc: 0, or OPTS_FAIL
 * with "<command> <verb> failed: <why>" on err. */
int opts_store_done(struct store *s, int rc, const char *command,
		    const char *verb, FILE *err);

#endif
