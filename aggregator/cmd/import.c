/*
 * import.c — `gfi-aggregator import`: read a history CSV export, check it
 * against the registry and import its readings (ingest/import.c has the
 * format and the rules; docs/import.md the contract).
 *
 * Invariants: a file that is refused as a whole imports nothing; bad rows
 * import nothing unless --skip-bad; `--now` pins the aggregator's now
 * (now.h), the import's recorded time; --dry-run writes nothing and takes
 * no write lock; a store another writer holds is tried again
 * (IMPORT_BUSY_TRIES), then exit 75 (EX_TEMPFAIL), never 1.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "error.h"
#include "import.h"
#include "now.h"
#include "opts.h"
#include "sign.h"

#define IMPORT_BUSY_TRIES 6
#define IMPORT_EXIT_TEMPFAIL 75   /* sysexits.h EX_TEMPFAIL: try again later */

/* Read the whole file at path (regular, at most IMPORT_FILE_MAX bytes). */
static int slurp(const char *path, uint8_t **buf, size_t *len, FILE *err)
{
	struct stat sb;
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL;
	size_t n = 0;

	*buf = NULL;
	*len = 0;
	if (f == NULL) {
		fprintf(err, "--csv: cannot open %s: %s\n", path, strerror(errno));
		return 2;
	}
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		fprintf(err, "--csv: %s is not a regular file\n", path);
		fclose(f);
		return 2;
	}
	if ((uint64_t)sb.st_size > IMPORT_FILE_MAX) {
		fprintf(err, "--csv: %s is larger than %u bytes; split the file\n", path,
			IMPORT_FILE_MAX);
		fclose(f);
		return 2;
	}
	if ((b = malloc((size_t)sb.st_size + 1)) == NULL) {
		fprintf(err, "--csv: out of memory\n");
		fclose(f);
		return 1;
	}
	n = fread(b, 1, (size_t)sb.st_size + 1, f);
	if (ferror(f) || n > (size_t)sb.st_size) {
		fprintf(err, "--csv: reading %s failed (or it grew while read)\n", path);
		fclose(f);
		free(b);
		return 1;
	}
	fclose(f);
	*buf = b;
	*len = n;
	return 0;
}

static void print_errors(const struct import_result *res, FILE *err)
{
	for (size_t i = 0; i < res->nerrors; i++)
		fprintf(err, "%s\n", res->errors[i].text);
	if (res->bad_rows > res->nerrors)
		fprintf(err, "... %zu more\n", res->bad_rows - res->nerrors);
}

/* import_run, tried again while another writer holds the store past the
 * busy timeout (each try already waited that long); a busy store is not
 * a failure of the import. */
static int run_retrying(struct store *s, struct import_result *res, const char *hex,
			const struct import_opts *o, struct import_summary *sum,
			FILE *err)
{
	int ret = import_run(s, res, hex, o, sum);

	for (int i = 1; ret == GFI_E_BUSY && i < IMPORT_BUSY_TRIES; i++) {
		fprintf(err, "store busy: trying again (%d of %d)\n", i + 1,
			IMPORT_BUSY_TRIES);
		sleep(1);
		ret = import_run(s, res, hex, o, sum);
	}
	return ret;
}

/* The command's last word on import_run's outcome ret; its exit status. */
static int print_outcome(int ret, const struct import_result *res,
			 const struct import_summary *sum, int dry_run, const char *base,
			 FILE *out, FILE *err)
{
	int rc;

	if (ret == GFI_E_INVAL) {
		fprintf(err, "nothing imported: %zu bad rows of %zu (give --skip-bad to "
			"import the good rows)\n", res->bad_rows, res->data_rows);
		rc = 2;
	} else if (ret == GFI_E_BUSY) {
		fprintf(err, "store: still busy after %d tries; nothing imported, "
			"try again later\n", IMPORT_BUSY_TRIES);
		rc = IMPORT_EXIT_TEMPFAIL;
	} else if (ret != GFI_OK) {
		fprintf(err, "store: import failed: %s; nothing imported\n", gfi_strerror(ret));
		rc = 1;
	} else if (dry_run) {
		fprintf(out, "dry run: would import %zu readings from %s (%zu bad rows "
			"skipped, %zu already present)\n", sum->inserted, base, sum->bad,
			sum->present);
		rc = 0;
	} else if (sum->id == 0) {
		fprintf(out, "imported 0 readings from %s (%zu bad rows skipped, %zu "
			"already present)\n", base, sum->bad, sum->present);
		rc = 0;
	} else {
		fprintf(out, "imported %zu readings from %s as import %lld (%zu bad rows "
			"skipped, %zu already present)\n", sum->inserted, base,
			(long long)sum->id, sum->bad, sum->present);
		rc = 0;
	}
	return rc;
}

int cmd_import(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct opts_spec spec = { .options = "store csv by now",
					       .flags = "skip-bad dry-run" };
	struct import_result res;
	struct import_summary sum;
	struct import_opts o = { 0 };
	struct opts opts;
	struct store *s = NULL;
	uint8_t *data = NULL, hash[GFI_SHA256_LEN];
	char hex[2 * GFI_SHA256_LEN + 1], msg[512];
	const char *path, *base;
	size_t len = 0;
	int rc, ret;

	memset(&res, 0, sizeof(res));
	if ((rc = opts_parse(argc, argv, 1, &spec, &opts, err)) != 0)
		return rc;
	path = opts_get(&opts, "csv");
	o.by = opts_get(&opts, "by");
	o.skip_bad = opts_get(&opts, "skip-bad") != NULL;
	o.dry_run = opts_get(&opts, "dry-run") != NULL;
	if ((rc = opts_required("csv", path, err)) ||
	    (rc = opts_required("by", o.by, err)) ||
	    (rc = opts_text("by", o.by, 64, 0, err)) ||
	    (rc = opts_pin_now(&opts, err)) ||
	    (rc = opts_required("store", opts_get(&opts, "store"), err)))
		return rc;
	o.now_s = agg_now_s();
	if ((rc = slurp(path, &data, &len, err)) != 0)
		return rc;
	gfi_sha256(data, len, hash);
	for (int i = 0; i < GFI_SHA256_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", hash[i]);
	if ((rc = opts_open_store(opts_get(&opts, "store"), &s, err)) != 0)
		goto cleanup;
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	ret = import_parse(base, data, len, o.now_s, import_store_lookup, s, &res,
			   msg, sizeof(msg));
	if (ret == GFI_E_DB) {
		fprintf(err, "store: registry lookup failed\n");
		rc = 1;
		goto cleanup;
	}
	if (ret != GFI_OK) {
		fprintf(err, "%s\n", msg);
		fprintf(err, "nothing imported: the file is refused as a whole\n");
		rc = ret == GFI_E_NOMEM ? 1 : 2;
		goto cleanup;
	}
	ret = run_retrying(s, &res, hex, &o, &sum, err);
	print_errors(&res, err);
	rc = print_outcome(ret, &res, &sum, o.dry_run, base, out, err);
cleanup:
	import_result_free(&res);
	store_close(s);
	free(data);
	return rc;
}
