/*
 * quantity.h — the one table of quantity kinds both programs use.
 *
 * A quantity kind names what a point measures, its unit, and whether it is a
 * counter (cumulative, only grows: kWh, m3, t, pieces; period totals are
 * differences) or a gauge (instantaneous: kW, m3/h, mg/m3; period totals are
 * time integrals). Names use only [a-z0-9_] and are part of the wire format.
 */
#ifndef GFI_QUANTITY_H
#define GFI_QUANTITY_H

#include <stddef.h>

enum gfi_qkind { GFI_COUNTER, GFI_GAUGE };

struct gfi_quantity {
	const char *name;   /* wire name, e.g. "elec_import_kwh" */
	const char *unit;   /* unit after the profile's scale, e.g. "kWh" */
	enum gfi_qkind kind;
	const char *zh;     /* Chinese label for reports and dashboards */
	const char *en;     /* English label */
};

/* The entry named name, or NULL. */
const struct gfi_quantity *gfi_quantity_find(const char *name);
/* Number of entries, and entry i (0 <= i < count). */
size_t gfi_quantity_count(void);
const struct gfi_quantity *gfi_quantity_at(size_t i);

#endif
