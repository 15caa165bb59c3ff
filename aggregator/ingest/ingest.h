/*
 * ingest.h — the aggregator's MQTT side: batches in, acks out.
 *
 * One thread owns the store connection and the verify pipeline. Paho calls
 * back on its own threads; its message callback only copies topic and
 * payload into a bounded in-memory queue that the ingest thread drains. The
 * thread verifies and stores a group of queued messages in one transaction
 * (verify.h), commits, and only then publishes, for each gateway touched,
 * the retained ack {"seq": head} on gfi/v1/<gateway>/ack (QoS 1), where head
 * is the highest seq up to which every batch of that gateway is held
 * (DESIGN.md, "Delivery"). Subscribes gfi/v1/+/batch (QoS 1; or
 * $share/<group>/gfi/v1/+/batch) and gfi/v1/+/status over the MQTT link
 * (common/mqttlink.h: mutual TLS with the city CA pinned and the broker's
 * name checked, reconnects with capped, jittered backoff). Besides the link,
 * this is the aggregator's only module that touches Paho.
 */
#ifndef GFI_AGG_INGEST_H
#define GFI_AGG_INGEST_H

#include "aggconfig.h"

struct ingest;

/* Open the store, create the MQTT client and start the ingest thread, which
 * connects. cfg is borrowed and must outlive the ingest. Call with SIGINT and
 * SIGTERM blocked so Paho's threads inherit the mask. GFI_OK, GFI_E_DB
 * (store), GFI_E_INVAL (client), GFI_E_NOMEM. */
int ingest_start(const struct agg_config *cfg, struct ingest **out);

/* Stop: the transaction under way is finished (committed and acked), queued
 * messages not yet started are dropped (their gateways resend them: no ack
 * covers them), then disconnect, join and free. Accepts NULL. */
void ingest_stop(struct ingest *g);

#endif
