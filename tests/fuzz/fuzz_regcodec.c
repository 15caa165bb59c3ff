/*
 * fuzz_regcodec.c — gfi_reg_decode for every type and word order over the
 * input's first 8 bytes as four big-endian registers (what a meter, or
 * anything on the RS-485 line, answers). A decoded value must be finite;
 * for every type but the 64-bit integers, encoding it back must give the
 * same words. Types and orders out of range must be refused.
 */
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "regcodec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t words[4] = { 0, 0, 0, 0 }, back[4];
	enum gfi_regtype t;
	enum gfi_order o;
	unsigned n, i;
	double v;

	for (i = 0; i < 4 && 2 * i + 1 < size; i++)
		words[i] = (uint16_t)(data[2 * i] << 8 | data[2 * i + 1]);
	for (t = GFI_T_U16; t <= GFI_T_BOOL; t++) {
		n = gfi_regtype_words(t);
		if (n < 1 || n > 4)
			__builtin_trap();
		for (o = GFI_ORDER_ABCD; o <= GFI_ORDER_DCBA; o++) {
			uint16_t in[4];

			memcpy(in, words, sizeof(in));
			if (t == GFI_T_BOOL)
				in[0] &= 1; /* the bit the reader hands over */
			if (gfi_reg_decode(t, o, in, &v) != 0)
				continue;
			if (!isfinite(v))
				__builtin_trap();
			/* 64-bit integers above 2^53 round (regcodec.h); every
			 * other type must round-trip exactly. */
			if (t != GFI_T_U64 && t != GFI_T_I64) {
				memset(back, 0, sizeof(back));
				if (gfi_reg_encode(t, o, v, back) != 0 ||
				    memcmp(back, in, n * sizeof(in[0])) != 0)
					__builtin_trap();
			}
		}
	}
	if (size > 8) {
		unsigned tt = data[8] >> 4, oo = data[8] & 15u;

		if ((tt > GFI_T_BOOL || oo > GFI_ORDER_DCBA) &&
		    gfi_reg_decode((enum gfi_regtype)tt, (enum gfi_order)oo,
				   words, &v) == 0)
			__builtin_trap();
	}
	return 0;
}
