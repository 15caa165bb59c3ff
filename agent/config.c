/*
 * config.c — gfi-agent's configuration file: parse, validate, resolve.
 *
 * Turns one JSON file (docs/agent-config.md) into a struct agent_config that
 * the rest of the agent trusts without checking again. An operator fixing a
 * config wants every mistake at once, each named by its path, so validation
 * carries on past an error wherever the rest still makes sense (every line,
 * every meter, every point separately) and stays quiet only where a second
 * line would merely echo the first: a meter on a line whose type was bad is
 * checked against the loosest slave range, the points of a profile that did
 * not load are not looked up, a profile that failed is reported once.
 *
 * Parsing is strict: unknown and repeated keys are errors at every level, all
 * types are checked, numbers go through jsonutil's range-checked getters, and
 * text from the file is sanitised before it reaches an error line, so each
 * report is exactly one printable line.
 *
 * Invariants of a config returned by config_load: 1 <= nlines <= 64 and
 * 1 <= nmeters <= 1024; line and meter ids are valid ids, unique; each meter's
 * line < nlines and (line, slave) is unique ((line, address) on a dlt645
 * line, whose meters have dlt645 profiles and Modbus lines' never do);
 * every distinct profile is loaded
 * once and owned by cfg->profiles, meters and points borrow from it; a meter's
 * points are in profile order and only counters carry a max_rate_per_h;
 * every point's factor is 1 unless its profile marks a "ratio".
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "error.h"
#include "jsonutil.h"
#include "text.h"
#include "log.h"
#include "sign.h"

#define ERR_LINE_MAX 512
#define DIR_MAX (CONFIG_PATH_MAX * 8)

#define DEFAULT_DATA_DIR "/var/lib/gfi-agent"
#define DEFAULT_PROFILES_DIR "/etc/gfi/profiles"
#define DEFAULT_LOG_LEVEL "notice"
#define DEFAULT_MAX_READINGS 2000000LL
#define DEFAULT_TCP_PORT 502
#define DEFAULT_BAUD 9600
#define DEFAULT_INTERVAL_S 60
#define DEFAULT_TIMEOUT_MS 1000
#define DEFAULT_RETRIES 1
#define DLT645_DEFAULT_BAUD 2400
#define DLT645_DEFAULT_BYTE_TIMEOUT_MS 500
#define MAX_RATIO 1e6

#define NO_LINE SIZE_MAX

/* A profile asked for by some meter: loaded (p, owned by cfg->profiles) or
 * failed (p NULL, already reported). */
struct profile_slot {
	char id[GFI_ID_MAX];
	struct gfi_profile *p;
};

struct loader {
	config_report_fn report;
	void *ctx;
	unsigned long nerrors;
	int nomem;
	struct agent_config *cfg;
	char dir[DIR_MAX];           /* directory of the config file */
	int profiles_dir_ok;         /* else profiles are not loaded at all */
	int *line_typed;             /* per line: its type parsed */
	struct profile_slot *slots;  /* one per distinct profile id asked for */
	size_t nslots;
};

static const int standard_bauds[] = {
	1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800,
	921600,
};

static const char *const top_keys[] = {
	"gateway_id", "data_dir", "profiles_dir", "log_level", "queue",
	"lines", "meters", "uplink", NULL,
};
static const char *const uplink_keys[] = {
	"host", "port", "ca_file", "cert_file", "key_file", "batch_readings",
	"batch_bytes", "max_inflight", "ack_timeout_s", "keepalive_s",
	"status_interval_s", "reconnect_min_ms", "reconnect_max_ms", NULL,
};
static const char *const queue_keys[] = { "max_readings", NULL };
static const char *const tcp_keys[] = {
	"id", "type", "protocol", "byte_timeout_ms", "host", "port", NULL,
};
static const char *const rtu_keys[] = {
	"id", "type", "protocol", "byte_timeout_ms", "device", "baud",
	"parity", "data_bits", "stop_bits", NULL,
};
static const char *const dtu_keys[] = {
	"id", "type", "protocol", "bind", "port", "registration",
	"registration_hex",
	"heartbeat", "heartbeat_hex", NULL,
};
static const char *const any_line_keys[] = {
	"id", "type", "protocol", "byte_timeout_ms", "host", "port", "device",
	"baud", "parity", "data_bits", "stop_bits", "bind", "registration",
	"registration_hex", "heartbeat", "heartbeat_hex", NULL,
};
static const char *const meter_keys[] = {
	"id", "line", "slave", "address", "profile", "interval_s",
	"timeout_ms", "retries", "points", "max_rate_per_h", "multiplier",
	"ct_ratio", "pt_ratio", "word_order", NULL,
};

/* ---- reporting ---------------------------------------------------------- */

static void fail(struct loader *ld, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Count and report one error line; control bytes (which could come from the
 * file) become '?', so a report is always one line. */
static void fail(struct loader *ld, const char *fmt, ...)
{
	char line[ERR_LINE_MAX];
	va_list ap;

	ld->nerrors++;
	if (ld->report == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	text_scrub(line);
	ld->report(ld->ctx, line);
}

/* Report a jsonutil error line if rc is a failure; returns rc. */
static int check(struct loader *ld, int rc, const char *err)
{
	if (rc != GFI_OK)
		fail(ld, "%s", err);
	return rc;
}

static void out_of_memory(struct loader *ld)
{
	if (!ld->nomem)
		fail(ld, "out of memory");
	ld->nomem = 1;
}

/* File text cut to 40 characters, so one long value cannot fill a line. */
static const char *cut(const char *s, char *buf, size_t len)
{
	snprintf(buf, len, "%.40s%s", s, strlen(s) > 40 ? "..." : "");
	return buf;
}

/* The same in double quotes, for quoting values. */
static const char *quoted(const char *s, char *buf, size_t len)
{
	snprintf(buf, len, "\"%.40s%s\"", s, strlen(s) > 40 ? "..." : "");
	return buf;
}

/* ---- small helpers ------------------------------------------------------ */

static const cJSON *get(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

struct key_report {
	struct loader *ld;
	const char *path;
	const char *why;
};

static void report_key(void *ctx, const char *key, int duplicate)
{
	const struct key_report *k = ctx;
	const char *dot = k->path[0] ? "." : "";
	char q[64];

	if (duplicate)
		fail(k->ld, "%s%s%s: duplicate key", k->path, dot, key);
	else
		fail(k->ld, "%s%s%s: %s", k->path, dot, cut(key, q, sizeof(q)), k->why);
}

/* Report every key of obj that is not allowed (with why) and every allowed
 * key given twice (gfi_json_bad_keys). */
static void check_keys(struct loader *ld, const cJSON *obj, const char *path,
		       const char *const *allowed, const char *why)
{
	struct key_report k = { ld, path, why };

	gfi_json_bad_keys(obj, allowed, report_key, &k);
}

static int id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* Check an id already read into a buffer of GFI_ID_MAX (so its length is
 * fine); on error report it under field and clear it, so that nothing
 * (duplicate checks, line lookups) ever matches an invalid id. */
static int check_id(struct loader *ld, const char *field, char *id)
{
	char q[64];

	if (gfi_id_valid(id))
		return GFI_OK;
	if (id[0] == '\0')
		fail(ld, "%s: must not be empty", field);
	else
		fail(ld, "%s: %s may only contain letters, digits, '.', '_' "
		     "and '-'", field, quoted(id, q, sizeof(q)));
	id[0] = '\0';
	return GFI_E_INVAL;
}

/* Read a required id field key of obj at path into dst (GFI_ID_MAX); dst is
 * empty unless the id is valid. */
static int read_id(struct loader *ld, const cJSON *obj, const char *path,
		   const char *key, char *dst)
{
	char err[256], field[64];
	int rc;

	rc = gfi_json_string(obj, key, path, 1, NULL, dst, GFI_ID_MAX, err,
			     sizeof(err));
	if (check(ld, rc, err) != GFI_OK) {
		dst[0] = '\0';
		return rc;
	}
	snprintf(field, sizeof(field), "%s%s%s", path, path[0] ? "." : "", key);
	return check_id(ld, field, dst);
}

static int read_int(struct loader *ld, const cJSON *obj, const char *path,
		    const char *key, long long min, long long max,
		    long long def, int *out)
{
	char err[256];
	long long v = def;
	int rc;

	rc = gfi_json_int(obj, key, path, 0, min, max, def, &v, err,
			  sizeof(err));
	if (check(ld, rc, err) != GFI_OK)
		v = def;
	*out = (int)v;
	return rc;
}

/* ---- top level ---------------------------------------------------------- */

/* The absolute directory of the config file, so relative paths in it keep
 * meaning the same files whatever the agent's working directory later. */
static void config_dir(const char *path, char *dir, size_t len)
{
	char cwd[DIR_MAX];
	const char *slash = strrchr(path, '/');
	int n;

	if (path[0] == '/')
		n = snprintf(dir, len, "%.*s", (int)(slash - path), path);
	else if (getcwd(cwd, sizeof(cwd)) == NULL)
		n = slash ? snprintf(dir, len, "%.*s", (int)(slash - path), path)
			  : snprintf(dir, len, ".");
	else if (slash == NULL)
		n = snprintf(dir, len, "%s", cwd);
	else
		n = snprintf(dir, len, "%s/%.*s", cwd, (int)(slash - path), path);
	if (n < 0 || (size_t)n >= len)
		snprintf(dir, len, ".");
	if (dir[0] == '\0')
		snprintf(dir, len, "/");
}

/* A path field key of obj (under path, "" at the top): relative values
 * are joined to the config's directory. Returns GFI_OK when dst holds a
 * usable path; each problem is reported once, naming the field. */
static int read_path(struct loader *ld, const cJSON *obj, const char *path,
		     const char *key, int required, const char *def, char *dst)
{
	char err[256], val[CONFIG_PATH_MAX], field[64];
	int rc, n;

	snprintf(field, sizeof(field), "%s%s%s", path, path[0] ? "." : "", key);
	rc = gfi_json_string(obj, key, path, required, def, val, sizeof(val), err,
			     sizeof(err));
	if (check(ld, rc, err) != GFI_OK)
		return rc;
	if (val[0] == '\0') {
		fail(ld, "%s: must not be empty", field);
		return GFI_E_INVAL;
	}
	if (val[0] == '/') {
		memcpy(dst, val, strlen(val) + 1);
		return GFI_OK;
	}
	n = snprintf(dst, CONFIG_PATH_MAX, "%s%s%s", ld->dir,
		     ld->dir[strlen(ld->dir) - 1] == '/' ? "" : "/", val);
	if (n < 0 || n >= CONFIG_PATH_MAX) {
		fail(ld, "%s: longer than %d characters once joined to %s", field,
		     CONFIG_PATH_MAX - 1, ld->dir);
		dst[0] = '\0';
		return GFI_E_RANGE;
	}
	return GFI_OK;
}

/* A directory at the top of the config, def when absent. */
static int read_dir(struct loader *ld, const cJSON *root, const char *key,
		    const char *def, char *dst)
{
	return read_path(ld, root, "", key, 0, def, dst);
}

static void parse_log_level(struct loader *ld, const cJSON *root)
{
	char err[256], name[32], q[64];
	int rc;

	ld->cfg->log_level = GFI_LOG_NOTICE;
	rc = gfi_json_string(root, "log_level", "", 0, DEFAULT_LOG_LEVEL, name,
			     sizeof(name), err, sizeof(err));
	if (check(ld, rc, err) != GFI_OK)
		return;
	if (gfi_log_parse_level(name, &ld->cfg->log_level) != GFI_OK)
		fail(ld, "log_level: %s must be err, warning, notice, info or "
		     "debug", quoted(name, q, sizeof(q)));
}

static void parse_queue(struct loader *ld, const cJSON *root)
{
	const cJSON *q = get(root, "queue");
	char err[256];
	long long v = DEFAULT_MAX_READINGS;
	int rc;

	ld->cfg->queue_max_readings = DEFAULT_MAX_READINGS;
	if (q == NULL)
		return;
	if (!cJSON_IsObject(q)) {
		fail(ld, "queue: must be an object");
		return;
	}
	check_keys(ld, q, "queue", queue_keys, "unknown key");
	rc = gfi_json_int(q, "max_readings", "queue", 0, 1000, 1000000000,
			  DEFAULT_MAX_READINGS, &v, err, sizeof(err));
	if (check(ld, rc, err) == GFI_OK)
		ld->cfg->queue_max_readings = v;
}

static int host_char(char c);

/* A file path under uplink.<key>, required; relative to the config's
 * directory like the directories above. */
static void read_uplink_file(struct loader *ld, const cJSON *obj,
			     const char *key, char *dst)
{
	read_path(ld, obj, "uplink", key, 1, NULL, dst);
}

/* The gateway's private key, when it is there already, must be private to
 * its owner (sign.h): said at check-config, not first at the uplink's start.
 * A key not there yet is the uplink's to report (keygen may come later). */
static void check_key_mode(struct loader *ld, const char *path)
{
	char err[CONFIG_PATH_MAX + 128];

	if (path[0] == '\0' || access(path, F_OK) != 0)
		return;
	if (gfi_key_file_private(path, err, sizeof(err)) == GFI_E_CRYPTO)
		fail(ld, "uplink.key_file: %s", err);
}

static void parse_uplink(struct loader *ld, const cJSON *root)
{
	const cJSON *u = get(root, "uplink");
	struct uplink_cfg *c = &ld->cfg->uplink;
	char err[256], q[96];

	if (u == NULL)
		return;
	if (!cJSON_IsObject(u)) {
		fail(ld, "uplink: must be an object");
		return;
	}
	c->enabled = 1;
	check_keys(ld, u, "uplink", uplink_keys, "unknown key");
	if (check(ld, gfi_json_string(u, "host", "uplink", 1, NULL, c->host,
				      sizeof(c->host), err, sizeof(err)), err) == GFI_OK) {
		for (const char *h = c->host; *h; h++) {
			if (!host_char(*h)) {
				fail(ld, "uplink.host: %s may only contain letters, "
				     "digits, '.', '-', ':'", quoted(c->host, q, sizeof(q)));
				break;
			}
		}
		if (c->host[0] == '\0')
			fail(ld, "uplink.host: must not be empty");
	}
	read_int(ld, u, "uplink", "port", 1, 65535, 8883, &c->port);
	read_uplink_file(ld, u, "ca_file", c->ca_file);
	read_uplink_file(ld, u, "cert_file", c->cert_file);
	read_uplink_file(ld, u, "key_file", c->key_file);
	check_key_mode(ld, c->key_file);
	read_int(ld, u, "uplink", "batch_readings", 1, 5000, 500, &c->batch_readings);
	read_int(ld, u, "uplink", "batch_bytes", 2048, 262144, 131072, &c->batch_bytes);
	read_int(ld, u, "uplink", "max_inflight", 1, 64, 8, &c->max_inflight);
	read_int(ld, u, "uplink", "ack_timeout_s", 5, 3600, 60, &c->ack_timeout_s);
	read_int(ld, u, "uplink", "keepalive_s", 5, 600, 30, &c->keepalive_s);
	read_int(ld, u, "uplink", "status_interval_s", 5, 3600, 60,
		 &c->status_interval_s);
	read_int(ld, u, "uplink", "reconnect_min_ms", 100, 60000, 1000,
		 &c->reconnect_min_ms);
	read_int(ld, u, "uplink", "reconnect_max_ms", 1000, 600000, 60000,
		 &c->reconnect_max_ms);
	if (c->reconnect_max_ms < c->reconnect_min_ms)
		fail(ld, "uplink.reconnect_max_ms: %d is below reconnect_min_ms %d",
		     c->reconnect_max_ms, c->reconnect_min_ms);
}

/* The array under key with 1..max elements; NULL (reported) otherwise. */
static const cJSON *get_list(struct loader *ld, const cJSON *root,
			     const char *key, size_t max, const char *what,
			     size_t *count)
{
	const cJSON *arr = get(root, key);
	const cJSON *it;
	size_t n = 0;

	if (arr == NULL) {
		fail(ld, "%s: missing", key);
		return NULL;
	}
	if (!cJSON_IsArray(arr)) {
		fail(ld, "%s: must be an array", key);
		return NULL;
	}
	cJSON_ArrayForEach(it, arr) {
		if (++n > max) {
			fail(ld, "%s: more than %zu", key, max);
			return NULL;
		}
	}
	if (n == 0) {
		fail(ld, "%s: must list at least one %s", key, what);
		return NULL;
	}
	*count = n;
	return arr;
}

/* ---- lines -------------------------------------------------------------- */

static size_t find_line(const struct agent_config *cfg, size_t n,
			const char *id)
{
	for (size_t i = 0; i < n; i++) {
		if (cfg->lines[i].id[0] != '\0' &&
		    strcmp(cfg->lines[i].id, id) == 0)
			return i;
	}
	return NO_LINE;
}

static int host_char(char c)
{
	/* names, IPv4, IPv6 literals and their %zone */
	return id_char(c) || c == ':' || c == '%';
}

static void parse_tcp(struct loader *ld, const cJSON *obj, const char *path,
		      struct line_cfg *l)
{
	char err[256], q[64];
	int rc;

	rc = gfi_json_string(obj, "host", path, 1, NULL, l->host,
			     sizeof(l->host), err, sizeof(err));
	if (check(ld, rc, err) == GFI_OK) {
		int ok = l->host[0] != '\0';
		for (const char *c = l->host; ok && *c != '\0'; c++)
			ok = host_char(*c);
		if (!ok)
			fail(ld, "%s.host: %s is not a host name or IP address",
			     path, quoted(l->host, q, sizeof(q)));
	}
	/* A transparent serial server has no standard port. */
	if (l->type == LINE_RTU_TCP && get(obj, "port") == NULL)
		fail(ld, "%s.port: missing (an rtu-tcp line is a serial server's "
		     "port)", path);
	else if (l->dlt645 && get(obj, "port") == NULL)
		fail(ld, "%s.port: missing (a dlt645 tcp line is a serial server's "
		     "port)", path);
	read_int(ld, obj, path, "port", 1, 65535, DEFAULT_TCP_PORT, &l->port);
}

static void parse_baud(struct loader *ld, const cJSON *obj, const char *path,
		       struct line_cfg *l)
{
	if (l->dlt645) {
		/* DL/T 645-2007 4.2: 1200, 2400, 4800, 9600 baud. */
		if (read_int(ld, obj, path, "baud", 1200, 9600,
			     DLT645_DEFAULT_BAUD, &l->baud) != GFI_OK)
			l->baud = DLT645_DEFAULT_BAUD;
		return;
	}
	if (read_int(ld, obj, path, "baud", 1200, 921600, DEFAULT_BAUD,
		     &l->baud) != GFI_OK)
		return;
	for (size_t i = 0; i < sizeof(standard_bauds) / sizeof(int); i++) {
		if (l->baud == standard_bauds[i])
			return;
	}
	fail(ld, "%s.baud: %d is not a standard rate (1200, 2400, 4800, "
	     "9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)",
	     path, l->baud);
	l->baud = DEFAULT_BAUD;
}

static void parse_parity(struct loader *ld, const cJSON *obj,
			 const char *path, struct line_cfg *l)
{
	char err[256], val[64], q[64];
	int rc;

	l->parity = l->dlt645 ? 'E' : 'N';
	rc = gfi_json_string(obj, "parity", path, 0, l->dlt645 ? "E" : "N", val,
			     sizeof(val), err, sizeof(err));
	if (check(ld, rc, err) != GFI_OK)
		return;
	if (strcmp(val, "N") != 0 && strcmp(val, "E") != 0 &&
	    strcmp(val, "O") != 0) {
		fail(ld, "%s.parity: %s must be N, E or O", path,
		     quoted(val, q, sizeof(q)));
		return;
	}
	l->parity = val[0];
}

/* Two masters on one serial port would garble each other's frames. */
static void check_device_unique(struct loader *ld, const char *path,
				size_t idx)
{
	const struct line_cfg *l = &ld->cfg->lines[idx];
	char q[64];

	for (size_t i = 0; i < idx; i++) {
		const struct line_cfg *o = &ld->cfg->lines[i];
		if (o->type == LINE_RTU && o->device[0] != '\0' &&
		    strcmp(o->device, l->device) == 0) {
			fail(ld, "%s.device: %s is already used by lines[%zu]",
			     path, quoted(l->device, q, sizeof(q)), i);
			return;
		}
	}
}

static void parse_rtu(struct loader *ld, const cJSON *obj, const char *path,
		      size_t idx)
{
	struct line_cfg *l = &ld->cfg->lines[idx];
	char err[256], q[64];
	int rc;

	rc = gfi_json_string(obj, "device", path, 1, NULL, l->device,
			     sizeof(l->device), err, sizeof(err));
	if (check(ld, rc, err) == GFI_OK) {
		if (l->device[0] != '/') {
			fail(ld, "%s.device: %s must be an absolute path", path,
			     quoted(l->device, q, sizeof(q)));
			l->device[0] = '\0';
		} else {
			check_device_unique(ld, path, idx);
		}
	}
	parse_baud(ld, obj, path, l);
	parse_parity(ld, obj, path, l);
	read_int(ld, obj, path, "data_bits", 7, 8, 8, &l->data_bits);
	read_int(ld, obj, path, "stop_bits", 1, 2, 1, &l->stop_bits);
}

/* Returns 1 when the type was parsed into l->type. */
static int parse_line_type(struct loader *ld, const cJSON *obj,
			   const char *path, struct line_cfg *l)
{
	char err[256], val[64], q[64];
	int rc;

	rc = gfi_json_string(obj, "type", path, 1, NULL, val, sizeof(val), err,
			     sizeof(err));
	if (check(ld, rc, err) != GFI_OK)
		return 0;
	if (strcmp(val, "tcp") == 0) {
		l->type = LINE_TCP;
		return 1;
	}
	if (strcmp(val, "rtu") == 0) {
		l->type = LINE_RTU;
		return 1;
	}
	if (strcmp(val, "rtu-tcp") == 0 || strcmp(val, "dtu-listen") == 0) {
		l->type = val[0] == 'r' ? LINE_RTU_TCP : LINE_DTU;
		return 1;
	}
	fail(ld, "%s.type: %s must be tcp, rtu, rtu-tcp or dtu-listen", path,
	     quoted(val, q, sizeof(q)));
	return 0;
}

/* "protocol" (modbus or dlt645) and, for dlt645, "byte_timeout_ms". */
static void parse_protocol(struct loader *ld, const cJSON *obj,
			   const char *path, struct line_cfg *l)
{
	char err[256], val[64], q[64];
	int rc;

	rc = gfi_json_string(obj, "protocol", path, 0, "modbus", val,
			     sizeof(val), err, sizeof(err));
	if (check(ld, rc, err) != GFI_OK)
		return;
	if (strcmp(val, "dlt645") == 0)
		l->dlt645 = 1;
	else if (strcmp(val, "modbus") != 0)
		fail(ld, "%s.protocol: %s must be modbus or dlt645", path,
		     quoted(val, q, sizeof(q)));
	if (!l->dlt645 && get(obj, "byte_timeout_ms") != NULL)
		fail(ld, "%s.byte_timeout_ms: only for dlt645 lines", path);
	read_int(ld, obj, path, "byte_timeout_ms", 10, 5000,
		 DLT645_DEFAULT_BYTE_TIMEOUT_MS, &l->byte_timeout_ms);
}

/* ---- dtu-listen lines --------------------------------------------------- */

/* A packet given as "<key>" (text) or "<key>_hex"; at most one of them.
 * Returns 1 when one was given and is valid. */
static int read_packet(struct loader *ld, const cJSON *obj, const char *path,
		       const char *key, uint8_t *dst, size_t *len)
{
	char hexkey[32], err[256], val[2 * CONFIG_PACKET_MAX + 2], q[64];
	const char *k;
	int hex;

	snprintf(hexkey, sizeof(hexkey), "%s_hex", key);
	if (get(obj, key) != NULL && get(obj, hexkey) != NULL) {
		fail(ld, "%s.%s: give %s or %s, not both", path, hexkey, key, hexkey);
		return 0;
	}
	hex = get(obj, hexkey) != NULL;
	k = hex ? hexkey : key;
	if (get(obj, k) == NULL)
		return 0;
	if (check(ld, gfi_json_string(obj, k, path, 1, NULL, val, sizeof(val),
				      err, sizeof(err)), err) != GFI_OK)
		return 0;
	*len = hex ? strlen(val) / 2 : strlen(val);
	for (size_t i = 0; hex && i < *len; i++) {
		unsigned b;
		if (strlen(val) % 2 != 0 || sscanf(val + 2 * i, "%2x", &b) != 1 ||
		    !isxdigit((unsigned char)val[2 * i]) ||
		    !isxdigit((unsigned char)val[2 * i + 1])) {
			fail(ld, "%s.%s: %s is not hex bytes", path, k,
			     quoted(val, q, sizeof(q)));
			return 0;
		}
		dst[i] = (uint8_t)b;
	}
	if (*len == 0 || *len > CONFIG_PACKET_MAX) {
		fail(ld, "%s.%s: 1..%d bytes", path, k, CONFIG_PACKET_MAX);
		return 0;
	}
	if (!hex)
		memcpy(dst, val, *len);
	return 1;
}

/* DTUs sharing a port are told apart by registration: no two equal, none
 * the start of another. */
static void check_registration_unique(struct loader *ld, const char *path,
				      size_t idx)
{
	const struct line_cfg *l = &ld->cfg->lines[idx];

	for (size_t i = 0; i < idx; i++) {
		const struct line_cfg *o = &ld->cfg->lines[i];
		size_t n = o->registration_len < l->registration_len
				   ? o->registration_len : l->registration_len;
		if (o->type != LINE_DTU || o->port != l->port || n == 0 ||
		    strcmp(o->bind, l->bind) != 0)
			continue;
		if (memcmp(o->registration, l->registration, n) == 0) {
			fail(ld, "%s.registration: same as (or the start of) "
			     "lines[%zu]'s on this port", path, i);
			return;
		}
	}
}

static void config_parse_dtu(struct loader *ld, const cJSON *obj,
			     const char *path, size_t idx)
{
	struct line_cfg *l = &ld->cfg->lines[idx];
	char err[256], q[64];

	if (check(ld, gfi_json_string(obj, "bind", path, 1, NULL, l->bind,
				      sizeof(l->bind), err, sizeof(err)),
		  err) == GFI_OK) {
		int ok = l->bind[0] != '\0';
		for (const char *c = l->bind; ok && *c != '\0'; c++)
			ok = host_char(*c);
		if (!ok)
			fail(ld, "%s.bind: %s is not an IP address", path,
			     quoted(l->bind, q, sizeof(q)));
	}
	if (get(obj, "port") == NULL)
		fail(ld, "%s.port: missing (the port the DTUs dial)", path);
	read_int(ld, obj, path, "port", 1, 65535, 0, &l->port);
	if (!read_packet(ld, obj, path, "registration", l->registration,
			 &l->registration_len)) {
		if (get(obj, "registration") == NULL &&
		    get(obj, "registration_hex") == NULL)
			fail(ld, "%s.registration: missing (the DTU's registration "
			     "packet, text or registration_hex)", path);
		l->registration_len = 0;
	} else {
		check_registration_unique(ld, path, idx);
	}
	if (!read_packet(ld, obj, path, "heartbeat", l->heartbeat,
			 &l->heartbeat_len))
		l->heartbeat_len = 0;
}

static void parse_line(struct loader *ld, const cJSON *obj, size_t idx)
{
	struct line_cfg *l = &ld->cfg->lines[idx];
	char path[32];
	size_t dup;

	snprintf(path, sizeof(path), "lines[%zu]", idx);
	if (!cJSON_IsObject(obj)) {
		fail(ld, "%s: must be an object", path);
		return;
	}
	if (read_id(ld, obj, path, "id", l->id) == GFI_OK) {
		dup = find_line(ld->cfg, idx, l->id);
		if (dup != NO_LINE) {
			fail(ld, "%s.id: duplicate of lines[%zu]", path, dup);
			l->id[0] = '\0';
		}
	}
	ld->line_typed[idx] = parse_line_type(ld, obj, path, l);
	parse_protocol(ld, obj, path, l);
	if (!ld->line_typed[idx]) {
		/* Without a type, only keys no line may have are wrong. */
		check_keys(ld, obj, path, any_line_keys, "unknown key");
		return;
	}
	if (l->type == LINE_TCP || l->type == LINE_RTU_TCP) {
		check_keys(ld, obj, path, tcp_keys, l->type == LINE_TCP ?
			   "not a key of a tcp line" : "not a key of an rtu-tcp line");
		parse_tcp(ld, obj, path, l);
	} else if (l->type == LINE_DTU) {
		check_keys(ld, obj, path, dtu_keys, "not a key of a dtu-listen line");
		if (l->dlt645)
			fail(ld, "%s.protocol: a dtu-listen line speaks modbus", path);
		config_parse_dtu(ld, obj, path, idx);
	} else {
		check_keys(ld, obj, path, rtu_keys, "not a key of an rtu line");
		parse_rtu(ld, obj, path, idx);
	}
}

static void parse_lines(struct loader *ld, const cJSON *root)
{
	size_t n = 0;
	const cJSON *arr = get_list(ld, root, "lines", CONFIG_MAX_LINES,
				    "line", &n);
	const cJSON *it;
	size_t i = 0;

	if (arr == NULL)
		return;
	ld->cfg->lines = calloc(n, sizeof(*ld->cfg->lines));
	ld->line_typed = calloc(n, sizeof(*ld->line_typed));
	if (ld->cfg->lines == NULL || ld->line_typed == NULL) {
		out_of_memory(ld);
		return;
	}
	ld->cfg->nlines = n;
	cJSON_ArrayForEach(it, arr)
		parse_line(ld, it, i++);
}

/* ---- meters: profile ---------------------------------------------------- */

/* The profile named by the meter, loaded on first use; NULL if it is
 * invalid or did not load (reported once, at the first meter naming it). */
static const struct gfi_profile *meter_profile(struct loader *ld,
					       const cJSON *obj,
					       const char *path)
{
	struct agent_config *cfg = ld->cfg;
	struct profile_slot *s;
	char err[512], id[256], q[64];
	int rc;

	rc = gfi_json_string(obj, "profile", path, 1, NULL, id, sizeof(id),
			     err, sizeof(err));
	if (check(ld, rc, err) != GFI_OK)
		return NULL;
	/* A profile id is a file stem with the rules of any id, so no
	 * value can name a file outside profiles_dir. */
	if (strlen(id) >= GFI_ID_MAX) {
		fail(ld, "%s.profile: longer than %d characters", path,
		     GFI_ID_MAX - 1);
		return NULL;
	}
	snprintf(q, sizeof(q), "%s.profile", path);
	if (check_id(ld, q, id) != GFI_OK)
		return NULL;
	if (!ld->profiles_dir_ok)
		return NULL;
	for (size_t i = 0; i < ld->nslots; i++) {
		if (strcmp(ld->slots[i].id, id) == 0)
			return ld->slots[i].p;
	}
	s = &ld->slots[ld->nslots++];  /* at most one slot per meter */
	memcpy(s->id, id, strlen(id) + 1);
	rc = gfi_profile_load(cfg->profiles_dir, id, &s->p, err, sizeof(err));
	if (rc == GFI_E_NOMEM)
		ld->nomem = 1;
	if (rc != GFI_OK) {
		s->p = NULL;
		fail(ld, "%s.profile: %s", path, err);
		return NULL;
	}
	cfg->profiles[cfg->nprofiles++] = s->p;
	return s->p;
}

/* ---- meters: points and max rates --------------------------------------- */

/* Index of the profile's point named name, or -1. */
static long point_index(const struct gfi_profile *p, const char *name)
{
	const struct gfi_point *pt = gfi_profile_point(p, name);

	return pt ? (long)(pt - p->points) : -1;
}

double config_ratio_factor(enum gfi_ratio ratio, double ct_ratio,
			   double pt_ratio)
{
	switch (ratio) {
	case GFI_RATIO_CT: return ct_ratio;
	case GFI_RATIO_PT: return pt_ratio;
	case GFI_RATIO_CT_PT: return ct_ratio * pt_ratio;
	default: return 1.0;
	}
}

/* Fill mc->points from pick (per profile point: nonzero = polled), in
 * profile order. */
static void build_points(struct loader *ld, struct meter_cfg *mc,
			 const size_t *pick)
{
	const struct gfi_profile *p = mc->profile;
	size_t n = 0;

	for (size_t i = 0; i < p->npoints; i++)
		n += pick[i] != 0;
	if (n == 0)
		return;
	mc->points = calloc(n, sizeof(*mc->points));
	if (mc->points == NULL) {
		out_of_memory(ld);
		return;
	}
	for (size_t i = 0; i < p->npoints; i++) {
		if (pick[i] == 0)
			continue;
		mc->points[mc->npoints].pt = &p->points[i];
		mc->points[mc->npoints++].factor =
			config_ratio_factor(p->points[i].ratio, mc->ct_ratio,
					    mc->pt_ratio);
	}
}

/* Check "points" and choose them in pick[] (1 + its index in "points", or
 * 1 for all when absent). Names are looked up only if the profile loaded.
 * Returns 0 if any error was reported. */
static int pick_points(struct loader *ld, const cJSON *obj, const char *path,
		       const struct gfi_profile *p, size_t *pick)
{
	const cJSON *arr = get(obj, "points"), *it;
	unsigned long before = ld->nerrors;
	size_t j = 0;
	char q[64];

	if (arr == NULL) {
		for (size_t i = 0; p != NULL && i < p->npoints; i++)
			pick[i] = 1;
		return 1;
	}
	if (!cJSON_IsArray(arr) || arr->child == NULL) {
		fail(ld, "%s.points: must be a non-empty array of point names "
		     "(leave it out to poll every point)", path);
		return 0;
	}
	for (it = arr->child; it != NULL; it = it->next, j++) {
		long k;

		if (!cJSON_IsString(it) || it->valuestring == NULL) {
			fail(ld, "%s.points[%zu]: must be a string", path, j);
			continue;
		}
		if (p == NULL)
			continue;
		k = point_index(p, it->valuestring);
		if (k < 0)
			fail(ld, "%s.points[%zu]: %s is not a point of profile "
			     "%s", path, j, quoted(it->valuestring, q,
			     sizeof(q)), p->id);
		else if (pick[k] != 0)
			fail(ld, "%s.points[%zu]: duplicate of points[%zu]",
			     path, j, pick[k] - 1);
		else
			pick[k] = j + 1;
	}
	return ld->nerrors == before;
}

/* Check one "max_rate_per_h" entry; set it on the polled point if valid. */
static void parse_rate(struct loader *ld, const cJSON *it, const char *path,
		       struct meter_cfg *mc, unsigned char *rated)
{
	const struct gfi_profile *p = mc->profile;
	const char *key = it->string ? it->string : "";
	char q[64];
	long k;

	cut(key, q, sizeof(q));
	if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble)) {
		fail(ld, "%s.max_rate_per_h.%s: must be a number", path, q);
		return;
	}
	if (!(it->valuedouble > 0)) {
		fail(ld, "%s.max_rate_per_h.%s: %g must be greater than 0", path,
		     q, it->valuedouble);
		return;
	}
	if (p == NULL)
		return;
	k = point_index(p, key);
	if (k < 0) {
		fail(ld, "%s.max_rate_per_h.%s: not a point of profile %s",
		     path, q, p->id);
		return;
	}
	if (rated[k]++) {
		fail(ld, "%s.max_rate_per_h.%s: duplicate key", path, q);
		return;
	}
	if (p->points[k].quantity == NULL ||
	    p->points[k].quantity->kind != GFI_COUNTER) {
		fail(ld, "%s.max_rate_per_h.%s: only counter points have a max "
		     "rate", path, q);
		return;
	}
	for (size_t i = 0; i < mc->npoints; i++) {
		if (mc->points[i].pt == &p->points[k]) {
			mc->points[i].max_rate_per_h = it->valuedouble;
			return;
		}
	}
	if (mc->points != NULL)
		fail(ld, "%s.max_rate_per_h.%s: not among the meter's points",
		     path, q);
}

static void parse_rates(struct loader *ld, const cJSON *obj, const char *path,
			struct meter_cfg *mc)
{
	const cJSON *rates = get(obj, "max_rate_per_h"), *it;
	size_t n = mc->profile ? mc->profile->npoints : 0;
	unsigned char *rated;

	if (rates == NULL)
		return;
	if (!cJSON_IsObject(rates)) {
		fail(ld, "%s.max_rate_per_h: must be an object", path);
		return;
	}
	rated = calloc(n + 1, 1);
	if (rated == NULL) {
		out_of_memory(ld);
		return;
	}
	cJSON_ArrayForEach(it, rates)
		parse_rate(ld, it, path, mc, rated);
	free(rated);
}

static void parse_points(struct loader *ld, const cJSON *obj,
			 const char *path, struct meter_cfg *mc)
{
	size_t n = mc->profile ? mc->profile->npoints : 0;
	size_t *pick = calloc(n + 1, sizeof(*pick));

	if (pick == NULL) {
		out_of_memory(ld);
		return;
	}
	if (pick_points(ld, obj, path, mc->profile, pick) && mc->profile) {
		build_points(ld, mc, pick);
		if (mc->npoints == 0 && !ld->nomem)
			fail(ld, "%s.profile: %s has no points", path,
			     mc->profile->id);
	}
	free(pick);
	parse_rates(ld, obj, path, mc);
}

/* ---- meters ------------------------------------------------------------- */

static void meter_id(struct loader *ld, const cJSON *obj, const char *path,
		     size_t idx)
{
	struct meter_cfg *mc = &ld->cfg->meters[idx];

	if (read_id(ld, obj, path, "id", mc->id) != GFI_OK)
		return;
	for (size_t i = 0; i < idx; i++) {
		if (strcmp(ld->cfg->meters[i].id, mc->id) == 0) {
			fail(ld, "%s.id: duplicate of meters[%zu]", path, i);
			mc->id[0] = '\0';
			return;
		}
	}
}

static void meter_line(struct loader *ld, const cJSON *obj, const char *path,
		       struct meter_cfg *mc)
{
	char err[256], id[256], q[64];
	int rc;

	rc = gfi_json_string(obj, "line", path, 1, NULL, id, sizeof(id), err,
			     sizeof(err));
	if (check(ld, rc, err) != GFI_OK)
		return;
	mc->line = find_line(ld->cfg, ld->cfg->nlines, id);
	/* Without any lines (already reported), every line is unknown. */
	if (mc->line == NO_LINE && ld->cfg->nlines > 0)
		fail(ld, "%s.line: %s is not a configured line", path,
		     quoted(id, q, sizeof(q)));
}

/* RTU addresses 1..247 (0 is broadcast, 248..255 reserved: Modbus over
 * serial line v1.02, 2.2); a TCP unit id is a whole byte. Where the line is
 * not known, the byte range avoids echoing the line's error. */
/* A dlt645 meter's 12-digit "address", unique on its line; "slave" is not
 * a key of it. */
static void meter_address(struct loader *ld, const cJSON *obj,
			  const char *path, size_t idx)
{
	struct meter_cfg *mc = &ld->cfg->meters[idx];
	char err[256], text[64], q[64];

	if (get(obj, "slave") != NULL)
		fail(ld, "%s.slave: a dlt645 meter has an address instead", path);
	if (check(ld, gfi_json_string(obj, "address", path, 1, NULL, text,
				      sizeof(text), err, sizeof(err)), err) != GFI_OK)
		return;
	if (dlt645_addr_parse(text, mc->address) != GFI_OK ||
	    text[0] == 'A') {
		fail(ld, "%s.address: %s must be the meter's 12 decimal digits",
		     path, quoted(text, q, sizeof(q)));
		return;
	}
	for (size_t i = 0; i < idx; i++) {
		const struct meter_cfg *o = &ld->cfg->meters[i];
		if (o->line == mc->line &&
		    memcmp(o->address, mc->address, sizeof(mc->address)) == 0) {
			fail(ld, "%s.address: %s on line %s is already used by "
			     "meters[%zu]", path, text,
			     ld->cfg->lines[mc->line].id, i);
			return;
		}
	}
}

static void meter_slave(struct loader *ld, const cJSON *obj, const char *path,
			size_t idx)
{
	struct meter_cfg *mc = &ld->cfg->meters[idx];
	int rtu = mc->line != NO_LINE && ld->line_typed[mc->line] &&
		  ld->cfg->lines[mc->line].type != LINE_TCP;
	char err[256];
	long long v;
	int rc;

	mc->slave = -1;
	if (mc->line != NO_LINE && ld->cfg->lines[mc->line].dlt645) {
		meter_address(ld, obj, path, idx);
		return;
	}
	if (get(obj, "address") != NULL)
		fail(ld, "%s.address: only for meters on dlt645 lines", path);
	rc = gfi_json_int(obj, "slave", path, 1, rtu ? 1 : 0, rtu ? 247 : 255,
			  0, &v, err, sizeof(err));
	if (check(ld, rc, err) != GFI_OK)
		return;
	mc->slave = (int)v;
	if (mc->line == NO_LINE)
		return;
	for (size_t i = 0; i < idx; i++) {
		const struct meter_cfg *o = &ld->cfg->meters[i];
		if (o->line == mc->line && o->slave == mc->slave && o->slave >= 0) {
			fail(ld, "%s.slave: %d on line %s is already used by "
			     "meters[%zu]", path, mc->slave,
			     ld->cfg->lines[mc->line].id, i);
			return;
		}
	}
}

/* A dlt645 profile only on a dlt645 line and a Modbus one only elsewhere. */
static void meter_protocol_matches(struct loader *ld, const char *path,
				   struct meter_cfg *mc)
{
	const struct line_cfg *l;
	int want;

	if (mc->profile == NULL || mc->line == NO_LINE)
		return;
	l = &ld->cfg->lines[mc->line];
	want = mc->profile->protocol == GFI_PROTO_DLT645;
	if (want != l->dlt645) {
		fail(ld, "%s.profile: %s is a %s profile but line %s speaks %s",
		     path, mc->profile->id, want ? "dlt645" : "modbus", l->id,
		     l->dlt645 ? "dlt645" : "modbus");
		mc->profile = NULL;  /* its points would echo this error */
	}
}

/* The multiplier (倍率): "multiplier" alone (the CT ratio of a low-voltage
 * meter), or "ct_ratio" and/or "pt_ratio"; not both forms. */
static void meter_ratios(struct loader *ld, const cJSON *obj,
			 const char *path, struct meter_cfg *mc)
{
	char err[256];
	double v;

	mc->ct_ratio = mc->pt_ratio = 1.0;
	if (get(obj, "multiplier") != NULL &&
	    (get(obj, "ct_ratio") != NULL || get(obj, "pt_ratio") != NULL)) {
		fail(ld, "%s.multiplier: give it or ct_ratio and pt_ratio, not "
		     "both", path);
		return;
	}
	if (check(ld, gfi_json_double(obj, "multiplier", path, 0, 1e-6,
				      MAX_RATIO, 1.0, &v, err, sizeof(err)),
		  err) == GFI_OK)
		mc->ct_ratio = v;
	if (check(ld, gfi_json_double(obj, "ct_ratio", path, 0, 1e-6,
				      MAX_RATIO, mc->ct_ratio, &v, err,
				      sizeof(err)), err) == GFI_OK)
		mc->ct_ratio = v;
	if (check(ld, gfi_json_double(obj, "pt_ratio", path, 0, 1e-6,
				      MAX_RATIO, 1.0, &v, err, sizeof(err)),
		  err) == GFI_OK)
		mc->pt_ratio = v;
}

/* "word_order": the meter's registers in another order than its profile
 * says (found by `gfi-agent probe`): every multi-register point of it. */
static void meter_word_order(struct loader *ld, const cJSON *obj,
			     const char *path, struct meter_cfg *mc)
{
	char err[256], val[16], q[64];
	enum gfi_order order;

	if (get(obj, "word_order") == NULL || mc->points == NULL ||
	    mc->profile == NULL)
		return;
	if (check(ld, gfi_json_string(obj, "word_order", path, 1, NULL, val,
				      sizeof(val), err, sizeof(err)), err) != GFI_OK)
		return;
	if (gfi_order_parse(val, &order) != GFI_OK) {
		fail(ld, "%s.word_order: %s must be ABCD, CDAB, BADC or DCBA",
		     path, quoted(val, q, sizeof(q)));
		return;
	}
	if (mc->profile->protocol != GFI_PROTO_MODBUS) {
		fail(ld, "%s.word_order: only for modbus meters", path);
		return;
	}
	mc->own_points = calloc(mc->npoints, sizeof(*mc->own_points));
	if (mc->own_points == NULL) {
		out_of_memory(ld);
		return;
	}
	for (size_t i = 0; i < mc->npoints; i++) {
		mc->own_points[i] = *mc->points[i].pt;
		if (gfi_point_width(mc->points[i].pt) >= 2)
			mc->own_points[i].order = order;
		mc->points[i].pt = &mc->own_points[i];
	}
}

static void parse_meter(struct loader *ld, const cJSON *obj, size_t idx)
{
	struct meter_cfg *mc = &ld->cfg->meters[idx];
	char path[32];

	mc->line = NO_LINE;
	mc->slave = -1;
	snprintf(path, sizeof(path), "meters[%zu]", idx);
	if (!cJSON_IsObject(obj)) {
		fail(ld, "%s: must be an object", path);
		return;
	}
	check_keys(ld, obj, path, meter_keys, "unknown key");
	meter_id(ld, obj, path, idx);
	meter_line(ld, obj, path, mc);
	meter_slave(ld, obj, path, idx);
	mc->profile = meter_profile(ld, obj, path);
	meter_protocol_matches(ld, path, mc);
	meter_ratios(ld, obj, path, mc);
	read_int(ld, obj, path, "interval_s", 1, 86400, DEFAULT_INTERVAL_S,
		 &mc->interval_s);
	read_int(ld, obj, path, "timeout_ms", 10, 60000, DEFAULT_TIMEOUT_MS,
		 &mc->timeout_ms);
	read_int(ld, obj, path, "retries", 0, 5, DEFAULT_RETRIES, &mc->retries);
	parse_points(ld, obj, path, mc);
	meter_word_order(ld, obj, path, mc);
}

static void parse_meters(struct loader *ld, const cJSON *root)
{
	struct agent_config *cfg = ld->cfg;
	size_t n = 0, i = 0;
	const cJSON *arr = get_list(ld, root, "meters", CONFIG_MAX_METERS,
				    "meter", &n);
	const cJSON *it;

	if (arr == NULL)
		return;
	cfg->meters = calloc(n, sizeof(*cfg->meters));
	cfg->profiles = calloc(n, sizeof(*cfg->profiles));
	ld->slots = calloc(n, sizeof(*ld->slots));
	if (cfg->meters == NULL || cfg->profiles == NULL || ld->slots == NULL) {
		out_of_memory(ld);
		return;
	}
	cfg->nmeters = n;
	cJSON_ArrayForEach(it, arr)
		parse_meter(ld, it, i++);
}

static void parse_config(struct loader *ld, const cJSON *root)
{
	struct agent_config *cfg = ld->cfg;

	check_keys(ld, root, "", top_keys, "unknown key");
	read_id(ld, root, "", "gateway_id", cfg->gateway_id);
	read_dir(ld, root, "data_dir", DEFAULT_DATA_DIR, cfg->data_dir);
	ld->profiles_dir_ok = read_dir(ld, root, "profiles_dir",
				       DEFAULT_PROFILES_DIR,
				       cfg->profiles_dir) == GFI_OK;
	parse_log_level(ld, root);
	parse_queue(ld, root);
	parse_lines(ld, root);
	parse_meters(ld, root);
	parse_uplink(ld, root);
}

/* ---- public ------------------------------------------------------------- */

/* Read and parse the file; the root object or NULL (reported). */
static cJSON *read_json(struct loader *ld, const char *path, int *ret)
{
	char err[ERR_LINE_MAX];
	char *text = NULL;
	size_t len = 0;
	cJSON *root;
	int rc;

	rc = gfi_read_file(path, CONFIG_MAX_BYTES, &text, &len, err,
			   sizeof(err));
	if (rc != GFI_OK) {
		fail(ld, "%s", err);
		*ret = rc == GFI_E_RANGE ? GFI_E_INVAL : rc;
		return NULL;
	}
	root = gfi_json_parse(text, len, path, err, sizeof(err));
	free(text);
	if (root == NULL) {
		fail(ld, "%s", err);
		return NULL;
	}
	if (!cJSON_IsObject(root)) {
		fail(ld, "%s: must be a JSON object", path);
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

int config_load(const char *path, struct agent_config **out,
		config_report_fn report, void *ctx)
{
	struct loader ld = { .report = report, .ctx = ctx };
	cJSON *root = NULL;
	int ret = GFI_E_INVAL;

	if (path == NULL || out == NULL)
		return GFI_E_INVAL;
	*out = NULL;
	ld.cfg = calloc(1, sizeof(*ld.cfg));
	if (ld.cfg == NULL)
		return GFI_E_NOMEM;
	if (strlen(path) >= CONFIG_PATH_MAX) {
		fail(&ld, "%.64s...: path longer than %d characters", path,
		     CONFIG_PATH_MAX - 1);
		goto cleanup;
	}
	memcpy(ld.cfg->path, path, strlen(path) + 1);
	root = read_json(&ld, path, &ret);
	if (root == NULL)
		goto cleanup;
	config_dir(path, ld.dir, sizeof(ld.dir));
	parse_config(&ld, root);
	if (ld.nerrors == 0) {
		*out = ld.cfg;
		ld.cfg = NULL;
		ret = GFI_OK;
	} else if (ld.nomem) {
		ret = GFI_E_NOMEM;
	}
cleanup:
	cJSON_Delete(root);
	free(ld.line_typed);
	free(ld.slots);
	config_free(ld.cfg);
	return ret;
}

void config_free(struct agent_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->nmeters; i++) {
		free(cfg->meters[i].points);
		free(cfg->meters[i].own_points);
	}
	for (size_t i = 0; i < cfg->nprofiles; i++)
		gfi_profile_free(cfg->profiles[i]);
	free(cfg->profiles);
	free(cfg->meters);
	free(cfg->lines);
	free(cfg);
}

const struct meter_cfg *config_meter(const struct agent_config *cfg,
				     const char *id)
{
	if (cfg == NULL || id == NULL)
		return NULL;
	for (size_t i = 0; i < cfg->nmeters; i++) {
		if (strcmp(cfg->meters[i].id, id) == 0)
			return &cfg->meters[i];
	}
	return NULL;
}
