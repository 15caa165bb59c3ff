/*
 * dlt645.c — DL/T 645-2007 framing and BCD data formats, no I/O.
 *
 * One owner for the protocol's bytes, so the agent's 645 lines and the
 * simulator cannot disagree: both build and scan frames here. The scanner
 * is the line's resynchronisation: an RS-485 line delivers wake-up bytes,
 * echoes, noise, half frames from a previous timeout and replies of other
 * meters, so every candidate start (0x68) is checked for the second 68, a
 * length within 200, its checksum and the end byte 16 before it is taken.
 *
 * Invariants: a frame returned by dlt645_scan passed all those checks; BCD
 * decoding refuses any nibble above 9 instead of guessing; a decoded value
 * is the integer of its digits divided by 10^decimals, so it is the double
 * nearest the decimal the meter sent.
 */
#include "dlt645.h"

#include <math.h>
#include <string.h>

#include "error.h"

#define START 0x68
#define END 0x16
#define OFFSET 0x33
#define HEADER 10   /* 68 A0..A5 68 C L */

int dlt645_addr_parse(const char *text, uint8_t addr[DLT645_ADDR_LEN])
{
	if (text == NULL || strlen(text) != DLT645_ADDR_DIGITS)
		return GFI_E_INVAL;
	if (strcmp(text, "AAAAAAAAAAAA") == 0) {
		memset(addr, 0xAA, DLT645_ADDR_LEN);
		return GFI_OK;
	}
	for (int i = 0; i < DLT645_ADDR_DIGITS; i++) {
		if (text[i] < '0' || text[i] > '9')
			return GFI_E_INVAL;
	}
	for (int i = 0; i < DLT645_ADDR_LEN; i++) {
		/* A0 holds the last two digits of the printed address. */
		const char *p = text + DLT645_ADDR_DIGITS - 2 * (i + 1);
		addr[i] = (uint8_t)(((p[0] - '0') << 4) | (p[1] - '0'));
	}
	return GFI_OK;
}

void dlt645_addr_format(const uint8_t addr[DLT645_ADDR_LEN], char *out)
{
	static const char hex[] = "0123456789ABCDEF";

	for (int i = 0; i < DLT645_ADDR_LEN; i++) {
		uint8_t b = addr[DLT645_ADDR_LEN - 1 - i];
		out[2 * i] = hex[b >> 4];
		out[2 * i + 1] = hex[b & 0x0F];
	}
	out[DLT645_ADDR_DIGITS] = '\0';
}

size_t dlt645_build(const uint8_t addr[DLT645_ADDR_LEN], uint8_t control,
		    const uint8_t *data, size_t len, uint8_t *out, size_t cap)
{
	size_t n = DLT645_PREAMBLE_LEN + DLT645_OVERHEAD + len;
	uint8_t *f = out + DLT645_PREAMBLE_LEN;
	uint8_t cs = 0;

	if (len > DLT645_DATA_MAX || cap < n)
		return 0;
	memset(out, 0xFE, DLT645_PREAMBLE_LEN);
	f[0] = START;
	memcpy(f + 1, addr, DLT645_ADDR_LEN);
	f[7] = START;
	f[8] = control;
	f[9] = (uint8_t)len;
	for (size_t i = 0; i < len; i++)
		f[HEADER + i] = (uint8_t)(data[i] + OFFSET);
	for (size_t i = 0; i < HEADER + len; i++)
		cs = (uint8_t)(cs + f[i]);
	f[HEADER + len] = cs;
	f[HEADER + len + 1] = END;
	return n;
}

size_t dlt645_build_read(const uint8_t addr[DLT645_ADDR_LEN], uint32_t di,
			 uint8_t *out, size_t cap)
{
	/* DI0 travels first (DL/T 645-2007, 7.1). */
	uint8_t data[4] = { (uint8_t)di, (uint8_t)(di >> 8), (uint8_t)(di >> 16),
			    (uint8_t)(di >> 24) };

	return dlt645_build(addr, DLT645_C_READ, data, sizeof(data), out, cap);
}

size_t dlt645_build_read_addr(uint8_t *out, size_t cap)
{
	static const uint8_t broadcast[DLT645_ADDR_LEN] = {
		0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,
	};

	return dlt645_build(broadcast, DLT645_C_READ_ADDR, NULL, 0, out, cap);
}

/* Whether a whole, well-formed frame starts at p (avail bytes there):
 * 1 yes, 0 no (garbage), -1 maybe (too few bytes to tell); bad checksum
 * or end byte counts in *bad. */
static int frame_at(const uint8_t *p, size_t avail, unsigned *bad)
{
	uint8_t cs = 0;
	size_t total;

	if (avail < HEADER)
		return avail > 7 && p[7] != START ? 0 : -1;
	if (p[7] != START || p[9] > DLT645_DATA_MAX)
		return 0;
	total = DLT645_OVERHEAD + p[9];
	if (avail < total)
		return -1;
	for (size_t i = 0; i < total - 2; i++)
		cs = (uint8_t)(cs + p[i]);
	if (p[total - 2] != cs || p[total - 1] != END) {
		if (bad != NULL)
			(*bad)++;
		return 0;
	}
	return 1;
}

int dlt645_scan(const uint8_t *buf, size_t len, struct dlt645_frame *f,
		size_t *consumed, unsigned *bad)
{
	size_t first_partial = len;

	for (size_t i = 0; i < len; i++) {
		int r;

		if (buf[i] != START)
			continue;
		r = frame_at(buf + i, len - i, bad);
		if (r < 0 && first_partial == len)
			first_partial = i;
		if (r <= 0)
			continue;
		memcpy(f->addr, buf + i + 1, DLT645_ADDR_LEN);
		f->control = buf[i + 8];
		f->len = buf[i + 9];
		for (size_t k = 0; k < f->len; k++)
			f->data[k] = (uint8_t)(buf[i + HEADER + k] - OFFSET);
		*consumed = i + DLT645_OVERHEAD + f->len;
		return DLT645_SCAN_FRAME;
	}
	*consumed = first_partial;
	return DLT645_SCAN_NEED;
}

int dlt645_format_parse(const char *text, int is_signed,
			struct dlt645_format *fmt)
{
	unsigned digits = 0, decimals = 0;
	int point = 0;

	if (text == NULL)
		return GFI_E_INVAL;
	for (const char *c = text; *c != '\0'; c++) {
		if (*c == 'X') {
			digits++;
			decimals += point;
		} else if (*c == '.' && !point && digits > 0 && c[1] == 'X') {
			point = 1;
		} else {
			return GFI_E_INVAL;
		}
	}
	if (digits < 2 || digits > 16 || digits % 2 != 0)
		return GFI_E_INVAL;
	fmt->bytes = (uint8_t)(digits / 2);
	fmt->decimals = (uint8_t)decimals;
	fmt->is_signed = is_signed ? 1 : 0;
	return GFI_OK;
}

int dlt645_bcd_decode(const struct dlt645_format *fmt, const uint8_t *data,
		      double *value)
{
	int64_t n = 0;
	int negative = 0;

	for (int i = fmt->bytes - 1; i >= 0; i--) {
		uint8_t b = data[i];
		if (i == fmt->bytes - 1 && fmt->is_signed) {
			negative = (b & 0x80) != 0;
			b &= 0x7F;
		}
		if ((b >> 4) > 9 || (b & 0x0F) > 9)
			return GFI_E_RANGE;
		n = n * 100 + (b >> 4) * 10 + (b & 0x0F);
	}
	/* Both exact, so the quotient is the double nearest the decimal. */
	*value = (double)n / pow(10.0, fmt->decimals);
	if (negative)
		*value = -*value;
	return GFI_OK;
}

/* The largest magnitude the format holds, in units of its last digit:
 * a signed format loses the top bit, so its first digit is at most 7. */
static double max_units(const struct dlt645_format *fmt)
{
	double all = pow(10.0, 2 * fmt->bytes) - 1;

	return fmt->is_signed ? 8.0 * pow(10.0, 2 * fmt->bytes - 1) - 1 : all;
}

int dlt645_bcd_encode(const struct dlt645_format *fmt, double value,
		      uint8_t *data)
{
	double units;
	uint64_t n;

	if (!isfinite(value) || (value < 0 && !fmt->is_signed))
		return GFI_E_RANGE;
	units = round(fabs(value) * pow(10.0, fmt->decimals));
	if (units > max_units(fmt))
		return GFI_E_RANGE;
	n = (uint64_t)units;
	for (int i = 0; i < fmt->bytes; i++) {
		data[i] = (uint8_t)(((n / 10 % 10) << 4) | (n % 10));
		n /= 100;
	}
	if (value < 0 && units > 0)
		data[fmt->bytes - 1] |= 0x80;
	return GFI_OK;
}

double dlt645_representable(const struct dlt645_format *fmt, double value)
{
	double scale = pow(10.0, fmt->decimals);
	double units, lo;

	if (isnan(value))
		return value;
	units = round(value * scale);
	lo = fmt->is_signed ? -max_units(fmt) : 0;
	if (units < lo)
		units = lo;
	if (units > max_units(fmt))
		units = max_units(fmt);
	return units / scale;
}

int dlt645_di_parse(const char *text, uint32_t *di)
{
	uint32_t v = 0;

	if (text == NULL || strlen(text) != 8)
		return GFI_E_INVAL;
	for (int i = 0; i < 8; i++) {
		char c = text[i];
		int d = c >= '0' && c <= '9' ? c - '0'
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
			: c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return GFI_E_INVAL;
		v = (v << 4) | (uint32_t)d;
	}
	*di = v;
	return GFI_OK;
}
