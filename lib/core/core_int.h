/* core_int.h — private to lib/core. */
#ifndef UPLIFT_CORE_INT_H
#define UPLIFT_CORE_INT_H
#include "uplift/table.h"

uint64_t upl__hash_bytes(const void *data, size_t len);
int upl__format_double(double v, char *out, size_t size);
void upl__column_release(upl_column *c);

#endif
