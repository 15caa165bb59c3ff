/*
 * config.h — gfi-agent's configuration: gateway, lines, meters, queue.
 *
 * Loaded from one JSON file (docs/agent-config.md). Lines are transports with
 * one Modbus master each (a TCP endpoint or a serial RS-485 line); meters sit
 * on a line with a slave id, a profile and a poll interval. Every error names
 * its field: "meters[3].address: 70000 out of range 0..65535".
 *
 * {
 *   "gateway_id": "gw-acme-01",
 *   "data_dir": "/var/lib/gfi-agent",       queue file: <data_dir>/queue.db
 *   "profiles_dir": "/etc/gfi/profiles",     relative paths: to the config file
 *   "log_level": "notice",
 *   "queue": { "max_readings": 2000000 },
 *   "lines": [
 *     { "id": "lan", "type": "tcp", "host": "192.0.2.10", "port": 502 },
 *     { "id": "rs485-1", "type": "rtu", "device": "/dev/ttyS1", "baud": 9600,
 *       "parity": "N", "data_bits": 8, "stop_bits": 1 },
 *     { "id": "grid", "type": "rtu", "protocol": "dlt645",
 *       "device": "/dev/ttyS2" },              2400 8E1, meters by "address"
 *     { "id": "ser1", "type": "rtu-tcp", "host": "192.0.2.20", "port": 4001 },
 *     { "id": "dtu1", "type": "dtu-listen", "bind": "0.0.0.0", "port": 9000,
 *       "registration": "DTU0001", "heartbeat_hex": "fe" } ],
 *   "meters": [
 *     { "id": "E01", "line": "lan", "slave": 1, "profile": "eastron-sdm630",
 *       "interval_s": 60, "timeout_ms": 500, "retries": 1,
 *       "points": ["import_kwh"],               optional subset
 *       "multiplier": 200,                      or "ct_ratio" and "pt_ratio"
 *       "word_order": "CDAB",                   overrides the profile's
 *       "max_rate_per_h": { "import_kwh": 5000 } } ],
 *   "uplink": { "host": "mqtt.city.example", "port": 8883,
 *     "ca_file": "ca.pem", "cert_file": "gw.crt", "key_file": "gw.key",
 *     "batch_readings": 500, "batch_bytes": 131072, "max_inflight": 8,
 *     "ack_timeout_s": 60, "keepalive_s": 30, "status_interval_s": 60,
 *     "reconnect_min_ms": 1000, "reconnect_max_ms": 60000 }
 * }
 */
#ifndef GFI_AGENT_CONFIG_H
#define GFI_AGENT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "reading.h"

#define CONFIG_MAX_BYTES (1024 * 1024)
#define CONFIG_MAX_LINES 64
#define CONFIG_MAX_METERS 1024
#define CONFIG_PATH_MAX 256

/* rtu-tcp: RTU frames on a TCP socket to a transparent serial server;
 * dtu-listen: RTU frames on connections DTUs open to us (docs/polling.md). */
enum line_type { LINE_TCP, LINE_RTU, LINE_RTU_TCP, LINE_DTU };

#define CONFIG_PACKET_MAX 64     /* registration and heartbeat bytes */

struct line_cfg {
	char id[GFI_ID_MAX];
	enum line_type type;
	char host[64];           /* TCP: IPv4/IPv6 literal or name */
	int port;                /* TCP: 1..65535, default 502 */
	char device[CONFIG_PATH_MAX]; /* RTU: serial device path */
	int baud;                /* RTU: 1200..921600, default 9600 */
	char parity;             /* RTU: 'N', 'E' or 'O', default 'N' */
	int data_bits;           /* RTU: 7 or 8, default 8 */
	int stop_bits;           /* RTU: 1 or 2, default 1 */
	int dlt645;              /* "protocol": "dlt645": DL/T 645-2007 over
				    the serial port (1200..9600, default
				    2400 8E1) or over TCP to a transparent
				    serial server (port required) */
	int byte_timeout_ms;     /* dlt645: longest pause inside a reply,
				    10..5000, default 500 */
	char bind[64];           /* dtu-listen: address to listen on */
	uint8_t registration[CONFIG_PACKET_MAX]; /* dtu-listen: the DTU's
				    registration packet ("registration"
				    text or "registration_hex") */
	size_t registration_len;
	uint8_t heartbeat[CONFIG_PACKET_MAX];    /* dtu-listen: its heartbeat
				    ("heartbeat" or "heartbeat_hex"), dropped
				    wherever it arrives; 0 bytes: none */
	size_t heartbeat_len;
};

/* One polled point of a meter: the profile's point plus per-meter limits. */
struct meter_point {
	const struct gfi_point *pt;  /* borrowed from the meter's profile */
	double max_rate_per_h;       /* counters: larger rise is a JUMP; 0 = none */
	double factor;               /* the meter's CT and/or PT ratio as the
					point's "ratio" asks; 1 without */
};

struct meter_cfg {
	char id[GFI_ID_MAX];
	size_t line;                 /* index into agent_config.lines */
	int slave;                   /* 1..247 (0..255 accepted over TCP);
					-1 on a dlt645 line */
	uint8_t address[6];          /* dlt645: A0..A5, unique on its line */
	double ct_ratio;             /* >0, default 1; "multiplier" alone sets
					it (a low-voltage meter behind CTs) */
	double pt_ratio;             /* >0, default 1 */
	const struct gfi_profile *profile; /* borrowed from agent_config.profiles */
	int interval_s;              /* 1..86400, default 60; aligned to the clock */
	int timeout_ms;              /* 10..60000, default 1000 */
	int retries;                 /* 0..5, default 1 */
	size_t npoints;
	struct meter_point *points;  /* the polled points, in profile order */
	struct gfi_point *own_points; /* "word_order": copies of the profile's
					points with that order (points[].pt
					point here), else NULL; owned */
};

/* The uplink to the city's broker (issue 3). Absent: the agent only polls. */
struct uplink_cfg {
	int enabled;                  /* the "uplink" object is present */
	char host[64];                /* broker host name; checked against its
					 certificate's subjectAltName */
	int port;                     /* 1..65535, default 8883 */
	char ca_file[CONFIG_PATH_MAX];   /* the city CA (PEM), pinned */
	char cert_file[CONFIG_PATH_MAX]; /* this gateway's certificate (PEM) */
	char key_file[CONFIG_PATH_MAX];  /* this gateway's P-256 key: TLS and
					    batch signatures */
	int batch_readings;           /* readings per batch, 1..5000, default 500 */
	int batch_bytes;              /* payload bytes per batch, 2048..262144,
					 default 131072 */
	int max_inflight;             /* batches sent and not yet acked, 1..64,
					 default 8 */
	int ack_timeout_s;            /* resend from the first unacked batch after
					 this long without ack progress, 5..3600,
					 default 60 */
	int keepalive_s;              /* MQTT keep-alive, 5..600, default 30 */
	int status_interval_s;        /* retained status period, 5..3600, default 60 */
	int reconnect_min_ms;         /* first reconnect delay, 100..60000, default 1000 */
	int reconnect_max_ms;         /* cap of the doubling delay, 1000..600000,
					 default 60000 */
};

struct agent_config {
	char path[CONFIG_PATH_MAX];  /* the file it was loaded from */
	char gateway_id[GFI_ID_MAX];
	char data_dir[CONFIG_PATH_MAX];
	char profiles_dir[CONFIG_PATH_MAX];
	int log_level;               /* syslog priority */
	long long queue_max_readings; /* 1000..1e9, default 2,000,000 */
	size_t nlines;
	struct line_cfg *lines;
	size_t nmeters;
	struct meter_cfg *meters;
	size_t nprofiles;
	struct gfi_profile **profiles; /* owned; each loaded once */
	struct uplink_cfg uplink;
};

/* Called once per error line (no trailing newline). */
typedef void (*config_report_fn)(void *ctx, const char *line);

/* Load and validate path. Reports every error found through report (may be
 * NULL), one printable line each, and returns GFI_E_INVAL if there was any
 * (GFI_E_IO if the file cannot be read, GFI_E_NOMEM); *out is then NULL. On
 * success *out is a config the caller frees with config_free; relative
 * data_dir/profiles_dir are made absolute against the config's directory. */
int config_load(const char *path, struct agent_config **out,
		config_report_fn report, void *ctx);
void config_free(struct agent_config *cfg);

/* What a point marked ratio is multiplied by under these transformer
 * ratios: ct, pt, their product, or 1 (GFI_RATIO_NONE). */
double config_ratio_factor(enum gfi_ratio ratio, double ct_ratio,
			   double pt_ratio);

/* The meter with this id, or NULL. */
const struct meter_cfg *config_meter(const struct agent_config *cfg,
				     const char *id);

#endif
