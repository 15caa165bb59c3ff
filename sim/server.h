/*
 * server.h — gfi-meter-sim's Modbus TCP and RTU serving.
 *
 * One thread, one pselect loop over every TCP listener, TCP client and RTU
 * port. Each request is answered from the model at the current second.
 * Not reentrant: one server per process (it owns the sockets and ports).
 */
#ifndef GFI_SIM_SERVER_H
#define GFI_SIM_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "simconfig.h"

struct sim_server;

/* Open every TCP listener and RTU port of cfg (borrowed: it must outlive the
 * server). On success the caller owns *out (sim_server_close). On failure one
 * line naming the line's field, e.g. "tcp[0].port: cannot listen on
 * 127.0.0.1:502: Permission denied"; GFI_E_IO or GFI_E_NOMEM. */
int sim_server_open(const struct sim_config *cfg, struct sim_server **out,
		    char *err, size_t errlen);

/* Write "tcp <id> <port>" per TCP line, "rtu <id> <device>" per RTU line and
 * "ready" to path.tmp, then rename it to path (readers never see a partial
 * file). GFI_OK or GFI_E_IO. */
int sim_server_write_ready(const struct sim_server *s, const char *path,
			   char *err, size_t errlen);

/* Serve until *stop becomes non-zero. The caller blocks its stop signals
 * and passes the mask to wait with (pselect), so a signal arriving between
 * the check of *stop and the wait is not lost. GFI_OK, or GFI_E_IO when the
 * wait itself fails. */
int sim_server_run(struct sim_server *s, const volatile sig_atomic_t *stop,
		   const sigset_t *wait_mask);

/* Close every socket and port and free the server; accepts NULL. */
void sim_server_close(struct sim_server *s);

/* CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF) of buf[0..len). On the
 * wire the low byte goes first. */
uint16_t sim_crc16(const uint8_t *buf, size_t len);

/* Total length of the RTU request whose first `have` bytes are in buf:
 * > 0 the length (CRC included), 0 more bytes are needed to know, -1 the
 * function is not one the simulator frames (1-6, 15, 16). */
int sim_rtu_request_length(const uint8_t *buf, size_t have);

#endif
