/*
 * serve645.h — gfi-meter-sim's DL/T 645-2007 side: requests in, replies out.
 *
 * The server loop (server.c) owns the sockets and ports; for a line with
 * "protocol": "dlt645" it hands every readable byte to serve645_input, which
 * keeps a receive buffer per connection, finds requests with the common
 * codec's resynchronising scanner and answers them from the same model as
 * Modbus, applying the meter's faults.
 */
#ifndef GFI_SIM_SERVE645_H
#define GFI_SIM_SERVE645_H

#include <stddef.h>
#include <stdint.h>

#include "simconfig.h"

#define SERVE645_RX_MAX 1024

/* Bytes received on one connection (a TCP client or a serial port) and not
 * yet framed. */
struct serve645_rx {
	uint8_t buf[SERVE645_RX_MAX];
	size_t len;
};

/* Read what fd has, answer every complete request for a meter of line
 * (borrowed) on fd. 0, or -1 when the connection is closed or broken. */
int serve645_input(const struct sim_line *line, int fd,
		   struct serve645_rx *rx);

#endif
