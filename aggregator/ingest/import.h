/*
 * import.h — history imported from a factory's own energy management system:
 * `gfi-aggregator import --store FILE --csv FILE --by NAME [--skip-bad]
 * [--dry-run]` (docs/import.md).
 *
 * Two halves. import_parse is a pure function over a buffer: it reads the
 * CSV (UTF-8, optional BOM, RFC 4180 quoting, LF or CRLF, a header naming
 * the columns), checks every row, and asks a lookup callback what the
 * registry says about each distinct (gateway, meter, point); it touches no
 * store, so the fuzzer and the unit tests drive it directly. import_run then
 * writes the good rows into the store in one transaction, marked with the
 * import's id (never as gateway-signed), after checking each against what
 * is already stored.
 *
 * Errors are per row, "FILE:LINE: FIELD: reason", LINE being the line the
 * record starts on. Without skip_bad any bad row means nothing is stored.
 */
#ifndef GFI_AGG_IMPORT_H
#define GFI_AGG_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "reading.h"
#include "store.h"

#define IMPORT_FILE_MAX (128u * 1024 * 1024)  /* bytes; split larger exports */
#define IMPORT_RECORD_MAX 1024                /* bytes of one record */
#define IMPORT_ROWS_MAX 4000000               /* data rows of one file */
#define IMPORT_SERIES_MAX 4096                /* distinct (gateway, meter, point) */
#define IMPORT_ERRORS_KEPT 20                 /* error lines kept (lowest lines) */
#define IMPORT_ERROR_LEN 240
/* Readings of 2000-01-01 (Asia/Shanghai) or later; none in the future
 * beyond this tolerance of the importer's clock, seconds. */
#define IMPORT_TIME_MIN 946656000
#define IMPORT_FUTURE_TOLERANCE_S 300

/* What the registry says about one series of the file. */
struct import_target {
	char quantity[GFI_QNAME_MAX];         /* the point's registered quantity */
	char unit[STORE_CODE_LEN + 1];        /* the gateway's unit */
};

/* Look up (gateway, meter, point): 0 and *out filled when it may be
 * imported; 1 when it may not, with "FIELD: reason" in why; a negative
 * GFI_E_* aborts the parse (store failure). */
typedef int (*import_lookup_fn)(void *ctx, const char *gateway,
				const char *meter, const char *point,
				struct import_target *out, char *why,
				size_t whylen);

struct import_series {
	char gateway[GFI_ID_MAX];
	char meter[GFI_ID_MAX];
	char point[GFI_ID_MAX];
	struct import_target t;
	int refused;                          /* lookup said no */
	char why[IMPORT_ERROR_LEN / 2];       /* its "FIELD: reason" */
};

struct import_row {
	uint32_t series;                      /* index into series[] */
	uint32_t line;                        /* 1-based line the record starts on */
	int64_t time_s;                       /* UTC epoch seconds */
	double value;                         /* NaN when the status has none */
	int status, detail;                   /* enum gfi_status, exception code */
	int bad;                              /* refused after parsing (duplicate,
						 collision with the store) */
};

struct import_error {
	uint32_t line;
	char text[IMPORT_ERROR_LEN];          /* "FILE:LINE: FIELD: reason" */
};

struct import_result {
	struct import_series *series;         /* owned */
	size_t nseries, series_cap;
	struct import_row *rows;              /* owned; rows that parsed, file order */
	size_t nrows, cap;
	size_t data_rows;                     /* data records in the file */
	size_t bad_rows;                      /* records refused, each once */
	struct import_error errors[IMPORT_ERRORS_KEPT]; /* lowest lines, sorted */
	size_t nerrors;                       /* entries used in errors[] */
	char name[128];                       /* file name for messages */
	/* private: the series hash index */
	int32_t *slots;
	size_t nslots;
};

/* Parse and check the CSV in data[0..len) (name is for messages only)
 * against the registry through lookup; now_s is the importer's clock.
 * GFI_OK: res holds the rows that passed (rows[].bad 0) and the row errors;
 * GFI_E_PARSE / GFI_E_RANGE: the file as a whole is refused (no header,
 * unknown or missing column, too large, too many rows), one line in err;
 * GFI_E_NOMEM; or what lookup returned. Free res with import_result_free
 * in every case. */
int import_parse(const char *name, const uint8_t *data, size_t len,
		 int64_t now_s, import_lookup_fn lookup, void *lctx,
		 struct import_result *res, char *err, size_t errlen);
void import_result_free(struct import_result *res);

/* Record a refused row (keeps the IMPORT_ERRORS_KEPT lowest lines, counts
 * all): marks rows[i] bad and counts it. The text is "FIELD: reason". */
void import_refuse_row(struct import_result *res, size_t i, const char *what);

/* Parse one time cell: epoch seconds, or "YYYY-MM-DD HH:MM[:SS]" (or with
 * "T") in Asia/Shanghai, optionally followed by "Z" or "+HH:MM"/"-HH:MM".
 * GFI_OK, or GFI_E_PARSE with the reason in why. */
int import_parse_time(const char *s, int64_t *out, char *why, size_t whylen);

/* The lookup import_run uses, over a store's registry. */
int import_store_lookup(void *store, const char *gateway, const char *meter,
			const char *point, struct import_target *out, char *why,
			size_t whylen);

struct import_opts {
	const char *by;          /* who imports (recorded) */
	int skip_bad;            /* import the good rows, count the bad */
	int dry_run;             /* check everything, store nothing */
	int64_t now_s;
};

struct import_summary {
	int64_t id;              /* the import's id; 0 when nothing was stored */
	size_t rows, inserted, present, bad;
};

/* Store res's good rows of a file whose SHA-256 is sha256_hex, in one
 * transaction: each row is compared with what the store holds at its
 * (series, time) — the same value and status is "already present", a
 * different one is a bad row. Without o->skip_bad a bad row rolls all
 * back (GFI_E_INVAL); so does o->dry_run (GFI_OK). GFI_E_DB. */
int import_run(struct store *s, struct import_result *res,
	       const char *sha256_hex, const struct import_opts *o,
	       struct import_summary *sum);

#endif
