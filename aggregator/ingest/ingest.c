/*
 * ingest.c — MQTT batches → verify → store → end-to-end ack (ingest.h).
 *
 * Threads: Paho's callbacks copy messages into the queue under mu (the MQTT
 * link records connection events there, mqttlink.h), then wake the ingest
 * thread; the ingest thread alone
 * touches the store, the verify pipeline and the client's publish/connect
 * calls (STYLE.md, "Ownership and threads").
 *
 * The queue is bounded (QUEUE_MAX_MSGS messages, QUEUE_MAX_BYTES bytes).
 * When it is full the message callback waits up to FULL_WAIT_MS for room:
 * while Paho's receiving thread waits it reads nothing more from the socket,
 * so the broker keeps the rest queued for us (backpressure, no memory
 * growth). If there is still no room the message is dropped with a warning;
 * that is safe, because Paho has already PUBACKed it anyway and no ack will
 * cover it, so its agent resends it after its ack timeout.
 *
 * Paho runs that callback holding its own lock, which publishing an ack
 * needs too: while the ingest thread publishes acks (acking, under mu) a
 * full queue takes up to ACK_SLACK_MSGS more messages instead of waiting,
 * so an ack never waits FULL_WAIT_MS behind a callback that waits for it.
 *
 * Refused batches cost work (a signature check, a quarantine row), so each
 * gateway has a budget for them (refusals.h, config "quarantine"): beyond
 * it a gateway's messages are only counted as throttled, not verified or
 * stored. A throttled good batch is not acked: its agent resends it once
 * the budget has refilled.
 *
 * A full store (GFI_E_FULL: no space, or a file size limit) or one another
 * writer holds past the busy timeout (GFI_E_BUSY) pauses ingest:
 * the group is kept and retried with a growing pause (up to
 * FULL_RETRY_MAX_MS), nothing is acked meanwhile, one warning per
 * FULL_LOG_MS; the HTTP API keeps reading. When a write succeeds again
 * ingest resumes by itself.
 *
 * Invariants:
 *  - an ack is published only after the commit that holds what it covers;
 *  - a failed group (store error) is rolled back whole and acks nothing;
 *    then each of its messages is tried alone, so one bad message never
 *    holds back another gateway's batch;
 *  - the session is persistent (cleansession 0, client id = certificate CN):
 *    batches arriving while the aggregator restarts wait at the broker.
 */
#include "ingest.h"

#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <MQTTAsync.h>
#include <cjson/cJSON.h>

#include "error.h"
#include "jsonutil.h"
#include "log.h"
#include "mqttlink.h"
#include "refusals.h"
#include "store.h"
#include "verify.h"

#define QUEUE_MAX_MSGS 1024
#define QUEUE_MAX_BYTES (64u * 1024 * 1024)
#define FULL_WAIT_MS 2000
#define ACK_SLACK_MSGS 64
#define ACK_SLACK_BYTES (16u * 1024 * 1024)
#define GROUP_MAX 32          /* messages in one transaction */
#define WAKE_MS 250
#define BACKOFF_MIN_MS 500     /* reconnect backoff (mqttlink.h) */
#define BACKOFF_MAX_MS 30000
#define KEEPALIVE_S 30
#define TOPIC_MAX 128
#define STATUS_MAX_BYTES 4096
#define FULL_RETRY_MIN_MS 500
#define FULL_RETRY_MAX_MS 10000
#define FULL_LOG_MS 60000
#define PURGE_EVERY_S 3600     /* quarantine retention */

struct msg {
	struct msg *next;
	char *topic;      /* NUL-terminated, owned */
	char *payload;    /* len bytes + NUL, owned */
	size_t len;
};

struct ack {
	char gateway[GFI_ID_MAX];
	char epoch[GFI_BATCH_EPOCH_LEN + 1];  /* the chain the head is of */
	uint64_t head;
};

struct ingest {
	const struct agg_config *cfg;     /* borrowed */
	struct store *s;                  /* owned by the ingest thread */
	struct verify *v;                 /* owned */
	struct mqttlink *link;            /* owned: TLS, reconnects */
	char sub_batch[TOPIC_MAX];
	pthread_t thread;
	int started;

	/* Shared with Paho's callbacks and ingest_stop, under mu (the link's
	 * state is under it too). */
	pthread_mutex_t mu;
	pthread_cond_t cv;                /* the ingest thread waits here */
	pthread_cond_t room;              /* a full queue's callback waits here */
	struct msg *head, *tail;
	size_t nq, qbytes;
	int stop;
	int acking;                       /* the ingest thread publishes acks */
	uint64_t dropped;

	/* Ingest thread only. */
	struct ack acks[GROUP_MAX];
	size_t nacks;
	struct refusals *refusals;        /* owned */
	int64_t purged_s;                 /* last retention purge */
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void msg_free(struct msg *m)
{
	if (m == NULL)
		return;
	free(m->topic);
	free(m->payload);
	free(m);
}

/* ---- Paho callbacks: record, copy, wake ---- */

static struct msg *msg_copy(const char *topic, size_t tlen, const void *payload,
			    size_t len)
{
	struct msg *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->topic = malloc(tlen + 1);
	m->payload = malloc(len + 1);
	if (m->topic == NULL || m->payload == NULL) {
		msg_free(m);
		return NULL;
	}
	memcpy(m->topic, topic, tlen);
	m->topic[tlen] = '\0';
	if (len > 0)
		memcpy(m->payload, payload, len);
	m->payload[len] = '\0';
	m->len = len;
	return m;
}

/* Whether m finds no room; while acks are published, with the slack. */
static int queue_full(const struct ingest *g, const struct msg *m)
{
	size_t slack = g->acking ? ACK_SLACK_MSGS : 0;
	size_t slack_bytes = g->acking ? ACK_SLACK_BYTES : 0;

	return g->nq >= QUEUE_MAX_MSGS + slack ||
	       g->qbytes + m->len > QUEUE_MAX_BYTES + slack_bytes;
}

/* Wait (bounded) for room, then append m; drop it if there is none. */
static void enqueue(struct ingest *g, struct msg *m)
{
	struct timespec ts;
	int full;

	deadline(&ts, FULL_WAIT_MS);
	pthread_mutex_lock(&g->mu);
	while (queue_full(g, m) && !g->stop) {
		if (pthread_cond_timedwait(&g->room, &g->mu, &ts) != 0)
			break;
	}
	full = queue_full(g, m);
	if (full || g->stop) {
		g->dropped++;
		pthread_mutex_unlock(&g->mu);
		if (full)
			log_warn("ingest queue full: message dropped: topic=%s "
				 "(its gateway resends it)", m->topic);
		msg_free(m);
		return;
	}
	if (g->tail != NULL)
		g->tail->next = m;
	else
		g->head = m;
	g->tail = m;
	g->nq++;
	g->qbytes += m->len;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

static int on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *pm)
{
	struct ingest *g = ctx;
	size_t tlen = topic_len > 0 ? (size_t)topic_len : strlen(topic);
	struct msg *m = NULL;

	if (tlen < TOPIC_MAX && pm->payloadlen >= 0)
		m = msg_copy(topic, tlen, pm->payload, (size_t)pm->payloadlen);
	if (m != NULL)
		enqueue(g, m);
	else
		log_err("message dropped: out of memory or topic too long");
	MQTTAsync_freeMessage(&pm);
	MQTTAsync_free(topic);
	return 1;
}

/* ---- connection, on the ingest thread ---- */

static void on_link_up(struct ingest *g)
{
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	char *topics[2] = { g->sub_batch, "gfi/v1/+/status" };
	int qos[2] = { 1, 1 };
	int rc;

	log_notice("broker connected: uri=%s client=%s subscription=%s",
		   mqttlink_uri(g->link),
		   g->cfg->client_id, g->sub_batch);
	ro.context = g;
	rc = MQTTAsync_subscribeMany(mqttlink_client(g->link), 2, topics, qos, &ro);
	if (rc != MQTTASYNC_SUCCESS)
		log_warn("subscribe failed: %s", MQTTAsync_strerror(rc));
}

static void step_link(struct ingest *g)
{
	struct mqttlink_view link;

	mqttlink_step(g->link, mono_ms(), &link);
	if (link.came_up)
		on_link_up(g);
}

/* ---- the work ---- */

static void publish_ack(struct ingest *g, const struct ack *a)
{
	MQTTAsync_message m = MQTTAsync_message_initializer;
	MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
	char topic[TOPIC_MAX], payload[96];
	int rc, n;

	snprintf(topic, sizeof(topic), "gfi/v1/%s/ack", a->gateway);
	/* The epoch names the chain: an agent of another epoch (a reinstall
	 * reading the retained ack) ignores it (docs/wire-format.md). */
	if (a->epoch[0] != '\0')
		n = snprintf(payload, sizeof(payload), "{\"seq\":%" PRIu64
			     ",\"epoch\":\"%s\"}", a->head, a->epoch);
	else
		n = snprintf(payload, sizeof(payload), "{\"seq\":%" PRIu64 "}", a->head);
	m.payload = payload;
	m.payloadlen = n;
	m.qos = 1;
	m.retained = 1;
	ro.context = g;
	rc = MQTTAsync_sendMessage(mqttlink_client(g->link), topic, &m, &ro);
	if (rc != MQTTASYNC_SUCCESS)
		log_info("ack not sent: gateway=%s seq=%" PRIu64 ": %s "
			 "(the gateway resends and is acked then)", a->gateway,
			 a->head, MQTTAsync_strerror(rc));
}

/* Publish the group's acks; a full queue's callback stops waiting meanwhile
 * (it would hold the Paho lock the publish needs). */
static void publish_acks(struct ingest *g)
{
	if (g->nacks == 0)
		return;
	pthread_mutex_lock(&g->mu);
	g->acking = 1;
	pthread_cond_broadcast(&g->room);
	pthread_mutex_unlock(&g->mu);
	for (size_t i = 0; i < g->nacks; i++)
		publish_ack(g, &g->acks[i]);
	pthread_mutex_lock(&g->mu);
	g->acking = 0;
	pthread_mutex_unlock(&g->mu);
}

static void ack_note(struct ingest *g, const struct verify_decision *d)
{
	size_t i;

	if (!d->ack || d->head == 0)
		return;
	for (i = 0; i < g->nacks; i++) {
		if (strcmp(g->acks[i].gateway, d->gateway) == 0)
			break;
	}
	if (i == g->nacks) {
		if (g->nacks == GROUP_MAX)
			return;
		g->nacks++;
		snprintf(g->acks[i].gateway, sizeof(g->acks[i].gateway), "%s", d->gateway);
		g->acks[i].head = 0;
	}
	if (strcmp(g->acks[i].epoch, d->epoch) != 0) {
		/* The chain restarted in this group: the new epoch's head. */
		memcpy(g->acks[i].epoch, d->epoch, sizeof(d->epoch));
		g->acks[i].head = d->head;
	}
	if (d->head > g->acks[i].head)
		g->acks[i].head = d->head;
}

static void log_decision(const struct verify_decision *d, const char *topic)
{
	switch (d->outcome) {
	case VERIFY_ACCEPTED:
		log_info("batch accepted: gateway=%s seq=%" PRIu64 " readings=%zu "
			 "stored=%zu quarantined=%zu unregistered=%zu", d->gateway,
			 d->seq, d->readings, d->stored, d->bad_readings,
			 d->unregistered);
		break;
	case VERIFY_REPLAY:
		log_info("batch already held: gateway=%s seq=%" PRIu64 " head=%" PRIu64,
			 d->gateway, d->seq, d->head);
		break;
	case VERIFY_GAP:
		log_notice("batch beyond head: gateway=%s seq=%" PRIu64 " head=%" PRIu64,
			   d->gateway, d->seq, d->head);
		break;
	case VERIFY_QUARANTINED:
		log_warn("batch quarantined: topic=%s gateway=%s: %s", topic,
			 d->gateway[0] ? d->gateway : "?", d->reason);
		break;
	}
}

/* Parse a status payload into st; the gateway named in it must be the
 * topic's (the broker's ACL lets a gateway publish only its own topic). */
static int parse_status(const struct msg *m, const char *topic_gw,
			struct gw_status *st, char *err, size_t errlen)
{
	static const char *const keys[] = { "gateway", "state", "time", "version",
		"queue_depth", "oldest_queued", "head_seq", "acked_seq", "last_poll",
		"clock_behind_s", NULL };
	long long v[5] = { 0 }, behind = 0;
	const char *names[5] = { "time", "queue_depth", "oldest_queued", "head_seq",
				 "acked_seq" };
	cJSON *root = gfi_json_parse(m->payload, m->len, "status", err, errlen);
	int rc = root ? GFI_OK : GFI_E_PARSE;

	memset(st, 0, sizeof(*st));
	if (rc == GFI_OK && !cJSON_IsObject(root)) {
		snprintf(err, errlen, "status: not an object");
		rc = GFI_E_PARSE;
	}
	if (rc == GFI_OK)
		rc = gfi_json_check_keys(root, "", keys, err, errlen);
	if (rc == GFI_OK)
		rc = gfi_json_string(root, "gateway", "", 1, NULL, st->gateway,
				     sizeof(st->gateway), err, errlen);
	if (rc == GFI_OK && strcmp(st->gateway, topic_gw) != 0) {
		snprintf(err, errlen, "gateway: %s is not the topic's %s", st->gateway,
			 topic_gw);
		rc = GFI_E_INVAL;
	}
	if (rc == GFI_OK)
		rc = gfi_json_string(root, "state", "", 1, NULL, st->state,
				     sizeof(st->state), err, errlen);
	if (rc == GFI_OK && strcmp(st->state, "online") != 0 &&
	    strcmp(st->state, "offline") != 0) {
		snprintf(err, errlen, "state: must be online or offline");
		rc = GFI_E_INVAL;
	}
	if (rc == GFI_OK)
		rc = gfi_json_string(root, "version", "", 0, "", st->version,
				     sizeof(st->version), err, errlen);
	for (int i = 0; i < 5 && rc == GFI_OK; i++)
		rc = gfi_json_int(root, names[i], "", 0, 0, (1LL << 53), 0, &v[i],
				  err, errlen);
	/* How far the gateway's wall clock is behind its agent's clock (a
	 * step back, agent.c): checked, logged by the agent, not stored. */
	if (rc == GFI_OK)
		rc = gfi_json_int(root, "clock_behind_s", "", 0, 0, (1LL << 40), 0, &behind,
				  err, errlen);
	st->reported_s = v[0];
	st->queue_depth = v[1];
	st->oldest_queued_s = v[2];
	st->head_seq = v[3];
	st->acked_seq = v[4];
	cJSON_Delete(root);
	return rc;
}

/* A status message of a registered gateway: kept as its last status (for
 * the API and /metrics). Never logs the payload. */
static void on_status(struct ingest *g, const struct msg *m, int64_t now)
{
	char gw[GFI_ID_MAX] = "", err[256] = "";
	struct reg_gateway reg;
	struct gw_status st;
	const char *p = m->topic + strlen("gfi/v1/");
	size_t n = strcspn(p, "/");

	if (strncmp(m->topic, "gfi/v1/", 7) != 0 || n == 0 || n >= sizeof(gw)) {
		log_debug("status ignored: topic=%s", m->topic);
		return;
	}
	memcpy(gw, p, n);
	if (m->len > STATUS_MAX_BYTES ||
	    parse_status(m, gw, &st, err, sizeof(err)) != GFI_OK) {
		log_info("status ignored: gateway=%s: %s", gw,
			 err[0] ? err : "too large");
		return;
	}
	if (store_gateway_get(g->s, gw, &reg) != GFI_OK) {
		log_debug("status ignored: gateway=%s not registered", gw);
		return;
	}
	st.received_s = now;
	if (store_status_put(g->s, &st) == GFI_OK)
		log_debug("status: gateway=%s state=%s queue=%" PRId64, gw, st.state,
			  st.queue_depth);
}

static int is_status(const char *topic)
{
	size_t n = strlen(topic);
	return n > 7 && strcmp(topic + n - 7, "/status") == 0;
}

/* The gateway a batch topic names ("gfi/v1/<id>/batch"), or "". */
static void topic_gateway(const char *topic, char *out, size_t size)
{
	const char *p = topic + strlen("gfi/v1/");
	size_t n = strcspn(p, "/");

	out[0] = '\0';
	if (strncmp(topic, "gfi/v1/", 7) == 0 && n < size) {
		memcpy(out, p, n);
		out[n] = '\0';
	}
}

/* One batch message within the group's transaction: verified unless its
 * gateway's refusal budget is spent (then only counted). */
static int process_batch(struct ingest *g, const struct msg *m, int64_t now)
{
	struct verify_decision d;
	char gw[GFI_ID_MAX];
	int64_t ms = mono_ms();
	int ret;

	topic_gateway(m->topic, gw, sizeof(gw));
	if (!refusals_allow(g->refusals, gw, ms))
		return GFI_OK;
	ret = verify_message(g->v, m->topic, m->payload, m->len, now, &d);
	if (ret == GFI_OK) {
		log_decision(&d, m->topic);
		ack_note(g, &d);
		if (d.outcome == VERIFY_QUARANTINED)
			refusals_charge(g->refusals, gw, ms);
	}
	return ret;
}

/* Verify and store up to max of msgs in one transaction; ack after the
 * commit. GFI_OK, or the store's error (rolled back, nothing acked). */
static int run_group(struct ingest *g, struct msg *msgs, size_t max)
{
	int64_t now = (int64_t)time(NULL);
	size_t n = 0;
	int ret = store_begin(g->s);

	g->nacks = 0;
	for (struct msg *m = msgs; m != NULL && n < max && ret == GFI_OK;
	     m = m->next, n++) {
		if (is_status(m->topic))
			on_status(g, m, now);
		else
			ret = process_batch(g, m, now);
	}
	if (ret == GFI_OK)
		ret = refusals_flush(g->refusals, g->s, now, mono_ms());
	if (ret == GFI_OK)
		ret = store_commit(g->s);
	if (ret != GFI_OK) {
		store_rollback(g->s);
		if (ret != GFI_E_FULL && ret != GFI_E_BUSY)
			log_err("ingest transaction rolled back: messages=%zu: %s "
				"(nothing acked; gateways resend)", n, gfi_strerror(ret));
		return ret;
	}
	refusals_flushed(g->refusals);
	publish_acks(g);
	return GFI_OK;
}

/* msgs as one transaction; when that fails other than for a full or busy
 * store, each message alone, so one bad message holds back no other.
 * GFI_E_FULL / GFI_E_BUSY: the caller pauses and retries the group. */
static int process_group(struct ingest *g, struct msg *msgs)
{
	int ret = run_group(g, msgs, GROUP_MAX);

	if (ret == GFI_OK || ret == GFI_E_FULL || ret == GFI_E_BUSY || msgs->next == NULL)
		return ret;
	for (struct msg *m = msgs; m != NULL; m = m->next) {
		if ((ret = run_group(g, m, 1)) == GFI_E_FULL || ret == GFI_E_BUSY)
			return ret;
	}
	return GFI_OK;
}

/* Wait ms on the ingest thread, the MQTT link kept up; 1 when stopping. */
static int pause_ms(struct ingest *g, int ms)
{
	int64_t until = mono_ms() + ms;
	int stop = 0;

	while (!stop && mono_ms() < until) {
		struct timespec ts;

		step_link(g);
		deadline(&ts, WAKE_MS);
		pthread_mutex_lock(&g->mu);
		if (!g->stop)
			pthread_cond_timedwait(&g->room, &g->mu, &ts);
		stop = g->stop;
		pthread_mutex_unlock(&g->mu);
	}
	return stop;
}

/* Process msgs, holding them while the store is full: retried with a
 * growing pause, one warning per FULL_LOG_MS, nothing acked until then. */
static void process_until_stored(struct ingest *g, struct msg *msgs)
{
	int64_t since = 0, logged = 0;
	int wait = FULL_RETRY_MIN_MS, ret;

	while ((ret = process_group(g, msgs)) == GFI_E_FULL || ret == GFI_E_BUSY) {
		int64_t now = mono_ms();

		if (since == 0)
			since = now;
		if (logged == 0 || now - logged >= FULL_LOG_MS) {
			logged = now;
			log_warn("store %s: ingest paused for %" PRId64 " s, nothing "
				 "acked (gateways keep their batches); reads still "
				 "served; retrying by itself",
				 ret == GFI_E_FULL ? "full" : "busy", (now - since) / 1000);
		}
		if (pause_ms(g, wait))
			return;
		wait = wait * 2 > FULL_RETRY_MAX_MS ? FULL_RETRY_MAX_MS : wait * 2;
	}
	if (since != 0)
		log_notice("store writable again: ingest resumed after %" PRId64 " s",
			   (mono_ms() - since) / 1000);
}

/* Drop quarantine rows past their retention, at most once per PURGE_EVERY_S. */
static void purge_quarantine(struct ingest *g)
{
	int64_t now = (int64_t)time(NULL), deleted = 0;

	if (now - g->purged_s < PURGE_EVERY_S)
		return;
	g->purged_s = now;
	if (store_quarantine_purge(g->s, NULL, now - g->cfg->quarantine.retention_days
				   * 86400, 0, &deleted) == GFI_OK && deleted > 0)
		log_notice("quarantine retention: rows deleted=%" PRId64, deleted);
}

/* Take up to GROUP_MAX queued messages, or wait a little for some. */
static struct msg *take(struct ingest *g, int *stop)
{
	struct msg *first = NULL, *last = NULL;
	struct timespec ts;
	size_t n = 0;

	pthread_mutex_lock(&g->mu);
	if (g->head == NULL && !g->stop && !mqttlink_event_pending(g->link)) {
		deadline(&ts, WAKE_MS);
		pthread_cond_timedwait(&g->cv, &g->mu, &ts);
	}
	*stop = g->stop;
	while (!*stop && g->head != NULL && n < GROUP_MAX) {
		struct msg *m = g->head;
		g->head = m->next;
		if (g->head == NULL)
			g->tail = NULL;
		g->nq--;
		g->qbytes -= m->len;
		m->next = NULL;
		if (last != NULL)
			last->next = m;
		else
			first = m;
		last = m;
		n++;
	}
	if (n > 0)
		pthread_cond_broadcast(&g->room);
	pthread_mutex_unlock(&g->mu);
	return first;
}

static void *ingest_main(void *arg)
{
	struct ingest *g = arg;
	int stop = 0;

	while (!stop) {
		struct msg *msgs;
		step_link(g);
		purge_quarantine(g);
		msgs = take(g, &stop);
		if (msgs != NULL)
			process_until_stored(g, msgs);
		else if (refusals_pending(g->refusals))
			run_group(g, NULL, 0);    /* throttled counts, when idle */
		while (msgs != NULL) {
			struct msg *next = msgs->next;
			msg_free(msgs);
			msgs = next;
		}
	}
	return NULL;
}

/* ---- lifecycle ---- */

static int ingest_init(struct ingest *g)
{
	const struct agg_config *c = g->cfg;
	struct mqttlink_options o = {
		.host = c->host,
		.port = c->port,
		.client_id = c->client_id,
		.ca_file = c->ca_file,
		.cert_file = c->cert_file,
		.key_file = c->key_file,
		.keepalive_s = KEEPALIVE_S,
		.cleansession = 0,        /* batches wait for us at the broker */
		.backoff_min_ms = BACKOFF_MIN_MS,
		.backoff_max_ms = BACKOFF_MAX_MS,
		.mu = &g->mu,
		.cv = &g->cv,
		.ctx = g,
		.on_message = on_message,
	};
	int rc;

	if (c->shared_group[0] != '\0')
		snprintf(g->sub_batch, sizeof(g->sub_batch),
			 "$share/%s/gfi/v1/+/batch", c->shared_group);
	else
		snprintf(g->sub_batch, sizeof(g->sub_batch), "gfi/v1/+/batch");
	if ((rc = store_open(c->store, &g->s)) != GFI_OK ||
	    (rc = verify_new(g->s, c->future_tolerance_s, &g->v)) != GFI_OK ||
	    (rc = refusals_new(c->quarantine.refused_per_min,
			       c->quarantine.refused_burst, &g->refusals)) != GFI_OK)
		return rc;
	verify_set_quarantine_limits(g->v, &(struct quarantine_limits){
		c->quarantine.max_rows, c->quarantine.max_bytes,
		c->quarantine.prefix_bytes, c->quarantine.retention_days * 86400 });
	return mqttlink_create(&o, &g->link);
}

static void ingest_free(struct ingest *g)
{
	mqttlink_destroy(g->link);
	while (g->head != NULL) {
		struct msg *next = g->head->next;
		msg_free(g->head);
		g->head = next;
	}
	verify_free(g->v);
	refusals_free(g->refusals);
	store_close(g->s);
	pthread_cond_destroy(&g->room);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g);
}

int ingest_start(const struct agg_config *cfg, struct ingest **out)
{
	struct ingest *g = calloc(1, sizeof(*g));
	int rc;

	*out = NULL;
	if (g == NULL)
		return GFI_E_NOMEM;
	/* Each batch parses into thousands of small blocks freed together;
	 * glibc then handed the top of the ingest thread's heap back to the
	 * kernel after every batch (madvise and a TLB shootdown on every
	 * core, a tenth of ingest). Keep up to 32 MiB of it instead. */
	mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
	/* A file size limit must fail the store's write (GFI_E_FULL: ingest
	 * pauses and retries), not kill the process with SIGXFSZ. */
	signal(SIGXFSZ, SIG_IGN);
	g->cfg = cfg;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	pthread_cond_init(&g->room, NULL);
	rc = ingest_init(g);
	if (rc == GFI_OK && pthread_create(&g->thread, NULL, ingest_main, g) != 0)
		rc = GFI_E_NOMEM;
	if (rc != GFI_OK) {
		ingest_free(g);
		return rc;
	}
	g->started = 1;
	*out = g;
	return GFI_OK;
}

void ingest_stop(struct ingest *g)
{
	uint64_t dropped;

	if (g == NULL)
		return;
	pthread_mutex_lock(&g->mu);
	g->stop = 1;
	pthread_cond_broadcast(&g->cv);
	pthread_cond_broadcast(&g->room);
	pthread_mutex_unlock(&g->mu);
	if (g->started)
		pthread_join(g->thread, NULL);
	if (g->link != NULL)
		mqttlink_disconnect(g->link);
	pthread_mutex_lock(&g->mu);
	dropped = g->dropped;
	pthread_mutex_unlock(&g->mu);
	log_notice("ingest stopped: messages dropped while full or stopping=%" PRIu64,
		   dropped);
	ingest_free(g);
}
