/*
 * rtulink.h — a Modbus RTU master on a byte stream: an rtu-tcp line (a TCP
 * connection to a transparent serial server) or a dtu-listen line (the
 * connection a 4G DTU opened to us, handed over by dtu.c).
 *
 * Frames through common/rtuframe (gfi's own framer; libmodbus 3.1.6 has
 * no RTU-over-TCP backend). Each read is one transaction: whatever arrived
 * unasked is dropped, the request sent, and the reply of that slave,
 * function and length found by scanning within the meter's timeout_ms
 * (garbage, cut frames and the DTU's heartbeats skipped). Readings get
 * poller.c's statuses: silence timeout, damaged reply comm-error.
 */
#ifndef GFI_AGENT_RTULINK_H
#define GFI_AGENT_RTULINK_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "poller.h"

struct rtulink;

/* A link for line cfg (borrowed; rtu-tcp or dtu-listen), not connected.
 * NULL when out of memory. */
struct rtulink *rtulink_new(const struct line_cfg *cfg);
void rtulink_free(struct rtulink *l);

/* rtu-tcp: connect, at most once per backoff delay (0.5 s doubling to
 * 30 s after each failure, reset by a success). GFI_OK; GFI_E_IO with a
 * line in err; GFI_E_STATE while the delay runs (nothing tried; also a
 * dtu-listen line without its DTU). */
int rtulink_connect(struct rtulink *l, char *err, size_t errlen);
/* dtu-listen: fd (a registered DTU's connection) replaces the current
 * one, which is closed. */
void rtulink_adopt(struct rtulink *l, int fd);
int rtulink_connected(const struct rtulink *l);
void rtulink_close(struct rtulink *l);

/* Read count registers (or bits) of function fn from slave within
 * timeout_ms. Returns count, or -1 with errno as poll_io asks (ETIMEDOUT,
 * MODBUS_ENOBASE + code, ECONNRESET, EMBBADCRC). Never writes to a meter. */
int rtulink_read(struct rtulink *l, int slave, int timeout_ms,
		 enum gfi_function fn, uint16_t start, uint16_t count,
		 uint16_t *regs, uint8_t *bits);

/* Poll every point of the meter once (as poll_meter_read). */
int rtulink_poll_meter(struct poll_meter *pm, struct rtulink *l,
		       int64_t now_s, struct gfi_reading *out);

#endif
