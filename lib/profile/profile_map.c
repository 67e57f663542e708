/* profile_map.c — the column mapping: header normalisation, alias lookup,
 * and applying the mapping to a table (rename to canonical names, sentinels
 * to missing, unit rescaling). Also small value helpers the evaluator shares
 * (boolean labels, multi-select cells, dates, exact rationals).
 *
 * Header variants seen in real county exports (REGISTRY_FIELDS.md §0):
 * full-width vs half-width brackets, a unit in the header or not, stray
 * spaces. Normalisation folds full-width ASCII (U+FF01..U+FF5E) and the
 * ideographic space to ASCII (the NFKC mapping for those ranges), removes
 * white space, lower-cases ASCII and strips one trailing bracketed *unit*.
 * Only known units are stripped: "公益性岗位(月数)" must stay distinct from
 * "公益性岗位", and "…合作医疗（城乡居民基本医疗保险）" keeps its bracket. */
#include <math.h>
#include <string.h>
#include "profile_int.h"

/* Units recognised in headers (after folding), with a class and the factor
 * to the class's base unit. Base units: 元, 亩, 公里, 平方米, 月. */
typedef struct unit_def { const char *name; int cls; double to_base; } unit_def;
static const unit_def UNITS[] = {
    {"元", 1, 1}, {"万元", 1, 10000}, {"千元", 1, 1000}, {"元/人", 1, 1}, {"元/年", 1, 1},
    {"亩", 2, 1}, {"公顷", 2, 15}, {"ha", 2, 15},
    {"公里", 3, 1}, {"千米", 3, 1}, {"km", 3, 1}, {"米", 3, 0.001}, {"m", 3, 0.001},
    {"平方米", 4, 1}, {"m2", 4, 1}, {"㎡", 4, 1}, {"m²", 4, 1},
    {"月", 5, 1}, {"个月", 5, 1},
    {"人", 6, 1}, {"口", 6, 1}, {"年", 7, 1}, {"年份", 7, 1}, {"岁", 8, 1}, {"周岁", 8, 1},
    {"天", 9, 1}, {"日", 9, 1}, {"%", 10, 1}, {"户", 11, 1}, {"次", 12, 1}, {"分钟", 13, 1},
    {"升", 14, 1}, {"l", 14, 1}, {"斤", 15, 1}, {"公斤", 15, 2}, {"kg", 15, 2},
};
#define N_UNITS (sizeof UNITS / sizeof UNITS[0])

static const unit_def *find_unit(const char *u) {
    for (size_t i = 0; i < N_UNITS; i++)
        if (!strcmp(UNITS[i].name, u)) return &UNITS[i];
    return NULL;
}

/* Decode one UTF-8 code point; returns bytes used (1 on invalid, cp = byte). */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp) {
    if (s[0] < 0x80) { *cp = s[0]; return 1; }
    if ((s[0] & 0xE0) == 0xC0 && len >= 2 && (s[1] & 0xC0) == 0x80) {
        *cp = (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
        return 2;
    }
    if ((s[0] & 0xF0) == 0xE0 && len >= 3 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
        *cp = (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
        return 3;
    }
    if ((s[0] & 0xF8) == 0xF0 && len >= 4 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 &&
        (s[3] & 0xC0) == 0x80) {
        *cp = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 | (uint32_t)(s[2] & 0x3F) << 6 |
              (s[3] & 0x3F);
        return 4;
    }
    *cp = s[0];
    return 1;
}

int upl_profile_header_norm(const char *header, size_t len, char **norm, char **unit) {
    char *out = upl_malloc(len + 1);
    int rc = UPL_OK;
    if (norm) *norm = NULL;
    if (unit) *unit = NULL;
    if (!out) return UPL_ENOMEM;
    size_t o = 0;
    const unsigned char *s = (const unsigned char *)header;
    /* a leading UTF-8 BOM is not part of the header */
    if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) { s += 3; len -= 3; }
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = utf8_next(s + i, len - i, &cp);
        if (cp >= 0xFF01 && cp <= 0xFF5E) { cp -= 0xFEE0; k = 3; }
        if (cp == 0x3000 || cp == 0x00A0 || cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n' ||
            cp == 0xFEFF) { i += k; continue; }
        if (cp < 0x80) {
            char c = (char)cp;
            if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
            out[o++] = c;
        } else {
            memcpy(out + o, s + i, k);
            o += k;
        }
        i += k;
    }
    out[o] = 0;
    /* strip one trailing "(unit)" when the bracket holds a known unit */
    char *u = NULL;
    if (o > 2 && out[o - 1] == ')') {
        char *open = strrchr(out, '(');
        if (open && open > out) {
            size_t ul = (size_t)(out + o - 1 - (open + 1));
            char *cand = upl_strndup(open + 1, ul);
            if (!cand) { rc = UPL_ENOMEM; goto fail; }
            if (find_unit(cand)) {
                u = cand;
                *open = 0;
            } else {
                upl_free(cand);
            }
        }
    }
    if (unit) {
        if (!u) u = upl_strdup("");
        if (!u) { rc = UPL_ENOMEM; goto fail; }
        *unit = u;
        u = NULL;
    }
    upl_free(u);
    if (norm) *norm = out; else upl_free(out);
    return UPL_OK;
fail:
    upl_free(out);
    return rc;
}

const upl_profile_field *upl_profile_field_find(const upl_profile *p, const char *name) {
    if (!p || !name) return NULL;
    for (size_t i = 0; i < p->n_fields; i++)
        if (!strcmp(p->fields[i].pub.name, name)) return &p->fields[i].pub;
    return NULL;
}

static bool alias_matches(const char *alias, const char *norm_header) {
    char *a = NULL;
    if (upl_profile_header_norm(alias, strlen(alias), &a, NULL) != UPL_OK) return false;
    bool eq = !strcmp(a, norm_header);
    upl_free(a);
    return eq;
}

static const upl_profile_field *match_norm(const upl_profile *p, const char *raw, const char *norm) {
    /* exact canonical name first, then aliases in profile order */
    for (size_t i = 0; i < p->n_fields; i++)
        if (!strcmp(p->fields[i].pub.name, raw)) return &p->fields[i].pub;
    for (size_t i = 0; i < p->n_fields; i++) {
        const upl_profile_field *f = &p->fields[i].pub;
        if (alias_matches(f->name, norm)) return f;
        for (size_t j = 0; j < f->n_aliases; j++)
            if (alias_matches(f->aliases[j], norm)) return f;
    }
    return NULL;
}

const upl_profile_field *upl_profile_match_header(const upl_profile *p, const char *header) {
    char *norm = NULL;
    if (!p || !header) return NULL;
    if (upl_profile_header_norm(header, strlen(header), &norm, NULL) != UPL_OK) return NULL;
    const upl_profile_field *f = match_norm(p, header, norm);
    upl_free(norm);
    return f;
}

void upl_profile_map_report_free(upl_profile_map_report *r) {
    if (!r) return;
    char **lists[] = {r->mapped_from, r->mapped_to, r->unmapped, r->missing_required, r->missing_optional,
                      r->duplicates};
    size_t counts[] = {r->n_mapped, r->n_mapped, r->n_unmapped, r->n_missing_required, r->n_missing_optional,
                       r->n_duplicates};
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        for (size_t i = 0; i < counts[l]; i++) upl_free(lists[l][i]);
        upl_free(lists[l]);
    }
    memset(r, 0, sizeof *r);
}

static int list_push(char ***list, size_t *n, const char *s) {
    char **nl = upl_reallocarray(*list, *n + 1, sizeof **list);
    if (!nl) return UPL_ENOMEM;
    *list = nl;
    nl[*n] = upl_strdup(s);
    if (!nl[*n]) return UPL_ENOMEM;
    (*n)++;
    return UPL_OK;
}

static bool text_eq_trim(const char *s, size_t len, const char *lit) {
    while (len && (*s == ' ' || *s == '\t')) { s++; len--; }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    return strlen(lit) == len && !memcmp(s, lit, len);
}

/* Turn sentinel values of field f in column c into missing; count them. */
static int apply_sentinels(const upl_profile_field *f, upl_column *c, uint64_t *count, upl_error *err) {
    if (f->n_missing == 0) return UPL_OK;
    size_t n = c->n_rows;
    uint64_t hits = 0;
    switch (c->type) {
    case UPL_F64: case UPL_I64:
        if (f->n_missing_num == 0) break;
        for (size_t i = 0; i < n; i++) {
            if (!upl_col_is_valid(c, i)) continue;
            double v = c->type == UPL_F64 ? c->v.f64[i] : (double)c->v.i64[i];
            for (size_t j = 0; j < f->n_missing_num; j++)
                if (v == f->missing_num[j]) {
                    if (c->is_borrowed) goto borrowed;
                    upl_col_set_valid(c, i, false);
                    hits++;
                    break;
                }
        }
        break;
    case UPL_CAT: {
        int32_t nd = upl_dict_size(c->dict);
        uint8_t *is_sent = upl_calloc((size_t)nd + 1, 1);
        if (!is_sent) return upl_error_set(err, UPL_ENOMEM, "out of memory");
        bool any = false;
        for (int32_t k = 0; k < nd; k++)
            for (size_t j = 0; j < f->n_missing; j++)
                if (text_eq_trim(upl_dict_label(c->dict, k), upl_dict_label_len(c->dict, k), f->missing[j])) {
                    is_sent[k] = 1;
                    any = true;
                }
        if (any)
            for (size_t i = 0; i < n; i++) {
                int32_t k = c->v.cat[i];
                if (upl_col_is_valid(c, i) && k >= 0 && k < nd && is_sent[k]) {
                    if (c->is_borrowed) { upl_free(is_sent); goto borrowed; }
                    upl_col_set_valid(c, i, false);
                    hits++;
                }
            }
        upl_free(is_sent);
        break;
    }
    case UPL_STR:
        for (size_t i = 0; i < n; i++) {
            if (!upl_col_is_valid(c, i)) continue;
            size_t l;
            const char *s = upl_col_str(c, i, &l);
            for (size_t j = 0; j < f->n_missing; j++)
                if (text_eq_trim(s, l, f->missing[j])) {
                    if (c->is_borrowed) goto borrowed;
                    upl_col_set_valid(c, i, false);
                    hits++;
                    break;
                }
        }
        break;
    default:
        break;
    }
    *count += hits;
    return UPL_OK;
borrowed:
    return upl_error_at(err, UPL_EUNSUPPORTED, NULL, 0, 0, c->name,
                        "column is read-only (memory-mapped snapshot) but holds missing-value sentinels; "
                        "apply the profile before writing the snapshot");
}

int upl_profile_map_table(const upl_profile *p, upl_table *t, upl_profile_map_report *rep, upl_error *err) {
    int rc = UPL_OK;
    upl_profile_map_report local = {0};
    upl_profile_map_report *r = rep ? rep : &local;
    uint8_t *taken = NULL;
    char *norm = NULL, *unit = NULL;
    memset(r, 0, sizeof *r);
    if (!p || !t) return upl_error_set(err, UPL_EMISUSE, "upl_profile_map_table: NULL argument");
    taken = upl_calloc(p->n_fields + 1, 1);
    if (!taken) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    size_t nc = upl_table_n_cols(t);
    /* pass 1: columns already bearing a canonical name claim their field, so
     * an alias elsewhere cannot take it */
    for (size_t i = 0; i < nc; i++) {
        upl_column *c = upl_table_column(t, i);
        for (size_t fi = 0; fi < p->n_fields; fi++)
            if (!strcmp(p->fields[fi].pub.name, c->name)) taken[fi] = 1;
    }
    for (size_t i = 0; i < nc; i++) {
        upl_column *c = upl_table_column(t, i);
        upl_free(norm); upl_free(unit); norm = unit = NULL;
        if (upl_profile_header_norm(c->name, strlen(c->name), &norm, &unit) != UPL_OK) {
            rc = upl_error_set(err, UPL_ENOMEM, "out of memory");
            goto fail;
        }
        const upl_profile_field *f = match_norm(p, c->name, norm);
        if (!f) {
            if (list_push(&r->unmapped, &r->n_unmapped, c->name)) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
            continue;
        }
        size_t fi = (size_t)((const pfield *)(const void *)f - p->fields);
        bool is_same = !strcmp(c->name, f->name);
        if (!is_same && taken[fi]) {
            if (list_push(&r->duplicates, &r->n_duplicates, c->name)) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
            continue;
        }
        taken[fi] = 1;
        /* A read-only (memory-mapped snapshot) column that needs a new name
         * is copied under the canonical name; the copy is then writable for
         * sentinels and rescaling. The original stays, under its own name. */
        if (c->is_borrowed && !is_same) {
            UPL_TRY(upl_table_copy_column(t, c, f->name, err));
            upl_column *copy = upl_table_find(t, f->name);
            char **mf = upl_reallocarray(r->mapped_from, r->n_mapped + 1, sizeof *mf);
            if (mf) r->mapped_from = mf;
            char **mt = mf ? upl_reallocarray(r->mapped_to, r->n_mapped + 1, sizeof *mt) : NULL;
            if (mt) r->mapped_to = mt;
            char *sf = mt ? upl_strdup(c->name) : NULL;
            char *st = sf ? upl_strdup(f->name) : NULL;
            if (!st) { upl_free(sf); rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
            r->mapped_from[r->n_mapped] = sf;
            r->mapped_to[r->n_mapped] = st;
            r->n_mapped++;
            c = copy;
            is_same = true;
        }
        /* sentinels are compared on the values as exported, before rescaling */
        UPL_TRY(apply_sentinels(f, c, &r->n_sentinels, err));
        /* unit: rescale numeric columns to the canonical unit */
        if (unit[0] && f->unit && strcmp(unit, f->unit)) {
            const unit_def *from = find_unit(unit), *to = find_unit(f->unit);
            if (!from || !to || from->cls != to->cls) {
                rc = upl_error_at(err, UPL_ESCHEMA, NULL, 0, 0, c->name,
                                  "unit `%s` cannot be converted to `%s` (field `%s`)", unit, f->unit, f->name);
                goto fail;
            }
            double factor = from->to_base / to->to_base;
            if (factor != 1.0) {
                if (c->type != UPL_F64 && c->type != UPL_I64) {
                    rc = upl_error_at(err, UPL_ESCHEMA, NULL, 0, 0, c->name,
                                      "unit `%s` needs rescaling to `%s` but the column is %s, not numeric",
                                      unit, f->unit, upl_type_name(c->type));
                    goto fail;
                }
                if (c->is_borrowed) {
                    rc = upl_error_at(err, UPL_EUNSUPPORTED, NULL, 0, 0, c->name,
                                      "column is read-only (snapshot) and needs rescaling from %s to %s", unit, f->unit);
                    goto fail;
                }
                if (c->type == UPL_I64) {
                    /* integer column times a factor: exact only for integral
                     * factors; otherwise the caller should read it as f64 */
                    if (factor != floor(factor)) {
                        rc = upl_error_at(err, UPL_ESCHEMA, NULL, 0, 0, c->name,
                                          "integer column in %s cannot be converted exactly to %s", unit, f->unit);
                        goto fail;
                    }
                    for (size_t row = 0; row < c->n_rows; row++) c->v.i64[row] *= (int64_t)factor;
                } else {
                    for (size_t row = 0; row < c->n_rows; row++) c->v.f64[row] *= factor;
                }
                r->n_scaled++;
            }
        }
        if (!is_same) {
            if (c->is_borrowed) {
                rc = upl_error_at(err, UPL_EUNSUPPORTED, NULL, 0, 0, c->name,
                                  "column is read-only (snapshot) and cannot be renamed to `%s`", f->name);
                goto fail;
            }
            char *nn = upl_strdup(f->name);
            if (!nn) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
            char **mf = upl_reallocarray(r->mapped_from, r->n_mapped + 1, sizeof *mf);
            if (mf) r->mapped_from = mf;
            char **mt = mf ? upl_reallocarray(r->mapped_to, r->n_mapped + 1, sizeof *mt) : NULL;
            if (mt) r->mapped_to = mt;
            char *sf = mt ? upl_strdup(c->name) : NULL;
            char *st = sf ? upl_strdup(f->name) : NULL;
            if (!st) {
                upl_free(sf);
                upl_free(nn);
                rc = upl_error_set(err, UPL_ENOMEM, "out of memory");
                goto fail;
            }
            r->mapped_from[r->n_mapped] = sf;
            r->mapped_to[r->n_mapped] = st;
            r->n_mapped++;
            upl_free(c->name);
            c->name = nn;
        }
    }
    for (size_t fi = 0; fi < p->n_fields; fi++) {
        if (taken[fi]) continue;
        const upl_profile_field *f = &p->fields[fi].pub;
        int prc = f->is_required ? list_push(&r->missing_required, &r->n_missing_required, f->name)
                                 : list_push(&r->missing_optional, &r->n_missing_optional, f->name);
        if (prc) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    }
    if (r->n_missing_required) {
        const upl_profile_field *f = upl_profile_field_find(p, r->missing_required[0]);
        char *alist = NULL;
        size_t al = 0;
        for (size_t j = 0; f && j < f->n_aliases; j++) {
            char *nl = upl_asprintf("%s%s%s", alist ? alist : "", alist ? ", " : "", f->aliases[j]);
            upl_free(alist);
            alist = nl;
            if (!alist) break;
            al++;
        }
        rc = upl_error_at(err, UPL_ESCHEMA, p->path, 0, 0, r->missing_required[0],
                          "required field missing from the input (%zu required field%s missing); accepted headers: %s",
                          r->n_missing_required, r->n_missing_required == 1 ? "" : "s",
                          alist ? alist : r->missing_required[0]);
        upl_free(alist);
        goto fail_keep_report;
    }
    upl_free(taken);
    upl_free(norm);
    upl_free(unit);
    if (!rep) upl_profile_map_report_free(&local);
    return UPL_OK;
fail:
fail_keep_report:
    upl_free(taken);
    upl_free(norm);
    upl_free(unit);
    if (!rep) upl_profile_map_report_free(&local);
    return rc;
}

/* ---- value helpers -------------------------------------------------------- */

bool prof_codes_has(const char *cell, size_t len, const char *label, size_t label_len) {
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        /* separators: , ; | space, and the full-width ， 、 ； (3 bytes each) */
        while (j < len) {
            unsigned char c = (unsigned char)cell[j];
            if (c == ',' || c == ';' || c == '|' || c == ' ' || c == '/') break;
            if (j + 2 < len && ((!memcmp(cell + j, "，", 3)) || !memcmp(cell + j, "、", 3) ||
                                !memcmp(cell + j, "；", 3)))
                break;
            j++;
        }
        if (j - i == label_len && !memcmp(cell + i, label, label_len)) return true;
        if (j >= len) break;
        i = j + ((unsigned char)cell[j] >= 0x80 ? 3 : 1);
    }
    return false;
}

static bool ieq(const char *s, size_t len, const char *lit) {
    size_t l = strlen(lit);
    if (l != len) return false;
    for (size_t i = 0; i < l; i++) {
        char a = s[i], b = lit[i];
        if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
        if (a != b) return false;
    }
    return true;
}

int prof_bool_label(const upl_profile_field *f, const char *s, size_t len) {
    while (len && (*s == ' ' || *s == '\t')) { s++; len--; }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    if (f && (f->n_true_labels || f->n_false_labels)) {
        for (size_t i = 0; i < f->n_true_labels; i++) if (ieq(s, len, f->true_labels[i])) return 1;
        for (size_t i = 0; i < f->n_false_labels; i++) if (ieq(s, len, f->false_labels[i])) return 0;
    }
    static const char *const T[] = {"是", "1", "y", "yes", "true", "t", "有", "√", "已参加", "参加"};
    static const char *const F[] = {"否", "0", "n", "no", "false", "f", "无", "×", "未参加", "没有"};
    for (size_t i = 0; i < sizeof T / sizeof *T; i++) if (ieq(s, len, T[i])) return 1;
    for (size_t i = 0; i < sizeof F / sizeof *F; i++) if (ieq(s, len, F[i])) return 0;
    return -1;
}

static int days_in_month(int y, int m) {
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return d[m - 1];
}

bool prof_parse_date(const char *s, size_t len, int *y, int *m, int *d) {
    int parts[3] = {0, 0, 0};
    int np = 0, nd = 0;
    while (len && *s == ' ') { s++; len--; }
    while (len && s[len - 1] == ' ') len--;
    if (len == 8) { /* YYYYMMDD */
        for (size_t i = 0; i < 8; i++) if (s[i] < '0' || s[i] > '9') return false;
        parts[0] = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
        parts[1] = (s[4] - '0') * 10 + (s[5] - '0');
        parts[2] = (s[6] - '0') * 10 + (s[7] - '0');
        np = 3;
    } else {
        for (size_t i = 0; i < len; i++) {
            char c = s[i];
            if (c >= '0' && c <= '9') {
                if (np == 3 || nd >= (np == 0 ? 4 : 2)) return false;
                parts[np] = parts[np] * 10 + (c - '0');
                nd++;
            } else if ((c == '-' || c == '/' || c == '.') && nd > 0 && np < 2) {
                np++;
                nd = 0;
            } else if (c == ' ' || c == 'T') {
                break;   /* a time part after the date is ignored */
            } else {
                return false;
            }
        }
        if (np != 2 || nd == 0) return false;
        np = 3;
    }
    if (parts[0] < 1800 || parts[0] > 2200 || parts[1] < 1 || parts[1] > 12 || parts[2] < 1 ||
        parts[2] > days_in_month(parts[0], parts[1]))
        return false;
    *y = parts[0]; *m = parts[1]; *d = parts[2];
    return true;
}

