/*
 * fixture.c — the unit tests' shared fixture (fixture.h): a temporary store
 * in its own mkdtemp directory, removed whole at teardown, and seeding
 * helpers for a small city.
 *
 * Why: the aggregator's tests each built the same temp store and copied the
 * same unit -> gateway -> meter seeding; one copy here keeps them alike.
 * Invariants: a fixture's directory is under /tmp and made by mkdtemp, so
 * fixture_close removes only what the fixture made; every seeding call
 * asserts GFI_OK, so a test never runs on a half-seeded city.
 */
#define _XOPEN_SOURCE 700

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fixture.h"

/* dst[0..cap) = src, or dflt when src is NULL; asserts it fits. */
static void copy_text(char *dst, size_t cap, const char *src, const char *dflt)
{
	int n = snprintf(dst, cap, "%s", src ? src : dflt);

	assert_true(n >= 0 && (size_t)n < cap);
}

#define COPY_TEXT(dst, src, dflt) copy_text(dst, sizeof(dst), src, dflt)

void fixture_open(struct fixture *fx, const char *name)
{
	memset(fx, 0, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/gfi-test-%s-XXXXXX", name);
	assert_non_null(mkdtemp(fx->dir));
	fixture_path(fx, "gfi.db", fx->db, sizeof(fx->db));
	assert_int_equal(store_open(fx->db, &fx->s), GFI_OK);
}

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	if (remove(path) != 0)
		fprintf(stderr, "fixture: could not remove %s\n", path);
	return 0;
}

void fixture_close(struct fixture *fx)
{
	if (fx->s) {
		store_close(fx->s);
		fx->s = NULL;
	}
	if (fx->dir[0] != '\0') {
		/* Depth first, not following links: files before their directory. */
		nftw(fx->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
		fx->dir[0] = '\0';
	}
}

int fixture_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fixture_open(fx, "store");
	*state = fx;
	return 0;
}

int fixture_teardown(void **state)
{
	struct fixture *fx = *state;

	fixture_close(fx);
	free(fx);
	return 0;
}

void fixture_path(const struct fixture *fx, const char *file, char *out,
		  size_t len)
{
	int n = snprintf(out, len, "%s/%s", fx->dir, file);

	assert_true(n > 0 && (size_t)n < len);
}

void fixture_key(const struct fixture *fx, const char *file,
		 struct gfi_signer **signer)
{
	char path[FIXTURE_PATH_MAX], err[256];

	fixture_path(fx, file, path, sizeof(path));
	assert_int_equal(gfi_sign_keygen(path, 0, err, sizeof(err)), GFI_OK);
	assert_int_equal(gfi_signer_open(path, signer, err, sizeof(err)), GFI_OK);
}

void fixture_county(struct store *s, const char *code, const char *name)
{
	struct reg_county c = { .retired = 0 };

	COPY_TEXT(c.code, code, "");
	COPY_TEXT(c.name, name, "");
	assert_int_equal(store_county_put(s, &c, 1), GFI_OK);
}

void fixture_unit(struct store *s, const struct fixture_unit *spec)
{
	struct reg_unit u = { .kind = UNIT_FACTORY, .level = LEVEL_CITY,
			      .year_listed = spec->year_listed ? spec->year_listed : 2020 };

	COPY_TEXT(u.code, spec->code, "");
	COPY_TEXT(u.name, spec->name, "Works");
	COPY_TEXT(u.county, spec->county, "350102");
	COPY_TEXT(u.sector, spec->sector, "");
	assert_int_equal(store_unit_put(s, &u, 1), GFI_OK);
}

void fixture_gateway(struct store *s, const struct fixture_gateway *spec)
{
	struct reg_gateway g = { .active = 1, .registered_s = spec->registered_s };

	COPY_TEXT(g.id, spec->id, "");
	COPY_TEXT(g.unit, spec->unit, "");
	if (spec->signer)
		assert_int_equal(gfi_signer_pubkey_pem(spec->signer, g.pubkey_pem,
						       sizeof(g.pubkey_pem)), GFI_OK);
	else
		COPY_TEXT(g.pubkey_pem, spec->pubkey_pem, "-");
	assert_int_equal(store_gateway_put(s, &g, 1), GFI_OK);
}

void fixture_meter(struct store *s, const struct fixture_meter *spec)
{
	struct reg_meter m = { .role = spec->role, .accuracy_pct = spec->accuracy_pct,
			       .registered_s = spec->registered_s };

	COPY_TEXT(m.gateway, spec->gateway, "");
	COPY_TEXT(m.meter, spec->meter, "E1");
	COPY_TEXT(m.point, spec->point, "kwh");
	COPY_TEXT(m.quantity, spec->quantity, "elec_import_kwh");
	COPY_TEXT(m.carrier, spec->carrier, "");
	assert_int_equal(store_meter_put(s, &m, 1), GFI_OK);
}

void fixture_plant(struct store *s, const struct fixture_unit *u,
		   const struct fixture_gateway *g, double accuracy_pct)
{
	struct fixture_meter m = { .gateway = g->id, .role = ROLE_ELEC_PURCHASED,
				   .carrier = "electricity",
				   .accuracy_pct = accuracy_pct,
				   .registered_s = g->registered_s };

	fixture_unit(s, u);
	fixture_gateway(s, g);
	fixture_meter(s, &m);
}

void fixture_works(struct store *s, const char *code, const char *county,
		   const char *sector, const char *gateway, int64_t registered_s)
{
	char name[STORE_NAME_MAX];
	struct fixture_unit u = { .code = code, .name = name, .county = county,
				  .sector = sector };
	struct fixture_gateway g = { .id = gateway, .unit = code,
				     .registered_s = registered_s };

	snprintf(name, sizeof(name), "Works %s", gateway);
	fixture_plant(s, &u, &g, 0);
}

size_t fixture_unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (s[0] != '\0' && s[1] != '\0' && n < cap) {
		unsigned v;
		assert_int_equal(sscanf(s, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	assert_true(*s == '\0');
	return n;
}

FILE *fixture_test_data(const char *name)
{
	char path[1024];
	FILE *fp;

	assert_non_null(getenv("GFI_TEST_DATA"));
	snprintf(path, sizeof(path), "%s/%s", getenv("GFI_TEST_DATA"), name);
	fp = fopen(path, "r");
	if (fp == NULL)
		fail_msg("cannot open %s", path);
	return fp;
}
