/*
 * regcodec.h — Modbus register words <-> numbers, by type and word/byte order.
 *
 * Registers arrive as 16-bit words in address order. The order names the
 * bytes of the value as they appear on the wire, A being the most significant:
 *   ABCD  big endian (high word first)            "float, high word first"
 *   CDAB  word swapped (low word first)           mbpoll's default for floats
 *   BADC  byte swapped within each word
 *   DCBA  little endian (both swapped)
 * For 64-bit types the same two flags apply (ABCD = all words high first,
 * CDAB = words reversed, ...). For 16-bit types only the byte swap matters.
 */
#ifndef GFI_REGCODEC_H
#define GFI_REGCODEC_H

#include <stddef.h>
#include <stdint.h>

enum gfi_regtype {
	GFI_T_U16, GFI_T_I16, GFI_T_U32, GFI_T_I32,
	GFI_T_U64, GFI_T_I64, GFI_T_F32, GFI_T_F64,
	GFI_T_BOOL, /* one coil or discrete input */
};

enum gfi_order { GFI_ORDER_ABCD, GFI_ORDER_CDAB, GFI_ORDER_BADC, GFI_ORDER_DCBA };

/* Parse "u16".."f64", "bool" / "ABCD".."DCBA"; GFI_OK or GFI_E_INVAL. */
int gfi_regtype_parse(const char *s, enum gfi_regtype *out);
int gfi_order_parse(const char *s, enum gfi_order *out);
const char *gfi_regtype_name(enum gfi_regtype t);
const char *gfi_order_name(enum gfi_order o);

/* Registers one value occupies (1, 2 or 4; 1 for BOOL, meaning one bit). */
unsigned gfi_regtype_words(enum gfi_regtype t);

/* Decode gfi_regtype_words(t) words into *value (raw, before scale).
 * Integers above 2^53 in magnitude are rounded to the nearest double (the
 * relative error is below 1.2e-16; see docs). GFI_E_RANGE for NaN or
 * infinite floats (a meter's "no value"). For BOOL, words[0] is 0 or 1. */
int gfi_reg_decode(enum gfi_regtype t, enum gfi_order o,
		   const uint16_t *words, double *value);

/* Encode value into words (inverse of decode): integers are rounded to
 * nearest and must fit the type (GFI_E_RANGE otherwise); floats are stored
 * as the nearest float or double. */
int gfi_reg_encode(enum gfi_regtype t, enum gfi_order o, double value,
		   uint16_t *words);

/* Largest raw value the type can hold (for counter rollover), e.g. 65535
 * for u16, 2^32-1 for u32; 0 for floats and BOOL. */
double gfi_regtype_max(enum gfi_regtype t);

#endif
