/* test_io_number.c — strict, exact number parsing (upl_parse_f64/i64).
 * Exactness is checked against values whose binary form is known (DBL_MIN,
 * DBL_MAX, the smallest subnormal, 2^53+1 rounding to even) and against a
 * second method: glibc strtod on 200,000 seeded random decimal strings. */
#include <float.h>
#include <stdlib.h>
#include <string.h>
#include "unit_util.h"

static bool pf(const char *s, double *d) { return upl_parse_f64(s, strlen(s), d); }
static bool pi(const char *s, int64_t *v) { return upl_parse_i64(s, strlen(s), v); }

START_TEST(f64_exact_values) {
    double d;
    ck_assert(pf("0.1", &d) && d == 0.1);
    ck_assert(pf("2.2250738585072014e-308", &d) && d == DBL_MIN);
    ck_assert(pf("1.7976931348623157e308", &d) && d == DBL_MAX);
    ck_assert(pf("4.9406564584124654e-324", &d) && d == 4.9406564584124654e-324 && d > 0);
    ck_assert(pf("9007199254740993", &d) && d == 9007199254740992.0);       /* ties to even */
    ck_assert(pf("9007199254740995", &d) && d == 9007199254740996.0);
    ck_assert(pf("1e23", &d) && d == 1e23);                                 /* beyond the fast path */
    ck_assert(pf("0.30000000000000004", &d) && d == 0.30000000000000004);
    ck_assert(pf("123456789012345678901234567890", &d) && d == 1.2345678901234568e29);
    ck_assert(pf("-0", &d) && d == 0.0 && signbit(d));
    ck_assert(pf("+12.5", &d) && d == 12.5);
    ck_assert(pf(".5", &d) && d == 0.5);
    ck_assert(pf("5.", &d) && d == 5.0);
    ck_assert(pf("1.10105E+17", &d) && d == 110105000000000000.0);          /* a number; IDs are checked elsewhere */
    ck_assert(pf("0.000000000000000000000000000001", &d) && d == 1e-30);
    ck_assert(pf("1e-400", &d) && d == 0.0);                                 /* underflow rounds to zero */
    ck_assert(pf("3200.50", &d) && d == 3200.5);
}
END_TEST

START_TEST(f64_strict_rejects) {
    static const char *bad[] = {
        "", "+", "-", ".", "e5", "1e", "1e+", "1.2.3", "--1", "0x10", "inf", "-inf", "nan", "NaN",
        " 1", "1 ", "1 200", "12,000", "12,000.50", "\xC2\xA5" "1,200", "$5", "1.2\xE4\xB8\x87",
        "\xEF\xBC\x91\xEF\xBC\x92", "5%", "1,5", "1e309", "-1e309", "1_000", "١٢"
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        double d = 42;
        ck_assert_msg(!pf(bad[i], &d), "`%s` accepted as %g", bad[i], d);
        ck_assert(d == 42);   /* output untouched on failure */
    }
    double d;
    ck_assert(!upl_parse_f64("12", 1, &d) || d == 1.0);   /* length is respected */
    ck_assert(upl_parse_f64("12x", 2, &d) && d == 12.0);
}
END_TEST

START_TEST(i64_bounds) {
    int64_t v;
    ck_assert(pi("9223372036854775807", &v) && v == INT64_MAX);
    ck_assert(!pi("9223372036854775808", &v));
    ck_assert(pi("-9223372036854775808", &v) && v == INT64_MIN);
    ck_assert(!pi("-9223372036854775809", &v));
    ck_assert(pi("+5", &v) && v == 5);
    ck_assert(pi("007", &v) && v == 7);
    ck_assert(!pi("5.0", &v));
    ck_assert(!pi("", &v));
    ck_assert(!pi("-", &v));
    ck_assert(!pi("1e3", &v));
    ck_assert(!pi("1 000", &v));
}
END_TEST

/* Second method: strtod (glibc rounds correctly) on random decimal text. */
START_TEST(f64_matches_strtod) {
    uint64_t s = 0x9E3779B97F4A7C15ull;
    char buf[64];
    for (int i = 0; i < 200000; i++) {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        int n_int = (int)(s % 12), n_frac = (int)((s >> 8) % 20), e = (int)((s >> 16) % 80) - 40;
        size_t k = 0;
        if ((s >> 24) & 1) buf[k++] = '-';
        uint64_t r = s;
        for (int j = 0; j < n_int; j++) { buf[k++] = (char)('0' + r % 10); r = r / 10 ^ (r << 7); }
        if (n_int == 0) buf[k++] = '0';
        if (n_frac) {
            buf[k++] = '.';
            for (int j = 0; j < n_frac; j++) { buf[k++] = (char)('0' + r % 10); r = r / 10 ^ (r * 31); }
        }
        if ((s >> 30) & 1) k += (size_t)snprintf(buf + k, sizeof buf - k, "e%d", e);
        buf[k] = '\0';
        double a, b = strtod(buf, NULL);
        ck_assert_msg(upl_parse_f64(buf, k, &a), "rejected `%s`", buf);
        ck_assert_msg(a == b || (a == 0 && b == 0), "`%s`: %.17g vs strtod %.17g", buf, a, b);
    }
}
END_TEST

/* The strict UTF-8 check against a second implementation written from
 * Unicode table 3-7 (decode the code point, then reject overlongs,
 * surrogates and values above U+10FFFF): every 1-, 2- and 3-byte sequence,
 * then seeded random strings mixing ASCII, CJK and broken bytes. */
size_t upl__utf8_invalid_at(const char *s, size_t len);
size_t upl__utf8_invalid_at_scalar(const char *s, size_t len);
size_t upl__utf8_invalid_at_avx2(const char *s, size_t len);
bool upl__utf8_avx2_available(void);

/* Every way the check is computed must give the reference answer. */
static void utf8_check_all(const char *s, size_t n, size_t want) {
    ck_assert_uint_eq(upl__utf8_invalid_at(s, n), want);
    ck_assert_uint_eq(upl__utf8_invalid_at_scalar(s, n), want);
    if (upl__utf8_avx2_available()) ck_assert_uint_eq(upl__utf8_invalid_at_avx2(s, n), want);
}

static size_t ref_utf8(const unsigned char *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i], n, cp;
        if (c < 0x80) { i++; continue; }
        if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; }
        else return i;
        if (i + n >= len) return i;
        for (unsigned k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        static const unsigned min_cp[4] = { 0, 0x80, 0x800, 0x10000 };
        if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
        i += n + 1;
    }
    return len;
}

START_TEST(utf8_strict_matches_reference) {
    unsigned char b[40];
    for (unsigned x = 0; x < (1u << 24); x += (x < (1u << 16) ? 1 : 61)) {   /* all 1-2 byte and every 61st 3-byte string */
        b[0] = (unsigned char)(x >> 16); b[1] = (unsigned char)(x >> 8); b[2] = (unsigned char)x;
        for (size_t n = 1; n <= 3; n++) {
            const unsigned char *p = b + 3 - n;
            utf8_check_all((const char *)p, n, ref_utf8(p, n));
        }
    }
    uint64_t r = 99;
    static const char *const pieces[] = { "a", "0123456789abcdef", "王", "芳", "\xC2\xA5", "\xF0\x9F\x98\x80",
                                          "\xED\xA0\x80", "\xE0\x80\xAF", "\xC0\xAF", "\xF4\x90\x80\x80",
                                          "\xE4\xB8", "\x80", "\xFF", "\xEF\xBB\xBF" };
    char buf[400];
    for (int t = 0; t < 50000; t++) {
        size_t n = 0;
        int k = (int)(r % 12);
        for (int j = 0; j < k; j++) {
            r ^= r << 13; r ^= r >> 7; r ^= r << 17;
            /* mostly valid pieces, sometimes a broken one */
            size_t pick = (r >> 8) % 100 < 90 ? (r >> 16) % 4 : 4 + (r >> 16) % 10;
            const char *pc = pieces[pick];
            size_t l = strlen(pc);
            memcpy(buf + n, pc, l);
            n += l;
        }
        r ^= r << 13; r ^= r >> 7; r ^= r << 17;
        utf8_check_all(buf, n, ref_utf8((const unsigned char *)buf, n));
    }
}
END_TEST

/* The vector check works on 32-byte blocks inside 64 KiB segments that
 * end where a character starts: long text mixing 1-4 byte characters (so
 * blocks and segments split characters everywhere), with one bad sequence
 * put at every offset around block and segment ends and at random offsets,
 * and cut at every length near the end. Answers against the reference. */
START_TEST(utf8_vector_matches_reference_long) {
    static const char *const good[] = { "a", "0123456789,abc\n", "王", "芳", "\xC2\xA5", "\xF0\x9F\x98\x80",
                                        "\xE0\xA0\x80", "\xED\x9F\xBF", "\xF4\x8F\xBF\xBF", "\xEF\xBF\xBD" };
    static const char *const bad[] = { "\x80", "\xFF", "\xC0\xAF", "\xC1\xBF", "\xE4\xB8", "\xE4", "\xED\xA0\x80",
                                       "\xE0\x9F\xBF", "\xF0\x8F\xBF\xBF", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80",
                                       "\xF8\x88\x80\x80\x80", "\x80\x80\x80\x80\x80", "\xC2", "\xF0\x9F\x98" };
    size_t cap = 3 * 65536 + 4096, n = 0;
    char *text = malloc(cap + 16), *work = malloc(cap + 16);
    ck_assert_ptr_nonnull(text);
    ck_assert_ptr_nonnull(work);
    uint64_t r = 7;
    while (n + 16 < cap) {
        r ^= r << 13; r ^= r >> 7; r ^= r << 17;
        const char *pc = good[(r >> 11) % 10];
        size_t l = strlen(pc);
        memcpy(text + n, pc, l);
        n += l;
    }
    utf8_check_all(text, n, n);
    for (size_t cut = n - 80; cut <= n; cut++)   /* truncated characters at the end */
        utf8_check_all(text, cut, ref_utf8((const unsigned char *)text, cut));
    size_t at[2000], n_at = 0;
    for (size_t seg = 0; seg <= 3; seg++)
        for (size_t d = 0; d < 72 && n_at < 2000; d++) {
            size_t base = seg * 65536;
            if (base >= 40 && base + d - 40 < n - 8) at[n_at++] = base + d - 40;
            else if (base + d < n - 8) at[n_at++] = base + d;
        }
    while (n_at < 2000) {
        r ^= r << 13; r ^= r >> 7; r ^= r << 17;
        at[n_at++] = (size_t)(r % (n - 8));
    }
    for (size_t k = 0; k < n_at; k++) {
        r ^= r << 13; r ^= r >> 7; r ^= r << 17;
        const char *b = bad[(r >> 9) % 15];
        memcpy(work, text, n);
        memcpy(work + at[k], b, strlen(b));
        utf8_check_all(work, n, ref_utf8((const unsigned char *)work, n));
    }
    free(text);
    free(work);
}
END_TEST

Suite *suite_io_number(void) {
    Suite *s = suite_create("io_number");
    TCase *tc = tcase_create("parse");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, f64_exact_values);
    tcase_add_test(tc, f64_strict_rejects);
    tcase_add_test(tc, i64_bounds);
    tcase_add_test(tc, f64_matches_strtod);
    tcase_add_test(tc, utf8_strict_matches_reference);
    tcase_add_test(tc, utf8_vector_matches_reference_long);
    suite_add_tcase(s, tc);
    return s;
}
