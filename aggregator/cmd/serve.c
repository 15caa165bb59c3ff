/*
 * serve.c — the daemon's commands: `gfi-aggregator serve` (MQTT ingest and,
 * when configured, the HTTP API), `gfi-aggregator http` (the HTTP API alone,
 * for read-only replicas and tests) and `gfi-aggregator check-config`.
 *
 * Invariants: only the main thread takes SIGINT/SIGTERM (Paho's and
 * libmicrohttpd's threads inherit the blocked mask); `--now` (http) pins the
 * aggregator's now (now.h) before any thread starts, so the server answers
 * as of that instant.
 */
#include <signal.h>
#include <stdio.h>

#include "aggconfig.h"
#include "cmd.h"
#include "error.h"
#include "http.h"
#include "indicators.h"
#include "ingest.h"
#include "log.h"
#include "opts.h"

static int load_config(const char *path, int need_broker, struct agg_config *cfg,
		       FILE *err)
{
	char why[512];

	if (path == NULL)
		return opts_refuse(err, "config", "missing");
	if (aggconfig_load(path, cfg, why, sizeof(why)) != GFI_OK ||
	    aggconfig_check_files(cfg, need_broker, why, sizeof(why)) != GFI_OK) {
		fprintf(err, "%s\n", why);
		return OPTS_FAIL;
	}
	return 0;
}

/* Start the ingest thread (unless http_only) and the HTTP server, wait for
 * SIGINT or SIGTERM, stop both. */
static int run_until_signal(const struct agg_config *cfg, int http_only)
{
	struct ingest *g = NULL;
	struct http *h = NULL;
	sigset_t set;
	int sig = 0, rc;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (!http_only && (rc = ingest_start(cfg, &g)) != GFI_OK) {
		log_err("aggregator start failed: %s", gfi_strerror(rc));
		return OPTS_FAIL;
	}
	if (cfg->http.enabled && (rc = http_start(cfg, &h)) != GFI_OK) {
		log_err("aggregator start failed: http: %s", gfi_strerror(rc));
		ingest_stop(g);
		return OPTS_FAIL;
	}
	log_notice("aggregator started: client=%s store=%s%s", cfg->client_id,
		   cfg->store, http_only ? " (http only)" : "");
	while (sigwait(&set, &sig) != 0)
		;
	log_notice("stopping on signal %d", sig);
	http_stop(h);
	ingest_stop(g);
	return 0;
}

static int serve(int argc, char **argv, FILE *err, int http_only)
{
	static const struct opts_spec serve_spec = { .options = "config log-level" };
	static const struct opts_spec http_spec = { .options = "config log-level now" };
	struct agg_config cfg;
	struct opts o;
	const char *level_s;
	int rc, level;

	if ((rc = opts_parse(argc, argv, 1, http_only ? &http_spec : &serve_spec, &o, err)) ||
	    (rc = opts_pin_now(&o, err)) ||
	    (rc = load_config(opts_get(&o, "config"), !http_only, &cfg, err)))
		return rc;
	if (http_only && !cfg.http.enabled) {
		fprintf(err, "http: missing (the config has no \"http\" section)\n");
		return OPTS_FAIL;
	}
	gfi_log_set_level(cfg.log_level);
	indicators_set_min_coverage(cfg.min_coverage);
	level_s = opts_get(&o, "log-level");
	if (level_s != NULL && gfi_log_parse_level(level_s, &level) == 0)
		gfi_log_set_level(level);
	return run_until_signal(&cfg, http_only);
}

int cmd_serve(int argc, char **argv, FILE *out, FILE *err)
{
	(void)out;
	return serve(argc, argv, err, 0);
}

int cmd_http(int argc, char **argv, FILE *out, FILE *err)
{
	(void)out;
	return serve(argc, argv, err, 1);
}

int cmd_check_config(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct opts_spec spec = { .options = "config" };
	struct agg_config cfg;
	struct opts o;
	int rc;

	(void)out;
	if ((rc = opts_parse(argc, argv, 1, &spec, &o, err)) != 0)
		return rc;
	return load_config(opts_get(&o, "config"), 1, &cfg, err);
}
