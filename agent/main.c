/*
 * main.c — gfi-agent: parse arguments, dispatch to a command. Nothing else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"

static int usage(FILE *f)
{
	fprintf(f,
		"usage: gfi-agent check-config --config FILE\n"
		"       gfi-agent read --config FILE [--meter ID]\n"
		"       gfi-agent discover --config FILE --line ID [--from ADDR --to ADDR]\n"
		"       gfi-agent probe --config FILE --line ID [--slaves 1-247] "
		"[--protocol modbus] [--seconds N]\n"
		"       gfi-agent run --config FILE [--log-level LEVEL]\n"
		"       gfi-agent keygen --key FILE [--force]\n"
		"       gfi-agent csr --key FILE --cn GATEWAY_ID --out FILE\n"
		"       gfi-agent --version\n");
	return 2;
}

/* probe's own options (--slaves, --protocol, --seconds): 1 when argv[*i]
 * was one (its value taken), else 0. */
static int probe_option(int argc, char **argv, int *i, struct probe_args *p)
{
	const char *opt = argv[*i];

	if (*i + 1 >= argc)
		return 0;
	if (strcmp(opt, "--slaves") == 0)
		p->slaves = argv[++*i];
	else if (strcmp(opt, "--protocol") == 0)
		p->protocol = argv[++*i];
	else if (strcmp(opt, "--seconds") == 0)
		p->seconds = atoi(argv[++*i]);
	else
		return 0;
	return 1;
}

/* A command-line option that takes a text value. */
struct text_option {
	const char *name;
	const char **value;
};

/* 1 when argv[*i] is one of the n options of opts with a value after it
 * (the value taken), else 0. */
static int text_option(int argc, char **argv, int *i,
		       const struct text_option *opts, size_t n)
{
	if (*i + 1 >= argc)
		return 0;
	for (size_t k = 0; k < n; k++) {
		if (strcmp(argv[*i], opts[k].name) == 0) {
			*opts[k].value = argv[++*i];
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *config = NULL, *meter = NULL, *key = NULL, *cn = NULL,
		   *out = NULL, *line = NULL, *from = NULL, *to = NULL;
	struct probe_args probe = { NULL, NULL, NULL, 60 };
	const struct text_option texts[] = {
		{ "--config", &config }, { "--meter", &meter }, { "--line", &line },
		{ "--from", &from }, { "--to", &to }, { "--key", &key },
		{ "--cn", &cn }, { "--out", &out },
	};
	int level, force = 0;

	if (argc < 2)
		return usage(stderr);
	for (int i = 2; i < argc; i++) {
		if (text_option(argc, argv, &i, texts, sizeof(texts) / sizeof(texts[0])) ||
		    probe_option(argc, argv, &i, &probe)) {
			continue;
		} else if (strcmp(argv[i], "--force") == 0) {
			force = 1;
		} else if (i + 1 < argc && strcmp(argv[i], "--log-level") == 0) {
			if (gfi_log_parse_level(argv[++i], &level) != 0) {
				fprintf(stderr, "--log-level: \"%s\" is not one of err, warning, notice, info, debug\n", argv[i]);
				return 2;
			}
			gfi_log_set_level(level);
		} else {
			fprintf(stderr, "%s: unknown argument\n", argv[i]);
			return usage(stderr);
		}
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("gfi-agent %s\n", GFI_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "keygen") == 0 || strcmp(argv[1], "csr") == 0) {
		const char *missing = key == NULL ? "--key"
				      : argv[1][0] == 'c' && cn == NULL ? "--cn"
				      : argv[1][0] == 'c' && out == NULL ? "--out" : NULL;
		if (missing != NULL) {
			fprintf(stderr, "%s: missing\n", missing);
			return usage(stderr);
		}
		return argv[1][0] == 'k' ? agent_keygen(key, force, stdout, stderr)
					 : agent_csr(key, cn, out, stderr);
	}
	if (config == NULL) {
		fprintf(stderr, "--config: missing\n");
		return usage(stderr);
	}
	if (strcmp(argv[1], "check-config") == 0)
		return agent_check_config(config, stderr);
	if (strcmp(argv[1], "read") == 0)
		return agent_read(config, meter, stdout, stderr);
	if (strcmp(argv[1], "discover") == 0)
		return agent_discover(config, line, from, to, stdout, stderr);
	if (strcmp(argv[1], "probe") == 0) {
		probe.line = line;
		return agent_probe(config, &probe, stdout, stderr);
	}
	if (strcmp(argv[1], "run") == 0)
		return agent_run(config);
	fprintf(stderr, "%s: unknown command\n", argv[1]);
	return usage(stderr);
}
