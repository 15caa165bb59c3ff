/*
 * aggconfig.c — gfi-aggregator's configuration: parse, validate, resolve.
 *
 * Why strict: a typo in a key must not silently fall back to a default (an
 * aggregator that ignores "shared_group" would take every batch alone).
 * Every key is known, typed and range-checked through jsonutil, every error
 * is one line naming its field, relative paths are resolved against the
 * config file's directory so the service does not depend on its cwd.
 * Invariant of a loaded config: every field valid, paths absolute or
 * relative to a known directory, client_id and shared_group valid ids (or
 * shared_group empty).
 */
#include "aggconfig.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "error.h"
#include "indicators.h"
#include "sign.h"
#include "jsonutil.h"
#include "log.h"

static const char *const top_keys[] = {
	"store", "broker", "client_id", "shared_group", "future_tolerance_s",
	"min_coverage",
	"log_level", "http", "quarantine", NULL,
};
static const char *const quarantine_keys[] = {
	"max_rows", "max_bytes", "prefix_bytes", "retention_days",
	"refused_per_min", "refused_burst", NULL,
};
static const char *const http_keys[] = {
	"bind", "port", "static_dir", "max_body_bytes", "max_connections",
	"max_connections_per_ip", "head_timeout_s", "auth_failures_per_min", NULL,
};
static const char *const broker_keys[] = {
	"host", "port", "ca_file", "cert_file", "key_file", NULL,
};

/* Make dst (from the file) relative to dir unless absolute. */
static int resolve(const char *dir, const char *field, char *dst, size_t size,
		   char *err, size_t errlen)
{
	char tmp[AGGCONFIG_PATH_MAX];
	int n;

	if (dst[0] == '\0') {
		snprintf(err, errlen, "%s: must not be empty", field);
		return GFI_E_INVAL;
	}
	if (dst[0] == '/' || dir[0] == '\0')
		return GFI_OK;
	n = snprintf(tmp, sizeof(tmp), "%s/%s", dir, dst);
	if (n < 0 || (size_t)n >= size) {
		snprintf(err, errlen, "%s: path longer than %zu bytes", field, size - 1);
		return GFI_E_RANGE;
	}
	memcpy(dst, tmp, (size_t)n + 1);
	return GFI_OK;
}

static int resolve_paths(const char *dir, struct agg_config *c, char *err,
			 size_t errlen)
{
	int ret;

	if ((ret = resolve(dir, "store", c->store, sizeof(c->store), err, errlen)))
		return ret;
	if (c->http.static_dir[0] != '\0' &&
	    (ret = resolve(dir, "http.static_dir", c->http.static_dir,
			   sizeof(c->http.static_dir), err, errlen)))
		return ret;
	if (!c->has_broker)
		return GFI_OK;
	if ((ret = resolve(dir, "broker.ca_file", c->ca_file, sizeof(c->ca_file), err,
			   errlen)) ||
	    (ret = resolve(dir, "broker.cert_file", c->cert_file,
			   sizeof(c->cert_file), err, errlen)))
		return ret;
	return resolve(dir, "broker.key_file", c->key_file, sizeof(c->key_file), err,
		       errlen);
}

static void config_dir(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, size, "%s", "");
	else if (slash == path)
		snprintf(dir, size, "/");
	else
		snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

static int load_broker(const cJSON *b, struct agg_config *cfg, char *err,
		       size_t errlen)
{
	long long port = 0;
	int ret;

	if (!cJSON_IsObject(b)) {
		snprintf(err, errlen, "broker: %s", b ? "must be an object" : "missing");
		return GFI_E_INVAL;
	}
	if ((ret = gfi_json_check_keys(b, "broker", broker_keys, err, errlen)) ||
	    (ret = gfi_json_string(b, "host", "broker", 1, NULL, cfg->host,
				   sizeof(cfg->host), err, errlen)) ||
	    (ret = gfi_json_int(b, "port", "broker", 0, 1, 65535, 8883, &port, err,
				errlen)) ||
	    (ret = gfi_json_string(b, "ca_file", "broker", 1, NULL, cfg->ca_file,
				   sizeof(cfg->ca_file), err, errlen)) ||
	    (ret = gfi_json_string(b, "cert_file", "broker", 1, NULL, cfg->cert_file,
				   sizeof(cfg->cert_file), err, errlen)) ||
	    (ret = gfi_json_string(b, "key_file", "broker", 1, NULL, cfg->key_file,
				   sizeof(cfg->key_file), err, errlen)))
		return ret;
	if (cfg->host[0] == '\0') {
		snprintf(err, errlen, "broker.host: must not be empty");
		return GFI_E_INVAL;
	}
	cfg->port = (int)port;
	return GFI_OK;
}

/* The http section's defences against slow and guessing clients. */
static int load_http_limits(const cJSON *h, struct agg_http *http, char *err,
			    size_t errlen)
{
	long long per_ip = 0, head = 0, fails = 0;
	int ret;

	if ((ret = gfi_json_int(h, "max_connections_per_ip", "http", 0, 1, 10000, 16,
				&per_ip, err, errlen)) ||
	    (ret = gfi_json_int(h, "head_timeout_s", "http", 0, 1, 300, 10, &head,
				err, errlen)) ||
	    (ret = gfi_json_int(h, "auth_failures_per_min", "http", 0, 1, 10000, 10,
				&fails, err, errlen)))
		return ret;
	http->max_connections_per_ip = (int)per_ip;
	http->head_timeout_s = (int)head;
	http->auth_failures_per_min = (int)fails;
	return GFI_OK;
}

static int load_http(const cJSON *h, struct agg_http *http, char *err,
		     size_t errlen)
{
	unsigned char addr[16];
	long long port = 0, body = 0, conns = 0;
	int ret;

	if (h == NULL)
		return GFI_OK;
	if (!cJSON_IsObject(h)) {
		snprintf(err, errlen, "http: must be an object");
		return GFI_E_INVAL;
	}
	if ((ret = gfi_json_check_keys(h, "http", http_keys, err, errlen)) ||
	    (ret = gfi_json_string(h, "bind", "http", 0, "127.0.0.1", http->bind,
				   sizeof(http->bind), err, errlen)) ||
	    (ret = gfi_json_int(h, "port", "http", 0, 1, 65535, 8080, &port, err,
				errlen)) ||
	    (ret = gfi_json_string(h, "static_dir", "http", 0, "", http->static_dir,
				   sizeof(http->static_dir), err, errlen)) ||
	    (ret = gfi_json_int(h, "max_body_bytes", "http", 0, 1, 16L * 1024 * 1024,
				65536, &body, err, errlen)) ||
	    (ret = gfi_json_int(h, "max_connections", "http", 0, 1, 10000, 64, &conns,
				err, errlen)) ||
	    (ret = load_http_limits(h, http, err, errlen)))
		return ret;
	if (inet_pton(AF_INET, http->bind, addr) != 1 &&
	    inet_pton(AF_INET6, http->bind, addr) != 1) {
		snprintf(err, errlen, "http.bind: \"%s\" is not an IPv4 or IPv6 address",
			 http->bind);
		return GFI_E_INVAL;
	}
	http->enabled = 1;
	http->port = (int)port;
	http->max_body_bytes = (long)body;
	http->max_connections = (int)conns;
	return GFI_OK;
}

/* The optional quarantine section; absent: every default. */
static int load_quarantine(const cJSON *q, struct agg_quarantine *out, char *err,
			   size_t errlen)
{
	int ret;

	if (q != NULL && !cJSON_IsObject(q)) {
		snprintf(err, errlen, "quarantine: must be an object");
		return GFI_E_INVAL;
	}
	if ((q != NULL &&
	     (ret = gfi_json_check_keys(q, "quarantine", quarantine_keys, err, errlen))) ||
	    (ret = gfi_json_int(q, "max_rows", "quarantine", 0, 1, 1000000, 1000,
				&out->max_rows, err, errlen)) ||
	    (ret = gfi_json_int(q, "max_bytes", "quarantine", 0, 4096, 1LL << 30,
				8LL << 20, &out->max_bytes, err, errlen)) ||
	    (ret = gfi_json_int(q, "prefix_bytes", "quarantine", 0, 0, 65536, 512,
				&out->prefix_bytes, err, errlen)) ||
	    (ret = gfi_json_int(q, "retention_days", "quarantine", 0, 1, 3650, 30,
				&out->retention_days, err, errlen)) ||
	    (ret = gfi_json_int(q, "refused_per_min", "quarantine", 0, 1, 60000, 60,
				&out->refused_per_min, err, errlen)) ||
	    (ret = gfi_json_int(q, "refused_burst", "quarantine", 0, 1, 10000, 30,
				&out->refused_burst, err, errlen)))
		return ret;
	return GFI_OK;
}

static int load_top(const cJSON *root, struct agg_config *cfg, char *err,
		    size_t errlen)
{
	char level[16];
	long long tol = 0;
	int ret;

	if ((ret = gfi_json_check_keys(root, "", top_keys, err, errlen)) ||
	    (ret = gfi_json_string(root, "store", "", 0, "gfi.db", cfg->store,
				   sizeof(cfg->store), err, errlen)) ||
	    (ret = gfi_json_string(root, "client_id", "", 0, "gfi-aggregator",
				   cfg->client_id, sizeof(cfg->client_id), err,
				   errlen)) ||
	    (ret = gfi_json_string(root, "shared_group", "", 0, "", cfg->shared_group,
				   sizeof(cfg->shared_group), err, errlen)) ||
	    (ret = gfi_json_int(root, "future_tolerance_s", "", 0, 0, 86400, 300,
				&tol, err, errlen)) ||
	    (ret = gfi_json_double(root, "min_coverage", "", 0, 0, 1,
				   IND_MIN_COVERAGE_DEFAULT, &cfg->min_coverage, err,
				   errlen)) ||
	    (ret = gfi_json_string(root, "log_level", "", 0, "notice", level,
				   sizeof(level), err, errlen)))
		return ret;
	cfg->future_tolerance_s = tol;
	if (!gfi_id_valid(cfg->client_id)) {
		snprintf(err, errlen, "client_id: must be 1..31 of [A-Za-z0-9._-]");
		return GFI_E_INVAL;
	}
	if (cfg->shared_group[0] != '\0' && !gfi_id_valid(cfg->shared_group)) {
		snprintf(err, errlen, "shared_group: must be empty or 1..31 of [A-Za-z0-9._-]");
		return GFI_E_INVAL;
	}
	if (gfi_log_parse_level(level, &cfg->log_level) != 0) {
		snprintf(err, errlen, "log_level: \"%s\" is not one of err, warning, "
			 "notice, info, debug", level);
		return GFI_E_INVAL;
	}
	if ((ret = load_http(cJSON_GetObjectItemCaseSensitive(root, "http"), &cfg->http,
			     err, errlen)) != GFI_OK ||
	    (ret = load_quarantine(cJSON_GetObjectItemCaseSensitive(root, "quarantine"),
				   &cfg->quarantine, err, errlen)) != GFI_OK)
		return ret;
	if (cJSON_GetObjectItemCaseSensitive(root, "broker") == NULL)
		return GFI_OK;
	cfg->has_broker = 1;
	return load_broker(cJSON_GetObjectItemCaseSensitive(root, "broker"), cfg,
			   err, errlen);
}

int aggconfig_load(const char *path, struct agg_config *cfg, char *err,
		   size_t errlen)
{
	char dir[AGGCONFIG_PATH_MAX], *text = NULL;
	cJSON *root = NULL;
	size_t len = 0;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	ret = gfi_read_file(path, AGGCONFIG_MAX_BYTES, &text, &len, err, errlen);
	if (ret != GFI_OK)
		return ret;
	root = gfi_json_parse(text, len, path, err, errlen);
	if (root == NULL) {
		ret = GFI_E_PARSE;
	} else if (!cJSON_IsObject(root)) {
		snprintf(err, errlen, "%s: must be a JSON object", path);
		ret = GFI_E_INVAL;
	} else {
		ret = load_top(root, cfg, err, errlen);
	}
	config_dir(path, dir, sizeof(dir));
	if (ret == GFI_OK)
		ret = resolve_paths(dir, cfg, err, errlen);
	cJSON_Delete(root);
	free(text);
	return ret;
}

int aggconfig_check_files(const struct agg_config *cfg, int need_broker,
			  char *err, size_t errlen)
{
	char why[AGGCONFIG_PATH_MAX + 128];
	const struct { const char *field, *path; } files[] = {
		{ "broker.ca_file", cfg->ca_file },
		{ "broker.cert_file", cfg->cert_file },
		{ "broker.key_file", cfg->key_file },
	};

	if (cfg->http.static_dir[0] != '\0' && access(cfg->http.static_dir, R_OK | X_OK) != 0) {
		snprintf(err, errlen, "http.static_dir: %s is not a readable directory",
			 cfg->http.static_dir);
		return GFI_E_IO;
	}
	if (!cfg->has_broker) {
		if (!need_broker)
			return GFI_OK;
		snprintf(err, errlen, "broker: missing");
		return GFI_E_INVAL;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (access(files[i].path, R_OK) != 0) {
			snprintf(err, errlen, "%s: %s is not readable", files[i].field,
				 files[i].path);
			return GFI_E_IO;
		}
	}
	/* The TLS key, like OpenSSH's and PostgreSQL's: private or refused. */
	if (gfi_key_file_private(cfg->key_file, why, sizeof(why)) != GFI_OK) {
		snprintf(err, errlen, "broker.key_file: %s", why);
		return GFI_E_INVAL;
	}
	return GFI_OK;
}
