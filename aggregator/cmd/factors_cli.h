/*
 * factors_cli.h — `gfi-aggregator factor ...` and `gfi-aggregator indicators`.
 *
 *   factor set --store F --kind K --carrier C --year Y [--unit CODE]
 *              --value V --value-unit U --source TEXT
 *   factor list --store F
 *   indicators --store F --unit CODE --year Y [--month M] [--json]
 *
 * Refusals are one line on err naming the option; exit status 0 done,
 * 1 store failure, 2 bad input (docs/indicators.md, "Command line").
 */
#ifndef GFI_AGG_FACTORS_CLI_H
#define GFI_AGG_FACTORS_CLI_H

#include <stdio.h>

/* argv[0] is the verb after "factor" ("set" or "list"). */
int factors_cli(int argc, char **argv, FILE *out, FILE *err);

/* argv[0] is the first option after "indicators". Prints every indicator
 * with value, unit, completeness, provenance, estimate flag and yoy. */
int indicators_cli(int argc, char **argv, FILE *out, FILE *err);

#endif
