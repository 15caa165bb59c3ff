/*
 * reading.c — status names for readings. The names are part of the wire
 * format and of the agent's printed output; never rename one.
 */
#include "reading.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static const char *const names[] = {
	[GFI_ST_OK] = "ok",
	[GFI_ST_TIMEOUT] = "timeout",
	[GFI_ST_EXCEPTION] = "exception",
	[GFI_ST_COMM] = "comm-error",
	[GFI_ST_DECODE] = "decode-error",
	[GFI_ST_BACKWARDS] = "backwards",
	[GFI_ST_JUMP] = "jump",
	[GFI_ST_ROLLOVER] = "rollover",
};
#define NNAMES ((int)(sizeof(names) / sizeof(names[0])))

const char *gfi_status_format(int status, int detail, char *buf, size_t len)
{
	if (status < 0 || status >= NNAMES)
		snprintf(buf, len, "unknown");
	else if (status == GFI_ST_EXCEPTION)
		snprintf(buf, len, "exception-%d", detail);
	else
		snprintf(buf, len, "%s", names[status]);
	return buf;
}

int gfi_status_parse(const char *text, int *status, int *detail)
{
	if (strncmp(text, "exception-", 10) == 0) {
		char *end;
		long code = strtol(text + 10, &end, 10);
		if (end == text + 10 || *end != '\0' || code < 1 || code > 255)
			return GFI_E_PARSE;
		*status = GFI_ST_EXCEPTION;
		*detail = (int)code;
		return GFI_OK;
	}
	for (int i = 0; i < NNAMES; i++) {
		if (i != GFI_ST_EXCEPTION && strcmp(text, names[i]) == 0) {
			*status = i;
			*detail = 0;
			return GFI_OK;
		}
	}
	return GFI_E_PARSE;
}

int gfi_status_has_value(int status)
{
	return status == GFI_ST_OK || status == GFI_ST_BACKWARDS ||
	       status == GFI_ST_JUMP || status == GFI_ST_ROLLOVER;
}
