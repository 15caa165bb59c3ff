/*
 * main.c — gfi-aggregator: find the command named by argv[1] in one table
 * and run it (cmd.h has the convention). Nothing else: the commands are in
 * cmd/, one file each; adding one is a row here and its handler.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "cmd.h"

const struct command cmd_commands[] = {
	{ "serve", cmd_serve, "--config FILE [--log-level LEVEL]" },
	{ "http", cmd_http, "--config FILE [--log-level LEVEL] [--now TIME]" },
	{ "check-config", cmd_check_config, "--config FILE" },
	{ "admin", cmd_admin, "--store FILE OBJECT VERB [--field value ...]" },
	{ "counts", cmd_counts, "--store FILE" },
	{ "verify-batch", cmd_verify_batch, "--store FILE --gateway ID --seq N [--epoch E|-]" },
	{ "indicators", cmd_indicators, "--store FILE --unit CODE --year Y [--month M] "
	  "[--json] [--now TIME]" },
	{ "factor", cmd_factor, "set|list --store FILE ..." },
	{ "benchmark", cmd_benchmark, "set|list --store FILE [--indicator KEY --year Y\n"
	  "--baseline B --leading L --weight W --direction higher|lower --source TEXT\n"
	  "[--sector CODE] [--band 1..4]]\n"
	  "| settings --store FILE [--deadline MM-DD] [--reconcile-pct P]" },
	{ "report", cmd_report, "--store FILE --year Y [--unit CODE | --county CODE]\n"
	  "--format csv|xlsx|json --out FILE [--now TIME]" },
	{ "filing", cmd_filing, "--store FILE --unit CODE --year Y --by NAME [--at TIME]" },
	{ "import", cmd_import, "--store FILE --csv FILE --by NAME [--skip-bad] [--dry-run]\n"
	  "[--now TIME]" },
	{ "alerts", cmd_alerts, "[evaluate] --store FILE [--rules FILE] [--now TIME]\n"
	  "| --store FILE [--county CODE] [--unit CODE] [--rule R] [--state S] [--json]" },
	{ "alert", cmd_alert, "ack|resolve --store FILE --id N --by NAME [--now TIME]" },
	{ "spotcheck", cmd_spotcheck, "--store FILE --gateway ID --meter ID --point ID\n"
	  "--at TIME --reading VALUE --inspector NAME [--note TEXT] [--now TIME]\n"
	  "[--kind display|reference|increase] [--from TIME --from-reading V\n"
	  "--ref-class PCT] [--since ID] [--display-resolution R]\n"
	  "[--register f32|SCALE] [--clock-uncertainty S]" },
	{ "evidence", cmd_evidence, "--store FILE --unit CODE --year Y --out DIR" },
	{ "spotchecks", cmd_spotchecks, "--store FILE [--gateway ID --meter ID --point ID]" },
	{ "token", cmd_token, "add --store FILE --role city|county|unit [--scope COUNTY|UNIT]\n"
	  "--name NAME | list --store FILE | revoke --store FILE --name NAME" },
	{ "quarantine", cmd_quarantine, "list --store FILE [--gateway ID] [--json]\n"
	  "| purge --store FILE [--gateway ID] --before TIME | --all" },
	{ NULL, NULL, NULL },
};

/* One entry per command; a usage's further lines are indented under its
 * first option. */
static int usage(FILE *f)
{
	for (const struct command *c = cmd_commands; c->name != NULL; c++) {
		int indent = (int)strlen(c->name) + 22;
		const char *u = c->usage;

		fprintf(f, "%s gfi-aggregator %s ", c == cmd_commands ? "usage:" : "      ",
			c->name);
		for (size_t n; (n = strcspn(u, "\n")), u[n] == '\n'; u += n + 1)
			fprintf(f, "%.*s\n%*s", (int)n, u, indent, "");
		fprintf(f, "%s\n", u);
	}
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	for (const struct command *c = cmd_commands; c->name != NULL; c++) {
		if (strcmp(argv[1], c->name) == 0)
			return c->run(argc - 1, argv + 1, stdout, stderr);
	}
	fprintf(stderr, "%s: unknown command\n", argv[1]);
	return usage(stderr);
}
