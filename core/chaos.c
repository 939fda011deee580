#include "core/chaos.h"

#include <string.h>

void chaos_init(struct chaos *c, uint64_t seed)
{
	memset(c, 0, sizeof(*c));
	c->on = true;
	c->seed = seed;
	c->rng = seed;
}

/* splitmix64: small, seedable with any value, and good enough to pick delivery points. */
static uint64_t chaos_next(struct chaos *c)
{
	uint64_t z = (c->rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t chaos_below(struct chaos *c, uint64_t n)
{
	return n ? chaos_next(c) % n : 0;
}

bool chaos_hold(struct chaos *c, uint64_t now_ns)
{
	if (!c->on)
		return false;
	if (!c->planned) {
		c->planned = true;
		c->passed = 0;
		c->skips_left = (unsigned)chaos_below(c, CHAOS_MAX_SKIPS + 1);
		c->hold_until_ns = now_ns + chaos_below(c, CHAOS_MAX_HOLD_NS + 1);
	}
	if (!c->skips_left || now_ns >= c->hold_until_ns)
		return false;
	c->skips_left--;
	c->passed++;
	c->held++;
	return true;
}

void chaos_done(struct chaos *c)
{
	c->planned = false;
}

uint64_t chaos_grace_ns(struct chaos *c, uint64_t dflt)
{
	if (!c->on)
		return dflt;
	return CHAOS_MIN_GRACE_NS + chaos_below(c, CHAOS_MAX_GRACE_NS - CHAOS_MIN_GRACE_NS + 1);
}
