/*
 * mqtt_raw.c — the baseline for the drain benchmark: how fast a plain Paho
 * async client moves QoS 1 messages to the same broker over the same mutual
 * TLS, with none of gfi's work (no queue, no JSON, no signature, no ack
 * from an aggregator).
 *
 * Publishes COUNT messages of SIZE bytes on TOPIC with at most WINDOW of
 * them unacknowledged by the broker (Paho maxInflight = WINDOW, and the
 * loop itself never has more outstanding), and stops the clock when the
 * last PUBACK (deliveryComplete) arrives. The payload is valid JSON,
 * {"raw":1,"pad":"xxx..."}, so a subscriber that parses batches can tell
 * it from one and ignore it. Prints one JSON object.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <MQTTAsync.h>

struct state {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int connected;          /* 1 up, -1 failed */
	int lost;
	long long acked;        /* PUBACKs received */
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_connect(void *ctx, MQTTAsync_successData *resp)
{
	struct state *st = ctx;
	(void)resp;
	pthread_mutex_lock(&st->mu);
	st->connected = 1;
	pthread_cond_broadcast(&st->cv);
	pthread_mutex_unlock(&st->mu);
}

static void on_connect_failure(void *ctx, MQTTAsync_failureData *resp)
{
	struct state *st = ctx;
	fprintf(stderr, "connect failed: %s (%d)\n",
		resp && resp->message ? resp->message : "no reason given",
		resp ? resp->code : 0);
	pthread_mutex_lock(&st->mu);
	st->connected = -1;
	pthread_cond_broadcast(&st->cv);
	pthread_mutex_unlock(&st->mu);
}

static void on_lost(void *ctx, char *cause)
{
	struct state *st = ctx;
	fprintf(stderr, "connection lost: %s\n", cause ? cause : "no reason given");
	pthread_mutex_lock(&st->mu);
	st->lost = 1;
	pthread_cond_broadcast(&st->cv);
	pthread_mutex_unlock(&st->mu);
}

static int on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
	(void)ctx;
	(void)topic_len;
	MQTTAsync_freeMessage(&m);
	MQTTAsync_free(topic);
	return 1;
}

static void on_delivered(void *ctx, MQTTAsync_token token)
{
	struct state *st = ctx;
	(void)token;
	pthread_mutex_lock(&st->mu);
	st->acked++;
	pthread_cond_broadcast(&st->cv);
	pthread_mutex_unlock(&st->mu);
}

static long long arg_ll(const char *s, const char *what, long long lo, long long hi)
{
	char *end = NULL;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "%s: %s not in %lld..%lld\n", what, s, lo, hi);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	MQTTAsync client = NULL;
	MQTTAsync_createOptions cr = MQTTAsync_createOptions_initializer;
	MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
	MQTTAsync_SSLOptions so = MQTTAsync_SSLOptions_initializer;
	struct state st = { .connected = 0 };
	char uri[128], *payload = NULL;
	long long count, size, window, sent = 0;
	double t0 = 0, dt;
	int ret = 1, rc;

	if (argc != 11) {
		fprintf(stderr, "usage: bench-mqtt-raw HOST PORT CA CERT KEY CLIENT_ID "
				"TOPIC COUNT SIZE WINDOW\n");
		return 2;
	}
	count = arg_ll(argv[8], "COUNT", 1, 100000000);
	size = arg_ll(argv[9], "SIZE", 16, 262144);
	window = arg_ll(argv[10], "WINDOW", 1, 65535);
	pthread_mutex_init(&st.mu, NULL);
	pthread_cond_init(&st.cv, NULL);

	/* {"raw":1,"pad":"xxxx"} padded to exactly size bytes. */
	payload = malloc((size_t)size);
	if (payload == NULL)
		return 1;
	memset(payload, 'x', (size_t)size);
	memcpy(payload, "{\"raw\":1,\"pad\":\"", 16);
	payload[size - 2] = '"';
	payload[size - 1] = '}';

	snprintf(uri, sizeof(uri), "ssl://%s:%s", argv[1], argv[2]);
	cr.MQTTVersion = MQTTVERSION_3_1_1;
	cr.maxBufferedMessages = (int)window + 16;
	rc = MQTTAsync_createWithOptions(&client, uri, argv[6],
					 MQTTCLIENT_PERSISTENCE_NONE, NULL, &cr);
	if (rc != MQTTASYNC_SUCCESS) {
		fprintf(stderr, "create failed: %s\n", MQTTAsync_strerror(rc));
		client = NULL;
		goto cleanup;
	}
	MQTTAsync_setCallbacks(client, &st, on_lost, on_message, on_delivered);
	so.trustStore = argv[3];
	so.keyStore = argv[4];
	so.privateKey = argv[5];
	so.enableServerCertAuth = 1;
	so.verify = 1;
	so.disableDefaultTrustStore = 1;
	so.sslVersion = MQTT_SSL_VERSION_DEFAULT;
	co.keepAliveInterval = 30;
	co.cleansession = 1;
	co.maxInflight = (int)window;
	co.connectTimeout = 10;
	co.ssl = &so;
	co.onSuccess = on_connect;
	co.onFailure = on_connect_failure;
	co.context = &st;
	rc = MQTTAsync_connect(client, &co);
	if (rc != MQTTASYNC_SUCCESS) {
		fprintf(stderr, "connect failed: %s\n", MQTTAsync_strerror(rc));
		goto cleanup;
	}
	pthread_mutex_lock(&st.mu);
	while (st.connected == 0)
		pthread_cond_wait(&st.cv, &st.mu);
	pthread_mutex_unlock(&st.mu);
	if (st.connected < 0)
		goto cleanup;

	t0 = now_s();
	for (;;) {
		long long acked;
		pthread_mutex_lock(&st.mu);
		while (!st.lost && st.acked < count && sent - st.acked >= window)
			pthread_cond_wait(&st.cv, &st.mu);
		acked = st.acked;
		pthread_mutex_unlock(&st.mu);
		if (st.lost)
			goto cleanup;
		if (acked >= count)
			break;
		if (sent < count) {
			MQTTAsync_message m = MQTTAsync_message_initializer;
			m.payload = payload;
			m.payloadlen = (int)size;
			m.qos = 1;
			rc = MQTTAsync_sendMessage(client, argv[7], &m, NULL);
			if (rc != MQTTASYNC_SUCCESS) {
				fprintf(stderr, "publish %lld failed: %s\n", sent,
					MQTTAsync_strerror(rc));
				goto cleanup;
			}
			sent++;
		} else {
			pthread_mutex_lock(&st.mu);
			while (!st.lost && st.acked < count)
				pthread_cond_wait(&st.cv, &st.mu);
			pthread_mutex_unlock(&st.mu);
		}
	}
	dt = now_s() - t0;
	printf("{\"messages\":%lld,\"size\":%lld,\"window\":%lld,\"seconds\":%.3f,"
	       "\"msgs_s\":%.1f,\"mb_s\":%.3f}\n", count, size, window, dt,
	       (double)count / dt, (double)count * (double)size / dt / 1e6);
	ret = 0;
cleanup:
	if (client != NULL) {
		MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
		d.timeout = 2000;
		if (MQTTAsync_isConnected(client))
			MQTTAsync_disconnect(client, &d);
		for (int i = 0; i < 40 && MQTTAsync_isConnected(client); i++) {
			struct timespec ts = { 0, 50 * 1000000L };
			nanosleep(&ts, NULL);
		}
		MQTTAsync_destroy(&client);
	}
	free(payload);
	pthread_cond_destroy(&st.cv);
	pthread_mutex_destroy(&st.mu);
	return ret;
}
