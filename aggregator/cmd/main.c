/*
 * main.c — gfi-aggregator: parse arguments, dispatch to a command, and for
 * `serve` (and `http`) wait for SIGINT/SIGTERM while the ingest thread and
 * the HTTP server work. Nothing else.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggconfig.h"
#include "alerts.h"
#include "api.h"
#include "error.h"
#include "factors_cli.h"
#include "http.h"
#include "import.h"
#include "ingest.h"
#include "log.h"
#include "registry.h"
#include "report.h"
#include "spotcheck.h"
#include "store.h"
#include "verify.h"

static int usage(FILE *f)
{
	fprintf(f,
		"usage: gfi-aggregator serve --config FILE [--log-level LEVEL]\n"
		"       gfi-aggregator http --config FILE [--log-level LEVEL]\n"
		"       gfi-aggregator check-config --config FILE\n"
		"       gfi-aggregator admin --store FILE OBJECT VERB [--field value ...]\n"
		"       gfi-aggregator counts --store FILE\n"
		"       gfi-aggregator verify-batch --store FILE --gateway ID --seq N\n"
		"       gfi-aggregator indicators --store FILE --unit CODE --year Y [--month M] [--json]\n"
		"       gfi-aggregator factor set|list --store FILE ...\n"
		"       gfi-aggregator report --store FILE --year Y [--unit CODE | --county CODE]\n"
		"                      --format csv|xlsx|json --out FILE\n"
		"       gfi-aggregator filing --store FILE --unit CODE --year Y --by NAME\n"
		"       gfi-aggregator import --store FILE --csv FILE --by NAME [--skip-bad]\n"
		"                      [--dry-run]\n"
		"       gfi-aggregator alerts evaluate --store FILE [--rules FILE] [--now EPOCH]\n"
		"       gfi-aggregator alerts --store FILE [--county CODE] [--state open]\n"
		"       gfi-aggregator alert ack|resolve --store FILE --id N --by NAME\n"
		"       gfi-aggregator spotcheck --store FILE --gateway ID --meter ID --point ID\n"
		"                      --at TIME --reading VALUE --inspector NAME [--note TEXT]\n"
		"       gfi-aggregator spotchecks --store FILE [--gateway ID --meter ID --point ID]\n"
		"       gfi-aggregator token add --store FILE --role city|county|unit\n"
		"                      [--scope COUNTY|UNIT] --name NAME\n"
		"       gfi-aggregator token list --store FILE\n"
		"       gfi-aggregator token revoke --store FILE --name NAME\n");
	return 2;
}

struct args {
	const char *config, *store, *gateway, *seq, *level;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 2; i < argc; i++) {
		const char **dst = strcmp(argv[i], "--config") == 0    ? &a->config
				   : strcmp(argv[i], "--store") == 0     ? &a->store
				   : strcmp(argv[i], "--gateway") == 0   ? &a->gateway
				   : strcmp(argv[i], "--seq") == 0       ? &a->seq
				   : strcmp(argv[i], "--log-level") == 0 ? &a->level
									 : NULL;
		if (dst == NULL || i + 1 >= argc) {
			fprintf(stderr, "%s: unknown argument or missing value\n", argv[i]);
			return usage(stderr);
		}
		*dst = argv[++i];
	}
	return 0;
}

static int load_config(const char *path, int need_broker, struct agg_config *cfg)
{
	char err[512];

	if (path == NULL) {
		fprintf(stderr, "--config: missing\n");
		return 2;
	}
	if (aggconfig_load(path, cfg, err, sizeof(err)) != GFI_OK ||
	    aggconfig_check_files(cfg, need_broker, err, sizeof(err)) != GFI_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	return 0;
}

/* serve: ingest and (when configured) HTTP; http_only: the HTTP server
 * alone, for read-only replicas and tests. */
static int serve(const struct args *a, int http_only)
{
	struct agg_config cfg;
	struct ingest *g = NULL;
	struct http *h = NULL;
	sigset_t set;
	int sig = 0, rc, level;

	if ((rc = load_config(a->config, !http_only, &cfg)) != 0)
		return rc;
	if (http_only && !cfg.http.enabled) {
		fprintf(stderr, "http: missing (the config has no \"http\" section)\n");
		return 1;
	}
	gfi_log_set_level(cfg.log_level);
	if (a->level != NULL && gfi_log_parse_level(a->level, &level) == 0)
		gfi_log_set_level(level);
	/* Paho's and libmicrohttpd's threads inherit the mask: only this
	 * thread takes signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (!http_only && (rc = ingest_start(&cfg, &g)) != GFI_OK) {
		log_err("aggregator start failed: %s", gfi_strerror(rc));
		return 1;
	}
	if (cfg.http.enabled && (rc = http_start(&cfg, &h)) != GFI_OK) {
		log_err("aggregator start failed: http: %s", gfi_strerror(rc));
		ingest_stop(g);
		return 1;
	}
	log_notice("aggregator started: client=%s store=%s%s", cfg.client_id,
		   cfg.store, http_only ? " (http only)" : "");
	while (sigwait(&set, &sig) != 0)
		;
	log_notice("stopping on signal %d", sig);
	http_stop(h);
	ingest_stop(g);
	return 0;
}

static int counts(const char *path)
{
	struct store_counts c;
	struct store *s = NULL;
	int rc = store_open(path, &s);

	if (rc == GFI_OK)
		rc = store_counts(s, &c);
	store_close(s);
	if (rc != GFI_OK) {
		fprintf(stderr, "store: %s\n", gfi_strerror(rc));
		return 1;
	}
	printf("{\"batches\":%" PRId64 ",\"readings\":%" PRId64
	       ",\"quarantined_batches\":%" PRId64 ",\"quarantined_readings\":%" PRId64
	       ",\"gaps\":%" PRId64 ",\"rollups\":%" PRId64 "}\n", c.batches,
	       c.readings, c.quarantined_batches, c.quarantined_readings, c.gaps,
	       c.rollups);
	return 0;
}

static int verify_batch(const struct args *a)
{
	struct store *s = NULL;
	char err[512] = "", *end = NULL;
	unsigned long long seq;
	int rc;

	if (a->store == NULL || a->gateway == NULL || a->seq == NULL)
		return usage(stderr);
	seq = strtoull(a->seq, &end, 10);
	if (end == a->seq || *end != '\0' || seq == 0) {
		fprintf(stderr, "--seq: \"%s\" is not a sequence number\n", a->seq);
		return 2;
	}
	if ((rc = store_open(a->store, &s)) == GFI_OK)
		rc = verify_stored(s, a->gateway, seq, err, sizeof(err));
	store_close(s);
	if (rc != GFI_OK) {
		fprintf(stderr, "verify failed: gateway=%s seq=%llu: %s\n", a->gateway,
			seq, err[0] ? err : gfi_strerror(rc));
		return 1;
	}
	printf("verified: gateway=%s seq=%llu\n", a->gateway, seq);
	return 0;
}

int main(int argc, char **argv)
{
	struct agg_config cfg;
	struct args a;
	int rc;

	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "admin") == 0)
		return registry_cli(argc - 2, argv + 2, stdout, stderr);
	if (strcmp(argv[1], "report") == 0)
		return report_cli(argc - 1, argv + 1, stdout, stderr);
	if (strcmp(argv[1], "import") == 0)
		return import_cli(argc - 1, argv + 1, stdout, stderr);
	if (strcmp(argv[1], "filing") == 0)
		return report_filing_cli(argc - 1, argv + 1, stdout, stderr);
	if (strcmp(argv[1], "alerts") == 0)
		return alerts_cli(argc - 1, argv + 1, stdout, stderr);
	if (strcmp(argv[1], "alert") == 0)
		return alerts_alert_cli(argc - 1, argv + 1, stdout, stderr);
	if (strcmp(argv[1], "spotcheck") == 0)
		return spotcheck_cli(argc - 1, argv + 1, stdout, stderr);
	if (strcmp(argv[1], "spotchecks") == 0)
		return spotcheck_list_cli(argc - 1, argv + 1, stdout, stderr);
	if (strcmp(argv[1], "factor") == 0)
		return factors_cli(argc - 2, argv + 2, stdout, stderr);
	if (strcmp(argv[1], "token") == 0)
		return api_token_cli(argc - 1, argv + 1, stdout, stderr);
	if (strcmp(argv[1], "indicators") == 0)
		return indicators_cli(argc - 2, argv + 2, stdout, stderr);
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if ((rc = parse_args(argc, argv, &a)) != 0)
		return rc;
	if (strcmp(argv[1], "serve") == 0)
		return serve(&a, 0);
	if (strcmp(argv[1], "http") == 0)
		return serve(&a, 1);
	if (strcmp(argv[1], "check-config") == 0)
		return load_config(a.config, 1, &cfg);
	if (strcmp(argv[1], "counts") == 0)
		return a.store ? counts(a.store) : usage(stderr);
	if (strcmp(argv[1], "verify-batch") == 0)
		return verify_batch(&a);
	fprintf(stderr, "%s: unknown command\n", argv[1]);
	return usage(stderr);
}
