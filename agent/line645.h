/*
 * line645.h — a DL/T 645-2007 line: one master on a serial port or on a TCP
 * connection to a transparent serial server, and the poll of its meters.
 *
 * The DL/T 645 counterpart of libmodbus plus poller.c's read loop: each
 * point is one request (read data 0x11 with its identifier), each request
 * one transaction with a deadline (the meter's timeout_ms overall, the
 * line's byte_timeout_ms between the bytes of a reply). Readings get the
 * same statuses as Modbus (docs/polling.md): an error reply is
 * exception-N with N the error byte, a damaged reply (bad checksum, another
 * address, a frame cut off) comm-error, silence timeout.
 */
#ifndef GFI_AGENT_LINE645_H
#define GFI_AGENT_LINE645_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dlt645.h"
#include "poller.h"

struct line645;

/* A line for cfg (borrowed; must outlive it), not connected. NULL when out
 * of memory. */
struct line645 *line645_new(const struct line_cfg *cfg);
/* Open the serial port (raw, its baud, parity, bits) or connect the TCP
 * socket. GFI_OK or GFI_E_IO with one line naming the line in err. */
int line645_connect(struct line645 *l, char *err, size_t errlen);
int line645_connected(const struct line645 *l);
/* Close the port or socket (the line can connect again); accepts NULL. */
void line645_close(struct line645 *l);
void line645_free(struct line645 *l);

/* One transaction: send req (n bytes), then wait up to timeout_ms for the
 * reply of addr (NULL: any address) to control (its normal or error reply).
 * GFI_OK with *reply; GFI_E_TIMEOUT nothing came; GFI_E_PROTO something
 * came but not that reply (checksum, address, cut off); GFI_E_IO the link
 * broke. */
int line645_transact(struct line645 *l, const uint8_t *req, size_t n,
		     const uint8_t *addr, uint8_t control, int timeout_ms,
		     struct dlt645_frame *reply);

/* Read every point of the meter once (like poll_meter_read): cfg->npoints
 * readings to out, stamped now_s. GFI_OK when the meter answered at all,
 * GFI_E_TIMEOUT when it was silent, GFI_E_IO when the link broke. */
int line645_poll_meter(struct poll_meter *pm, struct line645 *l,
		       int64_t now_s, struct gfi_reading *out);

/* Read address (0x13 to AA..AA): the address of the one meter on the line.
 * GFI_OK, GFI_E_TIMEOUT, GFI_E_PROTO (e.g. several meters answered at once),
 * GFI_E_IO. */
int line645_read_address(struct line645 *l, int timeout_ms,
			 uint8_t addr[DLT645_ADDR_LEN]);
/* Whether a meter answers at addr (a read of forward active energy; an
 * error reply counts as an answer). GFI_OK or as line645_transact. */
int line645_probe(struct line645 *l, const uint8_t addr[DLT645_ADDR_LEN],
		  int timeout_ms);

#endif
