/*
 * dtu.h — where 4G DTUs dial in: the listeners of the dtu-listen lines.
 *
 * A DTU connects out to the gateway and first sends its registration
 * packet; that packet (configured per line) says which line the connection
 * serves. One thread accepts on every distinct bind address and port (DTUs
 * of several lines may share one), reads each new connection's
 * registration within DTU_REGISTER_TIMEOUT_MS and hands the connection to
 * its line; an unknown registration is logged and closed. The line's worker
 * takes it at its next poll (a reconnecting DTU's new connection replaces
 * the old one).
 */
#ifndef GFI_AGENT_DTU_H
#define GFI_AGENT_DTU_H

#include <stddef.h>

#include "config.h"

#define DTU_REGISTER_TIMEOUT_MS 5000

struct dtu_hub;

/* Listen for every dtu-listen line of cfg (borrowed; must outlive the
 * hub) and start the thread. *out is NULL when cfg has none. GFI_OK, or
 * GFI_E_IO with a line naming the line in err (cannot listen). */
int dtu_hub_start(const struct agent_config *cfg, struct dtu_hub **out,
		  char *err, size_t errlen);

/* The connection registered for line index `line` since the last call,
 * or -1; the caller owns it. Accepts a NULL hub. */
int dtu_hub_take(struct dtu_hub *h, size_t line);

/* Stop the thread, close listeners and connections not taken; accepts
 * NULL. */
void dtu_hub_stop(struct dtu_hub *h);

#endif
