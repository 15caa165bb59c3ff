/*
 * simconfig.c — strict parsing of gfi-meter-sim's JSON configuration.
 *
 * What: turns the config file into lines (TCP listeners, RTU ports) of
 * meters, loads each meter's profile and sets up its model. Why: tests and
 * people describe a plant's meters, their faults and their history in one
 * file; a mistake must be reported as one line naming the field, never as a
 * crash or a silently ignored key.
 *
 * Invariants after a successful parse: at least one line; line ids, meter ids
 * (across the whole config), TCP endpoints with a fixed port and RTU devices
 * are unique; slave ids are unique per line; every meter has its profile and
 * model; every counter's initial values are below its wrap value.
 */
#include "simconfig.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jsonutil.h"
#include "model.h"

#define PATH_LEN 96
#define MAX_COUNTER 1e15   /* largest initial or rollover value */
#define MAX_RATE 1e6       /* per hour; keeps micro-unit sums in int64 */

static const char *const root_keys[] = { "seed", "profiles_dir", "tcp", "rtu",
					 "dtu", NULL };
static const char *const tcp_keys[] = { "id", "host", "port", "protocol",
					"framing", "meters", NULL };
static const char *const dtu_keys[] = { "id", "host", "port", "registration",
					"registration_hex", "heartbeat",
					"heartbeat_hex", "heartbeat_ms",
					"meters", NULL };
static const char *const rtu_keys[] = { "id", "device", "baud", "protocol",
					"meters", NULL };
static const char *const meter_keys[] = { "id", "slave", "address", "profile",
					  "base_rate", "initial",
					  "rollover_max", "replacement",
					  "faults", "word_order", NULL };
static const char *const repl_keys[] = { "at", "initial", NULL };
static const char *const fault_keys[] = { "kind", "code", "delay_ms", "from",
					  "to", "points", NULL };

/* Fetch obj[key] as an optional array (absent: *out NULL, GFI_OK), or as an
 * object when want_object. */
static int get_container(const cJSON *obj, const char *key, const char *path,
			 int want_object, const cJSON **out, char *err,
			 size_t errlen)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	const char *dot = path[0] ? "." : "";

	*out = NULL;
	if (it == NULL)
		return GFI_OK;
	if (want_object ? !cJSON_IsObject(it) : !cJSON_IsArray(it)) {
		snprintf(err, errlen, "%s%s%s: must be %s", path, dot, key,
			 want_object ? "an object" : "an array");
		return GFI_E_INVAL;
	}
	*out = it;
	return GFI_OK;
}

static int check_object(const cJSON *obj, const char *path,
			const char *const *keys, char *err, size_t errlen)
{
	if (!cJSON_IsObject(obj)) {
		snprintf(err, errlen, "%s: must be an object", path);
		return GFI_E_INVAL;
	}
	return gfi_json_check_keys(obj, path, keys, err, errlen);
}

static int get_id(const cJSON *obj, const char *path, char *dst, size_t len,
		  char *err, size_t errlen)
{
	int rc = gfi_json_string(obj, "id", path, 1, NULL, dst, len, err,
				 errlen);

	if (rc != GFI_OK)
		return rc;
	if (!gfi_id_valid(dst)) {
		snprintf(err, errlen, "%s.id: \"%s\" is not 1..31 characters of "
			 "A-Z a-z 0-9 . _ -", path, dst);
		return GFI_E_INVAL;
	}
	return GFI_OK;
}

/* ---- faults ---------------------------------------------------------- */

/* Whether a fault kind exists on line: the first three everywhere, the
 * 645 ones on DL/T 645 lines, garbage, bad_checksum and truncated on RTU
 * streams. */
static int fault_allowed(const struct sim_line *line, enum sim_fault_kind k)
{
	if (k <= SIM_FAULT_SLOW)
		return 1;
	if (line->dlt645)
		return k != SIM_FAULT_TRUNCATED;
	return line->rtu_stream && (k == SIM_FAULT_GARBAGE ||
				    k == SIM_FAULT_BAD_CHECKSUM ||
				    k == SIM_FAULT_TRUNCATED);
}

static int parse_fault_kind(const cJSON *obj, const char *path,
			    const struct sim_line *line, struct sim_fault *f,
			    char *err, size_t errlen)
{
	static const char *const names[] = {
		"timeout", "exception", "slow", "garbage", "bad_checksum",
		"wrong_address", "byte_slow", "truncated",
	};
	int dlt645 = line->dlt645;
	char kind[16];
	int rc = gfi_json_string(obj, "kind", path, 1, NULL, kind, sizeof(kind),
				 err, errlen);

	if (rc != GFI_OK && rc != GFI_E_RANGE)
		return rc;
	for (size_t i = 0; rc == GFI_OK && i < 8u; i++) {
		if (strcmp(kind, names[i]) == 0 &&
		    fault_allowed(line, (enum sim_fault_kind)i)) {
			f->kind = (enum sim_fault_kind)i;
			return GFI_OK;
		}
	}
	snprintf(err, errlen, "%s.kind: \"%s\" is not timeout, exception%s",
		 path, rc == GFI_OK ? kind : "...", dlt645 ? ", slow, garbage, "
		 "bad_checksum, wrong_address or byte_slow" : line->rtu_stream ?
		 ", slow, garbage, bad_checksum or truncated" : " or slow");
	return GFI_E_INVAL;
}

static int only_for(const cJSON *obj, const char *key, int allowed,
		    const char *path, const char *kind, char *err,
		    size_t errlen)
{
	if (!allowed && cJSON_GetObjectItemCaseSensitive(obj, key) != NULL) {
		snprintf(err, errlen, "%s.%s: only for kind %s", path, key,
			 kind);
		return GFI_E_INVAL;
	}
	return GFI_OK;
}

static int parse_fault_params(const cJSON *obj, const char *path,
			      struct sim_fault *f, char *err, size_t errlen)
{
	int exc = f->kind == SIM_FAULT_EXCEPTION;
	int slow = f->kind == SIM_FAULT_SLOW || f->kind == SIM_FAULT_BYTE_SLOW;
	long long v;
	int rc;

	if ((rc = only_for(obj, "code", exc, path, "exception", err, errlen)) ||
	    (rc = only_for(obj, "delay_ms", slow, path, "slow", err, errlen)))
		return rc;
	/* libmodbus refuses codes from MODBUS_EXCEPTION_MAX (12) on. */
	if (exc) {
		rc = gfi_json_int(obj, "code", path, 1, 1, 11, 0, &v, err,
				  errlen);
		f->code = (int)v;
	}
	if (slow && rc == GFI_OK) {
		rc = gfi_json_int(obj, "delay_ms", path, 1, 0, 60000, 0, &v,
				  err, errlen);
		f->delay_ms = (int)v;
	}
	return rc;
}

static int parse_fault_window(const cJSON *obj, const char *path,
			      struct sim_fault *f, char *err, size_t errlen)
{
	long long from, to;
	int rc;

	rc = gfi_json_int(obj, "from", path, 0, 0, MODEL_END_S, -1, &from, err,
			  errlen);
	if (rc == GFI_OK)
		rc = gfi_json_int(obj, "to", path, 0, 0, MODEL_END_S, -1, &to,
				  err, errlen);
	if (rc != GFI_OK)
		return rc;
	f->from_s = from < 0 ? INT64_MIN : from;
	f->to_s = to < 0 ? INT64_MAX : to;
	if (f->from_s >= f->to_s) {
		snprintf(err, errlen, "%s.to: %lld not after from %lld", path,
			 to, from);
		return GFI_E_RANGE;
	}
	return GFI_OK;
}

static int parse_fault_points(const cJSON *obj, const char *path,
			      const struct gfi_profile *prof,
			      struct sim_fault *f, char *err, size_t errlen)
{
	const cJSON *arr, *it;
	char ipath[PATH_LEN + 64];
	int rc = get_container(obj, "points", path, 0, &arr, err, errlen);
	size_t n;

	if (rc != GFI_OK || arr == NULL)
		return rc;
	n = (size_t)cJSON_GetArraySize(arr);
	if (n == 0 || n > GFI_PROFILE_MAX_POINTS) {
		snprintf(err, errlen, "%s.points: must list 1..%d point names",
			 path, GFI_PROFILE_MAX_POINTS);
		return GFI_E_RANGE;
	}
	f->points = calloc(n, sizeof(*f->points));
	if (f->points == NULL)
		return GFI_E_NOMEM;
	cJSON_ArrayForEach(it, arr) {
		snprintf(ipath, sizeof(ipath), "%s.points[%zu]", path,
			 f->npoints);
		if (!cJSON_IsString(it) || it->valuestring == NULL) {
			snprintf(err, errlen, "%s: must be a string", ipath);
			return GFI_E_INVAL;
		}
		f->points[f->npoints] = gfi_profile_point(prof, it->valuestring);
		if (f->points[f->npoints] == NULL) {
			snprintf(err, errlen, "%s: no point \"%.40s\" in profile "
				 "%s", ipath, it->valuestring, prof->id);
			return GFI_E_NOTFOUND;
		}
		f->npoints++;
	}
	return GFI_OK;
}

static int parse_faults(const cJSON *obj, const char *path,
			const struct sim_line *line, struct sim_meter *m,
			char *err, size_t errlen)
{
	const cJSON *arr, *it;
	char fpath[PATH_LEN + 48];
	int rc = get_container(obj, "faults", path, 0, &arr, err, errlen);
	size_t n;

	if (rc != GFI_OK || arr == NULL)
		return rc;
	n = (size_t)cJSON_GetArraySize(arr);
	if (n > SIM_MAX_FAULTS) {
		snprintf(err, errlen, "%s.faults: more than %d faults", path,
			 SIM_MAX_FAULTS);
		return GFI_E_RANGE;
	}
	m->faults = calloc(n ? n : 1, sizeof(*m->faults));
	if (m->faults == NULL)
		return GFI_E_NOMEM;
	cJSON_ArrayForEach(it, arr) {
		struct sim_fault *f = &m->faults[m->nfaults++];
		snprintf(fpath, sizeof(fpath), "%s.faults[%zu]", path,
			 m->nfaults - 1);
		if ((rc = check_object(it, fpath, fault_keys, err, errlen)) ||
		    (rc = parse_fault_kind(it, fpath, line, f, err, errlen)) ||
		    (rc = parse_fault_params(it, fpath, f, err, errlen)) ||
		    (rc = parse_fault_window(it, fpath, f, err, errlen)) ||
		    (rc = parse_fault_points(it, fpath, m->profile, f, err,
					     errlen)))
			return rc;
	}
	return GFI_OK;
}

/* ---- meters ---------------------------------------------------------- */

/* Every counter value a meter starts from must lie below every counter's
 * wrap value, or the first reading would already have wrapped. */
static int check_below_wrap(const struct sim_meter *m, double v,
			    const char *path, const char *key, char *err,
			    size_t errlen)
{
	for (size_t i = 0; i < m->profile->npoints; i++) {
		const struct gfi_point *pt = &m->profile->points[i];
		double wrap = pt->counter_max;
		if (pt->quantity->kind != GFI_COUNTER)
			continue;
		if (m->rollover_max > 0.0 && (wrap <= 0.0 || m->rollover_max < wrap))
			wrap = m->rollover_max;
		if (wrap > 0.0 && v >= wrap) {
			snprintf(err, errlen, "%s.%s: %.17g not below the wrap "
				 "value %.17g of point %s", path, key, v, wrap,
				 pt->name);
			return GFI_E_RANGE;
		}
	}
	return GFI_OK;
}

static int parse_counter_params(const cJSON *obj, const char *path,
				struct sim_meter *m, char *err, size_t errlen)
{
	const cJSON *base = cJSON_GetObjectItemCaseSensitive(obj, "base_rate");
	int rc;

	m->has_base_rate = base != NULL;
	rc = gfi_json_double(obj, "base_rate", path, 0, 0, MAX_RATE, 0,
			     &m->base_rate, err, errlen);
	if (rc == GFI_OK)
		rc = gfi_json_double(obj, "initial", path, 0, 0, MAX_COUNTER, 0,
				     &m->initial, err, errlen);
	if (rc == GFI_OK)
		rc = gfi_json_double(obj, "rollover_max", path, 0, 0,
				     MAX_COUNTER, 0, &m->rollover_max, err,
				     errlen);
	if (rc != GFI_OK)
		return rc;
	if (m->has_base_rate && m->base_rate > model_max_base_rate(m)) {
		snprintf(err, errlen, "%s.base_rate: %g too large for profile "
			 "%s: its gauges overflow their registers above %.6g",
			 path, m->base_rate, m->profile_id,
			 model_max_base_rate(m));
		return GFI_E_RANGE;
	}
	if (cJSON_GetObjectItemCaseSensitive(obj, "rollover_max") &&
	    m->rollover_max <= 0.0) {
		snprintf(err, errlen, "%s.rollover_max: must be > 0", path);
		return GFI_E_RANGE;
	}
	return check_below_wrap(m, m->initial, path, "initial", err, errlen);
}

static int parse_replacement(const cJSON *obj, const char *path,
			     struct sim_meter *m, char *err, size_t errlen)
{
	const cJSON *r;
	char rpath[PATH_LEN + 48];
	long long at;
	int rc = get_container(obj, "replacement", path, 1, &r, err, errlen);

	if (rc != GFI_OK || r == NULL)
		return rc;
	snprintf(rpath, sizeof(rpath), "%s.replacement", path);
	if ((rc = gfi_json_check_keys(r, rpath, repl_keys, err, errlen)) ||
	    (rc = gfi_json_int(r, "at", rpath, 1, 0, MODEL_END_S, 0, &at, err,
			       errlen)) ||
	    (rc = gfi_json_double(r, "initial", rpath, 1, 0, MAX_COUNTER, 0,
				  &m->replacement_initial, err, errlen)))
		return rc;
	m->has_replacement = 1;
	m->replacement_at_s = at;
	return check_below_wrap(m, m->replacement_initial, rpath, "initial",
				err, errlen);
}

static int load_profile(const cJSON *obj, const char *path, const char *dir,
			struct sim_meter *m, char *err, size_t errlen)
{
	char perr[256];
	int rc = gfi_json_string(obj, "profile", path, 1, NULL, m->profile_id,
				 sizeof(m->profile_id), err, errlen);

	if (rc != GFI_OK)
		return rc;
	if (!gfi_id_valid(m->profile_id)) {
		snprintf(err, errlen, "%s.profile: \"%s\" is not a profile id",
			 path, m->profile_id);
		return GFI_E_INVAL;
	}
	perr[0] = '\0';
	rc = gfi_profile_load(dir, m->profile_id, &m->profile, perr,
			      sizeof(perr));
	if (rc != GFI_OK) {
		snprintf(err, errlen, "%s.profile: %s", path, perr);
		return rc;
	}
	return GFI_OK;
}

/* A Modbus meter's "slave", or a DL/T 645 meter's 12-digit "address". */
static int parse_meter_address(const cJSON *obj, const char *path,
			       int dlt645, struct sim_meter *m, char *err,
			       size_t errlen)
{
	char text[16];
	long long slave;
	int rc;

	if (cJSON_GetObjectItemCaseSensitive(obj, dlt645 ? "slave" : "address")) {
		snprintf(err, errlen, "%s.%s: only for meters on %s lines", path,
			 dlt645 ? "slave" : "address", dlt645 ? "modbus" : "dlt645");
		return GFI_E_INVAL;
	}
	if (!dlt645) {
		rc = gfi_json_int(obj, "slave", path, 1, 1, 247, 0, &slave, err,
				  errlen);
		m->slave = (int)slave;
		return rc;
	}
	rc = gfi_json_string(obj, "address", path, 1, NULL, text, sizeof(text),
			     err, errlen);
	if (rc == GFI_E_RANGE ||
	    (rc == GFI_OK && (dlt645_addr_parse(text, m->address) != GFI_OK ||
			      strcmp(text, "AAAAAAAAAAAA") == 0))) {
		snprintf(err, errlen, "%s.address: must be 12 decimal digits",
			 path);
		return GFI_E_INVAL;
	}
	return rc;
}

/* "word_order": the meter keeps its registers in this order instead of
 * its profile's (the meter's own copy of the profile is changed). */
static int parse_word_order(const cJSON *obj, const char *path,
			    struct sim_meter *m, char *err, size_t errlen)
{
	char val[16];
	enum gfi_order order;
	int rc = gfi_json_string(obj, "word_order", path, 0, "", val,
				 sizeof(val), err, errlen);

	if (rc != GFI_OK || val[0] == '\0')
		return rc;
	if (gfi_order_parse(val, &order) != GFI_OK ||
	    m->profile->protocol != GFI_PROTO_MODBUS) {
		snprintf(err, errlen, "%s.word_order: ABCD, CDAB, BADC or DCBA, "
			 "modbus meters only", path);
		return GFI_E_INVAL;
	}
	for (size_t i = 0; i < m->profile->npoints; i++)
		if (gfi_point_width(&m->profile->points[i]) >= 2)
			m->profile->points[i].order = order;
	return GFI_OK;
}

static int parse_meter(const cJSON *obj, const char *path,
		       const struct sim_config *cfg, const struct sim_line *line,
		       struct sim_meter *m, char *err, size_t errlen)
{
	int dlt645 = line->dlt645;
	int rc;

	m->seed = cfg->seed;
	if ((rc = check_object(obj, path, meter_keys, err, errlen)) ||
	    (rc = get_id(obj, path, m->id, sizeof(m->id), err, errlen)) ||
	    (rc = parse_meter_address(obj, path, dlt645, m, err, errlen)))
		return rc;
	if ((rc = load_profile(obj, path, cfg->profiles_dir, m, err, errlen)))
		return rc;
	if ((m->profile->protocol == GFI_PROTO_DLT645) != (dlt645 != 0)) {
		snprintf(err, errlen, "%s.profile: %s is a %s profile, the line "
			 "speaks %s", path, m->profile->id,
			 dlt645 ? "modbus" : "dlt645", dlt645 ? "dlt645" : "modbus");
		return GFI_E_INVAL;
	}
	if ((rc = parse_word_order(obj, path, m, err, errlen)) ||
	    (rc = parse_counter_params(obj, path, m, err, errlen)) ||
	    (rc = parse_replacement(obj, path, m, err, errlen)) ||
	    (rc = parse_faults(obj, path, line, m, err, errlen)))
		return rc;
	return model_meter_init(m);
}

static int check_meter_unique(const struct sim_config *cfg,
			      const struct sim_line *line, size_t upto,
			      const char *path, char *err, size_t errlen)
{
	const struct sim_meter *m = &line->meters[upto];

	for (size_t i = 0; i < upto; i++) {
		if (line->dlt645 && memcmp(line->meters[i].address, m->address,
					   sizeof(m->address)) == 0) {
			snprintf(err, errlen, "%s.address: already used by "
				 "meter %s on line %s", path, line->meters[i].id,
				 line->id);
			return GFI_E_EXISTS;
		}
		if (!line->dlt645 && line->meters[i].slave == m->slave) {
			snprintf(err, errlen, "%s.slave: %d already used by "
				 "meter %s on line %s", path, m->slave,
				 line->meters[i].id, line->id);
			return GFI_E_EXISTS;
		}
	}
	if (sim_config_meter(cfg, m->id) != m) {
		snprintf(err, errlen, "%s.id: duplicate meter id %s", path,
			 m->id);
		return GFI_E_EXISTS;
	}
	return GFI_OK;
}

static int parse_meters(const cJSON *obj, const char *path,
			struct sim_config *cfg, struct sim_line *line,
			char *err, size_t errlen)
{
	const cJSON *arr, *it;
	char mpath[PATH_LEN + 32];
	int rc = get_container(obj, "meters", path, 0, &arr, err, errlen);
	size_t n = arr ? (size_t)cJSON_GetArraySize(arr) : 0;

	if (rc != GFI_OK)
		return rc;
	if (n == 0 || n > SIM_MAX_METERS) {
		snprintf(err, errlen, "%s.meters: must list 1..%d meters", path,
			 SIM_MAX_METERS);
		return GFI_E_RANGE;
	}
	line->meters = calloc(n, sizeof(*line->meters));
	if (line->meters == NULL)
		return GFI_E_NOMEM;
	cJSON_ArrayForEach(it, arr) {
		size_t i = line->nmeters++;
		snprintf(mpath, sizeof(mpath), "%s.meters[%zu]", path, i);
		if ((rc = parse_meter(it, mpath, cfg, line,
				      &line->meters[i], err, errlen)) ||
		    (rc = check_meter_unique(cfg, line, i, mpath, err, errlen)))
			return rc;
	}
	return GFI_OK;
}

/* ---- lines ----------------------------------------------------------- */

/* A tcp line's "framing": "mbap" (Modbus TCP, the default) or "rtu". */
static int parse_framing(const cJSON *obj, const char *path,
			 struct sim_line *l, char *err, size_t errlen)
{
	char framing[16];
	int rc = gfi_json_string(obj, "framing", path, 0, "mbap", framing,
				 sizeof(framing), err, errlen);

	if (rc != GFI_OK)
		return rc;
	l->rtu_stream = strcmp(framing, "rtu") == 0;
	if (!l->rtu_stream && strcmp(framing, "mbap") != 0) {
		snprintf(err, errlen, "%s.framing: must be mbap or rtu", path);
		return GFI_E_INVAL;
	}
	return GFI_OK;
}

/* A DTU's "<key>" (text) or "<key>_hex" packet; required or not. */
static int parse_packet(const cJSON *obj, const char *path, const char *key,
			int required, uint8_t *dst, size_t *len, char *err,
			size_t errlen)
{
	char hexkey[32], val[2 * SIM_PACKET_MAX + 2];
	int hex, rc;

	snprintf(hexkey, sizeof(hexkey), "%s_hex", key);
	hex = cJSON_GetObjectItemCaseSensitive(obj, hexkey) != NULL;
	rc = gfi_json_string(obj, hex ? hexkey : key, path, required, "", val,
			     sizeof(val), err, errlen);
	if (rc != GFI_OK)
		return rc;
	*len = hex ? strlen(val) / 2 : strlen(val);
	for (size_t i = 0; hex && i < *len; i++) {
		unsigned b;
		if (strlen(val) % 2 || sscanf(val + 2 * i, "%2x", &b) != 1) {
			snprintf(err, errlen, "%s.%s: not hex bytes", path, hexkey);
			return GFI_E_INVAL;
		}
		dst[i] = (uint8_t)b;
	}
	if (*len > SIM_PACKET_MAX || (required && *len == 0)) {
		snprintf(err, errlen, "%s.%s: 1..%d bytes", path, key, SIM_PACKET_MAX);
		return GFI_E_RANGE;
	}
	if (!hex)
		memcpy(dst, val, *len);
	return GFI_OK;
}

static int parse_dtu(const cJSON *obj, const char *path, struct sim_line *l,
		     char *err, size_t errlen)
{
	long long port, hb;
	int rc;

	l->transport = SIM_DTU;
	l->rtu_stream = 1;
	if ((rc = check_object(obj, path, dtu_keys, err, errlen)) ||
	    (rc = get_id(obj, path, l->id, sizeof(l->id), err, errlen)) ||
	    (rc = gfi_json_string(obj, "host", path, 0, "127.0.0.1", l->host,
				  sizeof(l->host), err, errlen)) ||
	    (rc = gfi_json_int(obj, "port", path, 1, 1, 65535, 0, &port, err,
			       errlen)) ||
	    (rc = parse_packet(obj, path, "registration", 1, l->registration,
			       &l->registration_len, err, errlen)) ||
	    (rc = parse_packet(obj, path, "heartbeat", 0, l->heartbeat,
			       &l->heartbeat_len, err, errlen)) ||
	    (rc = gfi_json_int(obj, "heartbeat_ms", path, 0, 0, 3600000, 0, &hb,
			       err, errlen)))
		return rc;
	l->port = (int)port;
	l->heartbeat_ms = (int)hb;
	return GFI_OK;
}

static int parse_tcp(const cJSON *obj, const char *path, struct sim_line *l,
		     char *err, size_t errlen)
{
	struct in_addr a;
	long long port;
	int rc;

	l->transport = SIM_TCP;
	if ((rc = check_object(obj, path, tcp_keys, err, errlen)) ||
	    (rc = get_id(obj, path, l->id, sizeof(l->id), err, errlen)) ||
	    (rc = gfi_json_string(obj, "host", path, 0, "127.0.0.1", l->host,
				  sizeof(l->host), err, errlen)) ||
	    (rc = gfi_json_int(obj, "port", path, 1, 0, 65535, 0, &port, err,
			       errlen)))
		return rc;
	/* libmodbus 3.1.6 listens with inet_addr(): IPv4 literals only. */
	if (inet_pton(AF_INET, l->host, &a) != 1) {
		snprintf(err, errlen, "%s.host: \"%s\" is not an IPv4 address",
			 path, l->host);
		return GFI_E_INVAL;
	}
	l->port = (int)port;
	return parse_framing(obj, path, l, err, errlen);
}

static int baud_valid(long long b)
{
	static const long long ok[] = { 1200, 2400, 4800, 9600, 19200, 38400,
					57600, 115200 };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (ok[i] == b)
			return 1;
	}
	return 0;
}

static int parse_rtu(const cJSON *obj, const char *path, struct sim_line *l,
		     char *err, size_t errlen)
{
	long long baud;
	int rc;

	l->transport = SIM_RTU;
	if ((rc = check_object(obj, path, rtu_keys, err, errlen)) ||
	    (rc = get_id(obj, path, l->id, sizeof(l->id), err, errlen)) ||
	    (rc = gfi_json_string(obj, "device", path, 1, NULL, l->device,
				  sizeof(l->device), err, errlen)) ||
	    (rc = gfi_json_int(obj, "baud", path, 0, 1200, 115200, 9600, &baud,
			       err, errlen)))
		return rc;
	if (l->device[0] == '\0') {
		snprintf(err, errlen, "%s.device: must not be empty", path);
		return GFI_E_INVAL;
	}
	if (!baud_valid(baud)) {
		snprintf(err, errlen, "%s.baud: %lld is not one of 1200 2400 "
			 "4800 9600 19200 38400 57600 115200", path, baud);
		return GFI_E_RANGE;
	}
	l->baud = (int)baud;
	return GFI_OK;
}

static int parse_protocol(const cJSON *obj, const char *path,
			  struct sim_line *l, char *err, size_t errlen)
{
	char proto[16];
	int rc = gfi_json_string(obj, "protocol", path, 0, "modbus", proto,
				 sizeof(proto), err, errlen);

	if (rc == GFI_OK && strcmp(proto, "modbus") == 0)
		return GFI_OK;
	if (rc == GFI_OK && strcmp(proto, "dlt645") == 0) {
		l->dlt645 = 1;
		return GFI_OK;
	}
	snprintf(err, errlen, "%s.protocol: must be modbus or dlt645", path);
	return GFI_E_INVAL;
}

static int check_line_unique(const struct sim_config *cfg, const char *path,
			     char *err, size_t errlen)
{
	const struct sim_line *l = &cfg->lines[cfg->nlines - 1];

	for (size_t i = 0; i + 1 < cfg->nlines; i++) {
		const struct sim_line *o = &cfg->lines[i];
		if (strcmp(o->id, l->id) == 0) {
			snprintf(err, errlen, "%s.id: duplicate line id %s",
				 path, l->id);
			return GFI_E_EXISTS;
		}
		if (l->transport == SIM_TCP && o->transport == SIM_TCP &&
		    l->port != 0 && l->port == o->port &&
		    strcmp(l->host, o->host) == 0) {
			snprintf(err, errlen, "%s.port: %d already used by line "
				 "%s", path, l->port, o->id);
			return GFI_E_EXISTS;
		}
		if (l->transport == SIM_RTU && o->transport == SIM_RTU &&
		    strcmp(l->device, o->device) == 0) {
			snprintf(err, errlen, "%s.device: already used by line "
				 "%s", path, o->id);
			return GFI_E_EXISTS;
		}
	}
	return GFI_OK;
}

static int parse_lines(const cJSON *root, const char *key,
		       struct sim_config *cfg, char *err, size_t errlen)
{
	const cJSON *arr, *it;
	char path[PATH_LEN];
	size_t i = 0;
	int rc = get_container(root, key, "", 0, &arr, err, errlen);

	if (rc != GFI_OK || arr == NULL)
		return rc;
	cJSON_ArrayForEach(it, arr) {
		struct sim_line *l;
		snprintf(path, sizeof(path), "%s[%zu]", key, i++);
		if (cfg->nlines >= SIM_MAX_LINES) {
			snprintf(err, errlen, "%s: more than %d lines", path,
				 SIM_MAX_LINES);
			return GFI_E_RANGE;
		}
		l = &cfg->lines[cfg->nlines++];
		rc = strcmp(key, "tcp") == 0 ? parse_tcp(it, path, l, err, errlen) :
		     strcmp(key, "dtu") == 0 ? parse_dtu(it, path, l, err, errlen) :
					       parse_rtu(it, path, l, err, errlen);
		if (rc == GFI_OK && l->transport != SIM_DTU)
			rc = parse_protocol(it, path, l, err, errlen);
		if (rc == GFI_OK && l->rtu_stream && l->dlt645) {
			snprintf(err, errlen, "%s.framing: rtu framing is for "
				 "modbus lines", path);
			rc = GFI_E_INVAL;
		}
		if (rc == GFI_OK)
			rc = check_line_unique(cfg, path, err, errlen);
		if (rc == GFI_OK)
			rc = parse_meters(it, path, cfg, l, err, errlen);
		if (rc != GFI_OK)
			return rc;
	}
	return GFI_OK;
}

/* ---- top level ------------------------------------------------------- */

static int parse_root(const cJSON *root, const char *base_dir,
		      struct sim_config *cfg, char *err, size_t errlen)
{
	char dir[512];
	long long seed;
	int rc;

	if ((rc = check_object(root, "config", root_keys, err, errlen)) ||
	    (rc = gfi_json_int(root, "seed", "", 0, 0, INT64_C(9007199254740991),
			       0, &seed, err, errlen)) ||
	    (rc = gfi_json_string(root, "profiles_dir", "", 1, NULL, dir,
				  sizeof(dir), err, errlen)))
		return rc;
	cfg->seed = (uint64_t)seed;
	if (dir[0] == '\0') {
		snprintf(err, errlen, "profiles_dir: must not be empty");
		return GFI_E_INVAL;
	}
	if (dir[0] != '/' && base_dir != NULL && base_dir[0] != '\0')
		snprintf(cfg->profiles_dir, sizeof(cfg->profiles_dir), "%.500s/%s",
			 base_dir, dir);
	else
		snprintf(cfg->profiles_dir, sizeof(cfg->profiles_dir), "%s", dir);
	if ((rc = parse_lines(root, "tcp", cfg, err, errlen)) ||
	    (rc = parse_lines(root, "rtu", cfg, err, errlen)) ||
	    (rc = parse_lines(root, "dtu", cfg, err, errlen)))
		return rc;
	if (cfg->nlines == 0) {
		snprintf(err, errlen, "tcp: no lines: give at least one tcp or "
			 "rtu line");
		return GFI_E_INVAL;
	}
	return GFI_OK;
}

int sim_config_parse(const char *json, size_t len, const char *base_dir,
		     struct sim_config **out, char *err, size_t errlen)
{
	struct sim_config *cfg = NULL;
	cJSON *root = NULL;
	int rc = GFI_E_NOMEM;

	*out = NULL;
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		goto cleanup;
	cfg->lines = calloc(SIM_MAX_LINES, sizeof(*cfg->lines));
	if (cfg->lines == NULL)
		goto cleanup;
	root = gfi_json_parse(json, len, "config", err, errlen);
	if (root == NULL) {
		rc = GFI_E_PARSE;
		goto cleanup;
	}
	rc = parse_root(root, base_dir, cfg, err, errlen);
	if (rc == GFI_E_NOMEM)
		snprintf(err, errlen, "config: out of memory");
	if (rc != GFI_OK)
		goto cleanup;
	*out = cfg;
	cfg = NULL;
cleanup:
	cJSON_Delete(root);
	sim_config_free(cfg);
	return rc;
}

int sim_config_load(const char *path, struct sim_config **out, char *err,
		    size_t errlen)
{
	char *text = NULL, *dir = NULL, *slash;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = gfi_read_file(path, SIM_CONFIG_MAX_BYTES, &text, &len, err,
			   errlen);
	if (rc != GFI_OK)
		return rc;
	dir = strdup(path);
	if (dir == NULL) {
		free(text);
		snprintf(err, errlen, "config: out of memory");
		return GFI_E_NOMEM;
	}
	slash = strrchr(dir, '/');
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	rc = sim_config_parse(text, len, dir, out, err, errlen);
	free(dir);
	free(text);
	return rc;
}

static void free_meter(struct sim_meter *m)
{
	model_meter_free(m);
	gfi_profile_free(m->profile);
	for (size_t i = 0; i < m->nfaults; i++)
		free(m->faults[i].points);
	free(m->faults);
}

void sim_config_free(struct sim_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->nlines; i++) {
		struct sim_line *l = &cfg->lines[i];
		/* A meter whose parse failed midway may hold a profile or
		 * faults: nmeters counts it, and the rest are zeroed. */
		for (size_t j = 0; j < l->nmeters; j++)
			free_meter(&l->meters[j]);
		free(l->meters);
	}
	free(cfg->lines);
	free(cfg);
}

const struct sim_meter *sim_config_meter(const struct sim_config *cfg,
					 const char *id)
{
	for (size_t i = 0; cfg != NULL && i < cfg->nlines; i++) {
		const struct sim_line *l = &cfg->lines[i];
		for (size_t j = 0; j < l->nmeters; j++) {
			if (l->meters[j].id[0] != '\0' &&
			    strcmp(l->meters[j].id, id) == 0)
				return &l->meters[j];
		}
	}
	return NULL;
}
