/*
 * opts.c — the one option parser of the aggregator's commands (opts.h).
 *
 * Why one: the commands once had four parsers whose refusals read
 * differently; an operator (and the security tests) expect every command to
 * refuse alike. Invariants: a refusal is exactly one line on err starting
 * with the option, echoed input has its control characters replaced, exit
 * status 2; a number is accepted only when strtol/strtod consumed it whole.
 */
#include "opts.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "jsonutil.h"
#include "now.h"
#include "period.h"
#include "registry.h"
#include "text.h"

int opts_vrefuse(FILE *err, const char *prefix, const char *fmt, va_list ap)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "%s: ", prefix);

	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	text_scrub(line);
	fprintf(err, "%s\n", line);
	return OPTS_BAD;
}

int opts_refuse(FILE *err, const char *name, const char *fmt, ...)
{
	char prefix[64];
	va_list ap;
	int rc;

	snprintf(prefix, sizeof(prefix), "--%s", name);
	va_start(ap, fmt);
	rc = opts_vrefuse(err, prefix, fmt, ap);
	va_end(ap);
	return rc;
}

__attribute__((format(printf, 3, 4)))
static int refuse_word(FILE *err, const char *prefix, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = opts_vrefuse(err, prefix, fmt, ap);
	va_end(ap);
	return rc;
}

int opts_word_in(const char *list, const char *word)
{
	size_t n = strlen(word);

	if (list == NULL || n == 0)
		return 0;
	for (const char *p = list; (p = strstr(p, word)) != NULL; p += n) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	}
	return 0;
}

const char *opts_get(const struct opts *o, const char *name)
{
	for (int i = 0; i < o->n; i++) {
		if (strcmp(o->name[i], name) == 0)
			return o->value[i];
	}
	return NULL;
}

static int take_word(const struct opts_spec *spec, const char *a, struct opts *o,
		     FILE *err)
{
	if (o->nwords >= spec->words) {
		if (spec->owner != NULL)
			return refuse_word(err, spec->owner, "unexpected argument %s", a);
		return refuse_word(err, a, "unexpected argument");
	}
	o->word[o->nwords++] = a;
	return 0;
}

int opts_parse(int argc, char **argv, int first, const struct opts_spec *spec,
	       struct opts *o, FILE *err)
{
	memset(o, 0, sizeof(*o));
	for (int i = first; i < argc; i++) {
		const char *a = argv[i], *name = a + 2;
		int flag;

		if (strncmp(a, "--", 2) != 0) {
			if (take_word(spec, a, o, err) != 0)
				return OPTS_BAD;
			continue;
		}
		flag = opts_word_in(spec->flags, name);
		if (name[0] == '\0')
			return opts_refuse(err, name, "empty option name");
		if (!flag && spec->options != NULL && !opts_word_in(spec->options, name))
			return opts_refuse(err, name, "unknown option");
		if (opts_get(o, name) != NULL)
			return opts_refuse(err, name, "given twice");
		if (o->n == OPTS_MAX)
			return opts_refuse(err, name, "too many options");
		o->name[o->n] = name;
		if (flag) {
			o->value[o->n++] = "";
			continue;
		}
		if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0)
			return opts_refuse(err, name, "missing value");
		o->value[o->n++] = argv[++i];
	}
	return 0;
}

int opts_only(const struct opts *o, const char *allowed, const char *what,
	      FILE *err)
{
	for (int i = 0; i < o->n; i++) {
		if (strcmp(o->name[i], "store") != 0 && !opts_word_in(allowed, o->name[i]))
			return opts_refuse(err, o->name[i], "unknown option for %s", what);
	}
	return 0;
}

int opts_required(const char *name, const char *value, FILE *err)
{
	return value == NULL ? opts_refuse(err, name, "missing") : 0;
}

int opts_int(const char *name, const char *value, long min, long max,
	     long *out, FILE *err)
{
	char *end = NULL;
	long v;

	if (value == NULL)
		return 0;
	errno = 0;
	v = strtol(value, &end, 10);
	if (end == value || *end != '\0' || errno != 0)
		return opts_refuse(err, name, "%s is not an integer", value);
	if (v < min || v > max)
		return opts_refuse(err, name, "%s out of range %ld..%ld", value, min, max);
	*out = v;
	return 0;
}

int opts_double(const char *name, const char *value, double min, double max,
		double *out, FILE *err)
{
	char *end = NULL;
	double v;

	if (value == NULL)
		return 0;
	errno = 0;
	v = strtod(value, &end);
	if (end == value || *end != '\0' || errno == ERANGE || !isfinite(v))
		return opts_refuse(err, name, "%s is not a finite number", value);
	if (v < min || v > max)
		return opts_refuse(err, name, "%s out of range %g..%g", value, min, max);
	*out = v;
	return 0;
}

int opts_text(const char *name, const char *value, size_t size,
	      int may_be_empty, FILE *err)
{
	if (value == NULL)
		return 0;
	if (value[0] == '\0' && !may_be_empty)
		return opts_refuse(err, name, "empty");
	if (strlen(value) >= size)
		return opts_refuse(err, name, "longer than %zu bytes", size - 1);
	if (!text_valid(value))
		return opts_refuse(err, name, "not UTF-8 text without control characters");
	return 0;
}

int opts_time(const char *name, const char *value, int64_t *out, FILE *err)
{
	if (value == NULL)
		return 0;
	if (period_parse_time(value, out) != GFI_OK)
		return opts_refuse(err, name,
				   "%s is not epoch seconds or YYYY-MM-DD[ HH:MM[:SS]]", value);
	return 0;
}

int opts_credit_code(const char *name, const char *value, FILE *err)
{
	const char *why;

	if (value != NULL && (why = registry_credit_code_problem(value)) != NULL)
		return opts_refuse(err, name, "%s is not a valid unified social credit code (%s)",
				   value, why);
	return 0;
}

int opts_id(const char *name, const char *value, FILE *err)
{
	if (value != NULL && !gfi_id_valid(value))
		return opts_refuse(err, name, "%s is not a valid id (1..31 characters of "
				   "A-Z a-z 0-9 . _ -)", value);
	return 0;
}

int opts_pin_now(const struct opts *o, FILE *err)
{
	int64_t t = 0;
	const char *v = opts_get(o, "now");
	int rc;

	if (v == NULL)
		return 0;
	if ((rc = opts_time("now", v, &t, err)) != 0)
		return rc;
	agg_now_pin(t);
	return 0;
}

int opts_open_store(const char *path, struct store **s, FILE *err)
{
	struct stat sb;
	int ret;

	*s = NULL;
	if (path == NULL)
		return opts_refuse(err, "store", "missing");
	if (stat(path, &sb) != 0)
		return opts_refuse(err, "store", "%s does not exist", path);
	if ((ret = store_open(path, s)) != GFI_OK) {
		fprintf(err, "store: open failed: %s\n", gfi_strerror(ret));
		return OPTS_FAIL;
	}
	return 0;
}

int opts_store_done(struct store *s, int rc, const char *command,
		    const char *verb, FILE *err)
{
	store_close(s);
	if (rc == GFI_OK)
		return 0;
	fprintf(err, "%s %s failed: %s\n", command, verb, gfi_strerror(rc));
	return OPTS_FAIL;
}
