/* identify_int.h — private to lib/identify. */
#ifndef UPLIFT_IDENTIFY_INT_H
#define UPLIFT_IDENTIFY_INT_H

#include "uplift/identify.h"

struct upl_identify {
    const upl_profile *p;
    const upl_table *t;
    upl_identify_options opt;
    upl_eval *ev;
};

typedef struct sbuf { char *s; size_t n, cap; } sbuf;
void idf_sb_reset(sbuf *b);
int idf_sb_add(sbuf *b, const char *s, size_t l);
int idf_sb_str(sbuf *b, const char *s);
void idf_frac_text(int64_t num, int64_t den, char *buf, size_t size);
int idf_evidence(const upl_identify *r, size_t i, size_t g, int64_t witness, sbuf *sb, sbuf *tmp);

#endif
