/* sort.c — LSD radix sort of doubles (ascending, IEEE total order) carrying
 * an 8-byte payload. Exact and stable, O(n) per pass; passes whose byte is
 * the same for every key are skipped, so narrow-range data (incomes) sorts
 * in 4-6 passes. Used for Gini, quantiles and Lorenz curves. */
#include <string.h>
#include "uplift/table.h"

static inline uint64_t key_of(double d) {
    uint64_t u;
    memcpy(&u, &d, 8);
    /* negative: flip all bits; positive: flip the sign bit */
    return (u & 0x8000000000000000ull) ? ~u : (u | 0x8000000000000000ull);
}

static inline double double_of(uint64_t k) {
    uint64_t u = (k & 0x8000000000000000ull) ? (k & ~0x8000000000000000ull) : ~k;
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static void insertion(uint64_t *k, uint64_t *p, size_t n) {
    for (size_t i = 1; i < n; i++) {
        uint64_t kk = k[i], pp = p ? p[i] : 0;
        size_t j = i;
        while (j > 0 && k[j - 1] > kk) {
            k[j] = k[j - 1];
            if (p) p[j] = p[j - 1];
            j--;
        }
        k[j] = kk;
        if (p) p[j] = pp;
    }
}

/* Sorts keys (as uint64 in place) with optional payload. */
static int radix(uint64_t *k, uint64_t *p, size_t n) {
    if (n < 64) {
        insertion(k, p, n);
        return UPL_OK;
    }
    uint64_t *tk = upl_malloc(n * sizeof *tk);
    uint64_t *tp = p ? upl_malloc(n * sizeof *tp) : NULL;
    size_t (*hist)[256] = upl_calloc(8, sizeof *hist);
    if (!tk || (p && !tp) || !hist) {
        upl_free(tk);
        upl_free(tp);
        upl_free(hist);
        return UPL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t x = k[i];
        for (int b = 0; b < 8; b++) hist[b][(x >> (8 * b)) & 0xff]++;
    }
    uint64_t *sk = k, *sp = p, *dk = tk, *dp = tp;
    for (int b = 0; b < 8; b++) {
        size_t *h = hist[b];
        if (h[(sk[0] >> (8 * b)) & 0xff] == n) continue;   /* all keys share this byte */
        size_t sum = 0;
        for (int v = 0; v < 256; v++) {
            size_t c = h[v];
            h[v] = sum;
            sum += c;
        }
        int shift = 8 * b;
        if (sp) {
            for (size_t i = 0; i < n; i++) {
                size_t d = h[(sk[i] >> shift) & 0xff]++;
                dk[d] = sk[i];
                dp[d] = sp[i];
            }
        } else {
            for (size_t i = 0; i < n; i++) dk[h[(sk[i] >> shift) & 0xff]++] = sk[i];
        }
        uint64_t *t = sk; sk = dk; dk = t;
        t = sp; sp = dp; dp = t;
    }
    if (sk != k) {
        memcpy(k, sk, n * sizeof *k);
        if (p) memcpy(p, sp, n * sizeof *p);
    }
    upl_free(tk);
    upl_free(tp);
    upl_free(hist);
    return UPL_OK;
}

static int sort_any(double *keys, uint64_t *payload, size_t n) {
    if (n < 2) return UPL_OK;
    uint64_t *k = (uint64_t *)(void *)keys;   /* same size and alignment; converted in place */
    for (size_t i = 0; i < n; i++) k[i] = key_of(keys[i]);
    int rc = radix(k, payload, n);
    for (size_t i = 0; i < n; i++) keys[i] = double_of(k[i]);
    return rc;
}

int upl_sort_f64_u64(double *keys, uint64_t *payload, size_t n) { return sort_any(keys, payload, n); }
int upl_sort_f64_f64(double *keys, double *payload, size_t n) {
    return sort_any(keys, (uint64_t *)(void *)payload, n);
}
int upl_sort_f64(double *keys, size_t n) { return sort_any(keys, NULL, n); }
