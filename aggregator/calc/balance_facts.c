/*
 * balance_facts.c — the facts entered by hand in a unit's balance
 * (balance.h): flows (output value, waste, green power) summed over the
 * period, stocks (areas, steam state, calorific values) as last entered.
 *
 * A fact is a manual input: provenance "manual", completeness 1; a year
 * taken from fewer than twelve monthly entries is marked estimated.
 */
#include "balance.h"

#include <string.h>

struct acc acc_manual(double v)
{
	struct acc a = ACC0;
	a.v = v;
	a.has = 1;
	a.prov = PROV_BIT(PROV_MANUAL);
	return a;
}

/* A flow (output value, waste, green power): the period's own entry; for a
 * year without a yearly entry, the sum of its monthly entries. */
struct acc balance_fact_flow(const struct ctx *c, const char *key)
{
	struct acc a = ACC0, months = ACC0;
	int nmonths = 0;

	for (size_t i = 0; i < c->nf; i++) {
		const struct reg_fact *f = &c->f[i];
		if (f->year != c->year || strcmp(f->key, key) != 0)
			continue;
		if (f->month == c->month)
			return acc_manual(f->value);
		if (c->month == 0) {
			months.v += f->value;
			nmonths++;
		}
	}
	if (nmonths > 0) {
		a = acc_manual(months.v);
		/* Fewer than twelve months entered: a partial year. */
		a.est = nmonths < 12;
	}
	return a;
}

/* A stock (areas, measured calorific value): the period's entry, else the
 * year's, else the latest earlier year's; land does not change monthly. */
struct acc balance_fact_stock(const struct ctx *c, const char *key)
{
	const struct reg_fact *best = NULL;

	for (size_t i = 0; i < c->nf; i++) {
		const struct reg_fact *f = &c->f[i];
		if (strcmp(f->key, key) != 0 || f->year > c->year)
			continue;
		if (f->year == c->year && c->month != 0 && f->month == c->month)
			return acc_manual(f->value);
		if (f->month == 0 && (best == NULL || f->year > best->year))
			best = f;
	}
	return best != NULL ? acc_manual(best->value) : ACC0;
}

#define FLOW balance_fact_flow
#define STOCK balance_fact_stock

void balance_facts(const struct ctx *c, struct balance *b)
{
#define F(n, key, kind) b->n = kind(c, key);
	BALANCE_FACTS(F)
#undef F
}

#undef FLOW
#undef STOCK

void balance_facts_override(struct balance *b, const struct balance *own)
{
#define F(n, key, kind) if (own->n.has) b->n = own->n;
	BALANCE_FACTS(F)
#undef F
}
