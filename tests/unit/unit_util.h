/* unit_util.h — helpers for the Check unit tests: tolerant comparisons,
 * fixture paths and temporary files. */
#ifndef UPLIFT_UNIT_UTIL_H
#define UPLIFT_UNIT_UTIL_H

#include <check.h>
#include <math.h>
#include "uplift/uplift.h"

/* |a-b| <= tol * max(1, |b|): a relative tolerance with an absolute floor. */
#define ck_assert_near(a, b, tol) do { \
    double a_ = (a), b_ = (b), t_ = (tol); \
    double s_ = fabs(b_) > 1.0 ? fabs(b_) : 1.0; \
    ck_assert_msg(fabs(a_ - b_) <= t_ * s_, "%s = %.17g, expected %.17g (tol %g)", #a, a_, b_, t_); \
} while (0)

/* Path of a committed fixture under tests/data (static buffer per call site is not used: caller frees). */
char *unit_data_path(const char *name);
/* A fresh temporary directory for this test process (created once). */
const char *unit_tmpdir(void);
/* Path inside the temporary directory (caller frees). */
char *unit_tmp_path(const char *name);
/* Write bytes to a file; returns 0 on success. */
int unit_write_file(const char *path, const void *data, size_t len);
/* Read a whole file (caller frees); *len gets its size. */
char *unit_read_file(const char *path, size_t *len);

#endif
