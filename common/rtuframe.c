/*
 * rtuframe.c — Modbus RTU framing on a byte stream (see rtuframe.h).
 *
 * What: the request builder, CRC-16/MODBUS and a reply scanner for links
 * where RTU frames travel without their serial silences (a transparent
 * serial server's TCP socket, a 4G DTU). Why not libmodbus: 3.1.6 has no
 * RTU-over-TCP backend, and its RTU receiver trusts the first bytes it
 * reads as a frame start. Invariants: a reply is accepted only when slave,
 * function, byte count and CRC match the request; the scanner never
 * reads past len; it keeps every offset that may still start the reply.
 */
#include "rtuframe.h"

#include <string.h>

uint16_t rtu_crc16(const uint8_t *buf, size_t len)
{
	uint16_t crc = 0xFFFF;

	for (size_t i = 0; i < len; i++) {
		crc ^= buf[i];
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xA001)
					: (uint16_t)(crc >> 1);
	}
	return crc;
}

void rtu_build_read(uint8_t out[RTU_REQ_LEN], uint8_t slave, uint8_t function,
		    uint16_t start, uint16_t count)
{
	uint16_t crc;

	out[0] = slave;
	out[1] = function;
	out[2] = (uint8_t)(start >> 8);
	out[3] = (uint8_t)start;
	out[4] = (uint8_t)(count >> 8);
	out[5] = (uint8_t)count;
	crc = rtu_crc16(out, 6);
	out[6] = (uint8_t)crc;
	out[7] = (uint8_t)(crc >> 8);
}

size_t rtu_read_data_len(uint8_t function, uint16_t count)
{
	return function <= 2 ? ((size_t)count + 7) / 8 : (size_t)count * 2;
}

static int crc_ok(const uint8_t *frame, size_t n)
{
	uint16_t crc = rtu_crc16(frame, n - 2);

	return frame[n - 2] == (uint8_t)crc && frame[n - 1] == (uint8_t)(crc >> 8);
}

/* The frame length a candidate at p (have bytes) would have: 0 not a
 * candidate, else its total length (possibly more than have). */
static size_t candidate_len(const uint8_t *p, size_t have, uint8_t slave,
			    uint8_t function, size_t ndata)
{
	if (p[0] != slave)
		return 0;
	if (have < 2)
		return 1 + 1 + 1 + ndata + 2; /* may be either; wait */
	if (p[1] == (function | 0x80))
		return 5;
	if (p[1] != function)
		return 0;
	if (have >= 3 && p[2] != ndata)
		return 0;
	return 3 + ndata + 2;
}

enum rtu_scan_result rtu_scan_reply(const uint8_t *buf, size_t len,
				    uint8_t slave, uint8_t function,
				    uint16_t count, struct rtu_reply *r)
{
	size_t ndata = rtu_read_data_len(function, count);
	size_t first_open = len;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < len; i++) {
		size_t have = len - i;
		size_t n = candidate_len(buf + i, have, slave, function, ndata);

		if (n == 0)
			continue;
		if (have < n || have < 2) {
			if (first_open == len)
				first_open = i;  /* may complete later */
			continue;
		}
		if (!crc_ok(buf + i, n)) {
			r->rejected++;
			continue;
		}
		r->used = i + n;
		if (buf[i + 1] & 0x80) {
			r->code = buf[i + 2];
			return RTU_SCAN_EXCEPTION;
		}
		r->data = buf + i + 3;
		r->ndata = ndata;
		return RTU_SCAN_REPLY;
	}
	r->drop = first_open;
	return RTU_SCAN_NEED;
}

size_t rtu_strip(uint8_t *buf, size_t len, const uint8_t *pat, size_t plen)
{
	size_t out = 0, i = 0;

	if (plen == 0)
		return len;
	while (i < len) {
		if (len - i >= plen && memcmp(buf + i, pat, plen) == 0) {
			i += plen;
			continue;
		}
		buf[out++] = buf[i++];
	}
	return out;
}

int rtu_is_prefix(const uint8_t *buf, size_t len, const uint8_t *pat,
		  size_t plen)
{
	return len <= plen && memcmp(buf, pat, len) == 0;
}
