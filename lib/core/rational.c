/* rational.c — exact fractions for policy weights and cutoffs (1/6, 1/18,
 * k = 1/3): parsed exactly from text so that 1/6 + 1/6 >= 1/3 holds, which
 * binary floating point does not guarantee (DOMAIN.md §3.1 item 4). Used by
 * lib/measure (Alkire-Foster) and lib/profile (indicator weights, k). */
#include "uplift/table.h"

int64_t upl_gcd64(int64_t a, int64_t b) {
    if (a < 0) a = -a;
    if (b < 0) b = -b;
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static bool read_digits(const char **p, int64_t *v, int64_t *scale, bool *any) {
    for (; **p >= '0' && **p <= '9'; (*p)++) {
        if (*v > (INT64_MAX - 9) / 10 || (scale && *scale > INT64_MAX / 10)) return false;
        *v = *v * 10 + (**p - '0');
        if (scale) *scale *= 10;
        *any = true;
    }
    return true;
}

int upl_rational_parse(const char *s, upl_rational *out, upl_error *err) {
    const char *p = s;
    int64_t num = 0, den = 1, frac = 1;
    bool neg = false, any = false;
    if (!s || !out) return upl_error_set(err, UPL_EMISUSE, "upl_rational_parse: NULL argument");
    while (*p == ' ') p++;
    if (*p == '-' || *p == '+') neg = *p++ == '-';
    if (!read_digits(&p, &num, NULL, &any)) goto range;
    if (*p == '.') {
        p++;
        if (!read_digits(&p, &num, &frac, &any)) goto range;
        den = frac;
    }
    if (!any) goto bad;
    while (*p == ' ') p++;
    if (*p == '/') {
        int64_t d = 0;
        bool dany = false;
        p++;
        while (*p == ' ') p++;
        if (!read_digits(&p, &d, NULL, &dany)) goto range;
        if (!dany || d == 0) goto bad;
        if (den > INT64_MAX / d) goto range;
        den *= d;
    } else if (*p == '%') {
        p++;
        if (den > INT64_MAX / 100) goto range;
        den *= 100;
    }
    while (*p == ' ') p++;
    if (*p) goto bad;
    int64_t g = upl_gcd64(num, den);
    if (g == 0) g = 1;
    out->num = (neg ? -num : num) / g;
    out->den = den / g;
    return UPL_OK;
range:
    return upl_error_set(err, UPL_ERANGE, "`%s` has too many digits for an exact fraction", s);
bad:
    return upl_error_set(err, UPL_EPARSE, "`%s` is not a weight or cutoff (write 1/6, 0.25, 33%% or 2)", s);
}
