/*
 * opts_compat.c — the `token` command's old option parser names
 * (report_opts_*, declared in report.h) as thin wrappers over the one
 * option parser (opts.h), so api/api.c keeps building until `token` is
 * ported. Same refusals, same exit statuses; delete with the last caller.
 */
#include <string.h>

#include "opts.h"
#include "report.h"

/* The NULL-terminated list as one space-separated string in buf. */
static const char *joined(const char *const *list, char *buf, size_t size)
{
	buf[0] = '\0';
	for (; list != NULL && *list != NULL; list++)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", buf[0] ? " " : "", *list);
	return buf;
}

int report_opts_parse(int argc, char **argv, int first,
		      const char *const *allowed, const char *const *flags,
		      int allow_word, struct report_opts *o, FILE *err)
{
	char a[512], f[256];
	struct opts_spec spec = { joined(allowed, a, sizeof(a)), joined(flags, f, sizeof(f)),
				  allow_word ? 1 : 0, NULL };

	return opts_parse(argc, argv, first, &spec, &o->o, err);
}

const char *report_opt(const struct report_opts *o, const char *name)
{
	return opts_get(&o->o, name);
}

int report_opt_required(const char *name, const char *value, FILE *err)
{
	return opts_required(name, value, err);
}

int report_opt_text(const char *name, const char *value, size_t size, FILE *err)
{
	return opts_text(name, value, size, 0, err);
}

int report_open_store(const char *path, struct store **s, FILE *err)
{
	return opts_open_store(path, s, err);
}
