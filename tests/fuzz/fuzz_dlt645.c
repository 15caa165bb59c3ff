/*
 * fuzz_dlt645.c — the DL/T 645 scanner and BCD decoder over hostile bytes
 * (whatever an RS-485 line or a serial server delivers). The scanner must
 * stay inside the input, return frames of at most 200 data bytes that end
 * within it, and a frame it returns must build back to bytes it finds again
 * unchanged. Every BCD value the decoder accepts must be finite and, but
 * for a signed zero and beyond 2^53 units (16 digits round to a double,
 * as dlt645.h says), encode back to the same bytes.
 */
#include <math.h>
#include <string.h>

#include "dlt645.h"
#include "fuzz.h"

static void check_frames(const uint8_t *data, size_t size)
{
	struct dlt645_frame f, again;
	size_t off = 0, used = 0, n, used2 = 0;
	uint8_t out[DLT645_FRAME_MAX];
	unsigned bad = 0;

	while (off < size &&
	       dlt645_scan(data + off, size - off, &f, &used, &bad) == DLT645_SCAN_FRAME) {
		if (used == 0 || used > size - off || f.len > DLT645_DATA_MAX)
			__builtin_trap();
		n = dlt645_build(f.addr, f.control, f.data, f.len, out, sizeof(out));
		if (n == 0 ||
		    dlt645_scan(out, n, &again, &used2, NULL) != DLT645_SCAN_FRAME ||
		    used2 != n || again.len != f.len || again.control != f.control ||
		    memcmp(again.data, f.data, f.len) != 0 ||
		    memcmp(again.addr, f.addr, DLT645_ADDR_LEN) != 0)
			__builtin_trap();
		off += used;
	}
	if (off < size && used > size - off)
		__builtin_trap();
}

static void check_bcd(const uint8_t *data, size_t size)
{
	static const char *const formats[] = { "XXXXXX.XX", "XXX.X", "XXX.XXX",
					       "XX.XXXX", "X.XXX", "XX.XX",
					       "XXXXXXXXXXXXXXXX" };
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		for (int sign = 0; sign < 2; sign++) {
			struct dlt645_format fmt;
			uint8_t back[8];
			double v;

			if (dlt645_format_parse(formats[i], sign, &fmt) != 0)
				__builtin_trap();
			if (size < fmt.bytes || dlt645_bcd_decode(&fmt, data, &v) != 0)
				continue;
			if (!isfinite(v))
				__builtin_trap();
			if (v != 0 && fabs(v) * pow(10, fmt.decimals) < 9007199254740992.0 &&
			    (dlt645_bcd_encode(&fmt, v, back) != 0 ||
			     memcmp(back, data, fmt.bytes) != 0))
				__builtin_trap();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_frames(data, size);
	check_bcd(data, size);
	return 0;
}
