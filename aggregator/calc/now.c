/*
 * now.c — the one "now" of the aggregator (see now.h).
 *
 * The pin is written once, by the command line, before the HTTP or MQTT
 * threads exist; after that it is only read, so no lock is needed.
 */
#include "now.h"

#include <time.h>

static int pinned;
static int64_t pinned_s;

int64_t agg_now_s(void)
{
	return pinned ? pinned_s : (int64_t)time(NULL);
}

void agg_now_pin(int64_t t)
{
	pinned_s = t;
	pinned = 1;
}
