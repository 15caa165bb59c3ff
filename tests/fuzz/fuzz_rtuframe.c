/*
 * fuzz_rtuframe.c — the RTU stream scanner and heartbeat strip over hostile
 * bytes (whatever a serial server or a DTU delivers). The first three bytes
 * choose the read (slave, function 1..4, count), the fourth the length of
 * a heartbeat pattern taken from the next bytes, the rest is the stream.
 * A reply the scanner returns must lie inside the input, end with a good
 * CRC and carry the byte count the read asks for; what it keeps (drop)
 * stays inside the input; stripping only ever removes whole patterns.
 */
#include <string.h>

#include "fuzz.h"
#include "rtuframe.h"

static void check_scan(const uint8_t *s, size_t n, uint8_t slave, uint8_t fn,
		       uint16_t count)
{
	struct rtu_reply r;
	enum rtu_scan_result rc = rtu_scan_reply(s, n, slave, fn, count, &r);

	if (rc == RTU_SCAN_NEED) {
		if (r.drop > n)
			__builtin_trap();
		return;
	}
	if (r.used < 5 || r.used > n)
		__builtin_trap();
	const uint8_t *frame = s + r.used - (rc == RTU_SCAN_EXCEPTION ? 5 : 5 + r.ndata);
	uint16_t crc = rtu_crc16(frame, (size_t)(s + r.used - frame) - 2);
	if (frame[0] != slave || s[r.used - 2] != (uint8_t)crc ||
	    s[r.used - 1] != (uint8_t)(crc >> 8))
		__builtin_trap();
	if (rc == RTU_SCAN_REPLY &&
	    (r.ndata != rtu_read_data_len(fn, count) || frame[2] != r.ndata ||
	     r.data != frame + 3))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[4096];
	size_t plen, n;

	if (size < 4)
		return 0;
	check_scan(data + 4, size - 4, data[0], (uint8_t)(1 + data[1] % 4),
		   (uint16_t)(1 + data[2] % 125));
	plen = data[3] % 8;
	if (plen == 0 || size - 4 < plen || size - 4 - plen > sizeof(buf))
		return 0;
	n = size - 4 - plen;
	memcpy(buf, data + 4 + plen, n);
	size_t out = rtu_strip(buf, n, data + 4, plen);
	if (out > n || (n - out) % plen != 0)
		__builtin_trap();
	return 0;
}
