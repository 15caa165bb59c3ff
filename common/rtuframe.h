/*
 * rtuframe.h — Modbus RTU framing for byte streams: build a read request,
 * CRC-16/MODBUS, and find the reply to it in whatever arrived.
 *
 * No I/O: the agent's RTU-over-TCP and DTU lines frame through it, and
 * tests/data/rtuframe_vectors.csv (written by an independent Python model,
 * tests/tools/rtu_model.py) pins it to the Modbus serial line spec.
 *
 * ADU (Modbus over serial line v1.02, 2.5.1): slave, function, data, CRC low,
 * CRC high. A reply to a read (functions 1-4) is slave, function, byte count,
 * data, CRC; an exception reply is slave, function | 0x80, code, CRC. A
 * stream carries no frame boundaries, so the scanner only accepts a frame
 * whose slave, function, length (the byte count a read of that size must
 * have) and CRC all match the request: garbage, cut frames and replies to
 * earlier requests are skipped, never taken for the answer.
 */
#ifndef GFI_RTUFRAME_H
#define GFI_RTUFRAME_H

#include <stddef.h>
#include <stdint.h>

#define RTU_REQ_LEN 8          /* a read request: slave fn start count CRC */
#define RTU_ADU_MAX 256        /* the largest RTU frame */

/* CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF) of buf[0..len). On the
 * wire the low byte goes first. */
uint16_t rtu_crc16(const uint8_t *buf, size_t len);

/* Write the 8-byte read request (function 1..4) for count registers or bits
 * from start to out. */
void rtu_build_read(uint8_t out[RTU_REQ_LEN], uint8_t slave, uint8_t function,
		    uint16_t start, uint16_t count);

/* The data bytes a reply to a read of count carries: 2 per register, one
 * per 8 bits (functions 1, 2). */
size_t rtu_read_data_len(uint8_t function, uint16_t count);

enum rtu_scan_result {
	RTU_SCAN_REPLY = 1,    /* the normal reply: data, ndata */
	RTU_SCAN_EXCEPTION,    /* an exception reply: code */
	RTU_SCAN_NEED,         /* not (yet) there: keep buf[drop..len) */
};

struct rtu_reply {
	const uint8_t *data;   /* inside the scanned buffer */
	size_t ndata;
	int code;              /* exception code */
	size_t used;           /* bytes up to the end of the frame found */
	size_t drop;           /* RTU_SCAN_NEED: leading bytes that can never
				  start the reply */
	int rejected;          /* candidates refused (CRC, length): a damaged
				  reply, not silence */
};

/* Find the reply of slave to a read (function, count) in buf[0..len): the
 * first frame at any offset whose slave, function (or function | 0x80),
 * byte count and CRC match. Offsets that could still begin the reply once
 * more bytes come are kept. */
enum rtu_scan_result rtu_scan_reply(const uint8_t *buf, size_t len,
				    uint8_t slave, uint8_t function,
				    uint16_t count, struct rtu_reply *r);

/* Remove every complete occurrence of pat (plen > 0 bytes) from buf[0..len)
 * and return the new length: a DTU's heartbeat wherever it arrived. A
 * partial occurrence at the end stays for the next call to complete. */
size_t rtu_strip(uint8_t *buf, size_t len, const uint8_t *pat, size_t plen);

/* Whether buf[0..len) is a prefix of pat[0..plen) (len <= plen). */
int rtu_is_prefix(const uint8_t *buf, size_t len, const uint8_t *pat,
		  size_t plen);

#endif
