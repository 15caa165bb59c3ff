/*
 * server_rt.h — the simulator's serving state, shared by server.c (the
 * loop, Modbus TCP and RTU ports) and stream.c (RTU frames on TCP: tcp
 * lines with "framing": "rtu", and DTUs dialling out). Internal to sim/.
 */
#ifndef GFI_SIM_SERVER_RT_H
#define GFI_SIM_SERVER_RT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <modbus/modbus.h>

#include "serve645.h"
#include "simconfig.h"

#define MAX_CLIENTS 128
#define RTU_BYTE_TIMEOUT_MS 100 /* gap that ends a partial RTU frame */

struct meter_rt {
	const struct sim_meter *m;
	modbus_mapping_t *map;
	int start[5];            /* per function 1..4: first address mapped */
	int warned;              /* an encode failure was logged */
};

struct line_rt {
	const struct sim_line *cfg;
	size_t index;            /* position in its tcp[], rtu[] or dtu[] array */
	modbus_t *ctx;
	modbus_t *out;           /* builds the replies: ctx, or an RTU context
				    for an RTU stream (sent through capture) */
	int64_t redial_ms;       /* DTU: next dial while not connected */
	int64_t heartbeat_ms;    /* DTU: next heartbeat due */
	int listen_fd;           /* TCP */
	int port;                /* TCP: the port actually bound */
	int fd;                  /* RTU: open port, -1 while lost */
	time_t reopen_at;        /* RTU: next attempt while lost */
	struct meter_rt *by_slave[248];
	struct meter_rt *meters; /* cfg->nmeters */
	struct serve645_rx rx;   /* RTU on a dlt645 line */
};

struct client {
	int fd;                  /* -1: free slot */
	struct line_rt *line;
	struct serve645_rx rx;   /* on a dlt645 line */
};

struct sim_server {
	size_t nlines;
	struct line_rt *lines;
	struct client clients[MAX_CLIENTS];
	int capture[2];          /* socketpair: RTU stream replies are built
				    into [0] and taken from [1] */
};

/* Read one RTU request from fd into buf. > 0 its length; 0 nothing usable
 * (garbage, timeout, bad CRC: input flushed); -2 the port is dead. */
int rtu_read_request(int fd, uint8_t *buf, size_t cap, const char *line_id);

/* Answer one complete request through l->out; hdr is the offset of the
 * function byte (7 for TCP, 1 for RTU), the unit id just before it. */
void handle_request(struct line_rt *l, const uint8_t *req, int len, int hdr);

/* Whether fault f concerns a read of [addr, addr+count) with function fc
 * at second now. */
int fault_matches(const struct sim_fault *f, int fc, unsigned addr,
		  unsigned count, int64_t now);

/* A big-endian 16-bit field; the second a request is answered at. */
unsigned be16(const uint8_t *p);
int64_t request_time_s(void);

/* stream.c: answer one RTU request arriving on fd (0, or -1 when fd is
 * closed); serve a DTU's connection; dial or send a heartbeat from the
 * loop. */
int stream_serve(struct sim_server *s, struct line_rt *l, int fd);
void dtu_serve(struct sim_server *s, struct line_rt *l);
void dtu_tick(struct line_rt *l);

#endif
