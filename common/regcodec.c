/*
 * regcodec.c — Modbus register words <-> numbers, by type and word order.
 *
 * Every multi-word value is first put into canonical form: a 64-bit unsigned
 * integer holding the value's bytes A (most significant) .. H in order. The
 * order then only says how the wire words map to that form:
 *   word swap (CDAB, DCBA): the word sequence is reversed;
 *   byte swap (BADC, DCBA): the two bytes inside each word are exchanged.
 * For 16-bit types there is one word, so only the byte swap matters.
 *
 * Invariants: decode(encode(v)) == v for every v the type represents exactly;
 * floats are reinterpreted with memcpy (no aliasing UB); decode never yields
 * NaN or infinity (GFI_E_RANGE instead); encode never converts a double that
 * is out of the target's range (that would be undefined behaviour in C).
 */
#include "regcodec.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "error.h"

static const char *const type_names[] = {
	"u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64", "bool",
};
static const char *const order_names[] = { "ABCD", "CDAB", "BADC", "DCBA" };

#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))
#define NORDERS (sizeof(order_names) / sizeof(order_names[0]))

/* 2^64 and 2^63 exactly, as doubles. */
#define TWO_64 18446744073709551616.0
#define TWO_63 9223372036854775808.0

/* The index of s in names[0..n), or -1 (also for NULL). */
static int name_index(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; s != NULL && i < n; i++) {
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	}
	return -1;
}

int gfi_regtype_parse(const char *s, enum gfi_regtype *out)
{
	int i = name_index(s, type_names, NTYPES);

	if (i >= 0)
		*out = (enum gfi_regtype)i;
	return i >= 0 ? GFI_OK : GFI_E_INVAL;
}

int gfi_order_parse(const char *s, enum gfi_order *out)
{
	int i = name_index(s, order_names, NORDERS);

	if (i >= 0)
		*out = (enum gfi_order)i;
	return i >= 0 ? GFI_OK : GFI_E_INVAL;
}

const char *gfi_regtype_name(enum gfi_regtype t)
{
	return (unsigned)t < NTYPES ? type_names[t] : "?";
}

const char *gfi_order_name(enum gfi_order o)
{
	return (unsigned)o < NORDERS ? order_names[o] : "?";
}

unsigned gfi_regtype_words(enum gfi_regtype t)
{
	switch (t) {
	case GFI_T_U32: case GFI_T_I32: case GFI_T_F32:
		return 2;
	case GFI_T_U64: case GFI_T_I64: case GFI_T_F64:
		return 4;
	default:
		return 1;
	}
}

double gfi_regtype_max(enum gfi_regtype t)
{
	switch (t) {
	case GFI_T_U16: return 65535.0;
	case GFI_T_I16: return 32767.0;
	case GFI_T_U32: return 4294967295.0;
	case GFI_T_I32: return 2147483647.0;
	case GFI_T_U64: return TWO_64 - 1.0; /* rounds to 2^64 as a double */
	case GFI_T_I64: return TWO_63 - 1.0; /* rounds to 2^63 as a double */
	default: return 0.0;
	}
}

static int word_swapped(enum gfi_order o)
{
	return o == GFI_ORDER_CDAB || o == GFI_ORDER_DCBA;
}

static int byte_swapped(enum gfi_order o)
{
	return o == GFI_ORDER_BADC || o == GFI_ORDER_DCBA;
}

static uint16_t bswap16(uint16_t w)
{
	return (uint16_t)((w << 8) | (w >> 8));
}

/* Wire words -> canonical bits (A in the most significant byte). */
static uint64_t words_to_bits(enum gfi_order o, const uint16_t *words,
			      unsigned n)
{
	uint64_t bits = 0;

	for (unsigned i = 0; i < n; i++) {
		uint16_t w = words[word_swapped(o) ? n - 1 - i : i];
		if (byte_swapped(o))
			w = bswap16(w);
		bits = (bits << 16) | w;
	}
	return bits;
}

/* Canonical bits -> wire words; exact inverse of words_to_bits. */
static void bits_to_words(enum gfi_order o, uint64_t bits, uint16_t *words,
			  unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		/* canonical word i, counting from the most significant */
		uint16_t w = (uint16_t)(bits >> (16 * (n - 1 - i)));
		if (byte_swapped(o))
			w = bswap16(w);
		words[word_swapped(o) ? n - 1 - i : i] = w;
	}
}

static int valid_args(enum gfi_regtype t, enum gfi_order o)
{
	return (unsigned)t < NTYPES && (unsigned)o < NORDERS;
}

static int decode_float(enum gfi_regtype t, uint64_t bits, double *value)
{
	double v;

	if (t == GFI_T_F32) {
		uint32_t b32 = (uint32_t)bits;
		float f;
		memcpy(&f, &b32, sizeof(f));
		v = (double)f;
	} else {
		memcpy(&v, &bits, sizeof(v));
	}
	if (!isfinite(v))
		return GFI_E_RANGE;
	*value = v;
	return GFI_OK;
}

int gfi_reg_decode(enum gfi_regtype t, enum gfi_order o,
		   const uint16_t *words, double *value)
{
	if (!valid_args(t, o) || words == NULL || value == NULL)
		return GFI_E_INVAL;
	if (t == GFI_T_BOOL) {
		/* libmodbus gives bits as 0/1; any non-zero counts as set. */
		*value = words[0] != 0 ? 1.0 : 0.0;
		return GFI_OK;
	}
	uint64_t bits = words_to_bits(o, words, gfi_regtype_words(t));

	switch (t) {
	case GFI_T_U16: *value = (double)(uint16_t)bits; return GFI_OK;
	case GFI_T_I16: *value = (double)(int16_t)(uint16_t)bits; return GFI_OK;
	case GFI_T_U32: *value = (double)(uint32_t)bits; return GFI_OK;
	case GFI_T_I32: *value = (double)(int32_t)(uint32_t)bits; return GFI_OK;
	/* C converts a 64-bit integer to the nearest double (round to nearest,
	 * ties to even, in the default rounding mode). */
	case GFI_T_U64: *value = (double)bits; return GFI_OK;
	case GFI_T_I64: {
		int64_t s;
		memcpy(&s, &bits, sizeof(s)); /* two's complement, no UB */
		*value = (double)s;
		return GFI_OK;
	}
	default:
		return decode_float(t, bits, value);
	}
}

static int encode_int(enum gfi_regtype t, double value, uint64_t *bits)
{
	/* Bounds as [lo, hi) so that 2^63 and 2^64 are exact doubles. */
	static const struct { double lo, hi; } lim[] = {
		[GFI_T_U16] = { 0.0, 65536.0 },
		[GFI_T_I16] = { -32768.0, 32768.0 },
		[GFI_T_U32] = { 0.0, 4294967296.0 },
		[GFI_T_I32] = { -2147483648.0, 2147483648.0 },
		[GFI_T_U64] = { 0.0, TWO_64 },
		[GFI_T_I64] = { -TWO_63, TWO_63 },
	};
	double r;
	int64_t s;

	if (!isfinite(value))
		return GFI_E_RANGE;
	r = round(value);
	if (r < lim[t].lo || r >= lim[t].hi)
		return GFI_E_RANGE;
	if (t == GFI_T_U64) {
		*bits = (uint64_t)r;
		return GFI_OK;
	}
	/* Signed types: two's complement in the type's width. */
	s = (int64_t)r;
	*bits = (uint64_t)s;
	if (gfi_regtype_words(t) == 1)
		*bits &= 0xffffu;
	else if (gfi_regtype_words(t) == 2)
		*bits &= 0xffffffffu;
	return GFI_OK;
}

static int encode_float(enum gfi_regtype t, double value, uint64_t *bits)
{
	if (t == GFI_T_F32) {
		/* A finite double beyond FLT_MAX has no float (and converting
		 * it would be undefined); NaN and infinity pass through so the
		 * simulator can play a meter that reports "no value". */
		if (isfinite(value) && fabs(value) > FLT_MAX)
			return GFI_E_RANGE;
		float f = (float)value;
		uint32_t b32;
		memcpy(&b32, &f, sizeof(b32));
		*bits = b32;
	} else {
		memcpy(bits, &value, sizeof(*bits));
	}
	return GFI_OK;
}

int gfi_reg_encode(enum gfi_regtype t, enum gfi_order o, double value,
		   uint16_t *words)
{
	uint64_t bits = 0;
	int ret;

	if (!valid_args(t, o) || words == NULL)
		return GFI_E_INVAL;
	switch (t) {
	case GFI_T_BOOL:
		if (value != 0.0 && value != 1.0)
			return GFI_E_RANGE;
		words[0] = value != 0.0 ? 1 : 0;
		return GFI_OK;
	case GFI_T_F32: case GFI_T_F64:
		ret = encode_float(t, value, &bits);
		break;
	default:
		ret = encode_int(t, value, &bits);
		break;
	}
	if (ret != GFI_OK)
		return ret;
	bits_to_words(o, bits, words, gfi_regtype_words(t));
	return GFI_OK;
}
