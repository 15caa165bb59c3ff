/*
 * profile.h — a meter model's register map, loaded from a JSON profile.
 *
 * A profile (firmware-config/profiles/<vendor>-<model>.json) lists the points
 * of one meter model: name, quantity kind, Modbus function, address, type,
 * word order, scale, offset and unit. value = raw * scale + offset, in the
 * quantity's unit. The agent decodes with it and gfi-meter-sim encodes with
 * it, so every profile is tested against its own encoding.
 *
 * JSON form (see docs/profiles.md):
 * { "id": "eastron-sdm630", "vendor": "Eastron", "model": "SDM630-Modbus V2",
 *   "source": "manual, section", "max_gap": 8,
 *   "points": [ { "name": "import_kwh", "quantity": "elec_import_kwh",
 *     "function": "input", "address": 72, "type": "f32", "order": "ABCD",
 *     "scale": 1, "offset": 0, "unit": "kWh" } ] }
 * Addresses are protocol addresses (0-based), not 3xxxx/4xxxx numbers.
 */
#ifndef GFI_PROFILE_H
#define GFI_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "dlt645.h"
#include "quantity.h"
#include "reading.h"
#include "regcodec.h"

#define GFI_PROFILE_MAX_POINTS 256
#define GFI_PROFILE_MAX_BYTES (256 * 1024)

enum gfi_function {
	GFI_FN_COIL = 1,     /* function 01 */
	GFI_FN_DISCRETE = 2, /* function 02 */
	GFI_FN_HOLDING = 3,  /* function 03 */
	GFI_FN_INPUT = 4,    /* function 04 */
};

/* The wire protocol a profile describes (its "protocol", default modbus). */
enum gfi_protocol { GFI_PROTO_MODBUS = 0, GFI_PROTO_DLT645 = 1 };

/* Which transformer ratios a meter's multiplier applies to a point (its
 * "ratio"): the meter shows secondary values, the plant's are these times
 * the CT ratio (current), the PT ratio (voltage) or both (energy, power). */
enum gfi_ratio { GFI_RATIO_NONE = 0, GFI_RATIO_CT, GFI_RATIO_PT, GFI_RATIO_CT_PT };

struct gfi_point {
	char name[GFI_ID_MAX];
	const struct gfi_quantity *quantity; /* from the common table */
	enum gfi_function function;
	uint16_t address;        /* protocol address, 0..65535 */
	enum gfi_regtype type;
	enum gfi_order order;
	double scale;            /* non-zero */
	double offset;
	char unit[16];           /* must equal quantity->unit */
	double counter_max;      /* value at which a counter wraps to 0:
				    (type max + 1) * scale, or the profile's
				    "counter_max"; 0 for gauges and floats */
	enum gfi_ratio ratio;    /* multiplier applied by the agent, if any */
	/* DL/T 645 points (profile protocol dlt645) instead of function,
	 * address, type and order: */
	uint32_t di;             /* data identifier DI3..DI0, e.g. 0x00010000 */
	struct dlt645_format format; /* BCD bytes, decimals, sign bit */
};

struct gfi_profile {
	char id[64];             /* file stem, e.g. "eastron-sdm630" */
	char vendor[64];
	char model[64];
	char source[512];        /* manual and section the map comes from */
	enum gfi_protocol protocol;
	unsigned max_gap;        /* unused registers a read may span, 0..125 */
	size_t npoints;
	struct gfi_point *points;
};

/* Parse a profile from JSON text. Errors name the field with the prefix
 * `what` (e.g. "profile eastron-sdm630: points[3].type: ..."). The caller
 * frees *out with gfi_profile_free. Checks: types, ranges, unique names,
 * quantity known and unit matching, no overlapping points per function,
 * BOOL only with coil/discrete and vice versa. */
int gfi_profile_parse(const char *json, size_t len, const char *what,
		      struct gfi_profile **out, char *err, size_t errlen);
/* Load dir/<id>.json; id must be a valid id (no path separators). */
int gfi_profile_load(const char *dir, const char *id,
		     struct gfi_profile **out, char *err, size_t errlen);
void gfi_profile_free(struct gfi_profile *p);

/* The point named name, or NULL. */
const struct gfi_point *gfi_profile_point(const struct gfi_profile *p,
					  const char *name);

/* Registers (or bits, for BOOL) the point occupies; for a DL/T 645 point
 * the 16-bit words its BCD bytes fill (two bytes a word, first byte low). */
unsigned gfi_point_width(const struct gfi_point *pt);

/* Decode the point's words (or bit, words[0] 0/1) to its scaled value.
 * GFI_E_RANGE for NaN/Inf (or a BCD nibble above 9). A DL/T 645 point's
 * words carry its data bytes as gfi_point_width says. */
int gfi_point_decode(const struct gfi_point *pt, const uint16_t *words,
		     double *value);
/* Encode a scaled value into the point's words (simulator side). */
int gfi_point_encode(const struct gfi_point *pt, double value, uint16_t *words);
/* The value the point can actually represent closest to value: what a reader
 * will decode after encode (rounding of scaled integers, float precision). */
double gfi_point_representable(const struct gfi_point *pt, double value);

/* A DL/T 645 point's value from / into its data bytes (offset removed,
 * least significant first, pt->format.bytes of them). GFI_E_RANGE as above. */
int gfi_point_decode_bcd(const struct gfi_point *pt, const uint8_t *data,
			 double *value);
int gfi_point_encode_bcd(const struct gfi_point *pt, double value,
			 uint8_t *data);

#endif
