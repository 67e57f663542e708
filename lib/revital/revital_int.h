/* revital_int.h — private to lib/revital: helpers shared by its files
 * (building result tables with bilingual column labels, ranking). */
#ifndef UPLIFT_REVITAL_INT_H
#define UPLIFT_REVITAL_INT_H

#include "uplift/revital.h"

/* Add a column and record its Chinese label as table metadata "zh:<name>". */
int rv_add_col(upl_table *t, const char *name, upl_type type, const char *zh, upl_column **out,
               upl_error *err);
/* Prefix the message already in err with a formatted context:
 * "<context>: <old message>" (the old text is copied before it is freed). */
int rv_error_wrap(upl_error *err, int code, const char *fmt, ...) UPL_PRINTF(3, 4);
/* Push a double, or a missing value when v is NaN. */
int rv_push_f64(upl_column *c, double v);
int rv_push_text(upl_column *c, const char *s);
/* Competition ranks (1 = highest value; ties share the smallest rank:
 * 1, 2, 2, 4) of v over the rows listed in idx (n entries); rank[idx[k]]
 * gets the rank. NaN ranks as 0 (unranked). Returns UPL_OK or UPL_ENOMEM. */
int rv_rank_desc(const double *v, const size_t *idx, size_t n, int64_t *rank) UPL_MUST_CHECK;

#endif
