/*
 * uplink.c — queue → signed batches → MQTT over mutual TLS, acked end to end.
 *
 * One thread owns everything here: its queue connection, the signer, and the
 * delivery state. Paho calls back on its own threads; the callbacks only
 * record what happened (an ack's sequence number; the MQTT link records
 * connected and lost, mqttlink.h) under the mutex and wake the loop, which
 * does all the work (STYLE.md, "Ownership").
 *
 * Invariants:
 *  - a batch is stored (queue_batch_add: payload, hash, seq, its readings)
 *    before it is first published, so seq and the hash chain survive kill -9
 *    and a resend is the same bytes;
 *  - readings are deleted only by the aggregator's ack (queue_ack), never by
 *    a broker PUBACK: the broker can still lose what it acknowledged;
 *  - at most max_inflight batches are sent and unacked; when the ack stalls
 *    past ack_timeout_s, or after any reconnect, sending restarts from the
 *    first unacked seq (the aggregator ignores what it already holds);
 *  - with a backlog, every other new batch takes the newest readings, so
 *    fresh data is not starved behind days of old data;
 *  - gap events (readings the queue dropped) ride in the next batch made
 *    after they are recorded, marked reported in that batch's transaction,
 *    so each is reported once and, like readings, resent until acked; a
 *    batch whose gap event a push extended after it was read is refused
 *    by the queue and made again, so the city learns the full count.
 */
#include "uplink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <MQTTAsync.h>
#include <cjson/cJSON.h>

#include "batch.h"
#include "error.h"
#include "jsonutil.h"
#include "log.h"
#include "mqttlink.h"
#include "queue.h"
#include "ratios.h"
#include "sign.h"

#define TOPIC_MAX 96
#define WAKE_MS 250          /* longest sleep of the loop without events */

struct uplink {
	const struct agent_config *cfg;   /* borrowed */
	const struct uplink_cfg *uc;      /* &cfg->uplink */
	struct poll_stats *stats;         /* borrowed, may be NULL */
	struct queue *q;                  /* this thread's connection; owned */
	struct gfi_signer *signer;        /* owned */
	struct mqttlink *link;            /* owned: TLS, will, reconnects */
	char topic_batch[TOPIC_MAX], topic_status[TOPIC_MAX], topic_ack[TOPIC_MAX];
	char will_payload[160];           /* borrowed by the link */
	pthread_t thread;
	int started;

	/* Written by Paho's callbacks and uplink_stop, under mu (the link's
	 * state is under it too). */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	uint64_t ack_seen;                /* highest seq the aggregator acked */

	/* Loop state, touched only by the uplink thread. */
	uint64_t ack_failed;              /* an ack seen but not (all) applied:
					     the queue failed (full disk) or it
					     is beyond the head; retried on the
					     next wake, not in a busy loop */
	uint64_t head;                    /* last batch made */
	uint8_t head_hash[GFI_SHA256_LEN];
	char epoch[GFI_BATCH_EPOCH_LEN + 1]; /* the queue's chain epoch */
	uint64_t acked;                   /* last ack applied to the queue */
	uint64_t sent_upto;               /* last batch published this session */
	int64_t last_progress_ms;         /* last ack progress or (re)send start */
	int64_t next_status_ms;
	int fresh_turn;                   /* next new batch takes newest readings */
	struct gfi_reading *rbuf;         /* batch_readings */
	int64_t *ids;                     /* batch_readings */
	struct queue_gap qgaps[GFI_BATCH_MAX_GAPS];  /* gap events to report */
	struct gfi_batch_gap bgaps[GFI_BATCH_MAX_GAPS];
	struct ratios *ratios;            /* borrowed, may be NULL: multiplier
					     changes to report (ratios.h) */
	struct gfi_batch_event events[GFI_BATCH_MAX_EVENTS];
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- Paho callbacks: record and wake, nothing else ---- */

static void wake(struct uplink *u)
{
	pthread_cond_broadcast(&u->cv);
}

/* The ack payload: {"seq": N} or {"seq": N, "epoch": "E"}. Anything else
 * is logged and ignored; so is an ack naming another epoch than ours (the
 * retained ack of the chain before a reinstall): GFI_E_STATE. An ack
 * without "epoch" comes from an aggregator before epochs. */
static int parse_ack(const char *payload, size_t len, const char *epoch,
		     uint64_t *seq)
{
	char err[160], theirs[GFI_BATCH_EPOCH_LEN + 2] = "";
	long long v = 0;
	cJSON *root = gfi_json_parse(payload, len, "ack", err, sizeof(err));
	int rc = GFI_E_PARSE;

	if (root != NULL && cJSON_IsObject(root) &&
	    gfi_json_int(root, "seq", "", 1, 0, (long long)GFI_BATCH_SEQ_MAX, 0,
			 &v, err, sizeof(err)) == GFI_OK &&
	    gfi_json_string(root, "epoch", "", 0, NULL, theirs, sizeof(theirs), err,
			    sizeof(err)) == GFI_OK) {
		*seq = (uint64_t)v;
		rc = GFI_OK;
	}
	if (rc != GFI_OK)
		log_warn("ack ignored: %s", root ? err : "not JSON");
	else if (cJSON_GetObjectItemCaseSensitive(root, "epoch") != NULL &&
		 strcmp(theirs, epoch) != 0) {
		log_info("ack of another chain epoch ignored: seq=%lld epoch=%s", v,
			 theirs);
		rc = GFI_E_STATE;
	}
	cJSON_Delete(root);
	return rc;
}

static int on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
	struct uplink *u = ctx;
	uint64_t seq;
	size_t tlen = topic_len > 0 ? (size_t)topic_len : strlen(topic);

	if (tlen == strlen(u->topic_ack) && memcmp(topic, u->topic_ack, tlen) == 0 &&
	    m->payloadlen > 0 && m->payloadlen <= 256 &&
	    parse_ack(m->payload, (size_t)m->payloadlen, u->epoch, &seq) == GFI_OK) {
		pthread_mutex_lock(&u->mu);
		if (seq > u->ack_seen)
			u->ack_seen = seq;
		wake(u);
		pthread_mutex_unlock(&u->mu);
	}
	MQTTAsync_freeMessage(&m);
	MQTTAsync_free(topic);
	return 1;
}

static void on_delivered(void *ctx, MQTTAsync_token token)
{
	struct uplink *u = ctx;
	(void)token;
	/* A PUBACK frees a Paho buffer slot: let the loop send more. */
	pthread_mutex_lock(&u->mu);
	wake(u);
	pthread_mutex_unlock(&u->mu);
}

/* ---- the loop's work ---- */

static int publish(struct uplink *u, const char *topic, const void *payload,
		   size_t len, int retained)
{
	MQTTAsync_message m = MQTTAsync_message_initializer;
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	int rc;

	m.payload = (void *)payload;
	m.payloadlen = (int)len;
	m.qos = 1;
	m.retained = retained;
	ro.context = u;
	rc = MQTTAsync_sendMessage(mqttlink_client(u->link), topic, &m, &ro);
	if (rc != MQTTASYNC_SUCCESS) {
		log_info("publish deferred: topic=%s: %s", topic, MQTTAsync_strerror(rc));
		return GFI_E_PROTO;
	}
	return GFI_OK;
}

static void publish_status(struct uplink *u, const char *state)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *meters = NULL;
	int64_t depth = 0, oldest = 0;
	char *text;

	if (o == NULL)
		return;
	queue_count(u->q, &depth);
	queue_oldest_time(u->q, &oldest);
	cJSON_AddStringToObject(o, "gateway", u->cfg->gateway_id);
	cJSON_AddStringToObject(o, "state", state);
	cJSON_AddNumberToObject(o, "time", (double)time(NULL));
	cJSON_AddStringToObject(o, "version", GFI_VERSION);
	cJSON_AddNumberToObject(o, "queue_depth", (double)depth);
	cJSON_AddNumberToObject(o, "oldest_queued", (double)oldest);
	cJSON_AddNumberToObject(o, "head_seq", (double)u->head);
	cJSON_AddNumberToObject(o, "acked_seq", (double)u->acked);
	if (u->stats != NULL) {
		/* A wall clock stepped back: readings keep the agent's clock
		 * (agent.c); the city sees by how much the gateway's clock lies. */
		pthread_mutex_lock(&u->stats->mu);
		cJSON_AddNumberToObject(o, "clock_behind_s",
					(double)u->stats->clock_behind_s);
		pthread_mutex_unlock(&u->stats->mu);
	}
	meters = cJSON_AddObjectToObject(o, "last_poll");
	if (meters != NULL && u->stats != NULL) {
		pthread_mutex_lock(&u->stats->mu);
		for (size_t i = 0; i < u->stats->n && i < u->cfg->nmeters; i++)
			cJSON_AddNumberToObject(meters, u->cfg->meters[i].id,
						(double)u->stats->last_poll_s[i]);
		pthread_mutex_unlock(&u->stats->mu);
	}
	text = cJSON_PrintUnformatted(o);
	if (text != NULL)
		publish(u, u->topic_status, text, strlen(text), 1);
	cJSON_free(text);
	cJSON_Delete(o);
}

static void on_link_up(struct uplink *u, int64_t now)
{
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	int rc;

	log_notice("broker connected: uri=%s gateway=%s head=%llu acked=%llu",
		   mqttlink_uri(u->link), u->cfg->gateway_id, (unsigned long long)u->head,
		   (unsigned long long)u->acked);
	ro.context = u;
	rc = MQTTAsync_subscribe(mqttlink_client(u->link), u->topic_ack, 1, &ro);
	if (rc != MQTTASYNC_SUCCESS)
		log_warn("ack subscribe failed: topic=%s: %s", u->topic_ack,
			 MQTTAsync_strerror(rc));
	/* Whatever was in flight may or may not have arrived: resend from the
	 * first unacked batch. */
	u->sent_upto = u->acked;
	u->last_progress_ms = now;
	u->next_status_ms = now;
}

static void apply_ack(struct uplink *u, uint64_t seq, int64_t now)
{
	int64_t deleted = 0;

	if (seq > u->head) {
		log_warn("ack beyond the last batch ignored: ack=%llu head=%llu",
			 (unsigned long long)seq, (unsigned long long)u->head);
		seq = u->head;
	}
	if (seq <= u->acked)
		return;
	if (queue_ack(u->q, seq, &deleted) != GFI_OK)
		return;  /* logged by the queue; retried on the next wake */
	log_info("acked: seq=%llu readings deleted=%lld", (unsigned long long)seq,
		 (long long)deleted);
	u->acked = seq;
	if (u->sent_upto < seq)
		u->sent_upto = seq;
	u->last_progress_ms = now;
}

/* Send the stored batch after sent_upto. GFI_E_NOTFOUND when none. */
static int resend_next(struct uplink *u)
{
	uint64_t seq = 0;
	char *payload = NULL;
	size_t len = 0;
	int rc = queue_batch_next(u->q, u->sent_upto, &seq, &payload, &len);

	if (rc != GFI_OK)
		return rc;
	rc = publish(u, u->topic_batch, payload, len, 0);
	if (rc == GFI_OK)
		u->sent_upto = seq;
	free(payload);
	return rc;
}

/* Reverse readings and ids in place (newest-first fetch → time order). */
static void reverse(struct gfi_reading *r, int64_t *ids, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		struct gfi_reading tr = r[i];
		int64_t ti = ids[i];
		r[i] = r[n - 1 - i];
		ids[i] = ids[n - 1 - i];
		r[n - 1 - i] = tr;
		ids[n - 1 - i] = ti;
	}
}

/* The queue's gap events not yet reported, as batch gap events: each
 * batch carries those recorded since the last one, so the city learns of a
 * drop with the next readings it receives. *upto gets the last gap id. */
static size_t pending_gaps(struct uplink *u, int64_t *upto)
{
	size_t ng = 0;

	*upto = 0;
	if (queue_gaps_unbatched(u->q, u->qgaps, GFI_BATCH_MAX_GAPS, &ng) != GFI_OK)
		return 0;  /* logged by the queue; reported with a later batch */
	for (size_t i = 0; i < ng; i++) {
		struct gfi_batch_gap *g = &u->bgaps[i];
		g->id = u->qgaps[i].id;
		snprintf(g->meter, sizeof(g->meter), "%s", u->qgaps[i].meter);
		g->from_s = u->qgaps[i].from_s;
		g->to_s = u->qgaps[i].to_s;
		g->count = u->qgaps[i].count;
		*upto = g->id;
	}
	return ng;
}

/* Make, store and send the next batch. GFI_E_NOTFOUND when nothing waits. */
static int make_batch(struct uplink *u)
{
	size_t cap = (size_t)u->uc->batch_readings, n = 0, used = 0, len = 0;
	uint8_t hash[GFI_SHA256_LEN];
	char *payload = NULL, err[256] = "";
	int newest = u->fresh_turn;
	int64_t gap_upto = 0;
	size_t ngaps, nevents = 0;
	int rc;

	rc = queue_unbatched(u->q, newest, u->rbuf, u->ids, cap, &n);
	if (rc != GFI_OK)
		return rc;
	if (n == 0)
		return GFI_E_NOTFOUND;
	ngaps = pending_gaps(u, &gap_upto);
	if (newest)
		reverse(u->rbuf, u->ids, n);
	/* Alternate ends only while there is a backlog of more than a batch. */
	u->fresh_turn = n == cap ? !u->fresh_turn : 0;
	if (u->ratios == NULL ||
	    ratios_events(u->ratios, u->events, GFI_BATCH_MAX_EVENTS, &nevents) != GFI_OK)
		nevents = 0;
	rc = gfi_batch_build_epoch(u->cfg->gateway_id, u->epoch, u->head + 1,
				   u->head_hash, (int64_t)time(NULL), u->rbuf, n,
				   u->bgaps, ngaps, u->events, nevents,
				   (size_t)u->uc->batch_bytes, u->signer, &payload,
				   &len, hash, &used, err, sizeof(err));
	if (rc != GFI_OK) {
		log_err("batch build failed: seq=%llu: %s",
			(unsigned long long)(u->head + 1), err);
		return rc;
	}
	/* The used readings are the front of a run of unbatched ids, so the
	 * queue can mark them by range. */
	rc = queue_batch_add_gaps(u->q, u->head + 1, hash, payload, len, u->ids,
				  used, u->qgaps, ngaps, (int64_t)time(NULL));
	if (rc == GFI_OK) {
		u->head++;
		memcpy(u->head_hash, hash, sizeof(hash));
		log_debug("batch made: seq=%llu readings=%zu bytes=%zu",
			  (unsigned long long)u->head, used, len);
		if (ngaps > 0)
			log_notice("gap events reported: seq=%llu events=%zu upto=%lld",
				   (unsigned long long)u->head, ngaps,
				   (long long)gap_upto);
		/* The events are in a stored batch now: resent with it, never
		 * made again (a crash before this line sends them twice; the
		 * city keeps one per meter, point and time). */
		if (nevents > 0) {
			ratios_events_taken(u->ratios, u->events[nevents - 1].id);
			log_notice("multiplier events reported: seq=%llu events=%zu",
				   (unsigned long long)u->head, nevents);
		}
		if (u->sent_upto == u->head - 1 &&
		    publish(u, u->topic_batch, payload, len, 0) == GFI_OK)
			u->sent_upto = u->head;
	}
	free(payload);
	return rc;
}

/* Fill the in-flight window: stored unsent batches first, then new ones. */
static void pump(struct uplink *u)
{
	while (u->sent_upto - u->acked < (uint64_t)u->uc->max_inflight) {
		int rc = u->sent_upto < u->head ? resend_next(u) : make_batch(u);
		if (rc != GFI_OK)
			break;
	}
}

static void step(struct uplink *u)
{
	int64_t now = mono_ms();
	struct mqttlink_view link;
	int connected;
	uint64_t ack;

	mqttlink_step(u->link, now, &link);
	if (link.connect_started)
		return;
	if (link.came_up)
		on_link_up(u, now);
	connected = link.state == MQTTLINK_CONNECTED;
	pthread_mutex_lock(&u->mu);
	ack = u->ack_seen;
	pthread_mutex_unlock(&u->mu);
	if (ack > u->acked)
		apply_ack(u, ack, now);
	u->ack_failed = ack > u->acked ? ack : 0;
	if (!connected)
		return;
	if (u->sent_upto > u->acked &&
	    now - u->last_progress_ms > (int64_t)u->uc->ack_timeout_s * 1000) {
		log_warn("ack stalled: resending from seq=%llu",
			 (unsigned long long)(u->acked + 1));
		u->sent_upto = u->acked;
		u->last_progress_ms = now;
	}
	pump(u);
	if (now >= u->next_status_ms) {
		publish_status(u, "online");
		u->next_status_ms = now + (int64_t)u->uc->status_interval_s * 1000;
	}
}

static void *uplink_main(void *arg)
{
	struct uplink *u = arg;

	for (;;) {
		struct timespec ts;
		pthread_mutex_lock(&u->mu);
		if (u->stop) {
			pthread_mutex_unlock(&u->mu);
			break;
		}
		pthread_mutex_unlock(&u->mu);
		step(u);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += WAKE_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&u->mu);
		/* A new ack wakes the loop at once; one that could not be
		 * applied waits as usual (before, a full disk made this loop
		 * spin, logging hundreds of failed commits a second). */
		if (!u->stop && !mqttlink_event_pending(u->link) &&
		    (u->ack_seen <= u->acked || u->ack_seen == u->ack_failed))
			pthread_cond_timedwait(&u->cv, &u->mu, &ts);
		pthread_mutex_unlock(&u->mu);
	}
	return NULL;
}

/* ---- lifecycle ---- */

/* The link's options: the gateway's certificate, its will, its backoff. */
static int uplink_link_create(struct uplink *u)
{
	struct mqttlink_options o = {
		.host = u->uc->host,
		.port = u->uc->port,
		.client_id = u->cfg->gateway_id,
		.ca_file = u->uc->ca_file,
		.cert_file = u->uc->cert_file,
		.key_file = u->uc->key_file,
		.keepalive_s = u->uc->keepalive_s,
		.cleansession = 1,
		.max_inflight = u->uc->max_inflight + 4,
		.max_buffered = u->uc->max_inflight * 2 + 16,
		.will_topic = u->topic_status,
		.will_payload = u->will_payload,
		.backoff_min_ms = u->uc->reconnect_min_ms,
		.backoff_max_ms = u->uc->reconnect_max_ms,
		.mu = &u->mu,
		.cv = &u->cv,
		.ctx = u,
		.on_message = on_message,
		.on_delivered = on_delivered,
	};
	return mqttlink_create(&o, &u->link);
}

static int uplink_init(struct uplink *u, const char *queue_path)
{
	char err[256];
	const char *gw = u->cfg->gateway_id;
	int rc;

	snprintf(u->topic_batch, sizeof(u->topic_batch), "gfi/v1/%s/batch", gw);
	snprintf(u->topic_status, sizeof(u->topic_status), "gfi/v1/%s/status", gw);
	snprintf(u->topic_ack, sizeof(u->topic_ack), "gfi/v1/%s/ack", gw);
	snprintf(u->will_payload, sizeof(u->will_payload),
		 "{\"gateway\":\"%s\",\"state\":\"offline\",\"version\":\"%s\"}",
		 gw, GFI_VERSION);
	u->rbuf = calloc((size_t)u->uc->batch_readings, sizeof(*u->rbuf));
	u->ids = calloc((size_t)u->uc->batch_readings, sizeof(*u->ids));
	if (u->rbuf == NULL || u->ids == NULL)
		return GFI_E_NOMEM;
	rc = gfi_signer_open(u->uc->key_file, &u->signer, err, sizeof(err));
	if (rc != GFI_OK) {
		log_err("uplink.key_file: %s", err);
		return rc;
	}
	rc = queue_open(queue_path, u->cfg->queue_max_readings, &u->q);
	if (rc != GFI_OK)
		return rc;
	rc = queue_chain_head(u->q, &u->head, u->head_hash, &u->acked);
	if (rc == GFI_OK)
		rc = queue_epoch(u->q, u->epoch);
	if (rc != GFI_OK)
		return rc;
	u->sent_upto = u->acked;
	return uplink_link_create(u);
}

static void uplink_free(struct uplink *u)
{
	mqttlink_destroy(u->link);
	queue_close(u->q);
	gfi_signer_close(u->signer);
	free(u->rbuf);
	free(u->ids);
	pthread_cond_destroy(&u->cv);
	pthread_mutex_destroy(&u->mu);
	free(u);
}

int uplink_start(const struct agent_config *cfg, const char *queue_path,
		 struct poll_stats *stats, struct ratios *ratios,
		 struct uplink **out)
{
	struct uplink *u = calloc(1, sizeof(*u));
	int rc;

	*out = NULL;
	if (u == NULL)
		return GFI_E_NOMEM;
	u->cfg = cfg;
	u->uc = &cfg->uplink;
	u->stats = stats;
	u->ratios = ratios;
	pthread_mutex_init(&u->mu, NULL);
	pthread_cond_init(&u->cv, NULL);
	rc = uplink_init(u, queue_path);
	if (rc == GFI_OK && pthread_create(&u->thread, NULL, uplink_main, u) != 0)
		rc = GFI_E_NOMEM;
	if (rc != GFI_OK) {
		uplink_free(u);
		return rc;
	}
	u->started = 1;
	*out = u;
	return GFI_OK;
}

void uplink_stop(struct uplink *u)
{
	if (u == NULL)
		return;
	pthread_mutex_lock(&u->mu);
	u->stop = 1;
	wake(u);
	pthread_mutex_unlock(&u->mu);
	if (u->started)
		pthread_join(u->thread, NULL);
	if (u->link != NULL && mqttlink_is_connected(u->link)) {
		/* A clean stop says so itself; the will is for deaths. */
		publish_status(u, "offline");
		mqttlink_disconnect(u->link);
	}
	uplink_free(u);
}
