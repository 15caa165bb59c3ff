/*
 * aggconfig.h — gfi-aggregator's configuration file.
 *
 * One strict JSON object (docs/aggregator.md, "Configuration"):
 * {
 *   "store": "gfi.db",                   SQLite file; relative paths are
 *                                        taken from the config file's dir
 *   "broker": { "host": "mqtt.city.example", "port": 8883,
 *               "ca_file": "ca.crt", "cert_file": "agg.crt",
 *               "key_file": "agg.key" },
 *   "client_id": "gfi-aggregator",       must equal the certificate's CN
 *                                        (the broker sets
 *                                        use_username_as_clientid)
 *   "shared_group": "",                  non-empty: subscribe
 *                                        $share/<group>/gfi/v1/+/batch
 *   "future_tolerance_s": 300,           readings this far ahead are sane
 *   "min_coverage": 0.9,                 share of a period's expected
 *                                        readings a meter must have, else
 *                                        what it feeds is estimated
 *   "log_level": "notice",
 *   "http": { "bind": "127.0.0.1", "port": 8080,  optional: the HTTP API
 *             "static_dir": "",                   (docs/api.md); "" = no
 *             "max_body_bytes": 65536,            static files
 *             "max_connections": 64,
 *             "max_connections_per_ip": 16,       one client address
 *             "head_timeout_s": 10,               a request's head and body
 *                                                 arrive within this
 *             "auth_failures_per_min": 10 }       then 429 for that address
 *   "quarantine": { "max_rows": 1000,         optional: per gateway, refused
 *                   "max_bytes": 8388608,      batches kept (store_quarantine.h)
 *                   "prefix_bytes": 512,       of an unauthenticated payload
 *                   "retention_days": 30,
 *                   "refused_per_min": 60,     refused batches verified per
 *                   "refused_burst": 30 }      gateway; beyond: only counted
 * }
 * "broker" may be left out only for `gfi-aggregator http` (a read-only
 * replica): serve and check-config refuse a config without it.
 * Unknown and repeated keys are errors; every error names its field.
 */
#ifndef GFI_AGG_AGGCONFIG_H
#define GFI_AGG_AGGCONFIG_H

#include <stdint.h>

#include "reading.h"

#define AGGCONFIG_PATH_MAX 256
#define AGGCONFIG_MAX_BYTES (64 * 1024)

struct agg_http {
	int enabled;                           /* the "http" section is present */
	char bind[64];                         /* IPv4 or IPv6 address, default
						  127.0.0.1 */
	int port;                              /* 1..65535, default 8080 */
	char static_dir[AGGCONFIG_PATH_MAX];   /* dashboards; "" = none */
	long max_body_bytes;                   /* 1..16 MiB, default 65536 */
	int max_connections;                   /* 1..10000, default 64 */
	int max_connections_per_ip;            /* 1..10000, default 16 */
	int head_timeout_s;                    /* 1..300, default 10: from
						  accept (or the previous
						  answer) to the whole request */
	int auth_failures_per_min;             /* 1..10000, default 10: failed
						  tokens per client address */
};

/* The quarantine's bounds and ingest's throttle for refused batches
 * (docs/security.md, "Quarantine"). */
struct agg_quarantine {
	long long max_rows;                    /* 1..1e6, default 1000 */
	long long max_bytes;                   /* 4 KiB..1 GiB, default 8 MiB */
	long long prefix_bytes;                /* 0..64 KiB, default 512 */
	long long retention_days;              /* 1..3650, default 30 */
	long long refused_per_min;             /* 1..60000, default 60 */
	long long refused_burst;               /* 1..10000, default 30 */
};

struct agg_config {
	char store[AGGCONFIG_PATH_MAX];        /* SQLite store file, absolute */
	char host[64];                         /* broker host; checked against
						  its certificate */
	int port;                              /* 1..65535, default 8883 */
	char ca_file[AGGCONFIG_PATH_MAX];      /* the city CA, pinned */
	char cert_file[AGGCONFIG_PATH_MAX];    /* this instance's certificate */
	char key_file[AGGCONFIG_PATH_MAX];     /* and its key */
	char client_id[GFI_ID_MAX];            /* = certificate CN */
	char shared_group[GFI_ID_MAX];         /* "" = plain subscription */
	int64_t future_tolerance_s;            /* 0..86400, default 300 */
	double min_coverage;                   /* 0..1, default 0.9: a meter's
						  readings must cover this
						  share of a period, else the
						  indicators it feeds are
						  estimated (indicators.h) */
	int log_level;                         /* GFI_LOG_*, default notice */
	int has_broker;                        /* the "broker" section is present */
	struct agg_http http;
	struct agg_quarantine quarantine;
};

/* Load and validate the config at path into *cfg. GFI_OK, or GFI_E_IO
 * (unreadable), GFI_E_PARSE (not JSON), GFI_E_INVAL/GFI_E_RANGE with one
 * line in err naming the field ("broker.port: 70000 out of range 1..65535"). */
int aggconfig_load(const char *path, struct agg_config *cfg, char *err,
		   size_t errlen);

/* Beyond the syntax: whether the files the config names are readable, the
 * broker's key_file private to its owner (no group or other bits, sign.h),
 * and (need_broker) that there is a broker section. GFI_OK, or GFI_E_IO /
 * GFI_E_INVAL with the field in err. */
int aggconfig_check_files(const struct agg_config *cfg, int need_broker,
			  char *err, size_t errlen);

#endif
