// SPDX-License-Identifier: MIT
#include "ras/poison.h"

#include <stdlib.h>
#include <string.h>

#define EMPTY UINT64_MAX
#define PAGE_MASK (~0xfffULL)

static uint32_t hash(uint64_t gpa, uint32_t capacity)
{
	/* Fibonacci hashing of the page number. */
	return (uint32_t)(((gpa >> 12) * 0x9e3779b97f4a7c15ULL) >> 32) & (capacity - 1);
}

void poison_init(struct poison_table *t)
{
	memset(t, 0, sizeof(*t));
}

void poison_free(struct poison_table *t)
{
	free(t->slot);
	poison_init(t);
}

static struct poison_entry *lookup(const struct poison_table *t, uint64_t page)
{
	if (!t->capacity)
		return NULL;
	for (uint32_t i = hash(page, t->capacity);; i = (i + 1) & (t->capacity - 1)) {
		if (t->slot[i].gpa == page || t->slot[i].gpa == EMPTY)
			return &t->slot[i];
	}
}

static int grow(struct poison_table *t)
{
	uint32_t cap = t->capacity ? t->capacity * 2 : 64;
	struct poison_entry *old = t->slot, *n = malloc(cap * sizeof(*n));

	if (!n || cap < t->capacity)
		return -1;
	for (uint32_t i = 0; i < cap; i++)
		n[i].gpa = EMPTY;
	struct poison_table bigger = { .slot = n, .capacity = cap, .count = t->count };
	for (uint32_t i = 0; i < t->capacity; i++)
		if (old[i].gpa != EMPTY)
			*lookup(&bigger, old[i].gpa) = old[i];
	free(old);
	*t = bigger;
	return 0;
}

struct poison_entry *poison_find(const struct poison_table *t, uint64_t gpa)
{
	struct poison_entry *e = lookup(t, gpa & PAGE_MASK);
	return e && e->gpa != EMPTY ? e : NULL;
}

struct poison_entry *poison_get(struct poison_table *t, uint64_t gpa, bool *created)
{
	struct poison_entry *e = poison_find(t, gpa);

	*created = false;
	if (e)
		return e;
	/* Keep the load under 3/4 so probes stay short. */
	if ((t->count + 1) * 4 > t->capacity * 3 && grow(t))
		return NULL;
	e = lookup(t, gpa & PAGE_MASK);
	*e = (struct poison_entry){ .gpa = gpa & PAGE_MASK, .state = POISON_NEW };
	t->count++;
	*created = true;
	return e;
}

void poison_clear(struct poison_table *t)
{
	for (uint32_t i = 0; i < t->capacity; i++)
		t->slot[i].gpa = EMPTY;
	t->count = 0;
}

const char *poison_state_name(enum poison_state s)
{
	static const char *const names[] = { "new", "reported", "acknowledged", "recovered" };
	return (unsigned)s < 4 ? names[s] : "?";
}
