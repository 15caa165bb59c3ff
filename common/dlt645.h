/*
 * dlt645.h — DL/T 645-2007 frames and data formats: build, scan, decode.
 *
 * The codec of the other protocol of Chinese electricity meters, with no I/O:
 * the agent's 645 lines and the simulator both frame through it, and
 * tests/data/dlt645_vectors.csv (written by an independent Python model,
 * tests/tools/dlt645_model.py) pins it to the standard.
 *
 * Frame (DL/T 645-2007, 4.1): [FE FE FE FE] 68 A0..A5 68 C L DATA CS 16.
 * The address is 6 bytes of BCD, A0 (the two least significant digits of
 * the 12 printed on the nameplate) first; every DATA byte travels + 0x33;
 * CS is the sum of the bytes from the first 68 to the last DATA byte,
 * mod 256. Values are BCD, least significant byte first; for current,
 * power and power factor the top bit of the most significant byte is the
 * sign (1 = negative).
 */
#ifndef GFI_DLT645_H
#define GFI_DLT645_H

#include <stddef.h>
#include <stdint.h>

#define DLT645_ADDR_LEN 6
#define DLT645_ADDR_DIGITS 12
#define DLT645_DATA_MAX 200           /* L is at most 200 (4.1.6) */
#define DLT645_PREAMBLE_LEN 4         /* FE FE FE FE wake-up */
#define DLT645_OVERHEAD 12            /* 68 A*6 68 C L CS 16 */
#define DLT645_FRAME_MAX (DLT645_PREAMBLE_LEN + DLT645_OVERHEAD + DLT645_DATA_MAX)

#define DLT645_C_READ 0x11            /* read data */
#define DLT645_C_READ_ADDR 0x13       /* read communication address */
#define DLT645_C_REPLY 0x80           /* D7: a slave's reply */
#define DLT645_C_ERROR 0x40           /* D6: abnormal reply, data = error byte */

/* A frame with the 0x33 offset removed from its data. */
struct dlt645_frame {
	uint8_t addr[DLT645_ADDR_LEN]; /* A0..A5 as on the wire */
	uint8_t control;
	uint8_t len;                   /* data bytes, 0..200 */
	uint8_t data[DLT645_DATA_MAX];
};

/* A data format such as "XXXXXX.XX": bytes of BCD, decimals after the point,
 * and whether the top bit of the last byte is a sign. */
struct dlt645_format {
	uint8_t bytes;                 /* 1..8 */
	uint8_t decimals;              /* 0..2*bytes */
	uint8_t is_signed;
};

/* "123456789012" (12 decimal digits, most significant first) to A0..A5;
 * "AAAAAAAAAAAA" is the broadcast address. GFI_OK or GFI_E_INVAL. */
int dlt645_addr_parse(const char *text, uint8_t addr[DLT645_ADDR_LEN]);
/* A0..A5 as 12 characters and a NUL into out (13 bytes). */
void dlt645_addr_format(const uint8_t addr[DLT645_ADDR_LEN], char *out);

/* Build a frame with the wake-up preamble into out (cap bytes): data
 * (len <= 200) is offset by 0x33. Returns its length, 0 if cap is short. */
size_t dlt645_build(const uint8_t addr[DLT645_ADDR_LEN], uint8_t control,
		    const uint8_t *data, size_t len, uint8_t *out, size_t cap);
/* A read-data request (0x11) for identifier di (DI3..DI0 as written in the
 * standard, e.g. 0x00010000); a read-address request (0x13) to AA..AA. */
size_t dlt645_build_read(const uint8_t addr[DLT645_ADDR_LEN], uint32_t di,
			 uint8_t *out, size_t cap);
size_t dlt645_build_read_addr(uint8_t *out, size_t cap);

enum dlt645_scan_result {
	DLT645_SCAN_NEED = 0,   /* no whole frame yet: drop *consumed, read more */
	DLT645_SCAN_FRAME = 1,  /* *f holds a frame ending at *consumed */
};

/* Find the first well-formed frame in buf[0..len), skipping garbage, stray
 * 68s and frames with a wrong checksum or end byte (resynchronising). FRAME:
 * *f is filled and *consumed is the offset just past it. NEED: *consumed
 * bytes before the first possible frame start are garbage and can go.
 * *bad (may be NULL) is incremented per complete frame with a bad checksum. */
int dlt645_scan(const uint8_t *buf, size_t len, struct dlt645_frame *f,
		size_t *consumed, unsigned *bad);

/* Parse "XXXXXX.XX" (X digits, at most one '.', an even count of X, 2..16)
 * into *fmt with is_signed. GFI_OK or GFI_E_INVAL. */
int dlt645_format_parse(const char *text, int is_signed,
			struct dlt645_format *fmt);
/* Decode fmt->bytes of data (offset removed, least significant byte first)
 * to a value. GFI_E_RANGE when a nibble is not a decimal digit (a meter's
 * FF "no data" filler). Up to 15 digits every value is exact (the double
 * nearest the decimal); 16 digits beyond 2^53 units round to a double. */
int dlt645_bcd_decode(const struct dlt645_format *fmt, const uint8_t *data,
		      double *value);
/* Encode value (rounded to the format's decimals) into fmt->bytes bytes.
 * GFI_E_RANGE when it does not fit (or is negative and fmt unsigned). */
int dlt645_bcd_encode(const struct dlt645_format *fmt, double value,
		      uint8_t *data);
/* The value a reader decodes after encoding value: rounded, clamped to the
 * format's range (as a saturating display); NaN stays NaN. */
double dlt645_representable(const struct dlt645_format *fmt, double value);

/* Parse "00010000" (8 hex digits, DI3..DI0) into *di. GFI_OK/GFI_E_INVAL. */
int dlt645_di_parse(const char *text, uint32_t *di);

#endif
