/* fuzz_csv.c — libFuzzer harness for the CSV/TSV reader and the strict
 * number parser.
 *
 * The first input byte picks options (threads 1 or 2, encoding auto or
 * GB18030, sniffed or fixed delimiter, a missing token, a small field limit,
 * rejects written to /dev/null or not); the rest is the file. Any outcome is
 * allowed except a crash, a leak, a sanitizer report, or a broken promise:
 *   - success: rows read = loaded + rejected, the table has `loaded` rows,
 *     every text value is valid UTF-8, every string offset is in range;
 *   - failure: no table is returned.
 * The same bytes (when short) also go through upl_parse_f64, checked
 * against strtod whenever the strict grammar accepts them.
 * Seeds: tests/fuzz/corpus/fuzz_csv/. Build and run: make fuzz. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "uplift/io.h"
#include "../../lib/io/reader_int.h"

static char path[64];

static void check_table(const upl_table *t, const upl_read_summary *s) {
    if (s->rows_loaded + s->rows_rejected != s->rows_read) abort();
    if (upl_table_n_rows(t) != s->rows_loaded) abort();
    for (size_t k = 0; k < upl_table_n_cols(t); k++) {
        const upl_column *c = upl_table_column(t, k);
        if (c->n_rows != s->rows_loaded) abort();
        if (upl__utf8_invalid_at(c->name, strlen(c->name)) != strlen(c->name)) abort();
        for (size_t r = 0; r < c->n_rows; r++) {
            if (!upl_col_is_valid(c, r)) continue;
            size_t len;
            if (c->type == UPL_STR) {
                if (c->str_off[r] > c->str_off[r + 1] || c->str_off[r + 1] > c->str_bytes) abort();
                const char *v = upl_col_str(c, r, &len);
                if (upl__utf8_invalid_at(v, len) != len) abort();
            } else if (c->type == UPL_CAT) {
                if (!upl_dict_label(c->dict, c->v.cat[r])) abort();
            } else if (c->type == UPL_F64) {
                if (c->v.f64[r] != c->v.f64[r]) abort();   /* never NaN for a present value */
            }
        }
    }
}

static void check_number(const uint8_t *data, size_t size) {
    if (size == 0 || size > 64) return;
    char buf[65];
    memcpy(buf, data, size);
    buf[size] = '\0';
    if (strlen(buf) != size) return;
    double d;
    if (upl_parse_f64(buf, size, &d)) {
        char *end;
        double e = strtod(buf, &end);
        if (end != buf + size || (d != e && !(d == 0 && e == 0))) abort();
    }
    int64_t v;
    if (upl_parse_i64(buf, size, &v)) {
        char *end;
        long long w = strtoll(buf, &end, 10);
        if (end != buf + size || w != v) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    uint8_t sel = data[0];
    data++;
    size--;
    check_number(data, size);
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/fuzz_csv.%ld.csv", (long)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    if (size && fwrite(data, 1, size, f) != size) { fclose(f); return 0; }
    fclose(f);
    upl_read_options o;
    upl_read_options_init(&o);
    o.format = UPL_FMT_CSV;
    o.n_threads = (sel & 1) ? 2 : 1;
    if (sel & 2) o.encoding = "gb18030";
    if (sel & 4) o.delimiter = ',';
    static const char *tok[] = { "NA" };
    if (sel & 8) { o.missing_tokens = tok; o.n_missing_tokens = 1; }
    if (sel & 16) o.max_field_bytes = 8;
    if (sel & 32) o.rejects_path = "/dev/null";
    else o.is_rejects_disabled = true;
    static upl_schema_field sf[] = { { .name = "id_number", .type = UPL_STR, .is_id = true },
                                     { .name = "n", .type = UPL_I64 }, { .name = "c", .type = UPL_CAT } };
    if (sel & 64) { o.schema = sf; o.n_schema = 3; }
    upl_table *t = NULL;
    upl_read_summary s;
    upl_error e = { 0 };
    int rc = upl_read_table(path, &o, &t, &s, &e);
    if (rc == UPL_OK) {
        if (!t) abort();
        check_table(t, &s);
        upl_table_free(t);
    } else if (t) {
        abort();
    }
    upl_error_clear(&e);
    return 0;
}
