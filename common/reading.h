/*
 * reading.h — one reading of one point of one meter, and its status.
 *
 * A reading always exists once a read was attempted: a timeout is a reading
 * with status TIMEOUT and no value, so gaps are explicit, never silent.
 */
#ifndef GFI_READING_H
#define GFI_READING_H

#include <stddef.h>
#include <stdint.h>

#define GFI_ID_MAX 32     /* meter and point ids, including the NUL */
#define GFI_QNAME_MAX 32  /* quantity names, including the NUL */

enum gfi_status {
	GFI_ST_OK = 0,        /* value valid */
	GFI_ST_TIMEOUT = 1,   /* no reply in time; no value */
	GFI_ST_EXCEPTION = 2, /* Modbus exception; detail = exception code */
	GFI_ST_COMM = 3,      /* other transport error (CRC, bad slave, I/O) */
	GFI_ST_DECODE = 4,    /* reply decoded to NaN or infinity; no value */
	GFI_ST_BACKWARDS = 5, /* implausible: counter lower than before; value as read */
	GFI_ST_JUMP = 6,      /* implausible: counter rose faster than max rate */
	GFI_ST_ROLLOVER = 7,  /* counter wrapped at its register maximum; value as read */
};

struct gfi_reading {
	char meter[GFI_ID_MAX];
	char point[GFI_ID_MAX];
	char quantity[GFI_QNAME_MAX];
	int64_t time_s;    /* UTC epoch seconds when the read started */
	double value;      /* in the quantity's unit; NaN when the status has none */
	int status;        /* enum gfi_status */
	int detail;        /* exception code for GFI_ST_EXCEPTION, else 0 */
};

/* Format status as "ok", "timeout", "exception-2", "comm-error",
 * "decode-error", "backwards", "jump", "rollover" into buf. */
const char *gfi_status_format(int status, int detail, char *buf, size_t len);
/* Parse the text above; 0 or GFI_E_PARSE. */
int gfi_status_parse(const char *text, int *status, int *detail);
/* Whether this status carries a value (OK and the implausible ones do). */
int gfi_status_has_value(int status);

#endif
