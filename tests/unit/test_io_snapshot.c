/* test_io_snapshot.c — the .upl snapshot: XXH64 against published vectors,
 * round trips of every column type with missing values, empty tables, the
 * streaming writer against the whole-table writer (byte-identical files),
 * and corruption: every flipped byte and every truncation is UPL_ECORRUPT. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit_util.h"
#include "../../lib/io/snapshot_int.h"

/* ---- XXH64 ------------------------------------------------------------------ */
START_TEST(xxh64_vectors) {
    /* Vectors from the xxHash project and the python-xxhash README. */
    const char *s = "Nobody inspects the spammish repetition";
    ck_assert_uint_eq(upl__xxh64("", 0, 0), 0xEF46DB3751D8E999ULL);
    ck_assert_uint_eq(upl__xxh64("a", 1, 0), 0xD24EC4F1A98C6E5BULL);
    ck_assert_uint_eq(upl__xxh64("abc", 3, 0), 0x44BC2CF5AD770999ULL);
    ck_assert_uint_eq(upl__xxh64(s, strlen(s), 0), 0xFBCEA83C8A378BF1ULL);
    /* streaming in every split equals one shot (covers the 32-byte buffer) */
    uint8_t buf[200];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(i * 37 + 11);
    uint64_t whole = upl__xxh64(buf, sizeof buf, 7);
    for (size_t a = 0; a <= sizeof buf; a += 3) {
        for (size_t b = a; b <= sizeof buf; b += 17) {
            upl__xxh64_state st;
            upl__xxh64_init(&st, 7);
            upl__xxh64_update(&st, buf, a);
            upl__xxh64_update(&st, buf + a, b - a);
            upl__xxh64_update(&st, buf + b, sizeof buf - b);
            ck_assert_uint_eq(upl__xxh64_digest(&st), whole);
        }
    }
}
END_TEST

/* ---- fixtures ------------------------------------------------------------------ */
static const char *const STRS[] = { "北京市", "", "Ürümqi ئۈرۈمچی", "a\"b,c\nd", "😀 emoji", "x" };

/* n rows of every type; row i is missing in column k when (i + k) % 5 == 3. */
static upl_table *make_table(size_t n) {
    upl_table *t = upl_table_new();
    upl_column *f, *i64, *cat, *b, *s, *kept;
    upl_error e = {0};
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(upl_table_add_column(t, "f", UPL_F64, &f, &e), 0);
    ck_assert_int_eq(upl_table_add_column(t, "n", UPL_I64, &i64, &e), 0);
    ck_assert_int_eq(upl_table_add_column(t, "区域 region", UPL_CAT, &cat, &e), 0);
    ck_assert_int_eq(upl_table_add_column(t, "b", UPL_BOOL, &b, &e), 0);
    ck_assert_int_eq(upl_table_add_column(t, "s", UPL_STR, &s, &e), 0);
    ck_assert_int_eq(upl_table_add_column(t, "id", UPL_STR, &kept, &e), 0);
    kept->is_text_kept = true;
    static const char *const labels[] = { "东部 east", "中部 central", "西部 west" };
    for (size_t r = 0; r < n; r++) {
        if ((r + 0) % 5 == 3) ck_assert_int_eq(upl_col_push_null(f), 0);
        else ck_assert_int_eq(upl_col_push_f64(f, r == 1 ? -0.0 : (double)r * 1.25 - 3e300 * (r == 2)), 0);
        if ((r + 1) % 5 == 3) ck_assert_int_eq(upl_col_push_null(i64), 0);
        else ck_assert_int_eq(upl_col_push_i64(i64, r == 0 ? INT64_MIN : (int64_t)r * 1000003 - 7), 0);
        if ((r + 2) % 5 == 3) ck_assert_int_eq(upl_col_push_null(cat), 0);
        else ck_assert_int_eq(upl_col_push_cat(cat, labels[(r * 7) % 3], strlen(labels[(r * 7) % 3])), 0);
        if ((r + 3) % 5 == 3) ck_assert_int_eq(upl_col_push_null(b), 0);
        else ck_assert_int_eq(upl_col_push_bool(b, r % 3 == 0), 0);
        if ((r + 4) % 5 == 3) ck_assert_int_eq(upl_col_push_null(s), 0);
        else ck_assert_int_eq(upl_col_push_str(s, STRS[r % 6], strlen(STRS[r % 6])), 0);
        char id[32];
        snprintf(id, sizeof id, "%06zu", r);
        ck_assert_int_eq(upl_col_push_str(kept, id, strlen(id)), 0);
    }
    return t;
}

static void assert_tables_equal(const upl_table *a, const upl_table *b) {
    ck_assert_uint_eq(upl_table_n_cols(a), upl_table_n_cols(b));
    ck_assert_uint_eq(upl_table_n_rows(a), upl_table_n_rows(b));
    size_t n = upl_table_n_rows(a);
    for (size_t k = 0; k < upl_table_n_cols(a); k++) {
        const upl_column *x = upl_table_column(a, k), *y = upl_table_column(b, k);
        ck_assert_str_eq(x->name, y->name);
        ck_assert_int_eq(x->type, y->type);
        ck_assert_int_eq(x->is_text_kept, y->is_text_kept);
        ck_assert_uint_eq(y->n_rows, n);
        for (size_t r = 0; r < n; r++) {
            ck_assert_int_eq(upl_col_is_valid(x, r), upl_col_is_valid(y, r));
            if (!upl_col_is_valid(x, r)) continue;
            switch (x->type) {
            case UPL_F64: ck_assert(memcmp(&x->v.f64[r], &y->v.f64[r], 8) == 0); break; /* bit-exact, -0.0 too */
            case UPL_I64: ck_assert(x->v.i64[r] == y->v.i64[r]); break;
            case UPL_BOOL: ck_assert_int_eq(x->v.b[r] != 0, y->v.b[r] != 0); break;
            case UPL_CAT:
                ck_assert_str_eq(upl_dict_label(x->dict, x->v.cat[r]), upl_dict_label(y->dict, y->v.cat[r]));
                break;
            case UPL_STR: {
                size_t lx, ly;
                const char *sx = upl_col_str(x, r, &lx), *sy = upl_col_str(y, r, &ly);
                ck_assert_uint_eq(lx, ly);
                ck_assert(memcmp(sx, sy, lx) == 0);
                break;
            }
            }
        }
    }
}

/* ---- round trips ------------------------------------------------------------------ */
START_TEST(roundtrip_all_types) {
    static const size_t sizes[] = { 1, 2, 63, 64, 65, 1000 };
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        upl_table *t = make_table(sizes[si]), *r = NULL;
        upl_error e = {0};
        char *p = unit_tmp_path("rt.upl");
        ck_assert_msg(upl_snapshot_write(t, p, &e) == UPL_OK, "%s", upl_error_message(&e));
        for (int verify = 0; verify < 2; verify++) {
            ck_assert_msg(upl_snapshot_open(p, verify, &r, &e) == UPL_OK, "%s", upl_error_message(&e));
            assert_tables_equal(t, r);
            for (size_t k = 0; k < upl_table_n_cols(r); k++) {
                const upl_column *c = upl_table_column(r, k);
                ck_assert(c->is_borrowed);
                ck_assert_uint_eq((uintptr_t)c->valid % 64, 0);
                ck_assert_uint_eq((uintptr_t)(c->type == UPL_STR ? (void *)c->str_off : c->v.raw) % 64, 0);
            }
            /* missing slots are canonical: NaN / 0 / -1 */
            const upl_column *f = upl_table_find(r, "f"), *cat = upl_table_find(r, "区域 region");
            for (size_t i = 0; i < sizes[si]; i++) {
                if (!upl_col_is_valid(f, i)) ck_assert(isnan(f->v.f64[i]));
                if (!upl_col_is_valid(cat, i)) ck_assert_int_eq(cat->v.cat[i], -1);
            }
            ck_assert_str_eq(upl_table_meta(r, "format"), "upl");
            upl_table_free(r);
        }
        upl_table_free(t);
        unlink(p);
        free(p);
    }
}
END_TEST

START_TEST(roundtrip_empty) {
    upl_error e = {0};
    char *p = unit_tmp_path("empty.upl");
    /* no columns */
    upl_table *t = upl_table_new(), *r = NULL;
    ck_assert_int_eq(upl_snapshot_write(t, p, &e), UPL_OK);
    ck_assert_int_eq(upl_snapshot_open(p, true, &r, &e), UPL_OK);
    ck_assert_uint_eq(upl_table_n_cols(r), 0);
    ck_assert_uint_eq(upl_table_n_rows(r), 0);
    upl_table_free(r);
    upl_table_free(t);
    /* columns of every type, zero rows */
    t = make_table(0);
    ck_assert_int_eq(upl_snapshot_write(t, p, &e), UPL_OK);
    ck_assert_int_eq(upl_snapshot_open(p, true, &r, &e), UPL_OK);
    assert_tables_equal(t, r);
    ck_assert_uint_eq(upl_table_n_cols(r), 6);
    upl_table_free(r);
    upl_table_free(t);
    /* all rows missing */
    t = upl_table_new();
    upl_column *c;
    ck_assert_int_eq(upl_table_add_column(t, "allnull", UPL_CAT, &c, &e), 0);
    for (int i = 0; i < 70; i++) ck_assert_int_eq(upl_col_push_null(c), 0);
    ck_assert_int_eq(upl_snapshot_write(t, p, &e), UPL_OK);
    ck_assert_int_eq(upl_snapshot_open(p, true, &r, &e), UPL_OK);
    assert_tables_equal(t, r);
    ck_assert_uint_eq(upl_col_null_count(upl_table_column(r, 0)), 70);
    upl_table_free(r);
    upl_table_free(t);
    unlink(p);
    free(p);
}
END_TEST

/* Rows [a, b) of make_table(n) as its own table, with a dictionary built in a
 * different order, so the writer has to remap codes. */
static upl_table *slice(const upl_table *src, size_t a, size_t b) {
    upl_table *t = upl_table_new();
    upl_error e = {0};
    for (size_t k = 0; k < upl_table_n_cols(src); k++) {
        const upl_column *s = upl_table_column(src, k);
        upl_column *d;
        ck_assert_int_eq(upl_table_add_column(t, s->name, s->type, &d, &e), 0);
        d->is_text_kept = s->is_text_kept;
        if (s->type == UPL_CAT) {   /* pre-intern labels in reverse order */
            for (int32_t j = upl_dict_size(s->dict) - 1; j >= 0; j--) {
                int32_t code;
                ck_assert_int_eq(upl_dict_intern(d->dict, upl_dict_label(s->dict, j), upl_dict_label_len(s->dict, j), &code), 0);
            }
        }
        for (size_t r = a; r < b; r++) {
            if (!upl_col_is_valid(s, r)) { ck_assert_int_eq(upl_col_push_null(d), 0); continue; }
            switch (s->type) {
            case UPL_F64: ck_assert_int_eq(upl_col_push_f64(d, s->v.f64[r]), 0); break;
            case UPL_I64: ck_assert_int_eq(upl_col_push_i64(d, s->v.i64[r]), 0); break;
            case UPL_BOOL: ck_assert_int_eq(upl_col_push_bool(d, s->v.b[r]), 0); break;
            case UPL_CAT: {
                const char *l = upl_dict_label(s->dict, s->v.cat[r]);
                ck_assert_int_eq(upl_col_push_cat(d, l, strlen(l)), 0);
                break;
            }
            case UPL_STR: {
                size_t len;
                const char *x = upl_col_str(s, r, &len);
                ck_assert_int_eq(upl_col_push_str(d, x, len), 0);
                break;
            }
            }
        }
    }
    return t;
}

START_TEST(streaming_equals_whole) {
    const size_t n = 1000;
    static const size_t cuts[] = { 0, 1, 64, 65, 200, 201, 263, 700, 1000 };
    upl_table *t = make_table(n), *r = NULL;
    upl_error e = {0};
    char *pw = unit_tmp_path("whole.upl"), *ps = unit_tmp_path("stream.upl");
    ck_assert_int_eq(upl_snapshot_write(t, pw, &e), UPL_OK);
    upl_snapshot_writer *w = NULL;
    ck_assert_int_eq(upl_snapshot_writer_open(ps, t, &w, &e), UPL_OK);
    for (size_t i = 0; i + 1 < sizeof cuts / sizeof cuts[0]; i++) {
        upl_table *c = slice(t, cuts[i], cuts[i + 1]);
        ck_assert_msg(upl_snapshot_writer_append(w, c, &e) == UPL_OK, "%s", upl_error_message(&e));
        upl_table_free(c);
    }
    ck_assert_uint_eq(upl_snapshot_writer_rows(w), n);
    ck_assert_msg(upl_snapshot_writer_finish(w, &e) == UPL_OK, "%s", upl_error_message(&e));
    ck_assert_int_eq(upl_snapshot_open(ps, true, &r, &e), UPL_OK);
    assert_tables_equal(t, r);
    upl_table_free(r);
    /* the chunk dictionaries were in reverse order, yet the bytes match the
     * whole-table file: the dictionary follows first use, as in `t` */
    size_t la, lb;
    char *a = unit_read_file(pw, &la), *b = unit_read_file(ps, &lb);
    ck_assert_uint_eq(la, lb);
    ck_assert(memcmp(a, b, la) == 0);
    free(a);
    free(b);
    upl_table_free(t);
    unlink(pw);
    unlink(ps);
    free(pw);
    free(ps);
}
END_TEST

START_TEST(streaming_schema_mismatch) {
    upl_table *t = make_table(3), *bad = upl_table_new();
    upl_error e = {0};
    upl_column *c;
    char *p = unit_tmp_path("mismatch.upl");
    upl_snapshot_writer *w = NULL;
    ck_assert_int_eq(upl_snapshot_writer_open(p, t, &w, &e), UPL_OK);
    ck_assert_int_eq(upl_table_add_column(bad, "f", UPL_I64, &c, &e), 0);
    ck_assert_int_eq(upl_snapshot_writer_append(w, bad, &e), UPL_ESCHEMA);
    upl_error_clear(&e);
    ck_assert_int_eq(upl_snapshot_writer_finish(w, &e), UPL_EMISUSE);   /* nothing written after an error */
    ck_assert_int_eq(access(p, F_OK), -1);
    upl_error_clear(&e);
    upl_table_free(bad);
    upl_table_free(t);
    free(p);
}
END_TEST

/* ---- corruption ------------------------------------------------------------------ */
static char *small_snapshot(size_t *len) {
    upl_table *t = make_table(70);
    upl_error e = {0};
    char *p = unit_tmp_path("small.upl");
    ck_assert_int_eq(upl_snapshot_write(t, p, &e), UPL_OK);
    char *data = unit_read_file(p, len);
    upl_table_free(t);
    unlink(p);
    free(p);
    return data;
}

START_TEST(corrupt_every_byte) {
    size_t len;
    char *data = small_snapshot(&len);
    char *p = unit_tmp_path("flip.upl");
    ck_assert_uint_gt(len, 1000);
    for (size_t i = 0; i < len; i++) {
        for (int mask = 1; mask <= 0x80; mask <<= 7) {   /* low bit and high bit */
            data[i] ^= (char)mask;
            ck_assert_int_eq(unit_write_file(p, data, len), 0);
            upl_table *r = NULL;
            upl_error e = {0};
            int rc = upl_snapshot_open(p, true, &r, &e);
            ck_assert_msg(rc == UPL_ECORRUPT, "byte %zu ^ %x: got %s", i, mask, upl_errname(rc));
            ck_assert_ptr_null(r);
            upl_error_clear(&e);
            /* without verify, a damaged file may open, but must never be read out of bounds */
            rc = upl_snapshot_open(p, false, &r, &e);
            ck_assert(rc == UPL_OK || rc == UPL_ECORRUPT);
            if (rc == UPL_OK) {
                for (size_t k = 0; k < upl_table_n_cols(r); k++) {
                    const upl_column *c = upl_table_column(r, k);
                    for (size_t row = 0; row < c->n_rows; row++) {
                        size_t l;
                        if (c->type == UPL_STR) (void)upl_col_str(c, row, &l);
                        if (c->type == UPL_CAT && upl_col_is_valid(c, row))
                            ck_assert_ptr_nonnull(upl_dict_label(c->dict, c->v.cat[row]));
                    }
                }
            }
            upl_table_free(r);
            upl_error_clear(&e);
            data[i] ^= (char)mask;
        }
    }
    free(data);
    unlink(p);
    free(p);
}
END_TEST

START_TEST(corrupt_every_truncation) {
    size_t len;
    char *data = small_snapshot(&len);
    char *p = unit_tmp_path("trunc.upl");
    for (size_t cut = 0; cut < len; cut++) {
        ck_assert_int_eq(unit_write_file(p, data, cut), 0);
        for (int verify = 0; verify < 2; verify++) {
            upl_table *r = NULL;
            upl_error e = {0};
            int rc = upl_snapshot_open(p, verify, &r, &e);
            ck_assert_msg(rc == UPL_ECORRUPT, "cut at %zu: got %s", cut, upl_errname(rc));
            upl_error_clear(&e);
        }
    }
    /* one byte too many is also not a snapshot */
    char *longer = malloc(len + 1);
    memcpy(longer, data, len);
    longer[len] = 0;
    ck_assert_int_eq(unit_write_file(p, longer, len + 1), 0);
    upl_table *r = NULL;
    upl_error e = {0};
    ck_assert_int_eq(upl_snapshot_open(p, false, &r, &e), UPL_ECORRUPT);
    upl_error_clear(&e);
    free(longer);
    free(data);
    unlink(p);
    free(p);
}
END_TEST

START_TEST(corrupt_message_names_column) {
    upl_table *t = make_table(100), *r = NULL;
    upl_error e = {0};
    char *p = unit_tmp_path("msg.upl");
    ck_assert_int_eq(upl_snapshot_write(t, p, &e), UPL_OK);
    size_t len;
    char *data = unit_read_file(p, &len);
    /* column "n" is second: header 64 + f's validity (64) + f's values (800 -> 832) + n's validity (64) */
    size_t at = 64 + 64 + 832 + 64 + 10;
    data[at] ^= 0x10;
    ck_assert_int_eq(unit_write_file(p, data, len), 0);
    ck_assert_int_eq(upl_snapshot_open(p, true, &r, &e), UPL_ECORRUPT);
    const char *msg = upl_error_message(&e);
    ck_assert_msg(strstr(msg, "msg.upl") && strstr(msg, "`n`") && strstr(msg, "values block checksum"), "%s", msg);
    upl_error_clear(&e);
    /* not a snapshot at all; missing file */
    ck_assert_int_eq(unit_write_file(p, "code,name\n1,a\n0123456789012345678901234567890123456789012345678901234567890123\n", 80), 0);
    ck_assert_int_eq(upl_snapshot_open(p, true, &r, &e), UPL_ECORRUPT);
    ck_assert_msg(strstr(upl_error_message(&e), "not an uplift snapshot"), "%s", upl_error_message(&e));
    upl_error_clear(&e);
    unlink(p);
    ck_assert_int_eq(upl_snapshot_open(p, true, &r, &e), UPL_ENOTFOUND);
    upl_error_clear(&e);
    free(data);
    upl_table_free(t);
    free(p);
}
END_TEST

/* Files of 64 MiB and more are verified on the thread pool: same verdicts. */
START_TEST(corrupt_large_parallel_verify) {
    const size_t n = 4500000;   /* 2 x 36 MB of values */
    upl_table *t = upl_table_new(), *r = NULL;
    upl_error e = { 0 };
    upl_column *a, *b;
    ck_assert_int_eq(upl_table_add_column(t, "a", UPL_F64, &a, &e), 0);
    ck_assert_int_eq(upl_table_add_column(t, "b", UPL_I64, &b, &e), 0);
    ck_assert_int_eq(upl_col_reserve(a, n, 0), 0);
    ck_assert_int_eq(upl_col_reserve(b, n, 0), 0);
    /* filled in place (pushing 9 million values is slow under the sanitizers) */
    for (size_t i = 0; i < n; i++) {
        a->v.f64[i] = (double)i * 0.5;
        b->v.i64[i] = (int64_t)i;
    }
    memset(a->valid, 0xFF, (n + 63) / 64 * 8);
    memset(b->valid, 0xFF, (n + 63) / 64 * 8);
    a->n_rows = b->n_rows = n;
    ck_assert_uint_eq(upl_col_null_count(a), 0);
    char *p = unit_tmp_path("large.upl");
    ck_assert_int_eq(upl_snapshot_write(t, p, &e), UPL_OK);
    ck_assert_int_eq(upl_snapshot_open(p, true, &r, &e), UPL_OK);
    ck_assert(r && upl_table_find(r, "b")->v.i64[n - 1] == (int64_t)n - 1);
    upl_table_free(r);
    size_t len;
    char *data = unit_read_file(p, &len);
    ck_assert_uint_gt(len, (size_t)64 << 20);
    /* one byte in b's values (after a's validity and values and b's validity), then one in a's */
    size_t vb = ((n + 63) / 64 * 8 + 63) / 64 * 64, va = (n * 8 + 63) / 64 * 64;
    size_t spots[2] = { 64 + vb + va + vb + 12345, 64 + vb + 777 };
    const char *want[2] = { "`b`", "`a`" };
    for (int k = 0; k < 2; k++) {
        data[spots[k]] ^= 0x40;
        ck_assert_int_eq(unit_write_file(p, data, len), 0);
        ck_assert_int_eq(upl_snapshot_open(p, true, &r, &e), UPL_ECORRUPT);
        ck_assert_msg(strstr(upl_error_message(&e), want[k]) && strstr(upl_error_message(&e), "values block"), "%s",
                      upl_error_message(&e));
        upl_error_clear(&e);
        data[spots[k]] ^= 0x40;
    }
    free(data);
    unlink(p);
    free(p);
    upl_table_free(t);
}
END_TEST

/* ---- allocation failures: no crash, no leak (LSan under SANITIZE) --------- */
START_TEST(alloc_failures) {
    upl_table *t = make_table(300);
    char *p = unit_tmp_path("oom.upl"), *ps = unit_tmp_path("oom-stream.upl");
    upl_error e = {0};
    ck_assert_int_eq(upl_snapshot_write(t, p, &e), UPL_OK);
    /* fail the n-th allocation (once, then continuously) until the call
     * makes fewer than n allocations and succeeds */
    for (int cont = 0; cont < 2; cont++) {
        bool open_done = false, write_done = false;
        for (long n = 1; !(open_done && write_done); n++) {
            ck_assert_int_lt(n, 100000);
            if (!open_done) {
                upl_table *r = NULL;
                upl_alloc_fail_after(n, cont);
                int rc = upl_snapshot_open(p, true, &r, &e);
                bool failed = upl_alloc_failed();
                upl_alloc_fail_after(0, false);
                ck_assert_int_eq(rc, failed ? UPL_ENOMEM : UPL_OK);
                open_done = !failed;
                upl_table_free(r);
                upl_error_clear(&e);
            }
            if (!write_done) {
                upl_snapshot_writer *w = NULL;
                upl_alloc_fail_after(n, cont);
                int rc = upl_snapshot_writer_open(ps, t, &w, &e);
                if (rc == UPL_OK) rc = upl_snapshot_writer_append(w, t, &e);
                if (rc == UPL_OK) rc = upl_snapshot_writer_finish(w, &e);
                else upl_snapshot_writer_abort(w);
                bool failed = upl_alloc_failed();
                upl_alloc_fail_after(0, false);
                ck_assert_int_eq(rc, failed ? UPL_ENOMEM : UPL_OK);
                write_done = !failed;
                upl_error_clear(&e);
            }
        }
    }
    upl_table_free(t);
    unlink(p);
    unlink(ps);
    free(p);
    free(ps);
}
END_TEST

Suite *suite_io_snapshot(void) {
    Suite *s = suite_create("io_snapshot");
    TCase *tc = tcase_create("snapshot");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, xxh64_vectors);
    tcase_add_test(tc, roundtrip_all_types);
    tcase_add_test(tc, roundtrip_empty);
    tcase_add_test(tc, streaming_equals_whole);
    tcase_add_test(tc, streaming_schema_mismatch);
    tcase_add_test(tc, corrupt_every_byte);
    tcase_add_test(tc, corrupt_every_truncation);
    tcase_add_test(tc, corrupt_message_names_column);
    tcase_add_test(tc, corrupt_large_parallel_verify);
    tcase_add_test(tc, alloc_failures);
    suite_add_tcase(s, tc);
    return s;
}
