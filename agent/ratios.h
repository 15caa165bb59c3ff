/*
 * ratios.h — each meter's multiplier as last polled, and the counter events
 * a change of it makes.
 *
 * A multiplier (倍率: CT ratio × PT ratio) changes what a counter means at
 * the instant it changes, like a meter replacement. The agent keeps the
 * ratios each meter was last polled with in <data_dir>/multipliers.json;
 * when the configuration (at start or on SIGHUP) gives a meter other
 * ratios, the first reading of each of its multiplied counter points makes
 * a counter event (batch.h, struct gfi_batch_event): the register in the
 * old meaning (old_final) and in the new one (new_initial, the reading's
 * value) at the reading's time. Events wait in the same file (at most
 * RATIOS_MAX_EVENTS, oldest dropped) for the uplink to send them in a
 * batch's "events"; each is also logged with the city's command that
 * registers it by hand.
 *
 * Thread rule: one struct ratios per configuration generation, shared by
 * its line workers; every call takes its mutex.
 */
#ifndef GFI_AGENT_RATIOS_H
#define GFI_AGENT_RATIOS_H

#include <stddef.h>

#include "batch.h"
#include "config.h"
#include "reading.h"

#define RATIOS_MAX_EVENTS 1024

struct ratios;

/* Load <data_dir>/multipliers.json (absent: a first start, nothing
 * changed) and compare with cfg (borrowed; must outlive it): meters whose
 * ratios differ become pending. A meter seen for the first time is recorded
 * at once. GFI_OK, GFI_E_NOMEM, GFI_E_IO (file unreadable or unwritable),
 * GFI_E_PARSE (a damaged file: the error names it; fix or delete it). */
int ratios_open(const struct agent_config *cfg, struct ratios **out,
		char *err, size_t errlen);
void ratios_close(struct ratios *r);

/* Meter cfg->meters[meter] was polled into out[0..npoints): for a pending
 * meter that answered, each multiplied counter point with a value makes its
 * event (one without a value is logged: register it by hand) and the
 * meter's new ratios are stored. Returns the number of events made. */
int ratios_after_poll(struct ratios *r, size_t meter,
		      const struct gfi_reading *out);

/* Whether meter (an index into cfg->meters) still waits for its event. */
int ratios_pending(struct ratios *r, size_t meter);

/* Copy up to max events not yet sent (oldest first) into ev; *n gets how
 * many. For the uplink: it puts them in the next batch's "events"
 * (gfi_batch_build_epoch) and, once that batch is stored in its queue,
 * calls ratios_events_taken with the last id. */
int ratios_events(struct ratios *r, struct gfi_batch_event *ev, size_t max,
		  size_t *n);
/* Forget the events with id <= upto_id (they are in a stored batch) and
 * save. A crash between the two sends them again in a later batch, which
 * the city ignores (it keeps one replacement per meter, point and time):
 * never lost, never counted twice. */
int ratios_events_taken(struct ratios *r, int64_t upto_id);

#endif
