/* synth_write.c — writes the generated chunks to files: CSV (header once,
 * then rows; RFC 4180 quoting; text that could start a spreadsheet formula
 * is prefixed with ') or .upl snapshots through the streaming writer. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "uplift/io.h"
#include "synth_int.h"

static const char *const NAMES[3] = { "households", "members", "events" };

typedef struct file_sink {
    bool is_csv;
    FILE *f[3];
    char *path[3];
    bool has_header[3];
    upl_snapshot_writer *w[3];
    char *buf;
    size_t cap;
} file_sink;

static int put_text(FILE *f, const char *s, size_t n) {
    bool quote = false;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    bool formula = n > 0 && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t');
    if (!quote && !formula) return fwrite(s, 1, n, f) == n ? 0 : -1;
    if (fputc('"', f) == EOF) return -1;
    if (formula && fputc('\'', f) == EOF) return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' && fputc('"', f) == EOF) return -1;
        if (fputc(s[i], f) == EOF) return -1;
    }
    return fputc('"', f) == EOF ? -1 : 0;
}

/* Integer to text; returns length. */
static size_t fmt_i64(int64_t v, char *out) {
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do { tmp[n++] = (char)('0' + u % 10); u /= 10; } while (u);
    size_t k = 0;
    if (v < 0) out[k++] = '-';
    while (n) out[k++] = tmp[--n];
    return k;
}

/* Money and measurements are whole cents: print those directly (the text
 * reads back to the same double, since c/100.0 is the double nearest to the
 * decimal c/100); anything else goes through upl_col_format (shortest
 * round-trip text). Returns 0 if x is not whole cents. */
static size_t fmt_cents(double x, char *out) {
    if (!(x > -1e11 && x < 1e11)) return 0;
    double c = nearbyint(x * 100);
    if ((double)(int64_t)c / 100.0 != x) return 0;
    int64_t ci = (int64_t)c;
    size_t k = 0;
    if (ci < 0) { out[k++] = '-'; ci = -ci; }
    k += fmt_i64(ci / 100, out + k);
    int frac = (int)(ci % 100);
    if (frac) {
        out[k++] = '.';
        out[k++] = (char)('0' + frac / 10);
        if (frac % 10) out[k++] = (char)('0' + frac % 10);
    }
    return k;
}

static int write_csv_chunk(file_sink *fs, int k, const upl_table *t, upl_error *err) {
    FILE *f = fs->f[k];
    size_t nc = upl_table_n_cols(t), nr = upl_table_n_rows(t);
    int bad = 0;
    if (!fs->has_header[k]) {
        for (size_t c = 0; c < nc; c++) {
            const char *nm = upl_table_column(t, c)->name;
            if (c) bad |= fputc(',', f) == EOF;
            bad |= put_text(f, nm, strlen(nm));
        }
        bad |= fputc('\n', f) == EOF;
        fs->has_header[k] = true;
    }
    for (size_t r = 0; r < nr && !bad; r++) {
        for (size_t c = 0; c < nc; c++) {
            const upl_column *col = upl_table_column(t, c);
            if (c) bad |= fputc(',', f) == EOF;
            if (!upl_col_is_valid(col, r)) continue;
            switch (col->type) {
            case UPL_I64: {
                char t_[24];
                size_t n = fmt_i64(col->v.i64[r], t_);
                bad |= fwrite(t_, 1, n, f) != n;
                break;
            }
            case UPL_BOOL: bad |= fputs(col->v.b[r] ? "true" : "false", f) == EOF; break;
            case UPL_CAT: {
                const char *l = upl_dict_label(col->dict, col->v.cat[r]);
                bad |= put_text(f, l, upl_dict_label_len(col->dict, col->v.cat[r]));
                break;
            }
            case UPL_STR: {
                size_t n;
                const char *s = upl_col_str(col, r, &n);
                bad |= put_text(f, s, n);
                break;
            }
            case UPL_F64: {
                char t_[40];
                size_t n = fmt_cents(col->v.f64[r], t_);
                if (n) bad |= fwrite(t_, 1, n, f) != n;
                else if (upl_col_format(col, r, &fs->buf, &fs->cap, &n)) bad |= fwrite(fs->buf, 1, n, f) != n;
                break;
            }
            }
        }
        bad |= fputc('\n', f) == EOF;
    }
    if (bad) return upl_error_at(err, UPL_EIO, fs->path[k], 0, 0, NULL, "write failed: %s", strerror(errno));
    return UPL_OK;
}

static int sink_chunk(void *ctx, const upl_table *h, const upl_table *m, const upl_table *e, upl_error *err) {
    file_sink *fs = ctx;
    const upl_table *tabs[3] = { h, m, e };
    for (int k = 0; k < 3; k++) {
        int rc;
        if (fs->is_csv) {
            rc = write_csv_chunk(fs, k, tabs[k], err);
        } else {
            if (!fs->w[k] && (rc = upl_snapshot_writer_open(fs->path[k], tabs[k], &fs->w[k], err))) return rc;
            rc = upl_snapshot_writer_append(fs->w[k], tabs[k], err);
        }
        if (rc) return rc;
    }
    return UPL_OK;
}

/* mkdir -p: create out_dir and any missing parents. */
static int make_dirs(const char *dir, upl_error *err) {
    char *p = upl_strdup(dir);
    if (!p) return upl_error_set(err, UPL_ENOMEM, "out of memory");
    int rc = UPL_OK;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s) continue;
        char c = *s;
        *s = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            rc = upl_error_at(err, UPL_EIO, dir, 0, 0, NULL, "cannot create the folder `%s`: %s", p, strerror(errno));
            break;
        }
        *s = c;
        if (!c) break;
    }
    upl_free(p);
    return rc;
}

int upl_synth_write(const upl_synth_tables *t, const upl_synth_options *o, const char *format,
                    const char *out_dir, upl_synth_summary *summary, upl_error *err) {
    int rc = UPL_OK;
    file_sink fs;
    memset(&fs, 0, sizeof fs);
    if (!t || !o || !format || !out_dir) return upl_error_set(err, UPL_EMISUSE, "upl_synth_write: NULL argument");
    if (strcmp(format, "csv") && strcmp(format, "upl"))
        return upl_error_set(err, UPL_EMISUSE, "format must be csv or upl, not `%s`", format);
    fs.is_csv = !strcmp(format, "csv");
    if (!*out_dir) return upl_error_set(err, UPL_EMISUSE, "empty output folder name");
    UPL_TRY(make_dirs(out_dir, err));
    for (int k = 0; k < 3; k++) {
        fs.path[k] = upl_asprintf("%s/%s.%s", out_dir, NAMES[k], format);
        UPL_FAIL_IF(!fs.path[k], err, UPL_ENOMEM, "out of memory");
        if (fs.is_csv) {
            fs.f[k] = fopen(fs.path[k], "w");
            if (!fs.f[k]) {
                rc = upl_error_at(err, UPL_EIO, fs.path[k], 0, 0, NULL, "cannot write: %s", strerror(errno));
                goto fail;
            }
            setvbuf(fs.f[k], NULL, _IOFBF, 1 << 20);
        }
    }
    upl_synth_sink sink = { .chunk = sink_chunk, .ctx = &fs };
    UPL_TRY(upl_synth_run(t, o, &sink, summary, err));
    for (int k = 0; k < 3; k++) {
        if (fs.is_csv) {
            int bad = fclose(fs.f[k]) != 0;
            fs.f[k] = NULL;
            if (bad) {
                rc = upl_error_at(err, UPL_EIO, fs.path[k], 0, 0, NULL, "write failed: %s", strerror(errno));
                goto fail;
            }
        } else {
            rc = upl_snapshot_writer_finish(fs.w[k], err);
            fs.w[k] = NULL;
            if (rc) goto fail;
        }
    }
fail:
    for (int k = 0; k < 3; k++) {
        if (fs.f[k]) fclose(fs.f[k]);
        upl_snapshot_writer_abort(fs.w[k]);
        upl_free(fs.path[k]);
    }
    upl_free(fs.buf);
    return rc;
}
