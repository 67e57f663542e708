/* io_number.c — strict, exact parsing of decimal numbers and integers.
 *
 * Every reader and the registry share these so that "a number" means the
 * same thing everywhere. The grammar is validated here, by hand, before any
 * conversion: optional sign, digits with an optional fraction (at least one
 * digit on one side of the point), optional exponent. Anything written for
 * people rather than machines (`12,000`, `1 200`, `¥1,200`, `1.2万`,
 * full-width digits, `1e`, `0x10`, `inf`, `nan`) is rejected instead of
 * guessed (RELIABILITY.md §5 item 11).
 *
 * Conversion is correctly rounded. Most data has at most 15 significant
 * digits and a small power of ten; there the value is m * 10^e or m / 10^e
 * with m and 10^|e| both exact doubles, and one IEEE operation rounds
 * correctly (Clinger 1990, "How to read floating point numbers accurately",
 * the "fast path"). Everything else goes to strtod_l in the C locale, which
 * glibc rounds correctly for every input. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "uplift/io.h"
#include "reader_int.h"

static const double pow10_exact[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void c_locale_init(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

/* Validate the grammar; fill the parts the fast path needs. Returns false
 * on any byte outside the grammar. */
typedef struct num_parts {
    bool is_negative;
    uint64_t mantissa;     /* significant digits, leading zeros dropped (valid if n_sig <= 19) */
    int n_sig;             /* significant digits counted (after leading zeros) */
    long exp10;            /* decimal exponent applied to mantissa */
    bool has_exp_overflow; /* exponent text too long to hold */
} num_parts;

static bool scan_number(const char *s, size_t len, num_parts *np) {
    size_t i = 0;
    np->is_negative = false;
    np->mantissa = 0;
    np->n_sig = 0;
    np->exp10 = 0;
    np->has_exp_overflow = false;
    if (len == 0) return false;
    if (s[0] == '+' || s[0] == '-') { np->is_negative = s[0] == '-'; i = 1; }
    size_t n_int = 0, n_frac = 0;
    long dropped = 0; /* digits beyond 19 significant that were not stored */
    for (; i < len && (unsigned)(s[i] - '0') < 10; i++, n_int++) {
        int d = s[i] - '0';
        if (np->n_sig == 0 && d == 0) continue;
        if (np->n_sig < 19) np->mantissa = np->mantissa * 10 + (uint64_t)d;
        else dropped++;
        np->n_sig++;
    }
    if (i < len && s[i] == '.') {
        i++;
        for (; i < len && (unsigned)(s[i] - '0') < 10; i++, n_frac++) {
            int d = s[i] - '0';
            if (np->n_sig == 0 && d == 0) { np->exp10--; continue; }
            if (np->n_sig < 19) { np->mantissa = np->mantissa * 10 + (uint64_t)d; np->exp10--; }
            np->n_sig++;
        }
    }
    if (n_int + n_frac == 0) return false;
    np->exp10 += dropped;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool neg = false;
        if (i < len && (s[i] == '+' || s[i] == '-')) { neg = s[i] == '-'; i++; }
        size_t n_exp = 0;
        long e = 0;
        for (; i < len && (unsigned)(s[i] - '0') < 10; i++, n_exp++) {
            if (e < 100000000L) e = e * 10 + (s[i] - '0');
            else np->has_exp_overflow = true;
        }
        if (n_exp == 0) return false;
        np->exp10 += neg ? -e : e;
    }
    return i == len;
}

bool upl__is_f64_text(const char *s, size_t len) {
    num_parts np;
    return scan_number(s, len, &np);
}

bool upl_parse_f64(const char *s, size_t len, double *out) {
    num_parts np;
    if (!s || !scan_number(s, len, &np)) return false;
    double v;
    if (np.n_sig == 0) {
        v = 0.0;
    } else if (np.n_sig <= 15 && !np.has_exp_overflow && np.exp10 >= -22 && np.exp10 <= 22) {
        /* Clinger's fast path: both operands exact, one correctly rounded op. */
        v = (double)np.mantissa;
        v = np.exp10 < 0 ? v / pow10_exact[-np.exp10] : v * pow10_exact[np.exp10];
    } else {
        pthread_once(&c_locale_once, c_locale_init);
        char small[72];
        char *buf = len < sizeof small ? small : upl_malloc(len + 1);
        if (!buf) return false;
        memcpy(buf, s, len);
        buf[len] = '\0';
        char *end;
        errno = 0;
        v = c_locale ? strtod_l(buf, &end, c_locale) : strtod(buf, &end);
        bool ok = end == buf + len;
        if (buf != small) upl_free(buf);
        if (!ok) return false;
        /* ERANGE: overflow gives ±HUGE_VAL (rejected: not a finite value);
         * underflow gives a correctly rounded subnormal or zero (kept). */
        if (v == HUGE_VAL || v == -HUGE_VAL) return false;
        *out = v;
        return true;
    }
    *out = np.is_negative ? -v : v;
    return true;
}

bool upl_parse_i64(const char *s, size_t len, int64_t *out) {
    if (!s || len == 0) return false;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '+' || s[0] == '-') { neg = s[0] == '-'; i = 1; }
    if (i == len) return false;
    uint64_t v = 0;
    const uint64_t limit = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
    for (; i < len; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (d > 9) return false;
        if (v > (limit - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}
