/*
 * fixture.h — the unit tests' shared fixture: a temporary store and a small
 * seeded city (counties, units, gateways with or without keys, meter points
 * with roles), so each test says only what is particular to it.
 *
 * Every helper asserts with cmocka: a seeding call that fails fails the test
 * at that line's caller. Only public functions of store.h and sign.h are
 * used. Strings are borrowed; NULL or 0 fields of a spec take the defaults
 * written beside them.
 */
#ifndef GFI_TEST_FIXTURE_H
#define GFI_TEST_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sign.h"
#include "store.h"

#define FIXTURE_PATH_MAX 160

/* A temporary directory (mkdtemp, /tmp/gfi-test-<name>-XXXXXX) holding the
 * store <dir>/gfi.db, open as s. */
struct fixture {
	char dir[64];
	char db[FIXTURE_PATH_MAX];
	struct store *s;
};

/* Make the directory and open the store in it; asserts on failure. */
void fixture_open(struct fixture *fx, const char *name);

/* Close the store (when open) and remove the directory with all it holds
 * (other stores, keys, WAL files). Safe on a zeroed fixture. */
void fixture_close(struct fixture *fx);

/* cmocka setup/teardown for tests whose state is a heap struct fixture
 * alone (named "store"). */
int fixture_setup(void **state);
int fixture_teardown(void **state);

/* out = <dir>/<file>. */
void fixture_path(const struct fixture *fx, const char *file, char *out,
		  size_t len);

/* Hex text (two digits a byte, no spaces) to bytes, at most cap; the
 * count. Fails the test on a character that is not hex. */
size_t fixture_unhex(const char *hex, uint8_t *out, size_t cap);

/* tests/data/<name> ($GFI_TEST_DATA), open for reading; fails the test
 * when it cannot be opened. */
FILE *fixture_test_data(const char *name);

/* Make a P-256 key at <dir>/<file> (gfi_sign_keygen) and open its signer
 * into *signer (the caller closes it). */
void fixture_key(const struct fixture *fx, const char *file,
		 struct gfi_signer **signer);

/* A unit: a factory on the city's list (LEVEL_CITY), in county 350102,
 * listed in 2020, unless the spec says otherwise. */
struct fixture_unit {
	const char *code;          /* credit code, required */
	const char *name;          /* "Works" */
	const char *county;        /* "350102" */
	const char *sector;        /* "" */
	int year_listed;           /* 2020 */
};

/* An active gateway; pubkey_pem from signer when given, else the text
 * pubkey_pem ("-" when NULL). */
struct fixture_gateway {
	const char *id;            /* required */
	const char *unit;          /* required */
	const char *pubkey_pem;
	struct gfi_signer *signer;
	int64_t registered_s;
};

/* A meter point of a gateway. */
struct fixture_meter {
	const char *gateway;       /* required */
	const char *meter;         /* "E1" */
	const char *point;         /* "kwh" */
	const char *quantity;      /* "elec_import_kwh" */
	enum meter_role role;
	const char *carrier;       /* "" */
	double accuracy_pct;
	int64_t registered_s;
};

void fixture_county(struct store *s, const char *code, const char *name);
void fixture_unit(struct store *s, const struct fixture_unit *u);
void fixture_gateway(struct store *s, const struct fixture_gateway *g);
void fixture_meter(struct store *s, const struct fixture_meter *m);

/* The common small plant: unit u, gateway g of it, and g's purchased
 * electricity counter E1/kwh (elec_import_kwh, carrier electricity),
 * registered with the gateway, of accuracy class accuracy_pct (0: unknown). */
void fixture_plant(struct store *s, const struct fixture_unit *u,
		   const struct fixture_gateway *g, double accuracy_pct);

/* fixture_plant for a factory named "Works <gateway>" of sector in county,
 * its gateway (pubkey "-") and counter both registered at registered_s. */
void fixture_works(struct store *s, const char *code, const char *county,
		   const char *sector, const char *gateway, int64_t registered_s);

#endif
