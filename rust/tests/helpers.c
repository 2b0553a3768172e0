// SPDX-License-Identifier: GPL-2.0
/* The KUnit suites' C helper: built only with CONFIG_KUNIT (see Kbuild). */
#include <kunit/test-bug.h>
#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>

#include "../helpers.h"

/* kunit_mark_skipped() on the current test, if any: Rust KUnit has no skip. */
void scxk_kunit_skip(const char *reason)
{
	struct kunit *test = kunit_get_current_test();

	if (test)
		kunit_mark_skipped(test, "%s", reason);
}

/*
 * The node the page allocator serves a request for @nid from while memory is
 * plentiful: the first zone of @nid's fallback zonelist on a node with
 * memory. That is @nid itself when it has memory; for a memoryless node it is
 * the nearest node with memory, which is what cpu_to_mem() names where the
 * architecture tracks memoryless nodes (x86 leaves it to the zonelist).
 * first_zones_zonelist() and node_zonelist() are static inline.
 */
int scxk_test_alloc_node(int nid)
{
	struct zoneref *z;

	if (nid == NUMA_NO_NODE)
		return NUMA_NO_NODE;
	z = first_zones_zonelist(node_zonelist(nid, GFP_KERNEL), gfp_zone(GFP_KERNEL),
				 &node_states[N_MEMORY]);
	return z->zone ? zone_to_nid(z->zone) : NUMA_NO_NODE;
}
