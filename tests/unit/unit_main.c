/* unit_main.c — runs every Check suite (one per tests/unit/test_<name>.c,
 * listed in the generated suites.inc). Check's own environment variables
 * select work: CK_RUN_SUITE=measure, CK_RUN_CASE=..., CK_FORK=no. */
#include <stdlib.h>
#include <check.h>

#define UPL_SUITE(fn) Suite *fn(void);
#include "suites.inc"
#undef UPL_SUITE

typedef Suite *(*suite_fn)(void);
#define UPL_SUITE(fn) fn,
static const suite_fn suites[] = {
#include "suites.inc"
    NULL
};

int main(void) {
    SRunner *sr = NULL;
    for (size_t i = 0; suites[i]; i++) {
        Suite *s = suites[i]();
        if (!sr) sr = srunner_create(s);
        else srunner_add_suite(sr, s);
    }
    if (!sr) return 0;
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
