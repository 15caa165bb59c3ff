/*
 * sign_time.c — what making one signed batch costs on the gateway's CPU.
 *
 * For N batches of R readings (default 500, shaped like the drain
 * benchmark's: SDM630 point names, 100 meters, f32 values), times:
 *   build  gfi_batch_build: JSON, SHA-256, ECDSA P-256 signature, base64;
 *   sign   gfi_sign alone over the built BATCH_JSON bytes (hash + ECDSA);
 *   hash   gfi_sha256 alone over the same bytes.
 * Build without the signature is build - sign. A fresh key is generated
 * in a temporary directory and removed at the end. Prints one JSON object.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "error.h"
#include "sign.h"

static const char *const points[][2] = {
	{ "v_l1", "elec_voltage_v" }, { "i_l1", "elec_current_a" },
	{ "p_l1", "elec_power_kw" }, { "pf_l1", "elec_power_factor" },
	{ "freq", "elec_frequency_hz" }, { "import_kwh", "elec_import_kwh" },
	{ "export_kwh", "elec_export_kwh" }, { "import_kvarh", "elec_reactive_kvarh" },
	{ "p_total", "elec_power_kw" },
};
#define NPOINTS (sizeof(points) / sizeof(points[0]))

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long arg_l(const char *s, const char *what, long lo, long hi)
{
	char *end = NULL;
	long v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "%s: %s not in %ld..%ld\n", what, s, lo, hi);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct gfi_signer *signer = NULL;
	struct gfi_reading *rs = NULL;
	char dir[] = "/tmp/gfi-sign-time-XXXXXX", key[64], err[256];
	uint8_t prev[GFI_SHA256_LEN] = { 0 }, hash[GFI_SHA256_LEN];
	uint8_t sig[GFI_SIG_MAX];
	double t_build = 0, t_sign = 0, t_hash = 0, bytes = 0, json_bytes = 0;
	long nb, nr;
	int ret = 1, have_dir = 0;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bench-sign-time BATCHES [READINGS_PER_BATCH]\n");
		return 2;
	}
	nb = arg_l(argv[1], "BATCHES", 1, 10000000);
	nr = argc == 3 ? arg_l(argv[2], "READINGS_PER_BATCH", 1, GFI_BATCH_MAX_READINGS) : 500;
	if (mkdtemp(dir) == NULL)
		return 1;
	have_dir = 1;
	snprintf(key, sizeof(key), "%s/gw.key", dir);
	rs = calloc((size_t)nr, sizeof(*rs));
	if (rs == NULL || gfi_sign_keygen(key, 0, err, sizeof(err)) != GFI_OK ||
	    gfi_signer_open(key, &signer, err, sizeof(err)) != GFI_OK) {
		fprintf(stderr, "key: %s\n", err);
		goto cleanup;
	}
	for (long b = 0; b < nb; b++) {
		char *payload = NULL;
		size_t len = 0, json_len, sig_len = 0;
		double t0;

		for (long i = 0; i < nr; i++) {
			long k = b * nr + i;
			struct gfi_reading *r = &rs[i];
			snprintf(r->meter, sizeof(r->meter), "M%03ld", (k / (long)NPOINTS) % 100);
			snprintf(r->point, sizeof(r->point), "%s", points[k % NPOINTS][0]);
			snprintf(r->quantity, sizeof(r->quantity), "%s", points[k % NPOINTS][1]);
			r->time_s = 1764547200 + k / (long)NPOINTS * 60;
			r->value = (double)(float)(230.0 + (double)(k % 997) * 0.0137 +
						   (double)k * 0.25);
			r->status = GFI_ST_OK;
		}
		t0 = now_s();
		if (gfi_batch_build("gw-bench", (uint64_t)b + 1, prev, 1764547200 + b, rs,
				    (size_t)nr, signer, &payload, &len, hash, err,
				    sizeof(err)) != GFI_OK) {
			fprintf(stderr, "build: %s\n", err);
			goto cleanup;
		}
		t_build += now_s() - t0;
		memcpy(prev, hash, sizeof(prev));
		json_len = (size_t)(strchr(payload, '\n') - payload);
		bytes += (double)len;
		json_bytes += (double)json_len;
		t0 = now_s();
		if (gfi_sign(signer, payload, json_len, sig, sizeof(sig), &sig_len) != GFI_OK) {
			free(payload);
			goto cleanup;
		}
		t_sign += now_s() - t0;
		t0 = now_s();
		gfi_sha256(payload, json_len, hash);
		t_hash += now_s() - t0;
		free(payload);
	}
	printf("{\"batches\":%ld,\"readings_per_batch\":%ld,\"avg_payload_bytes\":%.0f,"
	       "\"build_sign_us\":%.1f,\"sign_us\":%.1f,\"sha256_us\":%.1f,"
	       "\"build_nosign_us\":%.1f,\"build_sign_us_per_reading\":%.3f,"
	       "\"sign_us_per_reading\":%.3f,\"sha256_mb_s\":%.1f}\n",
	       nb, nr, bytes / (double)nb, t_build / (double)nb * 1e6,
	       t_sign / (double)nb * 1e6, t_hash / (double)nb * 1e6,
	       (t_build - t_sign) / (double)nb * 1e6,
	       t_build / (double)nb / (double)nr * 1e6,
	       t_sign / (double)nb / (double)nr * 1e6, json_bytes / t_hash / 1e6);
	ret = 0;
cleanup:
	gfi_signer_close(signer);
	free(rs);
	if (have_dir) {
		unlink(key);
		rmdir(dir);
	}
	return ret;
}
