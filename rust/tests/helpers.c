// SPDX-License-Identifier: GPL-2.0
/* The KUnit suites' C helper: built only with CONFIG_KUNIT (see Kbuild). */
#include <kunit/test-bug.h>
#include <kunit/test.h>

#include "../helpers.h"

/* kunit_mark_skipped() on the current test, if any: Rust KUnit has no skip. */
void scxk_kunit_skip(const char *reason)
{
	struct kunit *test = kunit_get_current_test();

	if (test)
		kunit_mark_skipped(test, "%s", reason);
}
