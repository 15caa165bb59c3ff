/*
 * agent.h — gfi-agent's commands: check-config, read, discover, probe, run.
 *
 * main.c only parses arguments and calls these. Each returns the process
 * exit status: 0 success, 1 runtime failure, 2 bad configuration or usage.
 */
#ifndef GFI_AGENT_AGENT_H
#define GFI_AGENT_AGENT_H

#include <stdio.h>

/* Validate the config and its profiles; one line per error on err, and a
 * "warning: " line per serial line whose wire time per poll exceeds its
 * meters' interval (wiretime.h; the exit status stays 0). */
int agent_check_config(const char *config_path, FILE *err);

/* Read every meter (or only meter_id) once, live, printing one JSON object
 * per reading to out: meter, point, quantity, unit, time, value, status.
 * Nothing is queued. Exit 1 when a meter did not answer at all. */
int agent_read(const char *config_path, const char *meter_id, FILE *out,
	       FILE *err);

/* Find DL/T 645 meters on line_id: without a range, read address (0x13,
 * one meter on the line); with from..to (12-digit addresses, at most
 * 10 000 apart) probe each address. Prints one JSON object per meter found
 * ({"line","address"}). Exit 0 found, 1 none, 2 bad config or arguments. */
int agent_discover(const char *config_path, const char *line_id,
		   const char *from, const char *to, FILE *out, FILE *err);

/* `probe`'s arguments, as given (NULL: absent). */
struct probe_args {
	const char *line;            /* --line ID, required */
	const char *slaves;          /* --slaves N or FROM-TO, default 1-247 */
	const char *protocol;        /* --protocol modbus (dlt645: see discover) */
	int seconds;                 /* --seconds, default 60, 1..3600 */
};

/* Find the meters on a line and the shipped profile and word order each
 * fits best (probe.c): scans within a->seconds, reads only, refuses a line
 * the running service holds. Prints '#' evidence lines and one JSON meter
 * entry per identified meter. Exit 0 some identified, 1 none (or the line
 * is held, or unreachable), 2 bad config or arguments. */
int agent_probe(const char *config_path, const struct probe_args *a, FILE *out,
		FILE *err);

/* Poll for ever into the durable queue: one thread per line, each meter at
 * its interval aligned to the wall clock. SIGTERM/SIGINT stop cleanly after
 * the current commit; SIGHUP reloads the config (kept if the new one is bad). */
int agent_run(const char *config_path);

/* Make the gateway's EC P-256 key at key_path (mode 0600); an existing key
 * is kept unless force. Prints the public key PEM to out. */
int agent_keygen(const char *key_path, int force, FILE *out, FILE *err);

/* Write a certificate signing request for the key, CN = gateway id. */
int agent_csr(const char *key_path, const char *cn, const char *out_path,
	      FILE *err);

#endif
