// SPDX-License-Identifier: GPL-2.0
/* The KUnit suites' C helper: built only with CONFIG_KUNIT (see Kbuild). */
#include <kunit/test-bug.h>
#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/mmzone.h>

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
 * plentiful: the node of the first zone in @nid's fallback zonelist that a
 * GFP_KERNEL allocation may use (zonelists hold populated zones only). That
 * is @nid itself when it has memory; for a memoryless node it is the nearest
 * node with memory, which is what cpu_to_mem() names where the architecture
 * tracks memoryless nodes (x86 leaves it to the zonelist). The walk is open
 * coded: first_zones_zonelist() may call __next_zones_zonelist(), which is
 * not exported.
 */
int scxk_test_alloc_node(int nid)
{
	struct zoneref *z;

	if (nid == NUMA_NO_NODE)
		return NUMA_NO_NODE;
	for (z = node_zonelist(nid, GFP_KERNEL)->_zonerefs; z->zone; z++)
		if (zonelist_zone_idx(z) <= gfp_zone(GFP_KERNEL))
			return zonelist_node_idx(z);
	return NUMA_NO_NODE;
}
