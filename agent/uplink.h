/*
 * uplink.h — signed batches from the queue to the city over mutual-TLS MQTT.
 *
 * One thread, started by `gfi-agent run` when the config has an "uplink":
 * it connects to the broker with the gateway's certificate and key (the city
 * CA pinned, the broker's name checked), turns queued readings into signed,
 * hash-chained batches (stored in the queue before they are first sent),
 * publishes them on gfi/v1/<gateway>/batch at QoS 1, and deletes from the
 * queue only what the aggregator's retained ack on gfi/v1/<gateway>/ack
 * covers (DESIGN.md, "Delivery"). Status and will on gfi/v1/<gateway>/status.
 * The connection itself (TLS options, will, reconnect backoff) is the MQTT
 * link's (common/mqttlink.h); this module publishes and subscribes on it.
 */
#ifndef GFI_AGENT_UPLINK_H
#define GFI_AGENT_UPLINK_H

#include <pthread.h>
#include <stdint.h>

#include "config.h"

/* Last poll time of each meter of a config (index = meter index), written by
 * the pollers and read by the uplink for its status message. */
struct poll_stats {
	pthread_mutex_t mu;
	size_t n;
	int64_t *last_poll_s;  /* UTC epoch s; 0 = not polled yet */
	/* The agent's clock (agent.c, agent_now_ms): CLOCK_MONOTONIC plus
	 * this offset, re-anchored to the wall clock while the wall clock does
	 * not step back. */
	int64_t clock_offset_ms;
	int64_t clock_behind_s;  /* wall clock behind the agent's clock, s; 0 normally */
	int clock_stepped;       /* a step back is in force (warned once) */
};

struct uplink;
struct ratios;

/* Start the uplink thread for cfg (borrowed; must outlive the uplink) with
 * its own connection to the queue at queue_path. stats (borrowed, may be
 * NULL) feeds the status message; ratios (borrowed, may be NULL) gives the
 * multiplier events each new batch carries. GFI_E_CRYPTO (key unreadable),
 * GFI_E_DB, GFI_E_NOMEM, GFI_E_INVAL. */
int uplink_start(const struct agent_config *cfg, const char *queue_path,
		 struct poll_stats *stats, struct ratios *ratios,
		 struct uplink **out);

/* Publish an "offline" status, disconnect, stop the thread, free. Readings
 * not yet acknowledged stay in the queue. Accepts NULL. */
void uplink_stop(struct uplink *u);

#endif
