/* synth_tables.c — loads the reference tables the generator needs: the area
 * table (villages, plus names of the higher levels), the region table
 * (province -> 3-way and 4-way region groups, population, urban rate) and
 * the calibration table (year -> line, incidence, regional shares of the
 * poor, rural mean income). All three are small, fixed-shape CSV files; a
 * dedicated reader keeps synth independent of the general CSV reader and
 * still reports file:line:column on anything it does not understand. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "uplift/io.h"
#include "synth_int.h"

/* ---- a small strict CSV reader for the reference tables -------------------- */
typedef int (*row_fn)(void *ctx, uint64_t line, char **f, size_t *len, size_t n, upl_error *err);

#define MAX_FIELDS 32

static int read_file(const char *path, char **out, size_t *len, upl_error *err) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return upl_error_at(err, errno == ENOENT ? UPL_ENOTFOUND : UPL_EIO, path, 0, 0, NULL,
                                 "cannot open: %s", strerror(errno));
    char *buf = NULL;
    size_t cap = 0, n = 0;
    int rc = UPL_OK;
    for (;;) {
        if (cap - n < 65536) {
            size_t nc = cap ? cap * 2 : 1 << 20;
            char *b = upl_realloc(buf, nc + 1);
            if (!b) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory reading %s", path); break; }
            buf = b;
            cap = nc;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0) {
            if (ferror(fp)) rc = upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "read failed");
            break;
        }
    }
    fclose(fp);
    if (rc) { upl_free(buf); return rc; }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return UPL_OK;
}

/* Calls fn for every record after the header; fields are unquoted in place
 * and NUL-terminated. The header row goes to fn with line 1. */
static int parse_csv(const char *path, row_fn fn, void *ctx, upl_error *err) {
    char *buf = NULL;
    size_t len = 0;
    int rc = read_file(path, &buf, &len, err);
    if (rc) return rc;
    char *p = buf, *end = buf + len;
    uint64_t line = 1;
    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) p += 3;
    char *f[MAX_FIELDS];
    size_t fl[MAX_FIELDS];
    while (p < end) {
        size_t n = 0;
        uint64_t rec_line = line;
        for (;;) {
            if (n == MAX_FIELDS) {
                rc = upl_error_at(err, UPL_EPARSE, path, rec_line, n + 1, NULL, "more than %d fields", MAX_FIELDS);
                goto done;
            }
            char *out = p, *start = p;   /* the field's bytes end up in [start, out) */
            if (*p == '"') {
                p++;
                for (;;) {
                    if (p >= end) {
                        rc = upl_error_at(err, UPL_EPARSE, path, rec_line, n + 1, NULL, "unterminated quoted field");
                        goto done;
                    }
                    if (*p == '"') {
                        if (p + 1 < end && p[1] == '"') { *out++ = '"'; p += 2; continue; }
                        p++;
                        break;
                    }
                    if (*p == '\n') line++;
                    *out++ = *p++;
                }
                if (p < end && *p != ',' && *p != '\n' && *p != '\r') {
                    rc = upl_error_at(err, UPL_EPARSE, path, line, n + 1, NULL, "text after a closing quote");
                    goto done;
                }
            } else {
                while (p < end && *p != ',' && *p != '\n' && *p != '\r') {
                    if (*p == '"') {
                        rc = upl_error_at(err, UPL_EPARSE, path, line, n + 1, NULL, "quote inside an unquoted field");
                        goto done;
                    }
                    p++;
                }
                out = p;
            }
            f[n] = start;
            fl[n] = (size_t)(out - start);
            n++;
            if (p < end && *p == ',') { *p++ = 0; f[n - 1][fl[n - 1]] = 0; continue; }
            /* end of record */
            char *term = p;
            if (p < end && *p == '\r') p++;
            if (p < end && *p == '\n') p++;
            line++;
            *term = 0;
            f[n - 1][fl[n - 1]] = 0;
            break;
        }
        if (n == 1 && fl[0] == 0) continue;   /* blank line */
        rc = fn(ctx, rec_line, f, fl, n, err);
        if (rc) goto done;
    }
done:
    upl_free(buf);
    return rc;
}

static int find_col(char **f, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(f[i], name)) return (int)i;
    return -1;
}

static int need_col(const char *path, char **f, size_t n, const char *name, int *out, upl_error *err) {
    *out = find_col(f, n, name);
    if (*out < 0) return upl_error_at(err, UPL_ESCHEMA, path, 1, 0, name, "required column missing");
    return UPL_OK;
}

static int parse_num(const char *path, uint64_t line, int col, const char *field, const char *s, size_t len,
                     double *out, upl_error *err) {
    if (!upl_parse_f64(s, len, out))
        return upl_error_at(err, UPL_EPARSE, path, line, (uint64_t)col + 1, field, "expected a number, found `%s`", s);
    return UPL_OK;
}

static int parse_code(const char *path, uint64_t line, int col, const char *field, const char *s, size_t len,
                      uint64_t *out, upl_error *err) {
    uint64_t v = 0;
    if (len == 0 || len > 18) goto bad;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') goto bad;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return UPL_OK;
bad:
    return upl_error_at(err, UPL_EPARSE, path, line, (uint64_t)col + 1, field, "expected a numeric code, found `%s`", s);
}

static int add_name(upl_synth_tables *t, const char *s, size_t len, uint32_t *off, upl_error *err) {
    if (t->names_len + len + 1 > t->names_cap) {
        size_t cap = t->names_cap ? t->names_cap : 1 << 20;
        while (cap < t->names_len + len + 1) cap *= 2;
        char *b = upl_realloc(t->names, cap);
        if (!b) return upl_error_set(err, UPL_ENOMEM, "out of memory");
        t->names = b;
        t->names_cap = cap;
    }
    if (t->names_len + len + 1 > UINT32_MAX) return upl_error_set(err, UPL_ELIMIT, "area names exceed 4 GiB");
    memcpy(t->names + t->names_len, s, len);
    t->names[t->names_len + len] = 0;
    *off = (uint32_t)t->names_len;
    t->names_len += len + 1;
    return UPL_OK;
}

static int intern_region(char **list, size_t *n, const char *s, const char *path, uint64_t line, upl_error *err) {
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(list[i], s)) return (int)i;
    if (*n == SYN_MAX_REGIONS) {
        upl_error_at(err, UPL_ELIMIT, path, line, 0, NULL, "more than %d region groups", SYN_MAX_REGIONS);
        return -1;
    }
    list[*n] = upl_strdup(s);
    if (!list[*n]) { upl_error_set(err, UPL_ENOMEM, "out of memory"); return -1; }
    return (int)(*n)++;
}

/* ---- region table -------------------------------------------------------------- */
typedef struct reg_ctx {
    upl_synth_tables *t;
    const char *path;
    int c_code, c_zh, c_en, c_r4, c_r3, c_pop, c_urb;
    size_t cap;
} reg_ctx;

static int region_row(void *vctx, uint64_t line, char **f, size_t *len, size_t n, upl_error *err) {
    reg_ctx *c = vctx;
    upl_synth_tables *t = c->t;
    int rc;
    if (line == 1) {
        if ((rc = need_col(c->path, f, n, "code", &c->c_code, err)) ||
            (rc = need_col(c->path, f, n, "region4", &c->c_r4, err)) ||
            (rc = need_col(c->path, f, n, "region3", &c->c_r3, err)) ||
            (rc = need_col(c->path, f, n, "population_10k", &c->c_pop, err)) ||
            (rc = need_col(c->path, f, n, "urban_rate_pct", &c->c_urb, err)))
            return rc;
        c->c_zh = find_col(f, n, "name_zh");
        c->c_en = find_col(f, n, "name_en");
        return UPL_OK;
    }
    int maxc = c->c_code;
    int cols[] = { c->c_r4, c->c_r3, c->c_pop, c->c_urb, c->c_zh, c->c_en };
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) if (cols[i] > maxc) maxc = cols[i];
    if ((size_t)maxc >= n)
        return upl_error_at(err, UPL_EPARSE, c->path, line, n, NULL, "%zu fields, expected at least %d", n, maxc + 1);
    if (t->n_provinces == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        syn_province *p = upl_reallocarray(t->provinces, cap, sizeof *p);
        if (!p) return upl_error_set(err, UPL_ENOMEM, "out of memory");
        t->provinces = p;
        c->cap = cap;
    }
    syn_province *p = &t->provinces[t->n_provinces];
    memset(p, 0, sizeof *p);
    if (len[c->c_code] == 0 || len[c->c_code] >= sizeof p->code)
        return upl_error_at(err, UPL_EPARSE, c->path, line, (uint64_t)c->c_code + 1, "code", "bad province code `%s`", f[c->c_code]);
    memcpy(p->code, f[c->c_code], len[c->c_code] + 1);
    p->name_zh = upl_strdup(c->c_zh >= 0 ? f[c->c_zh] : p->code);
    p->name_en = upl_strdup(c->c_en >= 0 ? f[c->c_en] : p->code);
    t->n_provinces++;
    if (!p->name_zh || !p->name_en) return upl_error_set(err, UPL_ENOMEM, "out of memory");
    if ((rc = parse_num(c->path, line, c->c_pop, "population_10k", f[c->c_pop], len[c->c_pop], &p->pop_10k, err)) ||
        (rc = parse_num(c->path, line, c->c_urb, "urban_rate_pct", f[c->c_urb], len[c->c_urb], &p->urban_rate, err)))
        return rc;
    if (!(p->pop_10k >= 0) || !(p->urban_rate >= 0 && p->urban_rate <= 100))
        return upl_error_at(err, UPL_ERANGE, c->path, line, 0, NULL, "population must be >= 0 and urban rate 0..100");
    p->urban_rate /= 100.0;
    p->region3 = intern_region(t->region3, &t->n_region3, f[c->c_r3], c->path, line, err);
    p->region4 = intern_region(t->region4, &t->n_region4, f[c->c_r4], c->path, line, err);
    if (p->region3 < 0 || p->region4 < 0) return err ? err->code : UPL_ENOMEM;
    return UPL_OK;
}

/* ---- calibration table ------------------------------------------------------------ */
typedef struct cal_ctx {
    upl_synth_tables *t;
    const char *path;
    int c_year, c_line, c_inc, c_mean;
    int c_share[SYN_MAX_REGIONS];
    size_t cap;
} cal_ctx;

static int calib_row(void *vctx, uint64_t line, char **f, size_t *len, size_t n, upl_error *err) {
    cal_ctx *c = vctx;
    upl_synth_tables *t = c->t;
    int rc;
    if (line == 1) {
        if ((rc = need_col(c->path, f, n, "year", &c->c_year, err)) ||
            (rc = need_col(c->path, f, n, "line_yuan", &c->c_line, err)) ||
            (rc = need_col(c->path, f, n, "incidence_pct", &c->c_inc, err)) ||
            (rc = need_col(c->path, f, n, "rural_mean_income", &c->c_mean, err)))
            return rc;
        for (size_t r = 0; r < t->n_region3; r++) {
            char name[64];
            snprintf(name, sizeof name, "%s_share_pct", t->region3[r]);
            c->c_share[r] = find_col(f, n, name);
        }
        return UPL_OK;
    }
    if (t->n_calib == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        syn_calib *p = upl_reallocarray(t->calib, cap, sizeof *p);
        if (!p) return upl_error_set(err, UPL_ENOMEM, "out of memory");
        t->calib = p;
        c->cap = cap;
    }
    syn_calib *k = &t->calib[t->n_calib];
    double year;
    int need[] = { c->c_year, c->c_line, c->c_inc, c->c_mean };
    for (size_t i = 0; i < 4; i++)
        if ((size_t)need[i] >= n) return upl_error_at(err, UPL_EPARSE, c->path, line, n, NULL, "too few fields");
    if ((rc = parse_num(c->path, line, c->c_year, "year", f[c->c_year], len[c->c_year], &year, err)) ||
        (rc = parse_num(c->path, line, c->c_line, "line_yuan", f[c->c_line], len[c->c_line], &k->line, err)) ||
        (rc = parse_num(c->path, line, c->c_inc, "incidence_pct", f[c->c_inc], len[c->c_inc], &k->incidence, err)) ||
        (rc = parse_num(c->path, line, c->c_mean, "rural_mean_income", f[c->c_mean], len[c->c_mean], &k->mean_income, err)))
        return rc;
    if (!(k->incidence > 0 && k->incidence < 100) || !(k->line > 0) || !(k->mean_income > k->line))
        return upl_error_at(err, UPL_ERANGE, c->path, line, 0, NULL,
                            "need 0 < incidence < 100 and mean income above the line");
    k->year = (int)year;
    k->incidence /= 100.0;
    for (size_t r = 0; r < SYN_MAX_REGIONS; r++) {
        k->share[r] = NAN;
        if (r < t->n_region3 && c->c_share[r] >= 0 && (size_t)c->c_share[r] < n && len[c->c_share[r]]) {
            double v;
            if ((rc = parse_num(c->path, line, c->c_share[r], t->region3[r], f[c->c_share[r]], len[c->c_share[r]], &v, err)))
                return rc;
            k->share[r] = v / 100.0;
        }
    }
    t->n_calib++;
    return UPL_OK;
}

/* ---- villages and names -------------------------------------------------------------- */
typedef struct vil_ctx {
    upl_synth_tables *t;
    const char *path;
    int c_code, c_name, c_prov, c_area, c_urban;
    size_t cap;
    const char *const *keep;
    size_t n_keep;
    int last_prov;
    uint64_t last_prov_code;
} vil_ctx;

bool upl_synth_name_is_urban(const char *name, size_t len) {
    /* Statistical villages are 村民委员会 (rural) or 居民委员会/社区 (urban);
     * farms, ranches and corps companies (场, 队, 连) count as rural. */
    static const char *const rural[] = { "村委会", "村民委员会", "嘎查", "村" };
    static const char *const urban[] = { "居委会", "居民委员会", "社区" };
    char buf[512];
    if (len >= sizeof buf) len = sizeof buf - 1;
    memcpy(buf, name, len);
    buf[len] = 0;
    for (size_t i = 0; i < sizeof rural / sizeof rural[0]; i++) {
        size_t l = strlen(rural[i]);
        if (len >= l && !memcmp(buf + len - l, rural[i], l)) return false;
    }
    for (size_t i = 0; i < sizeof urban / sizeof urban[0]; i++)
        if (strstr(buf, urban[i])) return true;
    return false;
}

static int province_index(const upl_synth_tables *t, const char *code) {
    for (size_t i = 0; i < t->n_provinces; i++)
        if (!strcmp(t->provinces[i].code, code)) return (int)i;
    return -1;
}

static int village_row(void *vctx, uint64_t line, char **f, size_t *len, size_t n, upl_error *err) {
    vil_ctx *c = vctx;
    upl_synth_tables *t = c->t;
    int rc;
    if (line == 1) {
        if ((rc = need_col(c->path, f, n, "code", &c->c_code, err)) ||
            (rc = need_col(c->path, f, n, "name", &c->c_name, err)) ||
            (rc = need_col(c->path, f, n, "provinceCode", &c->c_prov, err)) ||
            (rc = need_col(c->path, f, n, "areaCode", &c->c_area, err)))
            return rc;
        c->c_urban = find_col(f, n, "urban");
        return UPL_OK;
    }
    int maxc = c->c_code;
    if (c->c_name > maxc) maxc = c->c_name;
    if (c->c_prov > maxc) maxc = c->c_prov;
    if (c->c_area > maxc) maxc = c->c_area;
    if (c->c_urban > maxc) maxc = c->c_urban;
    if ((size_t)maxc >= n)
        return upl_error_at(err, UPL_EPARSE, c->path, line, n, NULL, "%zu fields, expected at least %d", n, maxc + 1);
    const char *pc = f[c->c_prov];
    if (c->n_keep) {
        bool keep = false;
        for (size_t i = 0; i < c->n_keep && !keep; i++) keep = !strcmp(c->keep[i], pc);
        if (!keep) return UPL_OK;
    }
    uint64_t code;
    if ((rc = parse_code(c->path, line, c->c_code, "code", f[c->c_code], len[c->c_code], &code, err))) return rc;
    int prov = province_index(t, pc);
    if (prov < 0)
        return upl_error_at(err, UPL_ENOTFOUND, c->path, line, (uint64_t)c->c_prov + 1, "provinceCode",
                            "province `%s` is not in the region table", pc);
    if (t->n_villages == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 1 << 16;
        syn_village *v = upl_reallocarray(t->villages, cap, sizeof *v);
        if (!v) return upl_error_set(err, UPL_ENOMEM, "out of memory");
        t->villages = v;
        c->cap = cap;
    }
    syn_village *v = &t->villages[t->n_villages];
    v->code = code;
    v->province = prov;
    v->name_len = (uint32_t)len[c->c_name];
    if ((rc = add_name(t, f[c->c_name], len[c->c_name], &v->name_off, err))) return rc;
    if (c->c_urban >= 0) {
        const char *u = f[c->c_urban];
        if (strcmp(u, "1") && strcmp(u, "0"))
            return upl_error_at(err, UPL_EPARSE, c->path, line, (uint64_t)c->c_urban + 1, "urban", "expected 1 or 0, found `%s`", u);
        v->is_urban = u[0] == '1';
    } else {
        v->is_urban = upl_synth_name_is_urban(f[c->c_name], len[c->c_name]);
    }
    t->n_villages++;
    return UPL_OK;
}

typedef struct lvl_ctx {
    upl_synth_tables *t;
    const char *path;
    int level, c_code, c_name;
    size_t cap;
} lvl_ctx;

static int level_row(void *vctx, uint64_t line, char **f, size_t *len, size_t n, upl_error *err) {
    lvl_ctx *c = vctx;
    upl_synth_tables *t = c->t;
    int rc;
    if (line == 1) {
        if ((rc = need_col(c->path, f, n, "code", &c->c_code, err)) ||
            (rc = need_col(c->path, f, n, "name", &c->c_name, err)))
            return rc;
        return UPL_OK;
    }
    if ((size_t)c->c_code >= n || (size_t)c->c_name >= n)
        return upl_error_at(err, UPL_EPARSE, c->path, line, n, NULL, "too few fields");
    int L = c->level;
    if (t->n_level[L] == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 1024;
        syn_named *v = upl_reallocarray(t->level[L], cap, sizeof *v);
        if (!v) return upl_error_set(err, UPL_ENOMEM, "out of memory");
        t->level[L] = v;
        c->cap = cap;
    }
    syn_named *e = &t->level[L][t->n_level[L]];
    if ((rc = parse_code(c->path, line, c->c_code, "code", f[c->c_code], len[c->c_code], &e->code, err))) return rc;
    e->len = (uint32_t)len[c->c_name];
    if ((rc = add_name(t, f[c->c_name], len[c->c_name], &e->off, err))) return rc;
    t->n_level[L]++;
    return UPL_OK;
}

static int cmp_village(const void *a, const void *b) {
    uint64_t x = ((const syn_village *)a)->code, y = ((const syn_village *)b)->code;
    return x < y ? -1 : x > y;
}
static int cmp_named(const void *a, const void *b) {
    uint64_t x = ((const syn_named *)a)->code, y = ((const syn_named *)b)->code;
    return x < y ? -1 : x > y;
}

const char *syn_level_name(const upl_synth_tables *t, int level, uint64_t code, size_t *len) {
    size_t lo = 0, hi = t->n_level[level];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->level[level][mid].code < code) lo = mid + 1;
        else hi = mid;
    }
    if (lo < t->n_level[level] && t->level[level][lo].code == code) {
        *len = t->level[level][lo].len;
        return t->names + t->level[level][lo].off;
    }
    return NULL;
}

void upl_synth_tables_free(upl_synth_tables *t) {
    if (!t) return;
    for (size_t i = 0; i < t->n_provinces; i++) {
        upl_free(t->provinces[i].name_zh);
        upl_free(t->provinces[i].name_en);
    }
    upl_free(t->provinces);
    for (size_t i = 0; i < t->n_region3; i++) upl_free(t->region3[i]);
    for (size_t i = 0; i < t->n_region4; i++) upl_free(t->region4[i]);
    upl_free(t->calib);
    upl_free(t->villages);
    upl_free(t->names);
    for (int l = 0; l < 4; l++) upl_free(t->level[l]);
    upl_free(t->villages_path);
    upl_free(t);
}

size_t upl_synth_tables_n_villages(const upl_synth_tables *t) { return t ? t->n_villages : 0; }

bool upl_synth_line(const upl_synth_tables *t, int year, double *line) {
    for (size_t i = 0; t && i < t->n_calib; i++)
        if (t->calib[i].year == year) { *line = t->calib[i].line; return true; }
    return false;
}

/* Sibling file of the villages table (dir/provinces.csv ...), or NULL. */
static char *sibling(const char *villages, const char *name) {
    const char *slash = strrchr(villages, '/');
    size_t dl = slash ? (size_t)(slash - villages + 1) : 0;
    return upl_asprintf("%.*s%s", (int)dl, villages, name);
}

int upl_synth_tables_load(const char *villages_csv, const char *regions_csv, const char *calibration_csv,
                          const char *const *provinces, size_t n_provinces, upl_synth_tables **out,
                          upl_error *err) {
    int rc = UPL_OK;
    upl_synth_tables *t = NULL;
    if (out) *out = NULL;
    if (!villages_csv || !regions_csv || !calibration_csv || !out)
        return upl_error_set(err, UPL_EMISUSE, "upl_synth_tables_load: NULL argument");
    t = upl_calloc(1, sizeof *t);
    UPL_FAIL_IF(!t, err, UPL_ENOMEM, "out of memory");
    t->villages_path = upl_strdup(villages_csv);
    UPL_FAIL_IF(!t->villages_path, err, UPL_ENOMEM, "out of memory");
    {
        reg_ctx rc_ = { .t = t, .path = regions_csv };
        UPL_TRY(parse_csv(regions_csv, region_row, &rc_, err));
        UPL_FAIL_IF(t->n_provinces == 0, err, UPL_ESCHEMA, "%s: no provinces", regions_csv);
    }
    for (size_t i = 0; i < n_provinces; i++)
        if (province_index(t, provinces[i]) < 0) {
            rc = upl_error_at(err, UPL_ENOTFOUND, regions_csv, 0, 0, NULL, "province `%s` is not in the region table",
                              provinces[i]);
            goto fail;
        }
    {
        cal_ctx cc = { .t = t, .path = calibration_csv };
        UPL_TRY(parse_csv(calibration_csv, calib_row, &cc, err));
    }
    {
        vil_ctx vc = { .t = t, .path = villages_csv, .keep = provinces, .n_keep = n_provinces, .c_urban = -1 };
        UPL_TRY(parse_csv(villages_csv, village_row, &vc, err));
        UPL_FAIL_IF(t->n_villages == 0, err, UPL_ENOTFOUND, "%s: no villages%s", villages_csv,
                    n_provinces ? " in the selected provinces" : "");
        qsort(t->villages, t->n_villages, sizeof *t->villages, cmp_village);
        for (size_t i = 1; i < t->n_villages; i++)
            if (t->villages[i].code == t->villages[i - 1].code) {
                rc = upl_error_at(err, UPL_ECONFLICT, villages_csv, 0, 0, "code", "village code %012llu appears twice",
                                  (unsigned long long)t->villages[i].code);
                goto fail;
            }
    }
    static const char *const level_files[4] = { "provinces.csv", "cities.csv", "areas.csv", "streets.csv" };
    for (int l = 0; l < 4; l++) {
        char *p = sibling(villages_csv, level_files[l]);
        UPL_FAIL_IF(!p, err, UPL_ENOMEM, "out of memory");
        FILE *probe = fopen(p, "rb");
        if (probe) {
            fclose(probe);
            lvl_ctx lc = { .t = t, .path = p, .level = l };
            rc = parse_csv(p, level_row, &lc, err);
            if (rc == UPL_OK) qsort(t->level[l], t->n_level[l], sizeof *t->level[l], cmp_named);
        }
        upl_free(p);
        if (rc) goto fail;
    }
    *out = t;
    return UPL_OK;
fail:
    upl_synth_tables_free(t);
    return rc;
}
