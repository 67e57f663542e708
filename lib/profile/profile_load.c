/* profile_load.c — reads a profile's YAML tree into struct upl_profile and
 * checks it: unknown keys are errors (a typo such as `wieght` must not
 * silently drop a rule), every expression is parsed at load time, every
 * weight and k are exact rationals, and every error names the profile
 * file, line and column. The layout is documented in docs/profiles.md. */
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "profile_int.h"
#include "uplift/io.h"

typedef struct ld {
    upl_profile *p;
    upl_error *err;
    const char *file;
} ld;

char *prof_strdup(upl_profile *p, const char *s) {
    if (!s) return NULL;
    char *d = upl_strdup(s);
    if (!d) return NULL;
    if (p->n_all_strings == p->cap_all_strings) {
        size_t nc = p->cap_all_strings ? p->cap_all_strings * 2 : 64;
        char **ns = upl_reallocarray(p->all_strings, nc, sizeof *ns);
        if (!ns) { upl_free(d); return NULL; }
        p->all_strings = ns;
        p->cap_all_strings = nc;
    }
    p->all_strings[p->n_all_strings++] = d;
    return d;
}

void *prof_keep(upl_profile *p, void *ptr) {
    if (!ptr) return NULL;
    if (p->n_all_ptrs == p->cap_all_ptrs) {
        size_t nc = p->cap_all_ptrs ? p->cap_all_ptrs * 2 : 64;
        void **np = upl_reallocarray(p->all_ptrs, nc, sizeof *np);
        if (!np) { upl_free(ptr); return NULL; }
        p->all_ptrs = np;
        p->cap_all_ptrs = nc;
    }
    p->all_ptrs[p->n_all_ptrs++] = ptr;
    return ptr;
}

static int oom(ld *L) { return upl_error_set(L->err, UPL_ENOMEM, "out of memory loading profile"); }

static int bad(ld *L, const ynode *n, const char *fmt, ...) UPL_PRINTF(3, 4);
static int bad(ld *L, const ynode *n, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return upl_error_at(L->err, UPL_EPROFILE, L->file, n ? n->line : 0, n ? n->col : 0, NULL, "%s", msg);
}

static int check_keys(ld *L, const ynode *map, const char *what, const char *const *allowed) {
    if (!map || map->kind != Y_MAP) return bad(L, map, "%s must be a mapping", what);
    for (size_t i = 0; i < map->n; i++) {
        const ynode *k = map->items[2 * i];
        bool ok = false;
        for (const char *const *a = allowed; *a; a++) if (!strcmp(*a, k->text)) { ok = true; break; }
        if (!ok) {
            char list[512] = "";
            for (const char *const *a = allowed; *a; a++) {
                if (list[0]) strncat(list, ", ", sizeof list - strlen(list) - 1);
                strncat(list, *a, sizeof list - strlen(list) - 1);
            }
            return bad(L, k, "unknown key `%s` in %s (known: %s)", k->text, what, list);
        }
    }
    return UPL_OK;
}

static int get_scalar(ld *L, const ynode *map, const char *key, bool required, const char *what, const ynode **out) {
    const ynode *n = prof_ymap_get(map, key);
    *out = NULL;
    if (!n) return required ? bad(L, map, "%s: `%s` is required", what, key) : UPL_OK;
    if (n->kind != Y_SCALAR) return bad(L, n, "%s: `%s` must be a single value", what, key);
    *out = n;
    return UPL_OK;
}

static int get_str(ld *L, const ynode *map, const char *key, bool required, const char *what, char **out) {
    const ynode *n;
    int rc = get_scalar(L, map, key, required, what, &n);
    *out = NULL;
    if (rc || !n) return rc;
    *out = prof_strdup(L->p, n->text);
    return *out ? UPL_OK : oom(L);
}

static int num_of(ld *L, const ynode *n, const char *what, double *out) {
    if (n->kind != Y_SCALAR || !upl_parse_f64(n->text, strlen(n->text), out))
        return bad(L, n, "%s: expected a number, found `%s`", what, n->kind == Y_SCALAR ? n->text : "(a list or mapping)");
    return UPL_OK;
}

static int get_num(ld *L, const ynode *map, const char *key, bool required, const char *what, double *out,
                   bool *present) {
    const ynode *n;
    int rc = get_scalar(L, map, key, required, what, &n);
    if (present) *present = n != NULL;
    if (rc || !n) return rc;
    return num_of(L, n, what, out);
}

static int get_int(ld *L, const ynode *map, const char *key, bool required, const char *what, int *out) {
    double v;
    bool present = false;
    int rc = get_num(L, map, key, required, what, &v, &present);
    if (rc || !present) return rc;
    if (v != floor(v) || v < -1e9 || v > 1e9) return bad(L, prof_ymap_get(map, key), "%s: `%s` must be an integer", what, key);
    *out = (int)v;
    return UPL_OK;
}

static int bool_of(ld *L, const ynode *n, const char *what, bool *out) {
    if (n->kind == Y_SCALAR) {
        const char *t = n->text;
        if (!strcmp(t, "true") || !strcmp(t, "yes") || !strcmp(t, "True")) { *out = true; return UPL_OK; }
        if (!strcmp(t, "false") || !strcmp(t, "no") || !strcmp(t, "False")) { *out = false; return UPL_OK; }
    }
    return bad(L, n, "%s: expected true or false", what);
}

static int get_bool(ld *L, const ynode *map, const char *key, const char *what, bool dflt, bool *out) {
    const ynode *n = prof_ymap_get(map, key);
    *out = dflt;
    return n ? bool_of(L, n, what, out) : UPL_OK;
}

/* label: either "text" or {en: ..., zh: ...} */
static int get_label(ld *L, const ynode *map, const char *what, char **en, char **zh) {
    const ynode *n = prof_ymap_get(map, "label");
    *en = *zh = NULL;
    if (!n) return UPL_OK;
    if (n->kind == Y_SCALAR) {
        *en = prof_strdup(L->p, n->text);
        return *en ? UPL_OK : oom(L);
    }
    static const char *const K[] = {"en", "zh", NULL};
    int rc = check_keys(L, n, what, K);
    if (rc) return rc;
    if ((rc = get_str(L, n, "en", false, what, en)) || (rc = get_str(L, n, "zh", false, what, zh))) return rc;
    return UPL_OK;
}

static int parse_expr_node(ld *L, const ynode *n, const char *what, upl_expr **out) {
    if (!n || n->kind != Y_SCALAR) return bad(L, n, "%s: the rule must be an expression in a string", what);
    uint64_t col = n->col + (n->is_quoted ? 1 : 0);
    int rc = upl_expr_parse(n->text, L->file, n->line, col, out, L->err);
    if (rc && rc != UPL_ENOMEM) {
        /* add what the expression belongs to, keeping the location */
        char *m = upl_strdup(L->err->message ? L->err->message : "");
        if (m) {
            uint64_t line = L->err->line, column = L->err->column;
            upl_error_at(L->err, rc, L->file, line, column, NULL, "%s: %s", what, m);
            upl_free(m);
        }
    }
    return rc;
}

static int str_list(ld *L, const ynode *n, const char *what, const char *const **out, size_t *count) {
    *out = NULL;
    *count = 0;
    if (!n) return UPL_OK;
    if (n->kind == Y_SCALAR) {
        const char **a = prof_keep(L->p, upl_calloc(1, sizeof *a));
        if (!a || !(a[0] = prof_strdup(L->p, n->text))) return oom(L);
        *out = a;
        *count = 1;
        return UPL_OK;
    }
    if (n->kind != Y_SEQ) return bad(L, n, "%s must be a list", what);
    if (n->n == 0) return UPL_OK;
    const char **a = prof_keep(L->p, upl_calloc(n->n, sizeof *a));
    if (!a) return oom(L);
    for (size_t i = 0; i < n->n; i++) {
        if (n->items[i]->kind != Y_SCALAR) return bad(L, n->items[i], "%s: items must be single values", what);
        if (!(a[i] = prof_strdup(L->p, n->items[i]->text))) return oom(L);
    }
    *out = a;
    *count = n->n;
    return UPL_OK;
}

/* ---- sections ---------------------------------------------------------------- */

static int load_meta(ld *L, const ynode *m) {
    static const char *const K[] = {"name", "version", "title", "area", "effective_years", "sources",
                                    "reference_date", "description", "status", NULL};
    int rc = check_keys(L, m, "profile:", K);
    if (rc) return rc;
    upl_profile *p = L->p;
    if ((rc = get_str(L, m, "name", true, "profile:", &p->name)) ||
        (rc = get_str(L, m, "version", true, "profile:", &p->version)) ||
        (rc = get_str(L, m, "area", false, "profile:", &p->area)))
        return rc;
    for (const char *c = p->name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.'))
            return bad(L, prof_ymap_get(m, "name"), "profile name `%s`: use lower-case letters, digits, - _ .", p->name);
    const ynode *t = prof_ymap_get(m, "title");
    if (t) {
        if (t->kind == Y_SCALAR) p->title_en = prof_strdup(p, t->text);
        else {
            static const char *const TK[] = {"en", "zh", NULL};
            if ((rc = check_keys(L, t, "profile: title", TK)) ||
                (rc = get_str(L, t, "en", false, "title", &p->title_en)) ||
                (rc = get_str(L, t, "zh", false, "title", &p->title_zh)))
                return rc;
        }
    }
    const ynode *y = prof_ymap_get(m, "effective_years");
    if (y) {
        double a, b;
        if (y->kind != Y_SEQ || y->n != 2) return bad(L, y, "effective_years must be [first, last]");
        if ((rc = num_of(L, y->items[0], "effective_years", &a)) || (rc = num_of(L, y->items[1], "effective_years", &b)))
            return rc;
        if (a > b) return bad(L, y, "effective_years: first year after last");
        p->year_first = (int)a;
        p->year_last = (int)b;
    }
    const ynode *rd = prof_ymap_get(m, "reference_date");
    if (rd) {
        int mo = 0, da = 0;
        if (rd->kind != Y_SCALAR || sscanf(rd->text, "%d-%d", &mo, &da) != 2 || mo < 1 || mo > 12 || da < 1 || da > 31)
            return bad(L, rd, "reference_date must be MM-DD (the day ages are computed at, in the identification year)");
        p->ref_month = mo;
        p->ref_day = da;
    }
    return UPL_OK;
}

static int parse_kind(ld *L, const ynode *n, upl_field_kind *out) {
    static const struct { const char *name; upl_field_kind k; } KS[] = {
        {"any", UPL_FIELD_ANY}, {"number", UPL_FIELD_NUMBER}, {"decimal", UPL_FIELD_NUMBER},
        {"integer", UPL_FIELD_INTEGER}, {"int", UPL_FIELD_INTEGER}, {"text", UPL_FIELD_TEXT},
        {"code", UPL_FIELD_CODE}, {"codes", UPL_FIELD_CODES}, {"bool", UPL_FIELD_BOOL},
        {"date", UPL_FIELD_DATE}, {"month", UPL_FIELD_MONTH}};
    for (size_t i = 0; i < sizeof KS / sizeof KS[0]; i++)
        if (!strcmp(KS[i].name, n->text)) { *out = KS[i].k; return UPL_OK; }
    return bad(L, n, "unknown kind `%s` (number, integer, text, code, codes, bool, date, month)", n->text);
}

static int load_columns(ld *L, const ynode *m) {
    upl_profile *p = L->p;
    if (m->kind != Y_MAP) return bad(L, m, "columns: must map canonical names to their definitions");
    p->fields = prof_keep(p, upl_calloc(m->n + 1, sizeof *p->fields));
    if (!p->fields) return oom(L);
    static const char *const K[] = {"kind", "level", "required", "sensitive", "aliases", "unit", "missing",
                                    "codes", "true", "false", "source", "verified", "note", NULL};
    for (size_t i = 0; i < m->n; i++) {
        const ynode *k = m->items[2 * i], *v = m->items[2 * i + 1];
        pfield *f = &p->fields[i];
        char what[160];
        snprintf(what, sizeof what, "column `%s`", k->text);
        int rc;
        for (const char *c = k->text; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
                return bad(L, k, "canonical name `%s`: use lower-case ASCII letters, digits and _", k->text);
        f->pub.name = prof_strdup(p, k->text);
        if (!f->pub.name) return oom(L);
        f->line = k->line;
        f->col = k->col;
        if (v->kind == Y_SCALAR && !v->text[0]) { p->n_fields = i + 1; continue; }
        if ((rc = check_keys(L, v, what, K))) return rc;
        const ynode *kn = prof_ymap_get(v, "kind");
        if (kn && (rc = parse_kind(L, kn, &f->pub.kind))) return rc;
        const ynode *lv = prof_ymap_get(v, "level");
        if (lv) {
            if (lv->kind == Y_SCALAR && !strcmp(lv->text, "household")) f->pub.level = UPL_LEVEL_HOUSEHOLD;
            else if (lv->kind == Y_SCALAR && !strcmp(lv->text, "person")) f->pub.level = UPL_LEVEL_PERSON;
            else return bad(L, lv, "%s: level must be household or person", what);
        }
        if ((rc = get_bool(L, v, "required", what, false, &f->pub.is_required)) ||
            (rc = get_bool(L, v, "sensitive", what, false, &f->pub.is_sensitive)))
            return rc;
        char *unit = NULL;
        if ((rc = get_str(L, v, "unit", false, what, &unit))) return rc;
        f->pub.unit = unit;
        if ((rc = str_list(L, prof_ymap_get(v, "aliases"), what, &f->pub.aliases, &f->pub.n_aliases)) ||
            (rc = str_list(L, prof_ymap_get(v, "missing"), what, &f->pub.missing, &f->pub.n_missing)) ||
            (rc = str_list(L, prof_ymap_get(v, "codes"), what, &f->pub.codes, &f->pub.n_codes)) ||
            (rc = str_list(L, prof_ymap_get(v, "true"), what, &f->pub.true_labels, &f->pub.n_true_labels)) ||
            (rc = str_list(L, prof_ymap_get(v, "false"), what, &f->pub.false_labels, &f->pub.n_false_labels)))
            return rc;
        if (f->pub.n_missing) {
            double *nums = prof_keep(p, upl_calloc(f->pub.n_missing, sizeof *nums));
            if (!nums) return oom(L);
            size_t nn = 0;
            for (size_t j = 0; j < f->pub.n_missing; j++)
                if (upl_parse_f64(f->pub.missing[j], strlen(f->pub.missing[j]), &nums[nn])) nn++;
            f->pub.missing_num = nums;
            f->pub.n_missing_num = nn;
        }
        p->n_fields = i + 1;
    }
    p->n_fields = m->n;
    /* no two fields may claim the same normalised header */
    for (size_t i = 0; i < p->n_fields; i++) {
        const upl_profile_field *a = &p->fields[i].pub;
        for (size_t ai = 0; ai <= a->n_aliases; ai++) {
            const char *x = ai < a->n_aliases ? a->aliases[ai] : a->name;
            char *nx = NULL;
            if (upl_profile_header_norm(x, strlen(x), &nx, NULL)) return oom(L);
            for (size_t j = i + 1; j < p->n_fields; j++) {
                const upl_profile_field *b = &p->fields[j].pub;
                for (size_t bi = 0; bi <= b->n_aliases; bi++) {
                    const char *y = bi < b->n_aliases ? b->aliases[bi] : b->name;
                    char *ny = NULL;
                    if (upl_profile_header_norm(y, strlen(y), &ny, NULL)) { upl_free(nx); return oom(L); }
                    bool same = !strcmp(nx, ny);
                    upl_free(ny);
                    if (same) {
                        int rc = upl_error_at(L->err, UPL_EPROFILE, L->file, p->fields[j].line, p->fields[j].col, NULL,
                                              "header `%s` of column `%s` is also claimed by column `%s` (line %llu)",
                                              y, b->name, a->name, (unsigned long long)p->fields[i].line);
                        upl_free(nx);
                        return rc;
                    }
                }
            }
            upl_free(nx);
        }
    }
    return UPL_OK;
}

static int load_household(ld *L, const ynode *m) {
    static const char *const K[] = {"key", "area_levels", "province", NULL};
    int rc = check_keys(L, m, "household:", K);
    if (rc) return rc;
    upl_profile *p = L->p;
    if ((rc = get_str(L, m, "key", true, "household:", &p->household_key)) ||
        (rc = get_str(L, m, "province", false, "household:", &p->province_field)))
        return rc;
    const char *const *lv = NULL;
    size_t n = 0;
    if ((rc = str_list(L, prof_ymap_get(m, "area_levels"), "household: area_levels", &lv, &n))) return rc;
    p->area_levels = (char **)(uintptr_t)lv;
    p->n_area_levels = n;
    const char *check[1] = {p->household_key};
    for (size_t i = 0; i < 1; i++)
        if (!upl_profile_field_find(p, check[i]))
            return bad(L, prof_ymap_get(m, "key"), "household key `%s` is not a column of the profile", check[i]);
    for (size_t i = 0; i < n; i++)
        if (!upl_profile_field_find(p, lv[i]))
            return bad(L, prof_ymap_get(m, "area_levels"), "area level `%s` is not a column of the profile", lv[i]);
    if (p->province_field && !upl_profile_field_find(p, p->province_field))
        return bad(L, prof_ymap_get(m, "province"), "province field `%s` is not a column of the profile", p->province_field);
    return UPL_OK;
}

static int load_line_entry(ld *L, const ynode *e, const char *what, bool is_provincial, pline *out) {
    static const char *const K[] = {"year", "value", "source", "verified", "province", "note", NULL};
    int rc = check_keys(L, e, what, K);
    if (rc) return rc;
    if ((rc = get_int(L, e, "year", true, what, &out->year)) ||
        (rc = get_num(L, e, "value", true, what, &out->value, NULL)) ||
        (rc = get_str(L, e, "source", false, what, &out->source)) ||
        (rc = get_bool(L, e, "verified", what, true, &out->is_verified)))
        return rc;
    if (is_provincial) {
        if ((rc = get_str(L, e, "province", true, what, &out->province))) return rc;
    } else if (prof_ymap_get(e, "province")) {
        return bad(L, prof_ymap_get(e, "province"), "%s: national lines have no province (use provincial:)", what);
    }
    if (!(out->value > 0) || !isfinite(out->value)) return bad(L, prof_ymap_get(e, "value"), "%s: a line must be positive", what);
    return UPL_OK;
}

static int load_lines(ld *L, const ynode *m) {
    static const char *const K[] = {"unit", "base", "national", "provincial", "deflators", "income", NULL};
    int rc = check_keys(L, m, "lines:", K);
    if (rc) return rc;
    upl_profile *p = L->p;
    const ynode *nat = prof_ymap_get(m, "national"), *prov = prof_ymap_get(m, "provincial"), *defl = prof_ymap_get(m, "deflators");
    size_t cap = (nat && nat->kind == Y_SEQ ? nat->n : 0) + (prov && prov->kind == Y_SEQ ? prov->n : 0) +
                 (defl && defl->kind == Y_SEQ ? defl->n : 0) + 1;
    p->lines = prof_keep(p, upl_calloc(cap, sizeof *p->lines));
    if (!p->lines) return oom(L);
    const ynode *base = prof_ymap_get(m, "base");
    if (base) {
        static const char *const BK[] = {"year", "value", "source", "verified", "note", NULL};
        if ((rc = check_keys(L, base, "lines: base", BK)) ||
            (rc = get_int(L, base, "year", true, "lines: base", &p->base_year)) ||
            (rc = get_num(L, base, "value", true, "lines: base", &p->base_year_line, NULL)))
            return rc;
    }
    if (nat) {
        if (nat->kind != Y_SEQ) return bad(L, nat, "lines: national must be a list of {year, value, source}");
        for (size_t i = 0; i < nat->n; i++) {
            pline *l = &p->lines[p->n_lines];
            if ((rc = load_line_entry(L, nat->items[i], "lines: national", false, l))) return rc;
            for (size_t j = 0; j < p->n_lines; j++)
                if (!p->lines[j].province && p->lines[j].year == l->year)
                    return bad(L, nat->items[i], "lines: national line for %d given twice", l->year);
            p->n_lines++;
        }
    }
    if (prov) {
        if (prov->kind != Y_SEQ) return bad(L, prov, "lines: provincial must be a list");
        for (size_t i = 0; i < prov->n; i++) {
            if ((rc = load_line_entry(L, prov->items[i], "lines: provincial", true, &p->lines[p->n_lines]))) return rc;
            p->n_lines++;
        }
    }
    if (defl) {
        /* deflators: price index relative to the base year; the line of a
         * year with no published value is base × index (DOMAIN.md §1.1:
         * the line is 2,300 yuan at 2010 prices, re-indexed each year) */
        if (defl->kind != Y_SEQ) return bad(L, defl, "lines: deflators must be a list of {year, index}");
        if (!base) return bad(L, defl, "lines: deflators need lines: base");
        for (size_t i = 0; i < defl->n; i++) {
            const ynode *e = defl->items[i];
            static const char *const DK[] = {"year", "index", "source", "verified", "note", NULL};
            int year = 0;
            double idx = 0;
            char *src = NULL;
            bool ver = true;
            if ((rc = check_keys(L, e, "lines: deflators", DK)) || (rc = get_int(L, e, "year", true, "deflator", &year)) ||
                (rc = get_num(L, e, "index", true, "deflator", &idx, NULL)) ||
                (rc = get_str(L, e, "source", false, "deflator", &src)) ||
                (rc = get_bool(L, e, "verified", "deflator", true, &ver)))
                return rc;
            if (!(idx > 0)) return bad(L, e, "deflator index must be positive");
            bool has = false;
            for (size_t j = 0; j < p->n_lines; j++)
                if (!p->lines[j].province && p->lines[j].year == year) has = true;
            if (has) continue;   /* a published line wins over a derived one */
            pline *l = &p->lines[p->n_lines++];
            l->year = year;
            l->value = p->base_year_line * idx;
            l->source = src;
            l->is_verified = ver;
            l->is_derived = true;
        }
    }
    const ynode *inc = prof_ymap_get(m, "income");
    if (inc) {
        if ((rc = parse_expr_node(L, inc, "lines: income", &p->income_expr))) return rc;
        p->income_text = prof_strdup(p, inc->text);
        if (!p->income_text) return oom(L);
    }
    return UPL_OK;
}

static int load_identification(ld *L, const ynode *m) {
    static const char *const K[] = {"k", "poor", NULL};
    int rc = check_keys(L, m, "identification:", K);
    if (rc) return rc;
    const ynode *k = prof_ymap_get(m, "k");
    if (k) {
        if (k->kind != Y_SCALAR || upl_rational_parse(k->text, &L->p->k, NULL) != UPL_OK)
            return bad(L, k, "identification: k must be an exact fraction like 1/3");
        if (L->p->k.num <= 0 || L->p->k.num > L->p->k.den) return bad(L, k, "identification: k must be in (0, 1]");
    }
    const ynode *poor = prof_ymap_get(m, "poor");
    if (poor && (rc = parse_expr_node(L, poor, "identification: poor", &L->p->poor_expr))) return rc;
    return UPL_OK;
}

static int collect_refs(ld *L, const ex_node *n, pindicator *ind) {
    if (n->kind == EX_IDENT) {
        for (size_t i = 0; i < ind->n_refs; i++) if (!strcmp(ind->refs[i], n->str)) return UPL_OK;
        const char **nr = upl_reallocarray(ind->refs, ind->n_refs + 1, sizeof *nr);
        if (!nr) return oom(L);
        ind->refs = nr;
        if (!(nr[ind->n_refs] = prof_strdup(L->p, n->str))) return oom(L);
        ind->n_refs++;
    }
    for (size_t i = 0; i < n->n_kids; i++) {
        int rc = collect_refs(L, n->kids[i], ind);
        if (rc) return rc;
    }
    return UPL_OK;
}

static int load_indicators(ld *L, const ynode *m) {
    upl_profile *p = L->p;
    if (m->kind != Y_SEQ) return bad(L, m, "indicators: must be a list");
    p->indicators = prof_keep(p, upl_calloc(m->n + 1, sizeof *p->indicators));
    if (!p->indicators) return oom(L);
    static const char *const K[] = {"id", "label", "dimension", "weight", "rule", "on_missing", "source",
                                    "verified", "note", NULL};
    for (size_t i = 0; i < m->n; i++) {
        const ynode *e = m->items[i];
        pindicator *ind = &p->indicators[i];
        int rc;
        if ((rc = check_keys(L, e, "indicator", K))) return rc;
        char *id = NULL, *dim = NULL, *src = NULL, *en = NULL, *zh = NULL;
        if ((rc = get_str(L, e, "id", true, "indicator", &id))) return rc;
        char what[160];
        snprintf(what, sizeof what, "indicator `%s`", id);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(p->indicators[j].pub.id, id)) return bad(L, prof_ymap_get(e, "id"), "%s defined twice", what);
        if ((rc = get_str(L, e, "dimension", true, what, &dim)) || (rc = get_str(L, e, "source", false, what, &src)) ||
            (rc = get_label(L, e, what, &en, &zh)) ||
            (rc = get_bool(L, e, "verified", what, true, &ind->pub.is_verified)))
            return rc;
        ind->pub.id = id;
        ind->pub.dimension = dim;
        ind->pub.source = src;
        ind->pub.label_en = en ? en : id;
        ind->pub.label_zh = zh ? zh : ind->pub.label_en;
        const ynode *w = prof_ymap_get(e, "weight");
        if (!w) ind->pub.weight = (upl_rational){0, 1};
        else if (w->kind != Y_SCALAR || upl_rational_parse(w->text, &ind->pub.weight, NULL) != UPL_OK ||
                 ind->pub.weight.num < 0)
            return bad(L, w, "%s: weight must be an exact non-negative fraction like 1/18", what);
        const ynode *r = prof_ymap_get(e, "rule");
        if (!r) return bad(L, e, "%s: `rule` is required", what);
        if ((rc = parse_expr_node(L, r, what, &ind->expr))) return rc;
        ind->pub.expr = prof_strdup(p, r->text);
        if (!ind->pub.expr) return oom(L);
        if ((rc = collect_refs(L, ind->expr->root, ind))) return rc;
        const ynode *om = prof_ymap_get(e, "on_missing");
        ind->pub.on_missing = UPL_MISSING_UNKNOWN;
        if (om) {
            if (om->kind == Y_SCALAR && !strcmp(om->text, "unknown")) ind->pub.on_missing = UPL_MISSING_UNKNOWN;
            else if (om->kind == Y_SCALAR && !strcmp(om->text, "deprived")) ind->pub.on_missing = UPL_MISSING_DEPRIVED;
            else if (om->kind == Y_SCALAR && !strcmp(om->text, "not_deprived")) ind->pub.on_missing = UPL_MISSING_NOT_DEPRIVED;
            else return bad(L, om, "%s: on_missing must be unknown, deprived or not_deprived", what);
        }
        p->n_indicators = i + 1;
    }
    return UPL_OK;
}

static int load_rules(ld *L, const ynode *m, const char *what_list, prule **out, size_t *count) {
    upl_profile *p = L->p;
    if (m->kind != Y_SEQ) return bad(L, m, "%s must be a list", what_list);
    prule *rs = prof_keep(p, upl_calloc(m->n + 1, sizeof *rs));
    if (!rs) return oom(L);
    static const char *const K[] = {"id", "label", "rule", "source", "verified", "note", NULL};
    for (size_t i = 0; i < m->n; i++) {
        const ynode *e = m->items[i];
        int rc;
        if ((rc = check_keys(L, e, what_list, K))) return rc;
        if ((rc = get_str(L, e, "id", true, what_list, &rs[i].id)) ||
            (rc = get_label(L, e, what_list, &rs[i].label_en, &rs[i].label_zh)))
            return rc;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(rs[j].id, rs[i].id)) return bad(L, prof_ymap_get(e, "id"), "%s: `%s` defined twice", what_list, rs[i].id);
        char what[160];
        snprintf(what, sizeof what, "%s `%s`", what_list, rs[i].id);
        const ynode *r = prof_ymap_get(e, "rule");
        if (!r) return bad(L, e, "%s: `rule` is required", what);
        *count = i;   /* so partial lists free correctly */
        if ((rc = parse_expr_node(L, r, what, &rs[i].expr))) { *out = rs; *count = i; return rc; }
        rs[i].text = prof_strdup(p, r->text);
        if (!rs[i].text) return oom(L);
        if (!rs[i].label_en) rs[i].label_en = rs[i].id;
        if (!rs[i].label_zh) rs[i].label_zh = rs[i].label_en;
        *out = rs;
        *count = i + 1;
    }
    *out = rs;
    *count = m->n;
    return UPL_OK;
}

static int load_causes(ld *L, const ynode *m) {
    static const char *const K[] = {"max_secondary", "declared", "list", NULL};
    int rc = check_keys(L, m, "causes:", K);
    if (rc) return rc;
    upl_profile *p = L->p;
    int ms = 2;
    if ((rc = get_int(L, m, "max_secondary", false, "causes:", &ms))) return rc;
    if (ms < 0 || ms > 12) return bad(L, prof_ymap_get(m, "max_secondary"), "causes: max_secondary must be 0..12");
    p->max_secondary_causes = (size_t)ms;
    if ((rc = get_str(L, m, "declared", false, "causes:", &p->declared_cause_field))) return rc;
    if (p->declared_cause_field && !upl_profile_field_find(p, p->declared_cause_field))
        return bad(L, prof_ymap_get(m, "declared"), "causes: declared field `%s` is not a column of the profile",
                   p->declared_cause_field);
    const ynode *list = prof_ymap_get(m, "list");
    if (!list || list->kind != Y_SEQ) return bad(L, list ? list : m, "causes: `list` must be a list of causes");
    if (list->n > 64) return bad(L, list, "causes: at most 64 causes");
    p->causes = prof_keep(p, upl_calloc(list->n + 1, sizeof *p->causes));
    if (!p->causes) return oom(L);
    static const char *const CK[] = {"code", "zh", "en", "rule", "source", "verified", "note", NULL};
    for (size_t i = 0; i < list->n; i++) {
        const ynode *e = list->items[i];
        pcause *c = &p->causes[i];
        char *zh = NULL, *en = NULL;
        if ((rc = check_keys(L, e, "cause", CK)) || (rc = get_int(L, e, "code", true, "cause", &c->pub.code)) ||
            (rc = get_str(L, e, "zh", true, "cause", &zh)) || (rc = get_str(L, e, "en", false, "cause", &en)))
            return rc;
        c->pub.label_zh = zh;
        c->pub.label_en = en ? en : zh;
        for (size_t j = 0; j < i; j++)
            if (p->causes[j].pub.code == c->pub.code) return bad(L, prof_ymap_get(e, "code"), "cause code %d given twice", c->pub.code);
        const ynode *r = prof_ymap_get(e, "rule");
        if (r) {
            char what[160];
            snprintf(what, sizeof what, "cause %d (%s)", c->pub.code, zh);
            p->n_causes = i;
            if ((rc = parse_expr_node(L, r, what, &c->expr))) return rc;
            c->pub.expr = prof_strdup(p, r->text);
            if (!c->pub.expr) return oom(L);
        }
        p->n_causes = i + 1;
    }
    return UPL_OK;
}

static int load_area_rules(ld *L, const ynode *m, const char *what_list, parea_rule **out, size_t *count) {
    upl_profile *p = L->p;
    if (m->kind != Y_SEQ) return bad(L, m, "%s must be a list", what_list);
    parea_rule *rs = prof_keep(p, upl_calloc(m->n + 1, sizeof *rs));
    if (!rs) return oom(L);
    static const char *const K[] = {"id", "label", "metric", "op", "threshold", "threshold_west", "source",
                                    "verified", "note", NULL};
    for (size_t i = 0; i < m->n; i++) {
        const ynode *e = m->items[i];
        upl_profile_area_rule *r = &rs[i].pub;
        int rc;
        char *id = NULL, *metric = NULL, *op = NULL, *src = NULL, *en = NULL, *zh = NULL;
        bool has_west = false;
        if ((rc = check_keys(L, e, what_list, K)) || (rc = get_str(L, e, "id", true, what_list, &id)) ||
            (rc = get_str(L, e, "metric", true, what_list, &metric)) || (rc = get_str(L, e, "op", true, what_list, &op)) ||
            (rc = get_str(L, e, "source", false, what_list, &src)) || (rc = get_label(L, e, what_list, &en, &zh)) ||
            (rc = get_num(L, e, "threshold", true, what_list, &r->threshold, NULL)) ||
            (rc = get_num(L, e, "threshold_west", false, what_list, &r->threshold_west, &has_west)) ||
            (rc = get_bool(L, e, "verified", what_list, true, &r->is_verified)))
            return rc;
        if (strcmp(op, "<") && strcmp(op, "<=") && strcmp(op, ">") && strcmp(op, ">="))
            return bad(L, prof_ymap_get(e, "op"), "%s: op must be <, <=, > or >=", what_list);
        if (!has_west) r->threshold_west = NAN;
        r->id = id; r->metric = metric; r->op = op; r->source = src;
        r->label_en = en ? en : id;
        r->label_zh = zh ? zh : r->label_en;
    }
    *out = rs;
    *count = m->n;
    return UPL_OK;
}

static int add_threshold(ld *L, const char *section, const char *name, int year, const char *prov, double v) {
    upl_profile *p = L->p;
    pthreshold *nt = upl_reallocarray(p->thresholds, p->n_thresholds + 1, sizeof *nt);
    if (!nt) return oom(L);
    p->thresholds = nt;
    pthreshold *t = &nt[p->n_thresholds];
    memset(t, 0, sizeof *t);
    t->section = prof_strdup(p, section);
    t->name = prof_strdup(p, name);
    t->province = prov ? prof_strdup(p, prov) : NULL;
    if (!t->section || !t->name || (prov && !t->province)) return oom(L);
    t->year = year;
    t->value = v;
    p->n_thresholds++;
    return UPL_OK;
}

/* assessment: name: value | {value, west, source, verified}
 * monitoring: thresholds: [{name, value, year?, province?, source?, verified?}], triggers: [rules] */
static int load_assessment(ld *L, const ynode *m) {
    if (m->kind != Y_MAP) return bad(L, m, "assessment: must be a mapping of thresholds");
    for (size_t i = 0; i < m->n; i++) {
        const ynode *k = m->items[2 * i], *v = m->items[2 * i + 1];
        double val;
        int rc;
        if (v->kind == Y_SCALAR) {
            if ((rc = num_of(L, v, k->text, &val)) || (rc = add_threshold(L, "assessment", k->text, 0, NULL, val))) return rc;
            continue;
        }
        static const char *const K[] = {"value", "west", "source", "verified", "note", NULL};
        bool has_west = false;
        double west = 0;
        if ((rc = check_keys(L, v, k->text, K)) || (rc = get_num(L, v, "value", true, k->text, &val, NULL)) ||
            (rc = get_num(L, v, "west", false, k->text, &west, &has_west)) ||
            (rc = add_threshold(L, "assessment", k->text, 0, NULL, val)))
            return rc;
        if (has_west && (rc = add_threshold(L, "assessment", k->text, 0, "west", west))) return rc;
    }
    return UPL_OK;
}

static int load_monitoring(ld *L, const ynode *m, prule **triggers, size_t *n_triggers) {
    static const char *const K[] = {"thresholds", "triggers", NULL};
    int rc = check_keys(L, m, "monitoring:", K);
    if (rc) return rc;
    const ynode *t = prof_ymap_get(m, "thresholds");
    if (t) {
        if (t->kind != Y_SEQ) return bad(L, t, "monitoring: thresholds must be a list");
        static const char *const TK[] = {"name", "value", "year", "province", "source", "verified", "note", "unit", NULL};
        for (size_t i = 0; i < t->n; i++) {
            const ynode *e = t->items[i];
            char *name = NULL, *prov = NULL;
            int year = 0;
            double v;
            if ((rc = check_keys(L, e, "monitoring threshold", TK)) ||
                (rc = get_str(L, e, "name", true, "monitoring threshold", &name)) ||
                (rc = get_num(L, e, "value", true, "monitoring threshold", &v, NULL)) ||
                (rc = get_int(L, e, "year", false, "monitoring threshold", &year)) ||
                (rc = get_str(L, e, "province", false, "monitoring threshold", &prov)) ||
                (rc = add_threshold(L, "monitoring", name, year, prov, v)))
                return rc;
        }
    }
    const ynode *tr = prof_ymap_get(m, "triggers");
    if (tr && (rc = load_rules(L, tr, "monitoring trigger", triggers, n_triggers))) return rc;
    return UPL_OK;
}

static int load_regions(ld *L, const ynode *m) {
    upl_profile *p = L->p;
    if (m->kind != Y_SEQ) return bad(L, m, "regions: must be a list of {code, name, group}");
    p->regions = prof_keep(p, upl_calloc(m->n + 1, sizeof *p->regions));
    if (!p->regions) return oom(L);
    static const char *const K[] = {"code", "name", "group", NULL};
    for (size_t i = 0; i < m->n; i++) {
        int rc;
        if ((rc = check_keys(L, m->items[i], "region", K)) ||
            (rc = get_str(L, m->items[i], "code", true, "region", &p->regions[i].province_code)) ||
            (rc = get_str(L, m->items[i], "name", true, "region", &p->regions[i].province_name)) ||
            (rc = get_str(L, m->items[i], "group", true, "region", &p->regions[i].group)))
            return rc;
        p->n_regions = i + 1;
    }
    return UPL_OK;
}

static void free_rules(prule *rs, size_t n) {
    for (size_t i = 0; rs && i < n; i++) upl_expr_free(rs[i].expr);
}

void upl_profile_free(upl_profile *p) {
    if (!p) return;
    upl_expr_free(p->income_expr);
    upl_expr_free(p->poor_expr);
    for (size_t i = 0; i < p->n_indicators; i++) { upl_expr_free(p->indicators[i].expr); upl_free(p->indicators[i].refs); }
    for (size_t i = 0; i < p->n_causes; i++) upl_expr_free(p->causes[i].expr);
    free_rules(p->categories, p->n_categories);
    free_rules(p->exit_rules, p->n_exit_rules);
    free_rules(p->triggers, p->n_triggers);
    upl_free(p->thresholds);
    for (size_t i = 0; i < p->n_all_strings; i++) upl_free(p->all_strings[i]);
    upl_free(p->all_strings);
    for (size_t i = 0; i < p->n_all_ptrs; i++) upl_free(p->all_ptrs[i]);
    upl_free(p->all_ptrs);
    upl_free(p);
}

int upl_profile_load_mem(const char *text, size_t len, const char *name, upl_profile **out, upl_error *err) {
    int rc = UPL_OK;
    ynode *root = NULL;
    upl_profile *p = NULL;
    *out = NULL;
    if (!text) return upl_error_set(err, UPL_EMISUSE, "NULL profile text");
    if (!name) name = "<profile>";
    p = upl_calloc(1, sizeof *p);
    if (!p) return upl_error_set(err, UPL_ENOMEM, "out of memory loading profile");
    ld L = {p, err, name};
    if (!(p->path = prof_strdup(p, name))) { rc = oom(&L); goto fail; }
    L.file = p->path;
    prof_sha256_hex(text, len, p->sha256);
    p->k = (upl_rational){1, 1};
    p->max_secondary_causes = 2;
    p->ref_month = 12;
    p->ref_day = 31;
    UPL_TRY(prof_yaml_load(text, len, name, &root, err));
    static const char *const K[] = {"profile", "columns", "household", "lines", "identification", "indicators",
                                    "categories", "causes", "exit", "assessment", "monitoring", "regions", NULL};
    UPL_TRY(check_keys(&L, root, "the profile", K));
    const ynode *meta = prof_ymap_get(root, "profile");
    if (!meta) { rc = bad(&L, root, "the `profile:` section (name, version, sources) is required"); goto fail; }
    UPL_TRY(load_meta(&L, meta));
    const ynode *cols = prof_ymap_get(root, "columns");
    if (!cols) { rc = bad(&L, root, "the `columns:` section (the column mapping) is required"); goto fail; }
    UPL_TRY(load_columns(&L, cols));
    const ynode *hh = prof_ymap_get(root, "household");
    if (hh) UPL_TRY(load_household(&L, hh));
    else {
        if (!upl_profile_field_find(p, "household_code")) {
            rc = bad(&L, root, "`household: key:` is required unless a column is named household_code");
            goto fail;
        }
        p->household_key = prof_strdup(p, "household_code");
        if (!p->household_key) { rc = oom(&L); goto fail; }
    }
    const ynode *n;
    if ((n = prof_ymap_get(root, "lines"))) UPL_TRY(load_lines(&L, n));
    if ((n = prof_ymap_get(root, "identification"))) UPL_TRY(load_identification(&L, n));
    if ((n = prof_ymap_get(root, "indicators"))) UPL_TRY(load_indicators(&L, n));
    if ((n = prof_ymap_get(root, "categories"))) UPL_TRY(load_rules(&L, n, "category", &p->categories, &p->n_categories));
    if ((n = prof_ymap_get(root, "causes"))) UPL_TRY(load_causes(&L, n));
    if ((n = prof_ymap_get(root, "exit"))) {
        static const char *const EK[] = {"household", "village", "county", NULL};
        UPL_TRY(check_keys(&L, n, "exit:", EK));
        const ynode *e;
        if ((e = prof_ymap_get(n, "household"))) UPL_TRY(load_rules(&L, e, "household exit rule", &p->exit_rules, &p->n_exit_rules));
        if ((e = prof_ymap_get(n, "village"))) UPL_TRY(load_area_rules(&L, e, "village exit rule", &p->village_rules, &p->n_village_rules));
        if ((e = prof_ymap_get(n, "county"))) UPL_TRY(load_area_rules(&L, e, "county exit rule", &p->county_rules, &p->n_county_rules));
    }
    if ((n = prof_ymap_get(root, "assessment"))) UPL_TRY(load_assessment(&L, n));
    if ((n = prof_ymap_get(root, "monitoring"))) UPL_TRY(load_monitoring(&L, n, &p->triggers, &p->n_triggers));
    if ((n = prof_ymap_get(root, "regions"))) UPL_TRY(load_regions(&L, n));
    if (p->n_indicators == 0 && !p->income_expr && prof_ymap_get(root, "identification")) {
        rc = bad(&L, prof_ymap_get(root, "identification"), "identification needs indicators: or lines: income");
        goto fail;
    }
    prof_yaml_free(root);
    *out = p;
    return UPL_OK;
fail:
    prof_yaml_free(root);
    upl_profile_free(p);
    return rc;
}

int upl_profile_load(const char *path, upl_profile **out, upl_error *err) {
    FILE *f = NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = UPL_OK;
    *out = NULL;
    if (!path) return upl_error_set(err, UPL_EMISUSE, "NULL profile path");
    f = fopen(path, "rb");
    if (!f) return upl_error_at(err, errno == ENOENT ? UPL_ENOTFOUND : UPL_EIO, path, 0, 0, NULL, "cannot open profile: %s", strerror(errno));
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 16384;
            if (cap > ((size_t)64 << 20)) { rc = upl_error_at(err, UPL_ELIMIT, path, 0, 0, NULL, "profile larger than 64 MiB"); goto fail; }
            char *nb = upl_realloc(buf, cap);
            if (!nb) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory reading profile"); goto fail; }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) break;
    }
    if (ferror(f)) { rc = upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "read error"); goto fail; }
    buf[len] = 0;
    rc = upl_profile_load_mem(buf, len, path, out, err);
fail:
    if (f) fclose(f);
    upl_free(buf);
    return rc;
}

/* ---- accessors ---------------------------------------------------------------- */
const char *upl_profile_name(const upl_profile *p) { return p->name; }
const char *upl_profile_version(const upl_profile *p) { return p->version; }
const char *upl_profile_sha256(const upl_profile *p) { return p->sha256; }
const char *upl_profile_path(const upl_profile *p) { return p->path; }
const char *upl_profile_title(const upl_profile *p, bool is_zh) {
    const char *t = is_zh ? (p->title_zh ? p->title_zh : p->title_en) : p->title_en;
    return t ? t : "";
}
void upl_profile_years(const upl_profile *p, int *first, int *last) {
    if (first) *first = p->year_first;
    if (last) *last = p->year_last;
}
size_t upl_profile_n_fields(const upl_profile *p) { return p->n_fields; }
const upl_profile_field *upl_profile_field_at(const upl_profile *p, size_t i) {
    return i < p->n_fields ? &p->fields[i].pub : NULL;
}
const char *upl_profile_household_key(const upl_profile *p) { return p->household_key; }
size_t upl_profile_area_levels(const upl_profile *p, const char *const **names) {
    if (names) *names = (const char *const *)p->area_levels;
    return p->n_area_levels;
}
size_t upl_profile_n_indicators(const upl_profile *p) { return p->n_indicators; }
const upl_profile_indicator *upl_profile_indicator_at(const upl_profile *p, size_t i) {
    return i < p->n_indicators ? &p->indicators[i].pub : NULL;
}
upl_rational upl_profile_k(const upl_profile *p) { return p->k; }
size_t upl_profile_indicator_refs(const upl_profile *p, size_t i, const char *const **names) {
    if (i >= p->n_indicators) { if (names) *names = NULL; return 0; }
    if (names) *names = p->indicators[i].refs;
    return p->indicators[i].n_refs;
}
size_t upl_profile_n_causes(const upl_profile *p) { return p->n_causes; }
const upl_profile_cause *upl_profile_cause_at(const upl_profile *p, size_t i) {
    return i < p->n_causes ? &p->causes[i].pub : NULL;
}
size_t upl_profile_n_categories(const upl_profile *p) { return p->n_categories; }
const char *upl_profile_category_id(const upl_profile *p, size_t i) { return i < p->n_categories ? p->categories[i].id : NULL; }
const char *upl_profile_category_label(const upl_profile *p, size_t i, bool is_zh) {
    if (i >= p->n_categories) return NULL;
    return is_zh ? p->categories[i].label_zh : p->categories[i].label_en;
}
size_t upl_profile_n_area_rules(const upl_profile *p, const char *level) {
    if (!level) return 0;
    if (!strcmp(level, "village")) return p->n_village_rules;
    if (!strcmp(level, "county")) return p->n_county_rules;
    return 0;
}
const upl_profile_area_rule *upl_profile_area_rule_at(const upl_profile *p, const char *level, size_t i) {
    if (!level) return NULL;
    if (!strcmp(level, "village")) return i < p->n_village_rules ? &p->village_rules[i].pub : NULL;
    if (!strcmp(level, "county")) return i < p->n_county_rules ? &p->county_rules[i].pub : NULL;
    return NULL;
}

static const pregion *find_region(const upl_profile *p, const char *province) {
    if (!province) return NULL;
    size_t pl = strlen(province);
    for (size_t i = 0; i < p->n_regions; i++) {
        const pregion *r = &p->regions[i];
        if (!strcmp(r->province_name, province)) return r;
        /* a code may be the 2-digit province code or any longer area code starting with it */
        size_t cl = strlen(r->province_code);
        if (pl >= cl && !strncmp(r->province_code, province, cl) && (pl == cl || pl == 6 || pl == 9 || pl == 12))
            return r;
        /* names like 内蒙古自治区 start with the short name 内蒙古 */
        size_t nl = strlen(r->province_name);
        if (pl > nl && !strncmp(r->province_name, province, nl)) return r;
    }
    return NULL;
}

const char *upl_profile_region(const upl_profile *p, const char *province) {
    const pregion *r = find_region(p, province);
    return r ? r->group : NULL;
}

int upl_profile_line(const upl_profile *p, int year, const char *province, upl_line_info *out, upl_error *err) {
    const pline *best = NULL;
    const pregion *reg = find_region(p, province);
    for (size_t i = 0; i < p->n_lines; i++) {
        const pline *l = &p->lines[i];
        if (l->year != year) continue;
        if (l->province) {
            if (!province) continue;
            bool match = !strcmp(l->province, province);
            if (!match && reg) match = !strcmp(l->province, reg->province_code) || !strcmp(l->province, reg->province_name);
            if (match) { best = l; break; }
        } else if (!best) {
            best = l;
        }
    }
    if (!best) {
        int lo = 0, hi = 0;
        for (size_t i = 0; i < p->n_lines; i++) {
            if (p->lines[i].province) continue;
            if (!lo || p->lines[i].year < lo) lo = p->lines[i].year;
            if (p->lines[i].year > hi) hi = p->lines[i].year;
        }
        return upl_error_at(err, UPL_ENOTFOUND, p->path, 0, 0, NULL,
                            "profile `%s` has no poverty line for %d (national lines cover %d-%d)", p->name, year, lo, hi);
    }
    out->value = best->value;
    out->year = best->year;
    out->province = best->province;
    out->source = best->source;
    out->is_verified = best->is_verified;
    out->is_derived = best->is_derived;
    return UPL_OK;
}

int upl_profile_threshold(const upl_profile *p, const char *section, const char *name, int year,
                          const char *province, double *out) {
    const pthreshold *best = NULL;
    int best_score = -1;
    const char *group = province ? upl_profile_region(p, province) : NULL;
    for (size_t i = 0; i < p->n_thresholds; i++) {
        const pthreshold *t = &p->thresholds[i];
        if (strcmp(t->section, section) || strcmp(t->name, name)) continue;
        int score = 0;
        if (t->year) { if (t->year != year) continue; score += 2; }
        if (t->province) {
            bool ok = province && (!strcmp(t->province, province) || (group && !strcmp(t->province, group)));
            if (!ok) {
                const pregion *r = find_region(p, province);
                ok = r && (!strcmp(t->province, r->province_code) || !strcmp(t->province, r->province_name));
            }
            if (!ok) continue;
            score += 4;
        }
        if (score > best_score) { best = t; best_score = score; }
    }
    if (!best) return UPL_ENOTFOUND;
    *out = best->value;
    return UPL_OK;
}

static bool file_exists(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    fclose(f);
    return true;
}

int upl_profile_load_named(const char *name, upl_profile **out, upl_error *err) {
    *out = NULL;
    if (!name || !*name) return upl_error_set(err, UPL_EMISUSE, "no profile named");
    size_t nl = strlen(name);
    bool is_path = strchr(name, '/') || (nl > 5 && (!strcmp(name + nl - 5, ".yaml") || !strcmp(name + nl - 4, ".yml")));
    if (is_path || file_exists(name)) return upl_profile_load(name, out, err);
    /* search directories for <name>.yaml */
    char exe[4096];
    ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *dirs[6] = {0};
    size_t nd = 0;
    const char *env = getenv("UPLIFT_PROFILES");
    if (env && *env) dirs[nd++] = upl_strdup(env);
    dirs[nd++] = upl_strdup("profiles");
    if (el > 0) {
        exe[el] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            dirs[nd++] = upl_asprintf("%s/profiles", exe);
            dirs[nd++] = upl_asprintf("%s/../profiles", exe);
            dirs[nd++] = upl_asprintf("%s/../../profiles", exe);
            dirs[nd++] = upl_asprintf("%s/../share/uplift/profiles", exe);
        }
    }
    int rc = UPL_ENOTFOUND;
    char *tried = NULL;
    for (size_t i = 0; i < nd; i++) {
        if (!dirs[i]) { rc = UPL_ENOMEM; break; }
        char *path = upl_asprintf("%s/%s.yaml", dirs[i], name);
        if (!path) { rc = UPL_ENOMEM; break; }
        if (file_exists(path)) {
            rc = upl_profile_load(path, out, err);
            upl_free(path);
            break;
        }
        char *nt = upl_asprintf("%s%s%s", tried ? tried : "", tried ? ", " : "", dirs[i]);
        upl_free(tried);
        tried = nt;
        upl_free(path);
    }
    if (rc == UPL_ENOTFOUND)
        upl_error_set(err, UPL_ENOTFOUND, "no profile `%s`: not a file, and no %s.yaml in %s", name, name,
                      tried ? tried : "the search path");
    else if (rc == UPL_ENOMEM && !*out)
        upl_error_set(err, UPL_ENOMEM, "out of memory");
    upl_free(tried);
    for (size_t i = 0; i < nd; i++) upl_free(dirs[i]);
    return rc;
}

size_t upl_profile_n_triggers(const upl_profile *p) { return p->n_triggers; }
const char *upl_profile_trigger(const upl_profile *p, size_t i, const char **rule, const char **label_en,
                                const char **label_zh) {
    if (i >= p->n_triggers) return NULL;
    if (rule) *rule = p->triggers[i].text;
    if (label_en) *label_en = p->triggers[i].label_en;
    if (label_zh) *label_zh = p->triggers[i].label_zh;
    return p->triggers[i].id;
}
