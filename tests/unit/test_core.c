/* test_core.c — unit tests for lib/core: error messages, the allocation
 * hook, arenas, columns and dictionaries, tables, the chunked thread pool
 * (thread-count independence), compensated sums, radix sort and group-by. */
#include <stdlib.h>
#include <string.h>
#include "unit_util.h"

/* ---- errors ---- */
START_TEST(error_message_names_location) {
    upl_error e = {0};
    int rc = upl_error_at(&e, UPL_EPARSE, "households.csv", 1204331, 7, "hh_size",
                          "expected an integer, found `%s`", "3.5");
    ck_assert_int_eq(rc, UPL_EPARSE);
    ck_assert_str_eq(upl_error_message(&e),
                     "households.csv:1204331:7: column `hh_size`: expected an integer, found `3.5`");
    upl_error copy = {0};
    ck_assert_int_eq(upl_error_copy(&copy, &e), UPL_EPARSE);
    ck_assert_str_eq(upl_error_message(&copy), upl_error_message(&e));
    upl_error_clear(&e);
    upl_error_clear(&copy);
    ck_assert_int_eq(e.code, UPL_OK);
    upl_error_set(&e, UPL_EIO, "cannot open `%s`", "x.csv");
    ck_assert_str_eq(upl_error_message(&e), "cannot open `x.csv`");
    upl_error_clear(&e);
    ck_assert_str_eq(upl_errname(UPL_ECORRUPT), "UPL_ECORRUPT");
    ck_assert_str_eq(upl_errname(999), "UPL_E?");
    ck_assert_int_eq(upl_error_set(NULL, UPL_ENOMEM, "x"), UPL_ENOMEM);
}
END_TEST

/* ---- allocation hook ---- */
START_TEST(alloc_fail_after_nth) {
    upl_alloc_fail_after(3, false);
    void *a = upl_malloc(8), *b = upl_malloc(8), *c = upl_malloc(8), *d = upl_malloc(8);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_null(c);           /* the 3rd fails */
    ck_assert_ptr_nonnull(d);        /* one-shot mode: the 4th succeeds */
    ck_assert(upl_alloc_failed());
    upl_free(a); upl_free(b); upl_free(d);
    upl_alloc_fail_after(2, true);
    a = upl_malloc(8);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_null(upl_malloc(8));
    ck_assert_ptr_null(upl_calloc(1, 8));   /* continuous mode */
    upl_alloc_fail_after(0, false);
    upl_free(a);
    ck_assert_ptr_null(upl_reallocarray(NULL, SIZE_MAX / 2, 4)); /* overflow */
}
END_TEST

START_TEST(arena_alignment_and_reset) {
    upl_arena *a = upl_arena_new(128);
    ck_assert_ptr_nonnull(a);
    for (int i = 0; i < 100; i++) {
        void *p = upl_arena_alloc(a, (size_t)i + 1);
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq((uintptr_t)p % 16, 0);
        memset(p, 0xab, (size_t)i + 1);
    }
    char *s = upl_arena_strndup(a, "村委会xyz", 9);
    ck_assert_str_eq(s, "村委会");
    void *big = upl_arena_alloc(a, 10000);   /* larger than a block */
    ck_assert_ptr_nonnull(big);
    upl_arena_reset(a);
    ck_assert_int_eq(upl_arena_bytes(a), 0);
    ck_assert_ptr_nonnull(upl_arena_alloc(a, 16));
    upl_arena_free(a);
    upl_arena_free(NULL);
}
END_TEST

/* ---- columns, dictionaries, tables ---- */
START_TEST(dict_interns_and_grows) {
    upl_dict *d = upl_dict_new();
    char buf[32];
    for (int i = 0; i < 5000; i++) {
        int32_t code;
        int n = snprintf(buf, sizeof buf, "label-%d", i);
        ck_assert_int_eq(upl_dict_intern(d, buf, (size_t)n, &code), UPL_OK);
        ck_assert_int_eq(code, i);
    }
    int32_t again;
    ck_assert_int_eq(upl_dict_intern(d, "label-1234", 10, &again), UPL_OK);
    ck_assert_int_eq(again, 1234);
    ck_assert_int_eq(upl_dict_find(d, "label-4999", 10), 4999);
    ck_assert_int_eq(upl_dict_find(d, "nope", 4), -1);
    ck_assert_int_eq(upl_dict_size(d), 5000);
    ck_assert_str_eq(upl_dict_label(d, 7), "label-7");
    ck_assert_ptr_null(upl_dict_label(d, 5000));
    upl_dict_free(d);
}
END_TEST

START_TEST(columns_keep_missing_apart_from_zero) {
    upl_table *t = upl_table_new();
    upl_column *inc, *id, *grade, *flag, *n;
    upl_error e = {0};
    ck_assert_int_eq(upl_table_add_column(t, "income", UPL_F64, &inc, &e), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "id", UPL_STR, &id, &e), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "grade", UPL_CAT, &grade, &e), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "flag", UPL_BOOL, &flag, &e), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "n", UPL_I64, &n, &e), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "income", UPL_I64, NULL, &e), UPL_ESCHEMA);
    upl_error_clear(&e);
    for (int i = 0; i < 1000; i++) {
        if (i % 3 == 0) {
            ck_assert_int_eq(upl_col_push_null(inc), UPL_OK);
            ck_assert_int_eq(upl_col_push_null(id), UPL_OK);
            ck_assert_int_eq(upl_col_push_null(grade), UPL_OK);
            ck_assert_int_eq(upl_col_push_null(flag), UPL_OK);
            ck_assert_int_eq(upl_col_push_null(n), UPL_OK);
        } else {
            ck_assert_int_eq(upl_col_push_f64(inc, 0.0), UPL_OK);
            ck_assert_int_eq(upl_col_push_str(id, "0101", 4), UPL_OK);
            ck_assert_int_eq(upl_col_push_cat(grade, i % 2 ? "C" : "A", 1), UPL_OK);
            ck_assert_int_eq(upl_col_push_bool(flag, i % 2), UPL_OK);
            ck_assert_int_eq(upl_col_push_i64(n, i), UPL_OK);
        }
    }
    ck_assert_int_eq(upl_table_n_rows(t), 1000);
    ck_assert_int_eq(upl_table_validate(t, &e), UPL_OK);
    ck_assert_int_eq(upl_col_null_count(inc), 334);
    ck_assert_int_eq(upl_col_null_count(id), 334);
    double v;
    ck_assert(!upl_col_get_f64(inc, 0, &v));     /* missing is not zero */
    ck_assert(upl_col_get_f64(inc, 1, &v));
    ck_assert(v == 0.0);
    size_t len;
    const char *s = upl_col_str(id, 1, &len);
    ck_assert_int_eq(len, 4);
    ck_assert(memcmp(s, "0101", 4) == 0);        /* leading zero kept */
    ck_assert_int_eq(upl_dict_size(grade->dict), 2);
    char *buf = NULL;
    size_t cap = 0;
    ck_assert(upl_col_format(grade, 1, &buf, &cap, &len));
    ck_assert_str_eq(buf, "C");
    ck_assert(!upl_col_format(grade, 0, &buf, &cap, &len));
    ck_assert_int_eq(len, 0);
    ck_assert_int_eq(upl_col_push_f64(id, 1.0), UPL_EMISUSE);   /* wrong type */
    ck_assert_int_eq(upl_col_push_code(grade, 7), UPL_EMISUSE); /* unknown code */
    upl_free(buf);

    upl_column *found;
    ck_assert_int_eq(upl_table_require(t, "income", UPL_MASK_NUMERIC, &found, &e), UPL_OK);
    ck_assert_ptr_eq(found, inc);
    ck_assert_int_eq(upl_table_require(t, "incme", 0, &found, &e), UPL_ESCHEMA);
    ck_assert_ptr_nonnull(strstr(upl_error_message(&e), "column `incme`: no such column; columns are: income, id"));
    ck_assert_int_eq(upl_table_require(t, "id", UPL_MASK_NUMERIC, &found, &e), UPL_ESCHEMA);
    upl_error_clear(&e);

    upl_table *copy = upl_table_new();
    ck_assert_int_eq(upl_table_copy_column(copy, grade, "grade2", &e), UPL_OK);
    ck_assert_int_eq(upl_table_copy_column(copy, id, NULL, &e), UPL_OK);
    upl_column *g2 = upl_table_find(copy, "grade2");
    ck_assert_int_eq(g2->n_rows, 1000);
    ck_assert_int_eq(g2->v.cat[5], grade->v.cat[5]);
    ck_assert_str_eq(upl_dict_label(g2->dict, g2->v.cat[5]), "C");
    ck_assert_int_eq(upl_col_null_count(upl_table_find(copy, "id")), 334);
    ck_assert_int_eq(upl_table_set_meta(copy, "encoding", "GB18030"), UPL_OK);
    ck_assert_int_eq(upl_table_set_meta(copy, "encoding", "UTF-8"), UPL_OK);
    ck_assert_str_eq(upl_table_meta(copy, "encoding"), "UTF-8");
    upl_table_free(copy);
    upl_table_free(t);
}
END_TEST

START_TEST(format_double_round_trips) {
    upl_table *t = upl_table_new();
    upl_column *c;
    upl_error e = {0};
    ck_assert_int_eq(upl_table_add_column(t, "x", UPL_F64, &c, &e), UPL_OK);
    const double vals[] = { 0.1, 1.0 / 3.0, 2300, -0.0, 1e-308, 4.9e-324, 1.7976931348623157e308, 3218.5 };
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) ck_assert_int_eq(upl_col_push_f64(c, vals[i]), UPL_OK);
    char *buf = NULL;
    size_t cap = 0, len;
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        ck_assert(upl_col_format(c, i, &buf, &cap, &len));
        ck_assert(strtod(buf, NULL) == vals[i]);
    }
    ck_assert(upl_col_format(c, 0, &buf, &cap, &len));
    ck_assert_str_eq(buf, "0.1");
    ck_assert(upl_col_format(c, 2, &buf, &cap, &len));
    ck_assert_str_eq(buf, "2300");
    upl_free(buf);
    upl_table_free(t);
}
END_TEST

START_TEST(table_alloc_failure_loop) {
    /* Every allocation in building a table can fail without a crash or leak. */
    for (long n = 1; n < 500; n++) {
        upl_alloc_fail_after(n, false);
        upl_error e = {0};
        upl_table *t = upl_table_new();
        int rc = t ? UPL_OK : UPL_ENOMEM;
        upl_column *c = NULL, *s = NULL;
        if (!rc) rc = upl_table_add_column(t, "a", UPL_CAT, &c, &e);
        if (!rc) rc = upl_table_add_column(t, "b", UPL_STR, &s, &e);
        for (int i = 0; !rc && i < 300; i++) {
            char lab[16];
            int len = snprintf(lab, sizeof lab, "k%d", i % 70);
            rc = upl_col_push_cat(c, lab, (size_t)len);
            if (!rc) rc = upl_col_push_str(s, lab, (size_t)len);
        }
        bool failed = upl_alloc_failed();
        upl_alloc_fail_after(0, false);
        upl_table_free(t);
        upl_error_clear(&e);
        if (!failed) {
            ck_assert_int_eq(rc, UPL_OK);
            return;   /* reached the end without an injected failure: done */
        }
        ck_assert_int_ne(rc, UPL_OK);
    }
    ck_abort_msg("allocation loop did not finish");
}
END_TEST

/* ---- compensated summation ---- */
START_TEST(ksum_is_compensated) {
    /* 1e16 + 1 + 1 ... naive double loses the ones; Neumaier keeps them. */
    upl_ksum k = {0};
    upl_ksum_add(&k, 1e16);
    for (int i = 0; i < 1000; i++) upl_ksum_add(&k, 1.0);
    upl_ksum_add(&k, -1e16);
    ck_assert(upl_ksum_value(&k) == 1000.0);
    /* Neumaier's own example: [1, 1e100, 1, -1e100] sums to 2. */
    upl_ksum m = {0};
    const double x[] = { 1.0, 1e100, 1.0, -1e100 };
    for (int i = 0; i < 4; i++) upl_ksum_add(&m, x[i]);
    ck_assert(upl_ksum_value(&m) == 2.0);
    /* merge of partial sums equals the one-pass sum */
    upl_ksum a = {0}, b = {0}, all = {0};
    for (int i = 1; i <= 100000; i++) {
        double v = 1.0 / i;
        upl_ksum_add(i <= 50000 ? &a : &b, v);
        upl_ksum_add(&all, v);
    }
    upl_ksum_merge(&a, &b);
    ck_assert_near(upl_ksum_value(&a), upl_ksum_value(&all), 1e-15);
    /* harmonic number H_100000 = 12.090146129863428 (ln n + γ + 1/2n − 1/12n² …) */
    ck_assert_near(upl_ksum_value(&all), 12.090146129863428, 1e-15);
}
END_TEST

/* ---- thread pool ---- */
typedef struct sum_ctx { const double *x; upl_ksum *partial; } sum_ctx;
static int sum_chunk(void *ctx, size_t chunk, size_t begin, size_t end) {
    sum_ctx *s = ctx;
    upl_ksum k = {0};
    for (size_t i = begin; i < end; i++) upl_ksum_add(&k, s->x[i]);
    s->partial[chunk] = k;
    return UPL_OK;
}
static int fail_chunk(void *ctx, size_t chunk, size_t begin, size_t end) {
    (void)ctx; (void)begin; (void)end;
    return chunk == 3 ? UPL_ERANGE : UPL_OK;
}

START_TEST(pool_results_independent_of_threads) {
    size_t n = 1000003, chunk = 4096;
    double *x = malloc(n * sizeof *x);
    uint64_t s = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {   /* xorshift: values across magnitudes */
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        x[i] = (double)(s % 1000000) * (i % 7 == 0 ? 1e6 : 0.001);
    }
    double results[4];
    int threads[4] = { 1, 2, 3, 8 };
    for (int t = 0; t < 4; t++) {
        upl_pool *p;
        ck_assert_int_eq(upl_pool_new(threads[t], &p), UPL_OK);
        ck_assert_int_eq(upl_pool_threads(p), threads[t]);
        size_t nc = upl_n_chunks(n, chunk);
        upl_ksum *partial = calloc(nc, sizeof *partial);
        sum_ctx ctx = { x, partial };
        for (int rep = 0; rep < 3; rep++) ck_assert_int_eq(upl_pool_for_chunks(p, n, chunk, sum_chunk, &ctx), UPL_OK);
        upl_ksum total = {0};
        for (size_t c = 0; c < nc; c++) upl_ksum_merge(&total, &partial[c]);
        results[t] = upl_ksum_value(&total);
        ck_assert_int_eq(upl_pool_for_chunks(p, n, chunk, fail_chunk, NULL), UPL_ERANGE);
        free(partial);
        upl_pool_free(p);
    }
    for (int t = 1; t < 4; t++) ck_assert(results[t] == results[0]);   /* bit-identical */
    /* against an independent long-double sum */
    long double ref = 0;
    for (size_t i = 0; i < n; i++) ref += x[i];
    ck_assert_near(results[0], (double)ref, 1e-15);
    ck_assert_int_eq(upl_pool_for_chunks(NULL, 0, chunk, sum_chunk, NULL), UPL_OK);
    free(x);
}
END_TEST

/* ---- sorting ---- */
static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

START_TEST(radix_sort_matches_qsort_with_payload) {
    size_t sizes[] = { 0, 1, 2, 63, 64, 1000, 200001 };
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        double *k = malloc((n + 1) * sizeof *k), *ref = malloc((n + 1) * sizeof *ref);
        double *w = malloc((n + 1) * sizeof *w);
        uint64_t s = 0x9e3779b97f4a7c15ull + n;
        for (size_t i = 0; i < n; i++) {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            double v = ((double)(s % 2000001) - 1000000.0) / 7.0;   /* negatives, ties */
            if (i % 11 == 0) v = 3.0;
            if (i % 13 == 0) v = -0.0;
            k[i] = ref[i] = v;
            w[i] = v * 2.0 + 1.0;   /* payload derivable from the key: checks pairing */
        }
        qsort(ref, n, sizeof *ref, cmp_double);
        ck_assert_int_eq(upl_sort_f64_f64(k, w, n), UPL_OK);
        for (size_t i = 0; i < n; i++) {
            ck_assert(k[i] == ref[i]);
            ck_assert(w[i] == k[i] * 2.0 + 1.0);
            if (i) ck_assert(k[i - 1] <= k[i]);
        }
        free(k); free(ref); free(w);
    }
    /* stability: equal keys keep payload order */
    double keys[200];
    uint64_t idx[200];
    for (int i = 0; i < 200; i++) { keys[i] = (double)(i % 5); idx[i] = (uint64_t)i; }
    ck_assert_int_eq(upl_sort_f64_u64(keys, idx, 200), UPL_OK);
    for (int i = 1; i < 200; i++)
        if (keys[i] == keys[i - 1]) ck_assert(idx[i] > idx[i - 1]);
    double neg[] = { 1.5, -2.0, -0.0, 0.0, -1e300, 1e-300 };
    ck_assert_int_eq(upl_sort_f64(neg, 6), UPL_OK);
    ck_assert(neg[0] == -1e300 && neg[1] == -2.0 && neg[4] == 1e-300 && neg[5] == 1.5);
    ck_assert(signbit(neg[2]) && !signbit(neg[3]));   /* -0 before +0 */
}
END_TEST

/* ---- group-by ---- */
START_TEST(groupby_two_keys_sorted_with_missing) {
    upl_table *t = upl_table_new();
    upl_column *prov, *urban, *code;
    upl_error e = {0};
    ck_assert_int_eq(upl_table_add_column(t, "province", UPL_CAT, &prov, &e), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "urban", UPL_I64, &urban, &e), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "code", UPL_STR, &code, &e), UPL_OK);
    const char *p[] = { "52", "11", "52", "11", "65", "52", "11" };
    const int u[] = { 1, 0, 0, 0, 1, 1, -1 };   /* -1 = missing */
    for (int i = 0; i < 7; i++) {
        ck_assert_int_eq(upl_col_push_cat(prov, p[i], 2), UPL_OK);
        if (u[i] < 0) ck_assert_int_eq(upl_col_push_null(urban), UPL_OK);
        else ck_assert_int_eq(upl_col_push_i64(urban, u[i]), UPL_OK);
        ck_assert_int_eq(upl_col_push_str(code, p[i], 2), UPL_OK);
    }
    const char *keys[] = { "province", "urban" };
    upl_groupby *g;
    ck_assert_int_eq(upl_groupby_build(t, keys, 2, &g, &e), UPL_OK);
    /* groups in key order: (11,0) (52,0) (52,1) (65,1) */
    ck_assert_int_eq(g->n_groups, 4);
    ck_assert_str_eq(g->labels[0][0], "11"); ck_assert_str_eq(g->labels[0][1], "0");
    ck_assert_str_eq(g->labels[1][0], "52"); ck_assert_str_eq(g->labels[1][1], "0");
    ck_assert_str_eq(g->labels[2][0], "52"); ck_assert_str_eq(g->labels[2][1], "1");
    ck_assert_str_eq(g->labels[3][0], "65"); ck_assert_str_eq(g->labels[3][1], "1");
    const int32_t want[] = { 2, 0, 1, 0, 3, 2, -1 };
    for (int i = 0; i < 7; i++) ck_assert_int_eq(g->group_of_row[i], want[i]);
    ck_assert_int_eq(g->group_rows[0], 2);
    ck_assert_int_eq(g->group_rows[2], 2);
    ck_assert_int_eq(g->n_missing_key, 1);
    upl_groupby_free(g);
    const char *k2[] = { "code" };
    ck_assert_int_eq(upl_groupby_build(t, k2, 1, &g, &e), UPL_OK);
    ck_assert_int_eq(g->n_groups, 3);
    ck_assert_str_eq(g->labels[2][0], "65");
    upl_groupby_free(g);
    const char *k3[] = { "nope" };
    ck_assert_int_eq(upl_groupby_build(t, k3, 1, &g, &e), UPL_ESCHEMA);
    ck_assert_ptr_null(g);
    upl_error_clear(&e);
    upl_table_free(t);
}
END_TEST

/* Many key combinations take the hash path; ids must still follow key order. */
typedef struct pair_row { int64_t a, b; size_t row; } pair_row;
static int cmp_pair(const void *x, const void *y) {
    const pair_row *p = x, *q = y;
    if (p->a != q->a) return (p->a > q->a) - (p->a < q->a);
    return (p->b > q->b) - (p->b < q->b);
}

START_TEST(groupby_hash_path_matches_sorted_reference) {
    size_t n = 20000;
    upl_table *t = upl_table_new();
    upl_column *a, *b;
    upl_error e = {0};
    ck_assert_int_eq(upl_table_add_column(t, "a", UPL_I64, &a, &e), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "b", UPL_F64, &b, &e), UPL_OK);
    pair_row *ref = malloc(n * sizeof *ref);
    for (size_t i = 0; i < n; i++) {
        int64_t va = (int64_t)((i * 7919) % 3001) - 1500, vb = (int64_t)(i % 2999);
        ck_assert_int_eq(upl_col_push_i64(a, va), UPL_OK);
        ck_assert_int_eq(upl_col_push_f64(b, (double)vb), UPL_OK);
        ref[i] = (pair_row){ va, vb, i };
    }
    const char *keys[] = { "a", "b" };   /* 3001 x 2999 > 2^22 combinations */
    upl_groupby *g;
    ck_assert_int_eq(upl_groupby_build(t, keys, 2, &g, &e), UPL_OK);
    qsort(ref, n, sizeof *ref, cmp_pair);
    int32_t id = -1;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || cmp_pair(&ref[i], &ref[i - 1]) != 0) id++;
        ck_assert_int_eq(g->group_of_row[ref[i].row], id);
        char la[32], lb[32];
        snprintf(la, sizeof la, "%lld", (long long)ref[i].a);
        snprintf(lb, sizeof lb, "%lld", (long long)ref[i].b);
        ck_assert_str_eq(g->labels[id][0], la);
        ck_assert_str_eq(g->labels[id][1], lb);
    }
    ck_assert_int_eq(g->n_groups, id + 1);
    upl_groupby_free(g);
    /* a fractional value in a numeric key is an error naming row and column */
    ck_assert_int_eq(upl_col_push_i64(a, 1), UPL_OK);
    ck_assert_int_eq(upl_col_push_f64(b, 2.5), UPL_OK);
    ck_assert_int_eq(upl_groupby_build(t, keys, 2, &g, &e), UPL_ESCHEMA);
    ck_assert_ptr_nonnull(strstr(upl_error_message(&e), "row 20001: column `b`: group key must be whole numbers"));
    upl_error_clear(&e);
    free(ref);
    upl_table_free(t);
}
END_TEST

START_TEST(groupby_alloc_failure_loop) {
    upl_table *t = upl_table_new();
    upl_column *a, *b, *c;
    upl_error e = {0};
    ck_assert_int_eq(upl_table_add_column(t, "a", UPL_I64, &a, &e), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "b", UPL_I64, &b, &e), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "c", UPL_STR, &c, &e), UPL_OK);
    for (int i = 0; i < 3000; i++) {
        ck_assert_int_eq(upl_col_push_i64(a, i % 2500), UPL_OK);
        ck_assert_int_eq(upl_col_push_i64(b, (i * 31) % 2003), UPL_OK);
        char lab[16];
        int len = snprintf(lab, sizeof lab, "v%d", i % 40);
        ck_assert_int_eq(upl_col_push_str(c, lab, (size_t)len), UPL_OK);
    }
    const char *sets[2][2] = { { "a", "b" }, { "c", "a" } };   /* hash path, dense path */
    for (int set = 0; set < 2; set++) {
        bool done = false;
        for (long n = 1; n < 100000 && !done; n += n < 300 ? 1 : 97) {   /* every early point, then a stride */
            upl_groupby *g = NULL;
            upl_alloc_fail_after(n, false);
            int rc = upl_groupby_build(t, sets[set], 2, &g, &e);
            bool failed = upl_alloc_failed();
            upl_alloc_fail_after(0, false);
            if (failed) {
                ck_assert_int_eq(rc, UPL_ENOMEM);
                ck_assert_ptr_null(g);
            } else {
                ck_assert_int_eq(rc, UPL_OK);
                done = true;
            }
            upl_groupby_free(g);
            upl_error_clear(&e);
        }
        ck_assert(done);
    }
    upl_table_free(t);
}
END_TEST

START_TEST(rational_parse_exact) {
    upl_rational a, b, k;
    upl_error e = {0};
    ck_assert_int_eq(upl_rational_parse("1/6", &a, &e), UPL_OK);
    ck_assert_int_eq(upl_rational_parse(" 3/18 ", &b, &e), UPL_OK);
    ck_assert(a.num == 1 && a.den == 6 && b.num == 1 && b.den == 6);   /* reduced */
    ck_assert_int_eq(upl_rational_parse("1/3", &k, &e), UPL_OK);
    /* 1/6 + 1/6 >= 1/3 exactly, where binary doubles may say otherwise */
    ck_assert(a.num * b.den + b.num * a.den == 12 && a.den * b.den == 36);   /* 12/36 */
    ck_assert((a.num * b.den + b.num * a.den) * k.den >= k.num * (a.den * b.den));
    ck_assert_int_eq(upl_rational_parse("33%", &k, &e), UPL_OK);
    ck_assert(k.num == 33 && k.den == 100);
    ck_assert_int_eq(upl_rational_parse("0.25", &k, &e), UPL_OK);
    ck_assert(k.num == 1 && k.den == 4);
    ck_assert_int_eq(upl_rational_parse("-0.5/3", &k, &e), UPL_OK);
    ck_assert(k.num == -1 && k.den == 6);
    ck_assert_near(upl_rational_value(k), -1.0 / 6.0, 1e-15);
    ck_assert_int_eq(upl_rational_parse("1/0", &k, &e), UPL_EPARSE);
    ck_assert_str_eq(upl_error_message(&e), "`1/0` is not a weight or cutoff (write 1/6, 0.25, 33% or 2)");
    ck_assert_int_eq(upl_rational_parse("1/3x", &k, &e), UPL_EPARSE);
    ck_assert_int_eq(upl_rational_parse("", &k, NULL), UPL_EPARSE);
    ck_assert_int_eq(upl_rational_parse("99999999999999999999", &k, &e), UPL_ERANGE);
    upl_error_clear(&e);
    ck_assert_int_eq(upl_gcd64(-12, 18), 6);
    ck_assert_int_eq(upl_gcd64(0, 0), 0);
}
END_TEST

START_TEST(table_take_rows) {
    upl_table *t = upl_table_new();
    upl_column *a, *b, *c;
    upl_error e = {0};
    ck_assert_int_eq(upl_table_add_column(t, "a", UPL_F64, &a, &e), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "b", UPL_STR, &b, &e), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(t, "c", UPL_CAT, &c, &e), UPL_OK);
    for (int i = 0; i < 5; i++) {
        char s[8];
        int len = snprintf(s, sizeof s, "0%d", i);
        if (i == 2) {
            ck_assert_int_eq(upl_col_push_null(a), UPL_OK);
            ck_assert_int_eq(upl_col_push_null(b), UPL_OK);
            ck_assert_int_eq(upl_col_push_null(c), UPL_OK);
        } else {
            ck_assert_int_eq(upl_col_push_f64(a, i + 0.5), UPL_OK);
            ck_assert_int_eq(upl_col_push_str(b, s, (size_t)len), UPL_OK);
            ck_assert_int_eq(upl_col_push_cat(c, i % 2 ? "odd" : "even", i % 2 ? 3 : 4), UPL_OK);
        }
    }
    const size_t rows[] = { 4, 2, 0, 4 };
    upl_table *r;
    ck_assert_int_eq(upl_table_take(t, rows, 4, &r, &e), UPL_OK);
    ck_assert_int_eq(upl_table_n_rows(r), 4);
    const upl_column *ra = upl_table_find(r, "a"), *rb = upl_table_find(r, "b"), *rc = upl_table_find(r, "c");
    ck_assert(ra->v.f64[0] == 4.5 && ra->v.f64[2] == 0.5 && ra->v.f64[3] == 4.5);
    ck_assert(!upl_col_is_valid(ra, 1) && !upl_col_is_valid(rb, 1) && !upl_col_is_valid(rc, 1));
    size_t len;
    const char *sv = upl_col_str(rb, 2, &len);
    ck_assert(len == 2 && !memcmp(sv, "00", 2));   /* leading zero kept */
    ck_assert_str_eq(upl_dict_label(rc->dict, rc->v.cat[0]), "even");
    ck_assert_int_eq(rc->v.cat[0], c->v.cat[4]);     /* same codes */
    upl_table_free(r);
    const size_t bad[] = { 5 };
    ck_assert_int_eq(upl_table_take(t, bad, 1, &r, &e), UPL_ERANGE);
    ck_assert_ptr_null(r);
    ck_assert_str_eq(upl_error_message(&e), "row 6 is out of range (the table has 5 rows)");
    upl_error_clear(&e);
    ck_assert_int_eq(upl_table_take(t, rows, 0, &r, &e), UPL_OK);
    ck_assert_int_eq(upl_table_n_rows(r), 0);
    ck_assert_int_eq(upl_table_n_cols(r), 3);
    upl_table_free(r);
    upl_table_free(t);
}
END_TEST

Suite *suite_core(void) {
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, error_message_names_location);
    tcase_add_test(tc, alloc_fail_after_nth);
    tcase_add_test(tc, arena_alignment_and_reset);
    tcase_add_test(tc, dict_interns_and_grows);
    tcase_add_test(tc, columns_keep_missing_apart_from_zero);
    tcase_add_test(tc, format_double_round_trips);
    tcase_add_test(tc, table_alloc_failure_loop);
    tcase_add_test(tc, ksum_is_compensated);
    tcase_add_test(tc, pool_results_independent_of_threads);
    tcase_add_test(tc, radix_sort_matches_qsort_with_payload);
    tcase_add_test(tc, groupby_two_keys_sorted_with_missing);
    tcase_add_test(tc, groupby_hash_path_matches_sorted_reference);
    tcase_add_test(tc, groupby_alloc_failure_loop);
    tcase_add_test(tc, rational_parse_exact);
    tcase_add_test(tc, table_take_rows);
    suite_add_tcase(s, tc);
    return s;
}
