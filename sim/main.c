/*
 * main.c — gfi-meter-sim: parse the command line, install signals, run.
 *
 *   gfi-meter-sim serve --config FILE [--ready-file FILE] [--log-level L]
 *   gfi-meter-sim truth --config FILE --meter ID [--point NAME] --at EPOCH
 *   gfi-meter-sim history --config FILE --gateway ID --points M:P,...
 *                 --from EPOCH --to EPOCH [--step SECONDS]
 *   gfi-meter-sim check-config --config FILE
 *
 * Exit status: 0 success, 1 a runtime failure (cannot listen, port lost),
 * 2 a usage or configuration error (one line on stderr naming the field).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "history.h"
#include "jsonutil.h"
#include "log.h"
#include "model.h"
#include "server.h"
#include "simconfig.h"

#define EXIT_USAGE 2

struct options {
	const char *config;
	const char *ready_file;
	const char *meter;
	const char *point;
	const char *at;
	const char *log_level;
	const char *gateway, *points, *from, *to, *step;
};

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gfi-meter-sim serve --config FILE [--ready-file FILE] "
		"[--log-level err|warning|notice|info|debug]\n"
		"       gfi-meter-sim truth --config FILE --meter ID "
		"[--point NAME] --at EPOCH\n"
		"       gfi-meter-sim history --config FILE --gateway ID "
		"--points METER:POINT,... --from EPOCH --to EPOCH [--step S]\n"
		"       gfi-meter-sim check-config --config FILE\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct {
		const char *name;
		size_t off;
	} opts[] = {
		{ "--config", offsetof(struct options, config) },
		{ "--ready-file", offsetof(struct options, ready_file) },
		{ "--meter", offsetof(struct options, meter) },
		{ "--point", offsetof(struct options, point) },
		{ "--at", offsetof(struct options, at) },
		{ "--log-level", offsetof(struct options, log_level) },
		{ "--gateway", offsetof(struct options, gateway) },
		{ "--points", offsetof(struct options, points) },
		{ "--from", offsetof(struct options, from) },
		{ "--to", offsetof(struct options, to) },
		{ "--step", offsetof(struct options, step) },
	};

	for (int i = 2; i < argc; i += 2) {
		size_t k = 0;
		while (k < sizeof(opts) / sizeof(opts[0]) &&
		       strcmp(argv[i], opts[k].name) != 0)
			k++;
		if (k == sizeof(opts) / sizeof(opts[0])) {
			fprintf(stderr, "%s: unknown option\n", argv[i]);
			return GFI_E_INVAL;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "%s: missing value\n", argv[i]);
			return GFI_E_INVAL;
		}
		*(const char **)((char *)o + opts[k].off) = argv[i + 1];
	}
	if (o->config == NULL) {
		fprintf(stderr, "--config: missing\n");
		return GFI_E_INVAL;
	}
	return GFI_OK;
}

static int load(const struct options *o, struct sim_config **cfg)
{
	char err[512];

	if (sim_config_load(o->config, cfg, err, sizeof(err)) != GFI_OK) {
		fprintf(stderr, "%s\n", err);
		return EXIT_USAGE;
	}
	return 0;
}

static int cmd_check(const struct options *o)
{
	struct sim_config *cfg = NULL;
	int rc = load(o, &cfg);

	sim_config_free(cfg);
	return rc;
}

static int parse_epoch(const char *name, const char *s, int64_t *out)
{
	char *end = NULL;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > MODEL_END_S) {
		fprintf(stderr, "%s: \"%s\" is not an epoch second in "
			"0..%" PRId64 "\n", name, s, MODEL_END_S);
		return GFI_E_RANGE;
	}
	*out = v;
	return GFI_OK;
}

static void print_number(double v)
{
	if (isfinite(v))
		printf("%.17g", v);
	else
		printf("null");
}

static void print_truth(const struct sim_meter *m, const struct gfi_point *pt,
			int64_t t)
{
	double v = model_value(m, pt, t);

	printf("{\"meter\":\"%s\",\"point\":\"%s\",\"time\":%" PRId64
	       ",\"true\":", m->id, pt->name, t);
	print_number(v);
	printf(",\"register\":");
	print_number(isfinite(v) ? gfi_point_representable(pt, v) : v);
	printf("}\n");
}

static int cmd_truth(const struct options *o)
{
	struct sim_config *cfg = NULL;
	const struct sim_meter *m;
	int64_t t;
	int rc = EXIT_USAGE;

	if (o->meter == NULL || o->at == NULL) {
		fprintf(stderr, "%s: missing\n", o->meter ? "--at" : "--meter");
		return EXIT_USAGE;
	}
	if (parse_epoch("--at", o->at, &t) != GFI_OK || load(o, &cfg) != 0)
		goto cleanup;
	m = sim_config_meter(cfg, o->meter);
	if (m == NULL) {
		fprintf(stderr, "--meter: no meter %s in %s\n", o->meter,
			o->config);
		goto cleanup;
	}
	if (o->point != NULL) {
		const struct gfi_point *pt = gfi_profile_point(m->profile,
							       o->point);
		if (pt == NULL) {
			fprintf(stderr, "--point: no point %s in profile %s\n",
				o->point, m->profile_id);
			goto cleanup;
		}
		print_truth(m, pt, t);
	} else {
		for (size_t i = 0; i < m->profile->npoints; i++)
			print_truth(m, &m->profile->points[i], t);
	}
	rc = fflush(stdout) == 0 ? 0 : 1;
cleanup:
	sim_config_free(cfg);
	return rc;
}

/* The range and step of `history`; the model is hourly-shaped, so a step
 * below a minute adds rows and nothing else. */
static int history_range(const struct options *o, struct history_request *req)
{
	int64_t step = 3600;

	if (o->gateway == NULL || o->points == NULL || o->from == NULL ||
	    o->to == NULL) {
		fprintf(stderr, "%s: missing\n",
			!o->gateway ? "--gateway" : !o->points ? "--points" :
			!o->from ? "--from" : "--to");
		return GFI_E_INVAL;
	}
	if (!gfi_id_valid(o->gateway)) {
		fprintf(stderr, "--gateway: \"%s\" is not a valid id\n", o->gateway);
		return GFI_E_INVAL;
	}
	if (parse_epoch("--from", o->from, &req->from_s) != GFI_OK ||
	    parse_epoch("--to", o->to, &req->to_s) != GFI_OK ||
	    (o->step != NULL && parse_epoch("--step", o->step, &step) != GFI_OK))
		return GFI_E_INVAL;
	if (step < 60 || step > 86400) {
		fprintf(stderr, "--step: %" PRId64 " out of range 60..86400\n", step);
		return GFI_E_RANGE;
	}
	if (req->from_s >= req->to_s) {
		fprintf(stderr, "--to: must be after --from\n");
		return GFI_E_RANGE;
	}
	req->gateway = o->gateway;
	req->step_s = step;
	return GFI_OK;
}

static int cmd_history(const struct options *o)
{
	struct sim_config *cfg = NULL;
	struct history_request req;
	char err[512];
	int rc = EXIT_USAGE;

	memset(&req, 0, sizeof(req));
	if (history_range(o, &req) != GFI_OK || load(o, &cfg) != 0)
		goto cleanup;
	if (history_parse_points(cfg, o->points, &req, err, sizeof(err)) != GFI_OK) {
		fprintf(stderr, "%s\n", err);
		goto cleanup;
	}
	rc = history_write_csv(&req, stdout) == GFI_OK ? 0 : 1;
cleanup:
	sim_config_free(cfg);
	return rc;
}

static int install_signals(sigset_t *wait_mask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) != 0 ||
	    sigaction(SIGTERM, &sa, NULL) != 0)
		return GFI_E_IO;
	sa.sa_handler = SIG_IGN; /* a client gone mid-reply is not fatal */
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		return GFI_E_IO;
	/* Stop signals are delivered only inside pselect (server.h). */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	return sigprocmask(SIG_BLOCK, &block, wait_mask) == 0 ? GFI_OK :
								GFI_E_IO;
}

static int cmd_serve(const struct options *o)
{
	struct sim_config *cfg = NULL;
	struct sim_server *srv = NULL;
	sigset_t wait_mask;
	char err[512];
	int rc = 1;

	if (o->log_level != NULL) {
		int level;
		if (gfi_log_parse_level(o->log_level, &level) != GFI_OK) {
			fprintf(stderr, "--log-level: unknown level %s\n",
				o->log_level);
			return EXIT_USAGE;
		}
		gfi_log_set_level(level);
	}
	if (install_signals(&wait_mask) != GFI_OK) {
		fprintf(stderr, "signals: cannot install handlers\n");
		return 1;
	}
	if (load(o, &cfg) != 0) {
		rc = EXIT_USAGE;
		goto cleanup;
	}
	if (sim_server_open(cfg, &srv, err, sizeof(err)) != GFI_OK ||
	    (o->ready_file != NULL &&
	     sim_server_write_ready(srv, o->ready_file, err, sizeof(err)) !=
		     GFI_OK)) {
		fprintf(stderr, "%s\n", err);
		goto cleanup;
	}
	log_notice("serving: lines=%zu", cfg->nlines);
	if (sim_server_run(srv, &stop_flag, &wait_mask) == GFI_OK) {
		log_notice("stopped");
		rc = 0;
	}
cleanup:
	sim_server_close(srv);
	sim_config_free(cfg);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o;

	memset(&o, 0, sizeof(o));
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (parse_options(argc, argv, &o) != GFI_OK) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "serve") == 0)
		return cmd_serve(&o);
	if (strcmp(argv[1], "truth") == 0)
		return cmd_truth(&o);
	if (strcmp(argv[1], "history") == 0)
		return cmd_history(&o);
	if (strcmp(argv[1], "check-config") == 0)
		return cmd_check(&o);
	fprintf(stderr, "%s: unknown command\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
