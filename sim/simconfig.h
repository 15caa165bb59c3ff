/*
 * simconfig.h — gfi-meter-sim's configuration: lines (TCP listeners, RTU
 * ports), the meters on each line, their profiles, model parameters and
 * faults.
 *
 * JSON form (docs/simulator.md):
 * { "seed": 42, "profiles_dir": "../firmware-config/profiles",
 *   "tcp": [ { "id": "t1", "host": "127.0.0.1", "port": 0, "meters": [M...] } ],
 *   "rtu": [ { "id": "r1", "device": "/tmp/x/pty-sim", "baud": 9600,
 *              "meters": [M...] } ] }
 * M = { "id": "E01", "slave": 1, "profile": "eastron-sdm630",
 *       "base_rate": 500, "initial": 0, "rollover_max": 99999,
 *       "replacement": { "at": 1767196800, "initial": 0 },
 *       "faults": [ { "kind": "timeout"|"exception"|"slow", "code": 2,
 *                     "delay_ms": 300, "from": 0, "to": 1, "points": ["p"] } ] }
 * A tcp line with "framing": "rtu" serves RTU frames (CRC, no MBAP) on its
 * connections, as a transparent serial server does; "dtu": [ { "id",
 * "host", "port", "registration" | "registration_hex", "heartbeat" |
 * "heartbeat_hex", "heartbeat_ms", "meters" } ] dial out to the gateway as
 * 4G DTUs. On both, faults garbage, bad_checksum and truncated exist too.
 * A line with "protocol": "dlt645" serves DL/T 645-2007 instead of Modbus:
 * its meters have a 12-digit "address" instead of "slave", a dlt645
 * profile, and may have the faults garbage, bad_checksum, wrong_address and
 * byte_slow (delay_ms between reply bytes) besides timeout, exception (an
 * error reply with error byte `code`) and slow.
 * Strict: unknown keys are errors; every error is one line naming the field
 * (e.g. "tcp[0].meters[1].slave: 300 out of range 1..247").
 */
#ifndef GFI_SIMCONFIG_H
#define GFI_SIMCONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

#define SIM_CONFIG_MAX_BYTES (1024 * 1024)
#define SIM_MAX_LINES 64
#define SIM_MAX_METERS 247   /* per line: one per slave id */
#define SIM_MAX_FAULTS 32    /* per meter */

enum sim_fault_kind {
	SIM_FAULT_TIMEOUT,   /* no reply at all */
	SIM_FAULT_EXCEPTION, /* Modbus exception `code` */
	SIM_FAULT_SLOW,      /* reply after delay_ms */
	/* DL/T 645 lines only: */
	SIM_FAULT_GARBAGE,   /* noise bytes before the reply */
	SIM_FAULT_BAD_CHECKSUM, /* the reply's checksum is wrong */
	SIM_FAULT_WRONG_ADDRESS, /* the reply comes from another address */
	SIM_FAULT_BYTE_SLOW, /* delay_ms between the reply's bytes */
	/* RTU frames on a stream (a tcp line with "framing": "rtu", a DTU):
	 * garbage and bad_checksum too, and: */
	SIM_FAULT_TRUNCATED, /* the reply cut after half its bytes */
};

struct sim_fault {
	enum sim_fault_kind kind;
	int code;           /* exception code 1..11, EXCEPTION only */
	int delay_ms;       /* 0..60000, SLOW and BYTE_SLOW only */
	int64_t from_s;     /* active from this UTC second; INT64_MIN if absent */
	int64_t to_s;       /* active until, exclusive; INT64_MAX if absent */
	size_t npoints;     /* 0: every request to the meter */
	const struct gfi_point **points; /* owned array; points borrowed from
					    the meter's profile */
};

struct model_state; /* model.c */

struct sim_meter {
	char id[GFI_ID_MAX];
	int slave;                   /* 1..247, unique on its line; 0 on a
					DL/T 645 line */
	uint8_t address[6];          /* DL/T 645: A0..A5, unique on its line */
	char profile_id[64];
	struct gfi_profile *profile; /* owned */
	uint64_t seed;               /* the config's seed */
	int has_base_rate;
	double base_rate;            /* per hour, unit of the first counter
					point, 0..1e6; weekday working hour
					before noise */
	double initial;              /* every counter's value at the model
					origin, >= 0 */
	double rollover_max;         /* counters wrap to 0 here; 0 = none
					(the register's own maximum still
					applies) */
	int has_replacement;
	int64_t replacement_at_s;    /* UTC second the meter was swapped */
	double replacement_initial;  /* counters restart here at that second */
	size_t nfaults;
	struct sim_fault *faults;    /* owned */
	struct model_state *model;   /* owned; caches, see model.h */
};

/* SIM_DTU: a 4G DTU that dials the gateway (host, port), sends its
 * registration, then serves RTU frames on that connection. */
enum sim_transport { SIM_TCP, SIM_RTU, SIM_DTU };

#define SIM_PACKET_MAX 64

struct sim_line {
	enum sim_transport transport;
	char id[GFI_ID_MAX];
	char host[64];      /* TCP: IPv4 literal to listen on */
	int port;           /* TCP: 0..65535, 0 = ephemeral */
	char device[256];   /* RTU: serial device or pty path */
	int baud;           /* RTU: 1200..115200 */
	int dlt645;         /* "protocol": "dlt645" (else Modbus) */
	int rtu_stream;     /* RTU frames on TCP: a tcp line with "framing":
			       "rtu", or a DTU */
	uint8_t registration[SIM_PACKET_MAX]; /* DTU: sent on connecting */
	size_t registration_len;
	uint8_t heartbeat[SIM_PACKET_MAX];    /* DTU: sent every heartbeat_ms
						 (inside a reply when due
						 while answering) */
	size_t heartbeat_len;
	int heartbeat_ms;   /* DTU: 0 = no heartbeats */
	size_t nmeters;
	struct sim_meter *meters; /* owned */
};

struct sim_config {
	uint64_t seed;
	char profiles_dir[1024]; /* resolved against the config file's dir */
	size_t nlines;
	struct sim_line *lines;  /* owned; TCP lines first, then RTU */
};

/* Parse config text. base_dir resolves a relative profiles_dir (NULL: as
 * is). Loads every meter's profile and sets up its model. On success the
 * caller owns *out (sim_config_free). On error writes one line naming the
 * field to err; returns GFI_E_INVAL/GFI_E_RANGE/GFI_E_PARSE/GFI_E_NOMEM. */
int sim_config_parse(const char *json, size_t len, const char *base_dir,
		     struct sim_config **out, char *err, size_t errlen);
/* Read and parse the file at path; relative profiles_dir is taken from the
 * file's directory. */
int sim_config_load(const char *path, struct sim_config **out, char *err,
		    size_t errlen);
/* Free everything; accepts NULL. */
void sim_config_free(struct sim_config *cfg);

/* The meter with this id (ids are unique across the config), or NULL. */
const struct sim_meter *sim_config_meter(const struct sim_config *cfg,
					 const char *id);

#endif
