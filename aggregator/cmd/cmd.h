/*
 * cmd.h — the commands of gfi-aggregator, one file each under cmd/, and
 * the table main.c dispatches from.
 *
 * Every command has one convention: run(argc, argv, out, err) with argv[0]
 * the command's own word ("report"), verbs (if any) in argv[1]; it prints
 * its result on out, one-line refusals on err, and returns the exit status:
 * 0 done, 1 store or I/O failure, 2 bad input.
 */
#ifndef GFI_AGG_CMD_H
#define GFI_AGG_CMD_H

#include <stdio.h>

typedef int cmd_run_fn(int argc, char **argv, FILE *out, FILE *err);

struct command {
	const char *name;    /* the word after gfi-aggregator */
	cmd_run_fn *run;
	const char *usage;   /* the options, for the usage text */
};

/* The table, terminated by a row with name NULL (main.c). */
extern const struct command cmd_commands[];

cmd_run_fn cmd_serve, cmd_http, cmd_check_config;  /* cmd/serve.c */
cmd_run_fn cmd_admin;                               /* cmd/admin.c */
cmd_run_fn cmd_counts, cmd_verify_batch;            /* cmd/store.c */
cmd_run_fn cmd_indicators;                          /* cmd/indicators.c */
cmd_run_fn cmd_factor;                              /* cmd/factor.c */
cmd_run_fn cmd_benchmark;                           /* cmd/benchmark.c */
cmd_run_fn cmd_report, cmd_filing;                  /* cmd/report.c */
cmd_run_fn cmd_import;                              /* cmd/import.c */
cmd_run_fn cmd_alerts, cmd_alert;                   /* cmd/alerts.c */
cmd_run_fn cmd_spotcheck, cmd_spotchecks;           /* cmd/spotcheck.c */
cmd_run_fn cmd_token;                               /* cmd/token.c */
cmd_run_fn cmd_quarantine;                          /* cmd/quarantine.c */
cmd_run_fn cmd_evidence;                            /* cmd/evidence.c */

#endif
