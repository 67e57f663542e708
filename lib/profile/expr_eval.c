/* expr_eval.c — compiles a profile's rules against one person-level table
 * and evaluates them as vector programs.
 *
 * Model. The input has one row per person with household fields repeated
 * (the shape county exports have, REGISTRY_FIELDS.md §5). Rows are grouped
 * into households by the household key. An expression lives in one of two
 * domains: *household* (the rules themselves) or *person* (the argument of
 * a member aggregation any/all/count/sum/min/max/mean). Each domain's code
 * is a short SSA program of array operations over a chunk of EV_CHUNK
 * elements: loads from columns (gathered through the household's first row
 * in the household domain), arithmetic, comparisons, Kleene logic, lookup
 * tables for text labels. Evaluation is two passes:
 *   1. persons: for each chunk of rows, run every aggregation's argument
 *      programs and fold the chunk into per-household accumulators;
 *   2. households: run the rule programs stage by stage (income, indicators,
 *      score, poor, categories, causes, exit) over chunks of households.
 * No operation looks at one row at a time through an interpreter.
 *
 * Values: numbers are doubles with NaN meaning missing (the readers never
 * produce NaN or infinities, and x/0 is defined as missing); logical values
 * are bytes 0 false, 1 true, 2 unknown, combined with Kleene's strong
 * three-valued logic. Text columns are compared through per-label lookup
 * tables built once at compile time, so a comparison with a label costs one
 * table lookup per row. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "profile_int.h"
#include "uplift/io.h"

#define EV_CHUNK 1024

enum { VT_NUM = 1, VT_B3 = 2, VT_TEXT = 3, VT_LIST = 4, VT_STRLIT = 5, VT_MISSING = 6 };
enum { DOM_PERSON = 0, DOM_HH = 1 };

typedef enum opcode {
    OP_CONST, OP_CONST_B3, OP_COL_NUM, OP_COL_B3, OP_COL_LUT, OP_COL_MISSING, OP_COL_AGE,
    OP_ARR_NUM, OP_ARR_B3,
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_NEG, OP_ABS, OP_FLOOR, OP_LEAST, OP_GREATEST,
    OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE, OP_EQ_B3, OP_NE_B3,
    OP_LTK, OP_LEK, OP_GTK, OP_GEK, OP_EQK, OP_NEK,  /* x op constant k */
    OP_AND, OP_OR, OP_NOT, OP_IN_NUM, OP_ISMISS_NUM, OP_ISMISS_B3,
    OP_COALESCE_NUM, OP_COALESCE_B3, OP_IF_NUM, OP_IF_B3, OP_B3_NUM
} opcode;

/* A view of one table column in the forms the programs read. */
typedef struct colview {
    const upl_column *col;
    const upl_profile_field *field;
    int32_t *codes;          /* text columns: code per row (-1 = missing); STR only (owned) */
    upl_dict *dict;          /* STR: owned dictionary of its labels; CAT: col->dict */
    double *num;             /* numeric view of a text column, per row (owned), NaN = missing */
    double *lut_num;         /* CAT: number per code */
    uint8_t *lut_b3;         /* text: boolean per code (0/1/2) */
    int32_t *ymd;            /* dates as yyyymmdd per row, -1 = missing/invalid (owned) */
    int32_t *ymd_id;         /* birth date from an ID number, per row */
    bool is_text;
} colview;

typedef struct inst {
    opcode op;
    int dst, a, b, c;
    double k;
    int src;                 /* colview index, or array index */
    const uint8_t *lut;      /* OP_COL_LUT (owned by the program's lut list) */
    const double *list; size_t n_list;
    bool by_id;              /* OP_COL_AGE: from an ID number */
} inst;

typedef struct prog {
    inst *ins; size_t n, cap;
    int n_regs;
    int out;                 /* register of the result */
    int out_type;            /* VT_NUM or VT_B3 */
    int dom;
} prog;

/* household-level arrays the programs can read (results of earlier stages) */
typedef struct harr {
    char *name;
    int type;                /* VT_NUM / VT_B3 */
    double *num;
    uint8_t *b3;
    bool is_ready;           /* computed before it is read */
} harr;

enum agg_kind { AG_ANY, AG_ALL, AG_COUNT, AG_SUM, AG_MIN, AG_MAX, AG_MEAN };

typedef struct agg {
    int kind;
    prog cond;               /* B3 condition (count/any/all; optional for sum/min/max) */
    prog val;                /* NUM value (sum/min/max/mean) */
    bool has_cond, has_val;
    int arr;                 /* harr index of the result */
    int64_t *witness;        /* per household, -1 = none */
    double *cnt;             /* mean: count of values */
    bool is_cause_only;      /* used only by cause rules: folded for poor/undetermined households only */
} agg;

/* one compiled household rule */
typedef struct target {
    prog p;
    int arr;                 /* harr index written */
    int first_agg;           /* first aggregation created for it (witness), -1 none */
} target;

struct upl_eval {
    const upl_profile *p;
    const upl_table *t;
    upl_eval_options opt;
    int ref_ymd;             /* default reference date yyyymmdd */
    /* households */
    upl_groupby *gb;
    size_t n_rows, n_hh;
    const int32_t *hh_of_row;
    size_t *first_row;
    uint64_t *hh_size;
    int32_t *own_hh_of_row;  /* fast path: rows already grouped (owned) */
    size_t *member_off;      /* general path: rows of household g are member_rows[off[g]..off[g+1]) */
    size_t *member_rows;
    uint64_t *own_hh_size;
    size_t n_missing_key;
    size_t n_inconsistent;
    /* compile state */
    colview *cols; size_t n_cols;
    harr *arrs; size_t n_arrs;
    agg *aggs; size_t n_aggs;
    uint8_t **luts; size_t n_luts;
    double **lists; size_t n_lists;
    const char **absent; size_t n_absent;
    upl_error *err;
    const char *file;
    int cur_first_agg;
    int stage;               /* which names are visible */
    /* targets by stage */
    target income_t; bool has_income;
    target *ind_t;           /* one per indicator */
    target poor_t; bool has_poor_expr;
    target *cat_t, *cause_t, *exit_t;
    /* results */
    int a_line, a_income, a_score, a_poor, a_income_poor, a_n_members, a_year;
    int *a_ind;              /* per indicator: after on_missing */
    uint8_t **ind_raw;
    int64_t **ind_wit;
    int64_t *score_lo, *score_hi, score_den, *w_units, k_units;
    int32_t *category, *main_cause;
    uint64_t *secondary;
    uint8_t *exit_ok;
    uint8_t **exit_res;
    /* scratch */
    double *regs;            /* max registers x EV_CHUNK doubles */
    int max_regs;
};

static const uint8_t AND3[9] = {0, 0, 0, 0, 1, 2, 0, 2, 2};
static const uint8_t OR3[9] = {0, 1, 2, 1, 1, 1, 2, 1, 2};
static const uint8_t NOT3[3] = {1, 0, 2};

static int ev_bad(upl_eval *ev, const ex_node *n, const char *fmt, ...) UPL_PRINTF(3, 4);
static int ev_bad(upl_eval *ev, const ex_node *n, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return upl_error_at(ev->err, UPL_EPROFILE, ev->file, n ? n->line : 0, n ? n->col : 0, NULL, "%s", msg);
}
static int ev_oom(upl_eval *ev) { return upl_error_set(ev->err, UPL_ENOMEM, "out of memory compiling profile rules"); }

/* ---- column views ----------------------------------------------------------- */

static inline int32_t view_code(const colview *v, size_t row) {
    if (v->codes) return v->codes[row];
    return upl_col_is_valid(v->col, row) ? v->col->v.cat[row] : -1;
}

static int view_text_codes(upl_eval *ev, colview *v) {
    const upl_column *c = v->col;
    if (c->type == UPL_CAT) { v->dict = c->dict; return UPL_OK; }
    if (c->type != UPL_STR || v->codes) return UPL_OK;
    v->dict = upl_dict_new();
    v->codes = upl_malloc((c->n_rows ? c->n_rows : 1) * sizeof *v->codes);
    if (!v->dict || !v->codes) return ev_oom(ev);
    for (size_t i = 0; i < c->n_rows; i++) {
        if (!upl_col_is_valid(c, i)) { v->codes[i] = -1; continue; }
        size_t l;
        const char *s = upl_col_str(c, i, &l);
        if (upl_dict_intern(v->dict, s, l, &v->codes[i])) return ev_oom(ev);
    }
    return UPL_OK;
}

static int find_view(upl_eval *ev, const upl_column *c, const upl_profile_field *f, int *out) {
    for (size_t i = 0; i < ev->n_cols; i++)
        if (ev->cols[i].col == c) { *out = (int)i; return UPL_OK; }
    colview *nc = upl_reallocarray(ev->cols, ev->n_cols + 1, sizeof *nc);
    if (!nc) return ev_oom(ev);
    ev->cols = nc;
    colview *v = &nc[ev->n_cols];
    memset(v, 0, sizeof *v);
    v->col = c;
    v->field = f;
    v->is_text = c->type == UPL_CAT || c->type == UPL_STR;
    if (c->type == UPL_CAT) v->dict = c->dict;
    /* STR columns get their code view only when a label test needs it */
    *out = (int)ev->n_cols++;
    return UPL_OK;
}

static int view_num(upl_eval *ev, colview *v) {
    if (!v->is_text || v->lut_num || v->num) return UPL_OK;
    int rc = view_text_codes(ev, v);
    if (rc) return rc;
    int32_t nd = upl_dict_size(v->dict);
    v->lut_num = upl_malloc(((size_t)nd + 1) * sizeof *v->lut_num);
    if (!v->lut_num) return ev_oom(ev);
    for (int32_t k = 0; k < nd; k++) {
        double d;
        const char *s = upl_dict_label(v->dict, k);
        size_t l = upl_dict_label_len(v->dict, k);
        while (l && *s == ' ') { s++; l--; }
        while (l && s[l - 1] == ' ') l--;
        v->lut_num[k] = upl_parse_f64(s, l, &d) ? d : NAN;
    }
    return UPL_OK;
}

static int view_b3(upl_eval *ev, colview *v) {
    if (!v->is_text || v->lut_b3) return UPL_OK;
    int rc = view_text_codes(ev, v);
    if (rc) return rc;
    int32_t nd = upl_dict_size(v->dict);
    v->lut_b3 = upl_malloc((size_t)nd + 1);
    if (!v->lut_b3) return ev_oom(ev);
    for (int32_t k = 0; k < nd; k++) {
        int b = prof_bool_label(v->field, upl_dict_label(v->dict, k), upl_dict_label_len(v->dict, k));
        v->lut_b3[k] = b < 0 ? 2 : (uint8_t)b;
    }
    return UPL_OK;
}

static int32_t ymd_of_text(const char *s, size_t l, bool by_id) {
    int y, m, d;
    if (by_id) {
        /* 18-character resident ID: birth date in characters 7-14; 20/22
         * character disability-certificate numbers start with the 18-char ID;
         * 15-digit first-generation IDs hold YYMMDD in 7-12 (19YY). */
        while (l && *s == ' ') { s++; l--; }
        if (l >= 18) { if (!prof_parse_date(s + 6, 8, &y, &m, &d)) return -1; }
        else if (l == 15) {
            char buf[8] = {'1', '9'};
            memcpy(buf + 2, s + 6, 6);
            if (!prof_parse_date(buf, 8, &y, &m, &d)) return -1;
        } else return -1;
    } else if (!prof_parse_date(s, l, &y, &m, &d)) {
        return -1;
    }
    return y * 10000 + m * 100 + d;
}

static int view_ymd(upl_eval *ev, colview *v, bool by_id) {
    int32_t **dst = by_id ? &v->ymd_id : &v->ymd;
    if (*dst) return UPL_OK;
    const upl_column *c = v->col;
    int32_t *out = upl_malloc((c->n_rows ? c->n_rows : 1) * sizeof *out);
    if (!out) return ev_oom(ev);
    if (c->type == UPL_STR && !v->codes) {
        /* dates are mostly distinct: parse each row rather than build a dictionary */
        for (size_t i = 0; i < c->n_rows; i++) {
            size_t l;
            const char *s = upl_col_is_valid(c, i) ? upl_col_str(c, i, &l) : NULL;
            out[i] = s ? ymd_of_text(s, l, by_id) : -1;
        }
    } else if (v->is_text) {
        int32_t nd = upl_dict_size(v->dict);
        int32_t *lut = upl_malloc(((size_t)nd + 1) * sizeof *lut);
        if (!lut) { upl_free(out); return ev_oom(ev); }
        for (int32_t k = 0; k < nd; k++)
            lut[k] = ymd_of_text(upl_dict_label(v->dict, k), upl_dict_label_len(v->dict, k), by_id);
        for (size_t i = 0; i < c->n_rows; i++) {
            int32_t code = view_code(v, i);
            out[i] = code < 0 ? -1 : lut[code];
        }
        upl_free(lut);
    } else if (c->type == UPL_I64 || c->type == UPL_F64) {
        for (size_t i = 0; i < c->n_rows; i++) {
            out[i] = -1;
            if (!upl_col_is_valid(c, i)) continue;
            double x = c->type == UPL_I64 ? (double)c->v.i64[i] : c->v.f64[i];
            if (x != floor(x) || x < 18000101 || x > 22001231) continue;
            char buf[16];
            snprintf(buf, sizeof buf, "%08lld", (long long)x);
            out[i] = ymd_of_text(buf, 8, false);
        }
    } else {
        for (size_t i = 0; i < c->n_rows; i++) out[i] = -1;
    }
    *dst = out;
    return UPL_OK;
}

/* ---- program building --------------------------------------------------------- */

static int emit(upl_eval *ev, prog *p, inst in, int *dst) {
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 16;
        inst *ni = upl_reallocarray(p->ins, nc, sizeof *ni);
        if (!ni) return ev_oom(ev);
        p->ins = ni;
        p->cap = nc;
    }
    in.dst = p->n_regs++;
    p->ins[p->n++] = in;
    if (p->n_regs > ev->max_regs) ev->max_regs = p->n_regs;
    *dst = in.dst;
    return UPL_OK;
}

static int keep_lut(upl_eval *ev, uint8_t *lut) {
    uint8_t **nl = upl_reallocarray(ev->luts, ev->n_luts + 1, sizeof *nl);
    if (!nl) { upl_free(lut); return ev_oom(ev); }
    ev->luts = nl;
    nl[ev->n_luts++] = lut;
    return UPL_OK;
}

static int keep_list(upl_eval *ev, double *list) {
    double **nl = upl_reallocarray(ev->lists, ev->n_lists + 1, sizeof *nl);
    if (!nl) { upl_free(list); return ev_oom(ev); }
    ev->lists = nl;
    nl[ev->n_lists++] = list;
    return UPL_OK;
}

static int add_arr(upl_eval *ev, const char *name, int type, int *out) {
    harr *na = upl_reallocarray(ev->arrs, ev->n_arrs + 1, sizeof *na);
    if (!na) return ev_oom(ev);
    ev->arrs = na;
    harr *a = &na[ev->n_arrs];
    memset(a, 0, sizeof *a);
    a->name = upl_strdup(name);
    a->type = type;
    size_t n = ev->n_hh ? ev->n_hh : 1;
    if (type == VT_NUM) a->num = upl_malloc(n * sizeof *a->num);
    else a->b3 = upl_malloc(n);
    if (!a->name || (!a->num && !a->b3)) {
        upl_free(a->name); upl_free(a->num); upl_free(a->b3);
        return ev_oom(ev);
    }
    *out = (int)ev->n_arrs++;
    return UPL_OK;
}

static int find_arr(const upl_eval *ev, const char *name) {
    for (size_t i = 0; i < ev->n_arrs; i++)
        if (!strcmp(ev->arrs[i].name, name)) return (int)i;
    return -1;
}

typedef struct cval { int type; int reg; int view; const ex_node *node; } cval;

static int comp(upl_eval *ev, prog *p, const ex_node *n, int dom, cval *out);

static const char *type_name(int t) {
    switch (t) {
    case VT_NUM: return "a number";
    case VT_B3: return "a true/false value";
    case VT_TEXT: return "a text column";
    case VT_LIST: return "a list";
    case VT_STRLIT: return "a text literal";
    case VT_MISSING: return "missing";
    default: return "?";
    }
}

/* Convert an already compiled value to `type` (missing -> a missing constant,
 * a text column -> its numeric or boolean reading). */
static int coerce(upl_eval *ev, prog *p, const ex_node *n, int type, cval *out, const char *ctx) {
    int rc;
    if (out->type == type) return UPL_OK;
    if (out->type == VT_MISSING) {
        inst in = {.op = type == VT_NUM ? OP_CONST : OP_CONST_B3, .k = type == VT_NUM ? NAN : 2};
        out->type = type;
        return emit(ev, p, in, &out->reg);
    }
    if (out->type == VT_TEXT && type == VT_NUM) {
        colview *v = &ev->cols[out->view];
        if (v->field && v->field->kind != UPL_FIELD_ANY)
            return ev_bad(ev, n, "`%s` is a %s field: compare it with labels (== \"...\", in [...]), not as a number",
                          v->field->name, v->field->kind == UPL_FIELD_DATE ? "date" : "text/code");
        if ((rc = view_num(ev, v))) return rc;
        inst in = {.op = OP_COL_NUM, .src = out->view};
        out->type = VT_NUM;
        return emit(ev, p, in, &out->reg);
    }
    if (out->type == VT_TEXT && type == VT_B3) {
        colview *v = &ev->cols[out->view];
        if ((rc = view_b3(ev, v))) return rc;
        inst in = {.op = OP_COL_B3, .src = out->view};
        out->type = VT_B3;
        return emit(ev, p, in, &out->reg);
    }
    return ev_bad(ev, n, "%s needs %s here, found %s", ctx, type_name(type), type_name(out->type));
}

static int want(upl_eval *ev, prog *p, const ex_node *n, int dom, int type, cval *out, const char *ctx) {
    int rc = comp(ev, p, n, dom, out);
    if (rc) return rc;
    return coerce(ev, p, n, type, out, ctx);
}

/* lookup table over a text column's labels: 1 where pred(label) holds */
static int text_lut(upl_eval *ev, prog *p, int view, const ex_node *lits, bool negate, bool is_has, cval *out) {
    colview *v = &ev->cols[view];
    int vrc = view_text_codes(ev, v);
    if (vrc) return vrc;
    int32_t nd = upl_dict_size(v->dict);
    uint8_t *lut = upl_calloc((size_t)nd + 1, 1);
    if (!lut) return ev_oom(ev);
    for (int32_t k = 0; k < nd; k++) {
        const char *s = upl_dict_label(v->dict, k);
        size_t l = upl_dict_label_len(v->dict, k);
        /* labels compare after trimming spaces around them */
        while (l && (*s == ' ')) { s++; l--; }
        while (l && s[l - 1] == ' ') l--;
        bool hit = false;
        size_t nl = lits->kind == EX_LIST ? lits->n_kids : 1;
        for (size_t j = 0; j < nl && !hit; j++) {
            const ex_node *lit = lits->kind == EX_LIST ? lits->kids[j] : lits;
            size_t ll = strlen(lit->str);
            hit = is_has ? prof_codes_has(s, l, lit->str, ll) : (ll == l && !memcmp(s, lit->str, l));
        }
        lut[k] = (uint8_t)(hit != negate);
    }
    int rc = keep_lut(ev, lut);
    if (rc) return rc;
    inst in = {.op = OP_COL_LUT, .src = view, .lut = lut};
    out->type = VT_B3;
    return emit(ev, p, in, &out->reg);
}

static bool is_text_lit_list(const ex_node *n) {
    if (n->kind == EX_STR) return true;
    if (n->kind != EX_LIST || n->n_kids == 0) return false;
    for (size_t i = 0; i < n->n_kids; i++) if (n->kids[i]->kind != EX_STR) return false;
    return true;
}

static bool is_num_lit_list(const ex_node *n) {
    if (n->kind != EX_LIST || n->n_kids == 0) return false;
    for (size_t i = 0; i < n->n_kids; i++) if (n->kids[i]->kind != EX_NUM) return false;
    return true;
}

/* A comparison with a number literal compares against an immediate
 * constant (no constant register filled per chunk); the literal's load is
 * left unused and dropped from the program. */
static int emit_compare(upl_eval *ev, prog *p, opcode op, const cval *a, const cval *b, const ex_node *l,
                        const ex_node *r, cval *out) {
    static const opcode K[] = {[OP_LT] = OP_LTK, [OP_LE] = OP_LEK, [OP_GT] = OP_GTK, [OP_GE] = OP_GEK,
                               [OP_EQ] = OP_EQK, [OP_NE] = OP_NEK};
    static const opcode FLIP[] = {[OP_LT] = OP_GTK, [OP_LE] = OP_GEK, [OP_GT] = OP_LTK, [OP_GE] = OP_LEK,
                                  [OP_EQ] = OP_EQK, [OP_NE] = OP_NEK};
    out->type = VT_B3;
    if (r->kind == EX_NUM && p->n && p->ins[p->n - 1].dst == b->reg && p->ins[p->n - 1].op == OP_CONST) {
        p->n--;                      /* drop the constant's fill */
        p->n_regs--;
        inst in = {.op = K[op], .a = a->reg, .k = r->num};
        return emit(ev, p, in, &out->reg);
    }
    if (l->kind == EX_NUM && r->kind != EX_NUM) {
        /* the literal was compiled first: find its fill and turn it into the immediate */
        for (size_t i = 0; i < p->n; i++)
            if (p->ins[i].dst == a->reg && p->ins[i].op == OP_CONST) {
                inst in = {.op = FLIP[op], .a = b->reg, .k = l->num};
                return emit(ev, p, in, &out->reg);
            }
    }
    inst in = {.op = op, .a = a->reg, .b = b->reg};
    return emit(ev, p, in, &out->reg);
}

static int comp_compare(upl_eval *ev, prog *p, const ex_node *n, int dom, cval *out) {
    const ex_node *l = n->kids[0], *r = n->kids[1];
    int rc;
    bool is_eq = n->kind == EX_EQ || n->kind == EX_NE;
    /* text column == "label" (either side) */
    if (is_eq && (l->kind == EX_STR || r->kind == EX_STR)) {
        const ex_node *col = l->kind == EX_STR ? r : l, *lit = l->kind == EX_STR ? l : r;
        cval cv;
        if ((rc = comp(ev, p, col, dom, &cv))) return rc;
        if (cv.type == VT_MISSING && col->kind != EX_MISSING) {
            inst in = {.op = OP_CONST_B3, .k = 2};
            out->type = VT_B3;
            return emit(ev, p, in, &out->reg);
        }
        if (cv.type != VT_TEXT)
            return ev_bad(ev, col, "only a text column can be compared with \"%s\" (found %s)", lit->str, type_name(cv.type));
        return text_lut(ev, p, cv.view, lit, n->kind == EX_NE, false, out);
    }
    cval a, b;
    if ((rc = comp(ev, p, l, dom, &a)) || (rc = comp(ev, p, r, dom, &b))) return rc;
    if (a.type == VT_TEXT && b.type == VT_TEXT)
        return ev_bad(ev, n, "comparing two text columns is not supported; compare a column with \"label\"");
    if (is_eq && ((a.type == VT_B3 && b.type != VT_NUM) || (b.type == VT_B3 && a.type != VT_NUM))) {
        /* boolean equality: true == x */
        if ((rc = coerce(ev, p, l, VT_B3, &a, "`==`")) || (rc = coerce(ev, p, r, VT_B3, &b, "`==`"))) return rc;
        inst in = {.op = n->kind == EX_EQ ? OP_EQ_B3 : OP_NE_B3, .a = a.reg, .b = b.reg};
        out->type = VT_B3;
        return emit(ev, p, in, &out->reg);
    }
    if (l->kind == EX_MISSING || r->kind == EX_MISSING)
        return ev_bad(ev, n, "comparing with `missing` is always unknown; use is_missing(x)");
    if ((rc = coerce(ev, p, l, VT_NUM, &a, "comparison")) || (rc = coerce(ev, p, r, VT_NUM, &b, "comparison"))) return rc;
    opcode op = n->kind == EX_LT ? OP_LT : n->kind == EX_LE ? OP_LE : n->kind == EX_GT ? OP_GT
              : n->kind == EX_GE ? OP_GE : n->kind == EX_EQ ? OP_EQ : OP_NE;
    return emit_compare(ev, p, op, &a, &b, l, r, out);
}

static int comp_agg(upl_eval *ev, prog *p, const ex_node *n, int dom, int kind, cval *out) {
    int rc;
    if (dom == DOM_PERSON)
        return ev_bad(ev, n, "%s() inside another member aggregation is not allowed", n->str);
    size_t na = n->n_kids;
    bool needs_cond = kind == AG_ANY || kind == AG_ALL || kind == AG_COUNT;
    if (needs_cond ? na != 1 : (na < 1 || na > 2))
        return ev_bad(ev, n, "%s() takes %s", n->str, needs_cond ? "one condition over members, e.g. any(age(birth_date) < 6)"
                                                             : "a member value and an optional condition, e.g. sum(work_months, age(birth_date) >= 16)");
    agg *na2 = upl_reallocarray(ev->aggs, ev->n_aggs + 1, sizeof *na2);
    if (!na2) return ev_oom(ev);
    ev->aggs = na2;
    size_t ai = ev->n_aggs++;
    agg *A = &ev->aggs[ai];
    memset(A, 0, sizeof *A);
    A->kind = kind;
    A->arr = -1;
    A->cond.dom = A->val.dom = DOM_PERSON;
    cval c;
    if (needs_cond) {
        if ((rc = want(ev, &ev->aggs[ai].cond, n->kids[0], DOM_PERSON, VT_B3, &c, n->str))) return rc;
        A = &ev->aggs[ai];
        A->has_cond = true;
        A->cond.out = c.reg;
        A->cond.out_type = VT_B3;
    } else {
        if ((rc = want(ev, &ev->aggs[ai].val, n->kids[0], DOM_PERSON, VT_NUM, &c, n->str))) return rc;
        A = &ev->aggs[ai];
        A->has_val = true;
        A->val.out = c.reg;
        A->val.out_type = VT_NUM;
        if (na == 2) {
            /* cond and val run on the same register file: number cond's
             * registers after val's */
            ev->aggs[ai].cond.n_regs = ev->aggs[ai].val.n_regs;
            if ((rc = want(ev, &ev->aggs[ai].cond, n->kids[1], DOM_PERSON, VT_B3, &c, n->str))) return rc;
            A = &ev->aggs[ai];
            A->has_cond = true;
            A->cond.out = c.reg;
            A->cond.out_type = VT_B3;
        }
    }
    char name[48];
    snprintf(name, sizeof name, "#agg%zu", ai);
    int type = kind == AG_ANY || kind == AG_ALL ? VT_B3 : VT_NUM;
    int arr;
    if ((rc = add_arr(ev, name, type, &arr))) return rc;
    A = &ev->aggs[ai];
    A->arr = arr;
    A->witness = upl_malloc((ev->n_hh ? ev->n_hh : 1) * sizeof *A->witness);
    if (!A->witness) return ev_oom(ev);
    if (kind == AG_MEAN && !(A->cnt = upl_malloc((ev->n_hh ? ev->n_hh : 1) * sizeof *A->cnt))) return ev_oom(ev);
    ev->arrs[arr].is_ready = true;   /* filled by the person pass before any household stage */
    if (ev->cur_first_agg < 0) ev->cur_first_agg = (int)ai;
    inst in = {.op = type == VT_NUM ? OP_ARR_NUM : OP_ARR_B3, .src = arr};
    out->type = type;
    return emit(ev, p, in, &out->reg);
}

static int comp_call(upl_eval *ev, prog *p, const ex_node *n, int dom, cval *out) {
    const char *f = n->str;
    size_t na = n->n_kids;
    int rc;
    static const struct { const char *name; int kind; } AGGS[] = {
        {"any", AG_ANY}, {"all", AG_ALL}, {"count", AG_COUNT}, {"sum", AG_SUM}, {"min", AG_MIN},
        {"max", AG_MAX}, {"mean", AG_MEAN}};
    for (size_t i = 0; i < sizeof AGGS / sizeof AGGS[0]; i++)
        if (!strcmp(f, AGGS[i].name)) return comp_agg(ev, p, n, dom, AGGS[i].kind, out);
    if (!strcmp(f, "age") || !strcmp(f, "age_from_id")) {
        bool by_id = f[3] == '_';
        if (na < 1 || na > 2) return ev_bad(ev, n, "%s(field[, \"YYYY-MM-DD\"]) takes one or two arguments", f);
        cval cv;
        if ((rc = comp(ev, p, n->kids[0], dom, &cv))) return rc;
        if (cv.type == VT_MISSING && n->kids[0]->kind == EX_IDENT) {
            inst in = {.op = OP_CONST, .k = NAN};
            out->type = VT_NUM;
            return emit(ev, p, in, &out->reg);
        }
        if (cv.view < 0 || (cv.type != VT_TEXT && cv.type != VT_NUM))
            return ev_bad(ev, n->kids[0], "%s() needs a %s column", f, by_id ? "ID-number" : "date");
        int ref = ev->ref_ymd;
        if (na == 2) {
            const ex_node *r = n->kids[1];
            int y, m, d;
            if (r->kind != EX_STR || !prof_parse_date(r->str, strlen(r->str), &y, &m, &d))
                return ev_bad(ev, r, "%s(): the reference date must be a text date like \"2014-12-31\"", f);
            ref = y * 10000 + m * 100 + d;
        }
        if ((rc = view_ymd(ev, &ev->cols[cv.view], by_id))) return rc;
        inst in = {.op = OP_COL_AGE, .src = cv.view, .k = ref, .by_id = by_id};
        out->type = VT_NUM;
        return emit(ev, p, in, &out->reg);
    }
    if (!strcmp(f, "has")) {
        if (na != 2 || !is_text_lit_list(n->kids[1]))
            return ev_bad(ev, n, "has(field, \"label\") tests a multi-select field (labels joined by , or 、) for a label");
        cval cv;
        if ((rc = comp(ev, p, n->kids[0], dom, &cv))) return rc;
        if (cv.type == VT_MISSING && n->kids[0]->kind == EX_IDENT) {
            inst in = {.op = OP_CONST_B3, .k = 2};
            out->type = VT_B3;
            return emit(ev, p, in, &out->reg);
        }
        if (cv.type != VT_TEXT) return ev_bad(ev, n->kids[0], "has() needs a text column");
        return text_lut(ev, p, cv.view, n->kids[1], false, true, out);
    }
    if (!strcmp(f, "is_missing")) {
        if (na != 1) return ev_bad(ev, n, "is_missing(x) takes one argument");
        cval a;
        if ((rc = comp(ev, p, n->kids[0], dom, &a))) return rc;
        inst in = {0};
        if (a.type == VT_TEXT) { in.op = OP_COL_MISSING; in.src = a.view; }
        else if (a.type == VT_NUM) { in.op = OP_ISMISS_NUM; in.a = a.reg; }
        else if (a.type == VT_B3) { in.op = OP_ISMISS_B3; in.a = a.reg; }
        else if (a.type == VT_MISSING) { in.op = OP_CONST_B3; in.k = 1; }
        else return ev_bad(ev, n, "is_missing() of %s", type_name(a.type));
        out->type = VT_B3;
        return emit(ev, p, in, &out->reg);
    }
    if (!strcmp(f, "coalesce")) {
        if (na < 2) return ev_bad(ev, n, "coalesce(a, b, ...) takes at least two arguments");
        cval acc;
        if ((rc = comp(ev, p, n->kids[0], dom, &acc))) return rc;
        int type = acc.type == VT_TEXT || acc.type == VT_MISSING ? VT_NUM : acc.type;
        if (type != VT_NUM && type != VT_B3) return ev_bad(ev, n, "coalesce() of %s", type_name(type));
        if ((rc = coerce(ev, p, n->kids[0], type, &acc, "coalesce()"))) return rc;
        for (size_t i = 1; i < na; i++) {
            cval b;
            if ((rc = want(ev, p, n->kids[i], dom, type, &b, "coalesce()"))) return rc;
            inst in = {.op = type == VT_NUM ? OP_COALESCE_NUM : OP_COALESCE_B3, .a = acc.reg, .b = b.reg};
            if ((rc = emit(ev, p, in, &acc.reg))) return rc;
        }
        *out = acc;
        out->type = type;
        return UPL_OK;
    }
    if (!strcmp(f, "if")) {
        if (na != 3) return ev_bad(ev, n, "if(condition, then, else) takes three arguments");
        cval c, a, b;
        if ((rc = want(ev, p, n->kids[0], dom, VT_B3, &c, "if()"))) return rc;
        if ((rc = comp(ev, p, n->kids[1], dom, &a))) return rc;
        int type = a.type == VT_B3 ? VT_B3 : VT_NUM;
        if ((rc = coerce(ev, p, n->kids[1], type, &a, "if()")) || (rc = want(ev, p, n->kids[2], dom, type, &b, "if()")))
            return rc;
        inst in = {.op = type == VT_NUM ? OP_IF_NUM : OP_IF_B3, .a = a.reg, .b = b.reg, .c = c.reg};
        out->type = type;
        return emit(ev, p, in, &out->reg);
    }
    if (!strcmp(f, "abs") || !strcmp(f, "floor") || !strcmp(f, "num")) {
        if (na != 1) return ev_bad(ev, n, "%s(x) takes one argument", f);
        cval a;
        if (!strcmp(f, "num")) {
            if ((rc = want(ev, p, n->kids[0], dom, VT_B3, &a, "num()"))) return rc;
            inst in = {.op = OP_B3_NUM, .a = a.reg};
            out->type = VT_NUM;
            return emit(ev, p, in, &out->reg);
        }
        if ((rc = want(ev, p, n->kids[0], dom, VT_NUM, &a, f))) return rc;
        inst in = {.op = f[0] == 'a' ? OP_ABS : OP_FLOOR, .a = a.reg};
        out->type = VT_NUM;
        return emit(ev, p, in, &out->reg);
    }
    if (!strcmp(f, "least") || !strcmp(f, "greatest")) {
        if (na < 2) return ev_bad(ev, n, "%s(a, b, ...) takes at least two arguments", f);
        cval acc;
        if ((rc = want(ev, p, n->kids[0], dom, VT_NUM, &acc, f))) return rc;
        for (size_t i = 1; i < na; i++) {
            cval b;
            if ((rc = want(ev, p, n->kids[i], dom, VT_NUM, &b, f))) return rc;
            inst in = {.op = f[0] == 'l' ? OP_LEAST : OP_GREATEST, .a = acc.reg, .b = b.reg};
            if ((rc = emit(ev, p, in, &acc.reg))) return rc;
        }
        *out = acc;
        return UPL_OK;
    }
    return ev_bad(ev, n, "unknown function `%s` (functions: any all count sum min max mean age age_from_id has "
                         "is_missing coalesce if abs floor num least greatest)", f);
}

static int comp_ident(upl_eval *ev, prog *p, const ex_node *n, int dom, cval *out) {
    const char *name = n->str;
    int rc;
    /* names computed by earlier stages (line, income_pc, indicators, score, poor...) */
    int ai = find_arr(ev, name);
    if (ai >= 0 && name[0] != '#') {
        harr *a = &ev->arrs[ai];
        if (!a->is_ready)
            return ev_bad(ev, n, "`%s` is not known yet at this point (rules see: columns, line, income_pc, year, "
                                 "n_members; then indicators; then score and poor)", name);
        inst in = {.op = a->type == VT_NUM ? OP_ARR_NUM : OP_ARR_B3, .src = ai};
        out->type = a->type;
        out->view = -1;
        return emit(ev, p, in, &out->reg);
    }
    const upl_profile_field *f = upl_profile_field_find(ev->p, name);
    const upl_column *c = upl_table_find(ev->t, name);
    if (!f) {
        if (!c)
            return ev_bad(ev, n, "unknown name `%s`: not a column of the profile, an indicator or a built-in "
                                 "(line, income_pc, year, n_members, score, k, poor, income_poor)", name);
        return ev_bad(ev, n, "column `%s` is in the data but not declared in the profile's columns:", name);
    }
    if (dom == DOM_HH && f->level == UPL_LEVEL_PERSON)
        return ev_bad(ev, n, "`%s` is a person-level field; aggregate it over members, e.g. any(%s ...) or sum(%s)",
                      name, name, name);
    if (!c) {
        /* absent optional column: every value missing (recorded for the report) */
        bool seen = false;
        for (size_t i = 0; i < ev->n_absent; i++) if (!strcmp(ev->absent[i], f->name)) seen = true;
        if (!seen) {
            const char **na = upl_reallocarray(ev->absent, ev->n_absent + 1, sizeof *na);
            if (!na) return ev_oom(ev);
            ev->absent = na;
            na[ev->n_absent++] = f->name;
        }
        out->view = -1;
        if (f->kind == UPL_FIELD_BOOL || f->kind == UPL_FIELD_NUMBER || f->kind == UPL_FIELD_INTEGER) {
            inst in = {.op = f->kind == UPL_FIELD_BOOL ? OP_CONST_B3 : OP_CONST, .k = f->kind == UPL_FIELD_BOOL ? 2 : NAN};
            out->type = f->kind == UPL_FIELD_BOOL ? VT_B3 : VT_NUM;
            return emit(ev, p, in, &out->reg);
        }
        out->type = VT_MISSING;   /* text-like: label tests on it are unknown */
        return UPL_OK;
    }
    int view = -1;
    if ((rc = find_view(ev, c, f, &view))) return rc;
    out->view = view;
    colview *v = &ev->cols[view];
    bool wants_bool = f->kind == UPL_FIELD_BOOL || c->type == UPL_BOOL;
    if (v->is_text && !wants_bool && f->kind != UPL_FIELD_NUMBER && f->kind != UPL_FIELD_INTEGER) {
        out->type = VT_TEXT;   /* materialised by the consumer (== / in / has / age / is_missing) */
        out->reg = -1;
        return UPL_OK;
    }
    inst in = {.src = view};
    if (wants_bool) {
        if ((rc = view_b3(ev, v))) return rc;
        in.op = OP_COL_B3;
        out->type = VT_B3;
    } else {
        if ((rc = view_num(ev, v))) return rc;
        in.op = OP_COL_NUM;
        out->type = VT_NUM;
    }
    return emit(ev, p, in, &out->reg);
}

static int comp(upl_eval *ev, prog *p, const ex_node *n, int dom, cval *out) {
    int rc;
    cval a, b;
    out->view = -1;
    out->node = n;
    switch (n->kind) {
    case EX_NUM: {
        inst in = {.op = OP_CONST, .k = n->num};
        out->type = VT_NUM;
        return emit(ev, p, in, &out->reg);
    }
    case EX_BOOL: {
        inst in = {.op = OP_CONST_B3, .k = n->num};
        out->type = VT_B3;
        return emit(ev, p, in, &out->reg);
    }
    case EX_MISSING: out->type = VT_MISSING; out->reg = -1; return UPL_OK;
    case EX_STR: return ev_bad(ev, n, "a text literal can only be compared with a text column (== != in has)");
    case EX_LIST: return ev_bad(ev, n, "a list can only follow `in`");
    case EX_IDENT: return comp_ident(ev, p, n, dom, out);
    case EX_CALL: return comp_call(ev, p, n, dom, out);
    case EX_NEG: case EX_NOT: {
        int t = n->kind == EX_NEG ? VT_NUM : VT_B3;
        if ((rc = want(ev, p, n->kids[0], dom, t, &a, n->kind == EX_NEG ? "`-`" : "`not`"))) return rc;
        inst in = {.op = n->kind == EX_NEG ? OP_NEG : OP_NOT, .a = a.reg};
        out->type = t;
        return emit(ev, p, in, &out->reg);
    }
    case EX_ADD: case EX_SUB: case EX_MUL: case EX_DIV: {
        static const char *const S[] = {[EX_ADD] = "`+`", [EX_SUB] = "`-`", [EX_MUL] = "`*`", [EX_DIV] = "`/`"};
        if ((rc = want(ev, p, n->kids[0], dom, VT_NUM, &a, S[n->kind])) ||
            (rc = want(ev, p, n->kids[1], dom, VT_NUM, &b, S[n->kind])))
            return rc;
        opcode op = n->kind == EX_ADD ? OP_ADD : n->kind == EX_SUB ? OP_SUB : n->kind == EX_MUL ? OP_MUL : OP_DIV;
        inst in = {.op = op, .a = a.reg, .b = b.reg};
        out->type = VT_NUM;
        return emit(ev, p, in, &out->reg);
    }
    case EX_LT: case EX_LE: case EX_GT: case EX_GE: case EX_EQ: case EX_NE:
        return comp_compare(ev, p, n, dom, out);
    case EX_AND: case EX_OR: {
        const char *w = n->kind == EX_AND ? "`and`" : "`or`";
        if ((rc = want(ev, p, n->kids[0], dom, VT_B3, &a, w)) || (rc = want(ev, p, n->kids[1], dom, VT_B3, &b, w)))
            return rc;
        inst in = {.op = n->kind == EX_AND ? OP_AND : OP_OR, .a = a.reg, .b = b.reg};
        out->type = VT_B3;
        return emit(ev, p, in, &out->reg);
    }
    case EX_IN: case EX_NOTIN: {
        const ex_node *list = n->kids[1];
        bool neg = n->kind == EX_NOTIN;
        if (list->kind != EX_LIST || list->n_kids == 0) return ev_bad(ev, list, "`in` needs a non-empty list");
        if (is_text_lit_list(list)) {
            if ((rc = comp(ev, p, n->kids[0], dom, &a))) return rc;
            if (a.type == VT_MISSING && n->kids[0]->kind != EX_MISSING) {
                inst in = {.op = OP_CONST_B3, .k = 2};
                out->type = VT_B3;
                return emit(ev, p, in, &out->reg);
            }
            if (a.type != VT_TEXT) return ev_bad(ev, n->kids[0], "only a text column can be tested against a list of labels");
            return text_lut(ev, p, a.view, list, neg, false, out);
        }
        if (!is_num_lit_list(list)) return ev_bad(ev, list, "a list must hold only text labels or only numbers");
        if ((rc = want(ev, p, n->kids[0], dom, VT_NUM, &a, "`in`"))) return rc;
        double *vals = upl_malloc(list->n_kids * sizeof *vals);
        if (!vals) return ev_oom(ev);
        for (size_t i = 0; i < list->n_kids; i++) vals[i] = list->kids[i]->num;
        if ((rc = keep_list(ev, vals))) return rc;
        inst in = {.op = OP_IN_NUM, .a = a.reg, .list = vals, .n_list = list->n_kids};
        if ((rc = emit(ev, p, in, &out->reg))) return rc;
        out->type = VT_B3;
        if (neg) {
            inst nt = {.op = OP_NOT, .a = out->reg};
            return emit(ev, p, nt, &out->reg);
        }
        return UPL_OK;
    }
    case EX_BETWEEN: {
        cval lo, hi;
        if ((rc = want(ev, p, n->kids[0], dom, VT_NUM, &a, "`between`")) ||
            (rc = want(ev, p, n->kids[1], dom, VT_NUM, &lo, "`between`")) ||
            (rc = want(ev, p, n->kids[2], dom, VT_NUM, &hi, "`between`")))
            return rc;
        int r1, r2;
        if (n->kids[1]->kind == EX_NUM && n->kids[2]->kind == EX_NUM) {
            inst i1 = {.op = OP_GEK, .a = a.reg, .k = n->kids[1]->num}, i2 = {.op = OP_LEK, .a = a.reg, .k = n->kids[2]->num};
            if ((rc = emit(ev, p, i1, &r1)) || (rc = emit(ev, p, i2, &r2))) return rc;
        } else {
            inst i1 = {.op = OP_GE, .a = a.reg, .b = lo.reg}, i2 = {.op = OP_LE, .a = a.reg, .b = hi.reg};
            if ((rc = emit(ev, p, i1, &r1)) || (rc = emit(ev, p, i2, &r2))) return rc;
        }
        inst i3 = {.op = OP_AND, .a = r1, .b = r2};
        out->type = VT_B3;
        return emit(ev, p, i3, &out->reg);
    }
    }
    return ev_bad(ev, n, "unsupported expression");
}

/* Compile one household rule into a target writing array `arr`. */
static int compile_target(upl_eval *ev, const upl_expr *e, int type, const char *what, target *t, int arr) {
    int rc;
    cval v;
    memset(&t->p, 0, sizeof t->p);
    t->p.dom = DOM_HH;
    t->arr = arr;
    ev->cur_first_agg = -1;
    const char *saved = ev->file;
    if (e->file) ev->file = e->file;
    rc = comp(ev, &t->p, e->root, DOM_HH, &v);
    if (!rc && v.type != type) {
        if (v.type == VT_MISSING) {
            inst in = {.op = type == VT_NUM ? OP_CONST : OP_CONST_B3, .k = type == VT_NUM ? NAN : 2};
            rc = emit(ev, &t->p, in, &v.reg);
        } else if (v.type == VT_TEXT) {
            rc = coerce(ev, &t->p, e->root, type, &v, what);
        } else {
            rc = ev_bad(ev, e->root, "%s must be %s, but the expression is %s", what, type_name(type), type_name(v.type));
        }
    }
    ev->file = saved;
    if (rc) return rc;
    t->p.out = v.reg;
    t->p.out_type = type;
    t->first_agg = ev->cur_first_agg;
    return UPL_OK;
}

/* ---- execution ---------------------------------------------------------------- */

static inline double *R(upl_eval *ev, int r) { return ev->regs + (size_t)r * EV_CHUNK; }
static inline uint8_t *RB(upl_eval *ev, int r) { return (uint8_t *)(ev->regs + (size_t)r * EV_CHUNK); }

/* Run program p over elements [b, e) of its domain. In the household
 * domain, column loads read the household's first row. */
static void run_prog(upl_eval *ev, const prog *p, size_t b, size_t e) {
    size_t n = e - b;
    const size_t *fr = ev->first_row;
    const int32_t *hh = ev->hh_of_row;
    bool is_hh = p->dom == DOM_HH;
    for (size_t pc = 0; pc < p->n; pc++) {
        const inst *in = &p->ins[pc];
        double *o = R(ev, in->dst);
        uint8_t *ob = RB(ev, in->dst);
        const double *x = in->a >= 0 ? R(ev, in->a) : NULL, *y = in->b >= 0 ? R(ev, in->b) : NULL;
        const uint8_t *xb = in->a >= 0 ? RB(ev, in->a) : NULL, *yb = in->b >= 0 ? RB(ev, in->b) : NULL;
        switch (in->op) {
        case OP_CONST: for (size_t i = 0; i < n; i++) o[i] = in->k; break;
        case OP_CONST_B3: memset(ob, (int)in->k, n); break;
        case OP_COL_NUM: {
            const colview *v = &ev->cols[in->src];
            const upl_column *c = v->col;
            const uint64_t *vb = c->valid;
#define LOAD_LOOP(EXPR) \
            if (is_hh) { for (size_t i = 0; i < n; i++) { size_t row = fr[b + i]; o[i] = (vb[row >> 6] >> (row & 63)) & 1 ? (EXPR) : NAN; } } \
            else { for (size_t i = 0; i < n; i++) { size_t row = b + i; o[i] = (vb[row >> 6] >> (row & 63)) & 1 ? (EXPR) : NAN; } }
            if (v->is_text) {
                for (size_t i = 0; i < n; i++) {
                    int32_t code = view_code(v, is_hh ? fr[b + i] : b + i);
                    o[i] = code < 0 ? NAN : v->lut_num[code];
                }
            } else if (c->type == UPL_F64) {
                const double *d = c->v.f64;
                LOAD_LOOP(d[row])
            } else if (c->type == UPL_I64) {
                const int64_t *d = c->v.i64;
                LOAD_LOOP((double)d[row])
            } else if (c->type == UPL_BOOL) {
                const uint8_t *d = c->v.b;
                LOAD_LOOP(d[row] ? 1.0 : 0.0)
            } else {
                for (size_t i = 0; i < n; i++) o[i] = NAN;
            }
#undef LOAD_LOOP
            break;
        }
        case OP_COL_B3: {
            const colview *v = &ev->cols[in->src];
            const upl_column *c = v->col;
            const uint64_t *vb = c->valid;
#define LOAD_LOOP(EXPR) \
            if (is_hh) { for (size_t i = 0; i < n; i++) { size_t row = fr[b + i]; ob[i] = (vb[row >> 6] >> (row & 63)) & 1 ? (EXPR) : 2; } } \
            else { for (size_t i = 0; i < n; i++) { size_t row = b + i; ob[i] = (vb[row >> 6] >> (row & 63)) & 1 ? (EXPR) : 2; } }
            if (v->is_text) {
                for (size_t i = 0; i < n; i++) {
                    int32_t code = view_code(v, is_hh ? fr[b + i] : b + i);
                    ob[i] = code < 0 ? 2 : v->lut_b3[code];
                }
            } else if (c->type == UPL_BOOL) {
                const uint8_t *d = c->v.b;
                LOAD_LOOP((uint8_t)(d[row] != 0))
            } else if (c->type == UPL_I64) {
                const int64_t *d = c->v.i64;
                LOAD_LOOP((uint8_t)(d[row] == 1 ? 1 : d[row] == 0 ? 0 : 2))
            } else if (c->type == UPL_F64) {
                const double *d = c->v.f64;
                LOAD_LOOP((uint8_t)(d[row] == 1 ? 1 : d[row] == 0 ? 0 : 2))
            } else {
                memset(ob, 2, n);
            }
#undef LOAD_LOOP
            break;
        }
        case OP_COL_LUT: {
            const colview *v = &ev->cols[in->src];
            const uint8_t *lut = in->lut;
            if (v->codes && !is_hh) {
                const int32_t *cd = v->codes + b;
                for (size_t i = 0; i < n; i++) ob[i] = cd[i] < 0 ? 2 : lut[cd[i]];
            } else if (!is_hh) {
                const int32_t *cd = v->col->v.cat + b;
                for (size_t i = 0; i < n; i++) ob[i] = upl_col_is_valid(v->col, b + i) ? lut[cd[i]] : 2;
            } else {
                for (size_t i = 0; i < n; i++) {
                    int32_t code = view_code(v, fr[b + i]);
                    ob[i] = code < 0 ? 2 : lut[code];
                }
            }
            break;
        }
        case OP_COL_MISSING: {
            const colview *v = &ev->cols[in->src];
            for (size_t i = 0; i < n; i++) {
                size_t row = is_hh ? fr[b + i] : b + i;
                ob[i] = v->codes ? v->codes[row] < 0 : !upl_col_is_valid(v->col, row);
            }
            break;
        }
        case OP_COL_AGE: {
            /* completed years at the reference date: birthdays on the
             * reference day count (a child born 2008-12-31 is 6 on 2014-12-31) */
            const colview *v = &ev->cols[in->src];
            const int32_t *ymd = in->by_id ? v->ymd_id : v->ymd;
            int32_t ref = (int32_t)in->k, ry = ref / 10000, rmd = ref % 10000;
            for (size_t i = 0; i < n; i++) {
                int32_t d = ymd[is_hh ? fr[b + i] : b + i];
                o[i] = d < 0 ? NAN : (double)(ry - d / 10000 - (rmd < d % 10000 ? 1 : 0));
            }
            break;
        }
        case OP_ARR_NUM: {
            const double *arr = ev->arrs[in->src].num;
            if (is_hh) memcpy(o, arr + b, n * sizeof *o);
            else for (size_t i = 0; i < n; i++) { int32_t g = hh[b + i]; o[i] = g < 0 ? NAN : arr[g]; }
            break;
        }
        case OP_ARR_B3: {
            const uint8_t *arr = ev->arrs[in->src].b3;
            if (is_hh) memcpy(ob, arr + b, n);
            else for (size_t i = 0; i < n; i++) { int32_t g = hh[b + i]; ob[i] = g < 0 ? 2 : arr[g]; }
            break;
        }
        case OP_ADD: for (size_t i = 0; i < n; i++) o[i] = x[i] + y[i]; break;
        case OP_SUB: for (size_t i = 0; i < n; i++) o[i] = x[i] - y[i]; break;
        case OP_MUL: for (size_t i = 0; i < n; i++) o[i] = x[i] * y[i]; break;
        case OP_DIV: for (size_t i = 0; i < n; i++) o[i] = y[i] == 0 ? NAN : x[i] / y[i]; break;
        case OP_NEG: for (size_t i = 0; i < n; i++) o[i] = -x[i]; break;
        case OP_ABS: for (size_t i = 0; i < n; i++) o[i] = fabs(x[i]); break;
        case OP_FLOOR: for (size_t i = 0; i < n; i++) o[i] = floor(x[i]); break;
        case OP_LEAST: for (size_t i = 0; i < n; i++) o[i] = isnan(x[i]) || isnan(y[i]) ? NAN : x[i] < y[i] ? x[i] : y[i]; break;
        case OP_GREATEST: for (size_t i = 0; i < n; i++) o[i] = isnan(x[i]) || isnan(y[i]) ? NAN : x[i] > y[i] ? x[i] : y[i]; break;
#define CMP(OP, EXPR) case OP: for (size_t i = 0; i < n; i++) ob[i] = (isnan(x[i]) || isnan(y[i])) ? 2 : (uint8_t)(EXPR); break;
        CMP(OP_LT, x[i] < y[i])
        CMP(OP_LE, x[i] <= y[i])
        CMP(OP_GT, x[i] > y[i])
        CMP(OP_GE, x[i] >= y[i])
        CMP(OP_EQ, x[i] == y[i])
        CMP(OP_NE, x[i] != y[i])
#undef CMP
#define CMPK(OP, EXPR) case OP: { const double k = in->k; for (size_t i = 0; i < n; i++) ob[i] = isnan(x[i]) ? 2 : (uint8_t)(EXPR); break; }
        CMPK(OP_LTK, x[i] < k)
        CMPK(OP_LEK, x[i] <= k)
        CMPK(OP_GTK, x[i] > k)
        CMPK(OP_GEK, x[i] >= k)
        CMPK(OP_EQK, x[i] == k)
        CMPK(OP_NEK, x[i] != k)
#undef CMPK
        case OP_EQ_B3: for (size_t i = 0; i < n; i++) ob[i] = (xb[i] == 2 || yb[i] == 2) ? 2 : xb[i] == yb[i]; break;
        case OP_NE_B3: for (size_t i = 0; i < n; i++) ob[i] = (xb[i] == 2 || yb[i] == 2) ? 2 : xb[i] != yb[i]; break;
        case OP_AND: for (size_t i = 0; i < n; i++) ob[i] = AND3[xb[i] * 3 + yb[i]]; break;
        case OP_OR: for (size_t i = 0; i < n; i++) ob[i] = OR3[xb[i] * 3 + yb[i]]; break;
        case OP_NOT: for (size_t i = 0; i < n; i++) ob[i] = NOT3[xb[i]]; break;
        case OP_IN_NUM:
            for (size_t i = 0; i < n; i++) {
                if (isnan(x[i])) { ob[i] = 2; continue; }
                uint8_t hit = 0;
                for (size_t j = 0; j < in->n_list; j++) hit |= x[i] == in->list[j];
                ob[i] = hit;
            }
            break;
        case OP_ISMISS_NUM: for (size_t i = 0; i < n; i++) ob[i] = isnan(x[i]) ? 1 : 0; break;
        case OP_ISMISS_B3: for (size_t i = 0; i < n; i++) ob[i] = xb[i] == 2; break;
        case OP_COALESCE_NUM: for (size_t i = 0; i < n; i++) o[i] = isnan(x[i]) ? y[i] : x[i]; break;
        case OP_COALESCE_B3: for (size_t i = 0; i < n; i++) ob[i] = xb[i] == 2 ? yb[i] : xb[i]; break;
        case OP_IF_NUM: {
            const uint8_t *cb = RB(ev, in->c);
            for (size_t i = 0; i < n; i++) o[i] = cb[i] == 1 ? x[i] : cb[i] == 0 ? y[i] : NAN;
            break;
        }
        case OP_IF_B3: {
            const uint8_t *cb = RB(ev, in->c);
            for (size_t i = 0; i < n; i++) ob[i] = cb[i] == 1 ? xb[i] : cb[i] == 0 ? yb[i] : 2;
            break;
        }
        case OP_B3_NUM: for (size_t i = 0; i < n; i++) o[i] = xb[i] == 2 ? NAN : (double)xb[i]; break;
        }
    }
}

static void agg_init(upl_eval *ev, agg *A) {
    size_t G = ev->n_hh;
    harr *a = &ev->arrs[A->arr];
    for (size_t g = 0; g < G; g++) A->witness[g] = -1;
    switch (A->kind) {
    case AG_ANY: memset(a->b3, 0, G); break;
    case AG_ALL: memset(a->b3, 1, G); break;
    case AG_COUNT: for (size_t g = 0; g < G; g++) a->num[g] = 0; break;
    case AG_SUM: case AG_MEAN:
        /* NaN until a member meets the condition; then 0 + values */
        for (size_t g = 0; g < G; g++) a->num[g] = NAN;
        if (A->cnt) for (size_t g = 0; g < G; g++) A->cnt[g] = 0;
        break;
    case AG_MIN: case AG_MAX: for (size_t g = 0; g < G; g++) a->num[g] = NAN; break;
    }
}

/* Fold rows [b, e) into the accumulators of aggregation A. Semantics
 * (docs/expressions.md): any = Kleene OR over members, all = Kleene AND,
 * count = members whose condition is true, sum/mean/min/max skip missing
 * values; sum is 0 when no member meets the condition, and missing when
 * some do but all their values are missing. */
static void agg_fold(upl_eval *ev, agg *A, size_t b, size_t e) {
    size_t n = e - b;
    const int32_t *hh = ev->hh_of_row + b;
    harr *a = &ev->arrs[A->arr];
    const uint8_t *cb = A->has_cond ? RB(ev, A->cond.out) : NULL;
    const double *vb = A->has_val ? R(ev, A->val.out) : NULL;
    int64_t *wit = A->witness;
    switch (A->kind) {
    case AG_ANY:
        for (size_t i = 0; i < n; i++) {
            int32_t g = hh[i];
            if (g < 0) continue;
            uint8_t v = cb[i];
            a->b3[g] = OR3[a->b3[g] * 3 + v];
            if (v == 1 && wit[g] < 0) wit[g] = (int64_t)(b + i);
        }
        break;
    case AG_ALL:
        for (size_t i = 0; i < n; i++) {
            int32_t g = hh[i];
            if (g < 0) continue;
            uint8_t v = cb[i];
            a->b3[g] = AND3[a->b3[g] * 3 + v];
            if (v == 0 && wit[g] < 0) wit[g] = (int64_t)(b + i);
        }
        break;
    case AG_COUNT:
        for (size_t i = 0; i < n; i++) {
            int32_t g = hh[i];
            if (g < 0) continue;
            if (cb[i] == 1) {
                a->num[g] += 1;
                if (wit[g] < 0) wit[g] = (int64_t)(b + i);
            }
        }
        break;
    case AG_SUM: case AG_MEAN:
        for (size_t i = 0; i < n; i++) {
            int32_t g = hh[i];
            if (g < 0 || (cb && cb[i] != 1)) continue;
            double v = vb[i];
            double cur = a->num[g];
            if (isnan(cur)) {
                /* first member meeting the condition: start at 0 if its value exists */
                if (!isnan(v)) { a->num[g] = v; if (A->cnt) A->cnt[g] = 1; }
                else if (A->kind == AG_SUM && wit[g] == -1) wit[g] = -2;   /* members seen, none valued yet */
                if (wit[g] == -1) wit[g] = (int64_t)(b + i);
            } else if (!isnan(v)) {
                a->num[g] = cur + v;
                if (A->cnt) A->cnt[g] += 1;
            }
        }
        break;
    case AG_MIN: case AG_MAX:
        for (size_t i = 0; i < n; i++) {
            int32_t g = hh[i];
            if (g < 0 || (cb && cb[i] != 1)) continue;
            double v = vb[i];
            if (isnan(v)) continue;
            double cur = a->num[g];
            if (isnan(cur) || (A->kind == AG_MIN ? v < cur : v > cur)) { a->num[g] = v; wit[g] = (int64_t)(b + i); }
        }
        break;
    }
}

static void agg_finish(upl_eval *ev, agg *A) {
    harr *a = &ev->arrs[A->arr];
    size_t G = ev->n_hh;
    if (A->kind == AG_SUM) {
        /* no member met the condition: sum is 0; members met it but had no values: missing */
        for (size_t g = 0; g < G; g++) {
            if (isnan(a->num[g]) && A->witness[g] == -1) a->num[g] = 0;
            if (A->witness[g] == -2) A->witness[g] = -1;
        }
    } else if (A->kind == AG_MEAN) {
        for (size_t g = 0; g < G; g++) if (!isnan(a->num[g]) && A->cnt[g] > 0) a->num[g] /= A->cnt[g];
    }
}

static void run_target(upl_eval *ev, const target *t, size_t G) {
    harr *a = &ev->arrs[t->arr];
    for (size_t b = 0; b < G; b += EV_CHUNK) {
        size_t e = b + EV_CHUNK < G ? b + EV_CHUNK : G;
        run_prog(ev, &t->p, b, e);
        if (t->p.out_type == VT_NUM) memcpy(a->num + b, R(ev, t->p.out), (e - b) * sizeof(double));
        else memcpy(a->b3 + b, RB(ev, t->p.out), e - b);
    }
    a->is_ready = true;
}

/* which aggregations a person pass folds */
enum { PASS_ALL = 0, PASS_NOT_CAUSE = 1 };

static void person_pass_mode(upl_eval *ev, size_t first_agg, int mode) {
    for (size_t ai = first_agg; ai < ev->n_aggs; ai++)
        if (mode == PASS_ALL || !ev->aggs[ai].is_cause_only) agg_init(ev, &ev->aggs[ai]);
    size_t N = ev->n_rows;
    for (size_t b = 0; b < N; b += EV_CHUNK) {
        size_t e = b + EV_CHUNK < N ? b + EV_CHUNK : N;
        for (size_t ai = first_agg; ai < ev->n_aggs; ai++) {
            agg *A = &ev->aggs[ai];
            if (mode != PASS_ALL && A->is_cause_only) continue;
            if (A->has_cond) run_prog(ev, &A->cond, b, e);
            if (A->has_val) run_prog(ev, &A->val, b, e);
            agg_fold(ev, A, b, e);
        }
    }
    for (size_t ai = first_agg; ai < ev->n_aggs; ai++)
        if (mode == PASS_ALL || !ev->aggs[ai].is_cause_only) agg_finish(ev, &ev->aggs[ai]);
}

static void person_pass(upl_eval *ev, size_t first_agg) { person_pass_mode(ev, first_agg, PASS_ALL); }

/* Cause rules matter only for poor and undetermined households (a few per
 * cent of them), so with member rows adjacent (the fast grouping) their
 * aggregations are folded over those households' rows only. */
static void cause_pass(upl_eval *ev) {
    const uint8_t *poor = ev->arrs[ev->a_poor].b3;
    for (size_t ai = 0; ai < ev->n_aggs; ai++)
        if (ev->aggs[ai].is_cause_only) agg_init(ev, &ev->aggs[ai]);
    for (size_t g = 0; g < ev->n_hh; g++) {
        if (poor[g] == 0) continue;
        size_t end = ev->first_row[g] + (size_t)ev->hh_size[g];
        for (size_t b = ev->first_row[g]; b < end; b += EV_CHUNK) {   /* registers hold EV_CHUNK rows */
            size_t e = b + EV_CHUNK < end ? b + EV_CHUNK : end;
            for (size_t ai = 0; ai < ev->n_aggs; ai++) {
                agg *A = &ev->aggs[ai];
                if (!A->is_cause_only) continue;
                if (A->has_cond) run_prog(ev, &A->cond, b, e);
                if (A->has_val) run_prog(ev, &A->val, b, e);
                agg_fold(ev, A, b, e);
            }
        }
    }
    for (size_t ai = 0; ai < ev->n_aggs; ai++)
        if (ev->aggs[ai].is_cause_only) agg_finish(ev, &ev->aggs[ai]);
}

/* ---- set-up ------------------------------------------------------------------- */


static int line_per_household(upl_eval *ev) {
    const upl_profile *p = ev->p;
    double *line = ev->arrs[ev->a_line].num;
    size_t G = ev->n_hh;
    upl_line_info li;
    upl_error tmp = {0};
    bool has_provincial = false;
    for (size_t i = 0; i < p->n_lines; i++) if (p->lines[i].province) has_provincial = true;
    double national = NAN;
    if (upl_profile_line(p, ev->opt.year, NULL, &li, &tmp) == UPL_OK) national = li.value;
    upl_error_clear(&tmp);
    const upl_column *pc = p->province_field ? upl_table_find(ev->t, p->province_field) : NULL;
    if (!has_provincial || !pc) {
        for (size_t g = 0; g < G; g++) line[g] = national;
        return UPL_OK;
    }
    /* per distinct province text: one lookup */
    upl_dict *d = upl_dict_new();
    double *cache = NULL;
    size_t cap = 0;
    int rc = UPL_OK;
    if (!d) return ev_oom(ev);
    char buf[32];
    for (size_t g = 0; g < G; g++) {
        size_t row = ev->first_row[g];
        const char *s = NULL;
        size_t l = 0;
        if (!upl_col_is_valid(pc, row)) { line[g] = national; continue; }
        if (pc->type == UPL_STR) s = upl_col_str(pc, row, &l);
        else if (pc->type == UPL_CAT) { s = upl_dict_label(pc->dict, pc->v.cat[row]); l = upl_dict_label_len(pc->dict, pc->v.cat[row]); }
        else if (pc->type == UPL_I64) { l = (size_t)snprintf(buf, sizeof buf, "%lld", (long long)pc->v.i64[row]); s = buf; }
        else { line[g] = national; continue; }
        int32_t code;
        int32_t before = upl_dict_size(d);
        if (upl_dict_intern(d, s, l, &code)) { rc = ev_oom(ev); goto done; }
        if (code >= before) {
            if ((size_t)code >= cap) {
                size_t nc = cap ? cap * 2 : 64;
                double *ncache = upl_reallocarray(cache, nc, sizeof *ncache);
                if (!ncache) { rc = ev_oom(ev); goto done; }
                cache = ncache;
                cap = nc;
            }
            char *key = upl_strndup(s, l);
            if (!key) { rc = ev_oom(ev); goto done; }
            cache[code] = upl_profile_line(p, ev->opt.year, key, &li, &tmp) == UPL_OK ? li.value : national;
            upl_error_clear(&tmp);
            upl_free(key);
        }
        line[g] = cache[code];
    }
done:
    upl_dict_free(d);
    upl_free(cache);
    return rc;
}

static int check_household_consistency(upl_eval *ev) {
    /* households whose household-level fields differ between member rows:
     * each row is compared with its household's first row, one column at a
     * time with the type switch outside the row loop */
    uint8_t *bad = upl_calloc(ev->n_hh ? ev->n_hh : 1, 1);
    if (!bad) return ev_oom(ev);
    const int32_t *hr = ev->hh_of_row;
    const size_t *fr = ev->first_row;
    for (size_t ci = 0; ci < ev->n_cols; ci++) {
        const colview *v = &ev->cols[ci];
        if (!v->field || v->field->level != UPL_LEVEL_HOUSEHOLD) continue;
        const upl_column *c = v->col;
        const uint64_t *vb = c->valid;
#define VALID(x) ((vb[(x) >> 6] >> ((x) & 63)) & 1)
#define CHECK(DIFF) \
        for (size_t r = 0; r < ev->n_rows; r++) { \
            int32_t g = hr[r]; \
            if (g < 0) continue; \
            size_t f = fr[g]; \
            unsigned vr = VALID(r), vf = VALID(f); \
            bad[g] |= (uint8_t)((vr != vf) | (vr & vf & (unsigned)(DIFF))); \
        }
        switch (c->type) {
        case UPL_F64: { const double *d = c->v.f64; CHECK(d[r] != d[f]) break; }
        case UPL_I64: { const int64_t *d = c->v.i64; CHECK(d[r] != d[f]) break; }
        case UPL_BOOL: { const uint8_t *d = c->v.b; CHECK(d[r] != d[f]) break; }
        case UPL_CAT: { const int32_t *d = c->v.cat; CHECK(d[r] != d[f]) break; }
        case UPL_STR:
            for (size_t r = 0; r < ev->n_rows; r++) {
                int32_t g = hr[r];
                if (g < 0 || bad[g]) continue;
                size_t f = fr[g];
                if (f == r) continue;
                unsigned vr = VALID(r), vf = VALID(f);
                if (vr != vf) { bad[g] = 1; continue; }
                if (!vr) continue;
                size_t la, lb;
                const char *a = upl_col_str(c, r, &la), *b = upl_col_str(c, f, &lb);
                if (la != lb || memcmp(a, b, la)) bad[g] = 1;
            }
            break;
        }
#undef CHECK
#undef VALID
    }
    size_t cnt = 0;
    for (size_t g = 0; g < ev->n_hh; g++) cnt += bad[g];
    ev->n_inconsistent = cnt;
    upl_free(bad);
    return UPL_OK;
}

/* Fast grouping for the usual export shape: member rows of a household are
 * adjacent and households come in ascending key order (as a sorted export
 * or `uplift synth` writes them). One pass compares each key with the
 * previous row's; the groups and their order are exactly those of
 * upl_groupby_build. Returns UPL_ENOTFOUND (not an error) when the rows are
 * not in that shape or a key is missing, so the caller falls back. */
static int group_sorted_runs(upl_eval *ev, const upl_column *k) {
    size_t n = k->n_rows;
    if (k->type != UPL_STR && k->type != UPL_CAT && k->type != UPL_I64) return UPL_ENOTFOUND;
    int32_t *g = upl_malloc((n ? n : 1) * sizeof *g);
    if (!g) return UPL_ENOMEM;
    int64_t cur = -1;
    for (size_t r = 0; r < n; r++) {
        if (!upl_col_is_valid(k, r)) { upl_free(g); return UPL_ENOTFOUND; }
        if (r == 0) { g[r] = (int32_t)++cur; continue; }
        int c;
        if (k->type == UPL_I64) {
            c = k->v.i64[r] < k->v.i64[r - 1] ? -1 : k->v.i64[r] > k->v.i64[r - 1];
        } else {
            const char *a, *b;
            size_t la, lb;
            if (k->type == UPL_STR) { a = upl_col_str(k, r - 1, &la); b = upl_col_str(k, r, &lb); }
            else {
                if (k->v.cat[r] == k->v.cat[r - 1]) { g[r] = (int32_t)cur; continue; }
                a = upl_dict_label(k->dict, k->v.cat[r - 1]); la = upl_dict_label_len(k->dict, k->v.cat[r - 1]);
                b = upl_dict_label(k->dict, k->v.cat[r]); lb = upl_dict_label_len(k->dict, k->v.cat[r]);
            }
            int m = memcmp(a, b, la < lb ? la : lb);
            c = m ? (m < 0 ? 1 : -1) : (la == lb ? 0 : la < lb ? 1 : -1);
        }
        if (c < 0) { upl_free(g); return UPL_ENOTFOUND; }
        if (c > 0) {
            if (cur >= INT32_MAX - 1) { upl_free(g); return UPL_ENOTFOUND; }
            cur++;
        }
        g[r] = (int32_t)cur;
    }
    size_t G = (size_t)(cur + 1);
    uint64_t *sz = upl_calloc(G ? G : 1, sizeof *sz);
    if (!sz) { upl_free(g); return UPL_ENOMEM; }
    for (size_t r = 0; r < n; r++) sz[g[r]]++;
    ev->own_hh_of_row = g;
    ev->own_hh_size = sz;
    ev->hh_of_row = g;
    ev->hh_size = sz;
    ev->n_rows = n;
    ev->n_hh = G;
    return UPL_OK;
}

static void free_prog(prog *p) { upl_free(p->ins); memset(p, 0, sizeof *p); }

void upl_eval_free(upl_eval *ev) {
    if (!ev) return;
    upl_groupby_free(ev->gb);
    upl_free(ev->own_hh_of_row);
    upl_free(ev->member_off);
    upl_free(ev->member_rows);
    upl_free(ev->own_hh_size);
    upl_free(ev->first_row);
    for (size_t i = 0; i < ev->n_cols; i++) {
        colview *v = &ev->cols[i];
        upl_free(v->codes);
        if (v->col->type == UPL_STR) upl_dict_free(v->dict);
        upl_free(v->num); upl_free(v->lut_num); upl_free(v->lut_b3); upl_free(v->ymd); upl_free(v->ymd_id);
    }
    upl_free(ev->cols);
    for (size_t i = 0; i < ev->n_arrs; i++) { upl_free(ev->arrs[i].name); upl_free(ev->arrs[i].num); upl_free(ev->arrs[i].b3); }
    upl_free(ev->arrs);
    for (size_t i = 0; i < ev->n_aggs; i++) {
        free_prog(&ev->aggs[i].cond); free_prog(&ev->aggs[i].val);
        upl_free(ev->aggs[i].witness); upl_free(ev->aggs[i].cnt);
    }
    upl_free(ev->aggs);
    for (size_t i = 0; i < ev->n_luts; i++) upl_free(ev->luts[i]);
    upl_free(ev->luts);
    for (size_t i = 0; i < ev->n_lists; i++) upl_free(ev->lists[i]);
    upl_free(ev->lists);
    upl_free(ev->absent);
    free_prog(&ev->income_t.p);
    free_prog(&ev->poor_t.p);
    const upl_profile *p = ev->p;
    for (size_t i = 0; ev->ind_t && i < p->n_indicators; i++) free_prog(&ev->ind_t[i].p);
    for (size_t i = 0; ev->cat_t && i < p->n_categories; i++) free_prog(&ev->cat_t[i].p);
    for (size_t i = 0; ev->cause_t && i < p->n_causes; i++) free_prog(&ev->cause_t[i].p);
    for (size_t i = 0; ev->exit_t && i < p->n_exit_rules; i++) free_prog(&ev->exit_t[i].p);
    upl_free(ev->ind_t); upl_free(ev->cat_t); upl_free(ev->cause_t); upl_free(ev->exit_t);
    upl_free(ev->a_ind); upl_free(ev->ind_raw); upl_free(ev->ind_wit);
    upl_free(ev->score_lo); upl_free(ev->score_hi); upl_free(ev->w_units);
    upl_free(ev->category); upl_free(ev->main_cause); upl_free(ev->secondary);
    upl_free(ev->exit_ok); upl_free(ev->exit_res);
    upl_free(ev->regs);
    upl_free(ev);
}

static int alloc_regs(upl_eval *ev) {
    upl_free(ev->regs);
    ev->regs = upl_malloc((size_t)(ev->max_regs ? ev->max_regs : 1) * EV_CHUNK * sizeof(double));
    return ev->regs ? UPL_OK : ev_oom(ev);
}

int upl_eval_new(const upl_profile *p, const upl_table *persons, const upl_eval_options *opt, upl_eval **out,
                 upl_error *err) {
    int rc = UPL_OK;
    upl_eval *ev = NULL;
    *out = NULL;
    if (!p || !persons || !opt) return upl_error_set(err, UPL_EMISUSE, "upl_eval_new: NULL argument");
    ev = upl_calloc(1, sizeof *ev);
    if (!ev) return upl_error_set(err, UPL_ENOMEM, "out of memory");
    ev->p = p;
    ev->t = persons;
    ev->opt = *opt;
    ev->err = err;
    ev->file = p->path;
    if (ev->opt.year <= 0) {
        rc = upl_error_set(err, UPL_EMISUSE, "an identification year is needed (the profile covers %d-%d)",
                           p->year_first, p->year_last);
        goto fail;
    }
    if (p->n_lines) {
        /* a profile with lines must have one for the year (national or a
         * province's): no silent "unknown" for every household */
        bool has = false;
        for (size_t i = 0; i < p->n_lines; i++) has |= p->lines[i].year == ev->opt.year;
        upl_line_info li;
        if (!has) UPL_TRY(upl_profile_line(p, ev->opt.year, NULL, &li, err));
    }
    int rm = opt->ref_month ? opt->ref_month : p->ref_month, rd = opt->ref_day ? opt->ref_day : p->ref_day;
    ev->ref_ymd = ev->opt.year * 10000 + rm * 100 + rd;
    /* households */
    const char *key = p->household_key;
    if (!upl_table_find(persons, key)) {
        const upl_profile_field *kf = upl_profile_field_find(p, key);
        rc = upl_error_at(err, UPL_ESCHEMA, NULL, 0, 0, key,
                          "the household key column is missing (headers accepted: %s%s)", key,
                          kf && kf->n_aliases ? ", and the profile's aliases" : "");
        goto fail;
    }
    rc = group_sorted_runs(ev, upl_table_find(persons, key));
    if (rc == UPL_ENOMEM) { rc = ev_oom(ev); goto fail; }
    if (rc) {
        /* rows not in key order: the general group-by (hash + sort of keys) */
        rc = UPL_OK;
        UPL_TRY(upl_groupby_build(persons, &key, 1, &ev->gb, err));
        ev->n_rows = ev->gb->n_rows;
        ev->n_hh = (size_t)ev->gb->n_groups;
        ev->hh_of_row = ev->gb->group_of_row;
        ev->hh_size = ev->gb->group_rows;
        ev->n_missing_key = ev->gb->n_missing_key;
        /* rows of each household (counting sort), for evidence listing members */
        ev->member_off = upl_calloc(ev->n_hh + 1, sizeof *ev->member_off);
        ev->member_rows = upl_malloc((ev->n_rows ? ev->n_rows : 1) * sizeof *ev->member_rows);
        if (!ev->member_off || !ev->member_rows) { rc = ev_oom(ev); goto fail; }
        for (size_t g = 0; g < ev->n_hh; g++) ev->member_off[g + 1] = ev->member_off[g] + ev->hh_size[g];
        size_t *fill = upl_malloc((ev->n_hh ? ev->n_hh : 1) * sizeof *fill);
        if (!fill) { rc = ev_oom(ev); goto fail; }
        memcpy(fill, ev->member_off, ev->n_hh * sizeof *fill);
        for (size_t r = 0; r < ev->n_rows; r++)
            if (ev->hh_of_row[r] >= 0) ev->member_rows[fill[ev->hh_of_row[r]]++] = r;
        upl_free(fill);
    }
    ev->first_row = upl_malloc((ev->n_hh ? ev->n_hh : 1) * sizeof *ev->first_row);
    if (!ev->first_row) { rc = ev_oom(ev); goto fail; }
    for (size_t g = 0; g < ev->n_hh; g++) ev->first_row[g] = SIZE_MAX;
    for (size_t r = 0; r < ev->n_rows; r++) {
        int32_t g = ev->hh_of_row[r];
        if (g >= 0 && ev->first_row[g] == SIZE_MAX) ev->first_row[g] = r;
    }
    /* built-in household arrays */
    UPL_TRY(add_arr(ev, "line", VT_NUM, &ev->a_line));
    UPL_TRY(add_arr(ev, "n_members", VT_NUM, &ev->a_n_members));
    UPL_TRY(add_arr(ev, "year", VT_NUM, &ev->a_year));
    UPL_TRY(line_per_household(ev));
    for (size_t g = 0; g < ev->n_hh; g++) {
        ev->arrs[ev->a_n_members].num[g] = (double)ev->hh_size[g];
        ev->arrs[ev->a_year].num[g] = ev->opt.year;
    }
    ev->arrs[ev->a_line].is_ready = ev->arrs[ev->a_n_members].is_ready = ev->arrs[ev->a_year].is_ready = true;
    int a_k;
    UPL_TRY(add_arr(ev, "k", VT_NUM, &a_k));
    for (size_t g = 0; g < ev->n_hh; g++) ev->arrs[a_k].num[g] = upl_rational_value(p->k);
    ev->arrs[a_k].is_ready = true;
    /* stage 0: per-capita income */
    UPL_TRY(add_arr(ev, "income_pc", VT_NUM, &ev->a_income));
    UPL_TRY(add_arr(ev, "income_poor", VT_B3, &ev->a_income_poor));
    if (p->income_expr) {
        ev->has_income = true;
        UPL_TRY(compile_target(ev, p->income_expr, VT_NUM, "lines: income", &ev->income_t, ev->a_income));
    }
    ev->arrs[ev->a_income].is_ready = true;
    ev->arrs[ev->a_income_poor].is_ready = true;
    /* stage 1: indicators (see columns and the built-ins above, not each other) */
    size_t ni = p->n_indicators;
    ev->ind_t = upl_calloc(ni + 1, sizeof *ev->ind_t);
    ev->a_ind = upl_calloc(ni + 1, sizeof *ev->a_ind);
    ev->ind_raw = upl_calloc(ni + 1, sizeof *ev->ind_raw);
    ev->ind_wit = upl_calloc(ni + 1, sizeof *ev->ind_wit);
    if (!ev->ind_t || !ev->a_ind || !ev->ind_raw || !ev->ind_wit) { rc = ev_oom(ev); goto fail; }
    int *raw_arr = upl_calloc(ni + 1, sizeof *raw_arr);
    if (!raw_arr) { rc = ev_oom(ev); goto fail; }
    for (size_t i = 0; i < ni; i++) {
        const pindicator *ind = &p->indicators[i];
        if (upl_table_find(persons, ind->pub.id) || upl_profile_field_find(p, ind->pub.id) || find_arr(ev, ind->pub.id) >= 0) {
            rc = upl_error_set(err, UPL_EPROFILE, "%s: indicator id `%s` is also a column or built-in name",
                               p->path, ind->pub.id);
            upl_free(raw_arr);
            goto fail;
        }
        char rn[160];
        snprintf(rn, sizeof rn, "#raw_%s", ind->pub.id);
        if ((rc = add_arr(ev, rn, VT_B3, &raw_arr[i]))) { upl_free(raw_arr); goto fail; }
        char what[160];
        snprintf(what, sizeof what, "indicator `%s`", ind->pub.id);
        if ((rc = compile_target(ev, ind->expr, VT_B3, what, &ev->ind_t[i], raw_arr[i]))) { upl_free(raw_arr); goto fail; }
    }
    for (size_t i = 0; i < ni; i++) {
        if ((rc = add_arr(ev, p->indicators[i].pub.id, VT_B3, &ev->a_ind[i]))) { upl_free(raw_arr); goto fail; }
        ev->arrs[ev->a_ind[i]].is_ready = true;
        ev->ind_t[i].arr = raw_arr[i];
    }
    upl_free(raw_arr);
    /* stage 2: score (exact integers over a common denominator) and poor */
    int64_t den = p->k.den;
    for (size_t i = 0; i < ni; i++) {
        int64_t d = p->indicators[i].pub.weight.den;
        int64_t g = upl_gcd64(den, d);
        if (den / g > INT64_MAX / d) { rc = upl_error_set(err, UPL_ERANGE, "%s: weights' common denominator is too large", p->path); goto fail; }
        den = den / g * d;
    }
    ev->score_den = den;
    ev->w_units = upl_calloc(ni + 1, sizeof *ev->w_units);
    if (!ev->w_units) { rc = ev_oom(ev); goto fail; }
    for (size_t i = 0; i < ni; i++) ev->w_units[i] = p->indicators[i].pub.weight.num * (den / p->indicators[i].pub.weight.den);
    ev->k_units = p->k.num * (den / p->k.den);
    int a_score;
    UPL_TRY(add_arr(ev, "score", VT_NUM, &a_score));
    ev->a_score = a_score;
    UPL_TRY(add_arr(ev, "poor", VT_B3, &ev->a_poor));
    ev->arrs[a_score].is_ready = true;
    if (p->poor_expr) {
        ev->has_poor_expr = true;
        UPL_TRY(compile_target(ev, p->poor_expr, VT_B3, "identification: poor", &ev->poor_t, ev->a_poor));
    }
    ev->arrs[ev->a_poor].is_ready = true;
    /* stage 3: categories, causes, exit rules */
    ev->cat_t = upl_calloc(p->n_categories + 1, sizeof *ev->cat_t);
    ev->cause_t = upl_calloc(p->n_causes + 1, sizeof *ev->cause_t);
    ev->exit_t = upl_calloc(p->n_exit_rules + 1, sizeof *ev->exit_t);
    ev->exit_res = upl_calloc(p->n_exit_rules + 1, sizeof *ev->exit_res);
    if (!ev->cat_t || !ev->cause_t || !ev->exit_t || !ev->exit_res) { rc = ev_oom(ev); goto fail; }
    for (size_t i = 0; i < p->n_categories; i++) {
        char rn[160], what[160];
        int arr;
        snprintf(rn, sizeof rn, "#cat_%zu", i);
        snprintf(what, sizeof what, "category `%s`", p->categories[i].id);
        UPL_TRY(add_arr(ev, rn, VT_B3, &arr));
        UPL_TRY(compile_target(ev, p->categories[i].expr, VT_B3, what, &ev->cat_t[i], arr));
    }
    for (size_t i = 0; i < p->n_causes; i++) {
        if (!p->causes[i].expr) { ev->cause_t[i].arr = -1; continue; }
        char rn[160], what[160];
        int arr;
        snprintf(rn, sizeof rn, "#cause_%zu", i);
        snprintf(what, sizeof what, "cause %d (%s)", p->causes[i].pub.code, p->causes[i].pub.label_zh);
        UPL_TRY(add_arr(ev, rn, VT_B3, &arr));
        size_t agg0 = ev->n_aggs;
        UPL_TRY(compile_target(ev, p->causes[i].expr, VT_B3, what, &ev->cause_t[i], arr));
        for (size_t a = agg0; a < ev->n_aggs; a++) ev->aggs[a].is_cause_only = true;
    }
    for (size_t i = 0; i < p->n_exit_rules; i++) {
        char rn[160], what[160];
        int arr;
        snprintf(rn, sizeof rn, "#exit_%zu", i);
        snprintf(what, sizeof what, "household exit rule `%s`", p->exit_rules[i].id);
        UPL_TRY(add_arr(ev, rn, VT_B3, &arr));
        UPL_TRY(compile_target(ev, p->exit_rules[i].expr, VT_B3, what, &ev->exit_t[i], arr));
    }
    UPL_TRY(alloc_regs(ev));
    UPL_TRY(check_household_consistency(ev));
    ev->err = NULL;
    *out = ev;
    return UPL_OK;
fail:
    upl_eval_free(ev);
    return rc;
}

static void run_target_range(upl_eval *ev, const target *t, size_t b, size_t e) {
    harr *a = &ev->arrs[t->arr];
    run_prog(ev, &t->p, b, e);
    if (t->p.out_type == VT_NUM) memcpy(a->num + b, R(ev, t->p.out), (e - b) * sizeof(double));
    else memcpy(a->b3 + b, RB(ev, t->p.out), e - b);
}

/* All household stages for households [b, e), in stage order. Running every
 * stage on one chunk before the next chunk keeps that chunk's gathered
 * values and intermediate arrays in cache; stages only read earlier stages'
 * values of the same households, so the order is valid. */
static void household_stages(upl_eval *ev, size_t b, size_t e) {
    const upl_profile *p = ev->p;
    size_t ni = p->n_indicators;
    if (ev->has_income) run_target_range(ev, &ev->income_t, b, e);
    else for (size_t g = b; g < e; g++) ev->arrs[ev->a_income].num[g] = NAN;
    {
        const double *inc = ev->arrs[ev->a_income].num, *line = ev->arrs[ev->a_line].num;
        uint8_t *ip = ev->arrs[ev->a_income_poor].b3;
        /* poor means income strictly below the line (DOMAIN.md §1.3, §3.3) */
        for (size_t g = b; g < e; g++) ip[g] = (isnan(inc[g]) || isnan(line[g])) ? 2 : inc[g] < line[g];
    }
    for (size_t g = b; g < e; g++) ev->score_lo[g] = ev->score_hi[g] = 0;
    for (size_t i = 0; i < ni; i++) {
        run_target_range(ev, &ev->ind_t[i], b, e);
        const uint8_t *raw = ev->arrs[ev->ind_t[i].arr].b3;
        uint8_t *fin = ev->arrs[ev->a_ind[i]].b3;
        upl_on_missing om = p->indicators[i].pub.on_missing;
        uint8_t repl = om == UPL_MISSING_DEPRIVED ? 1 : om == UPL_MISSING_NOT_DEPRIVED ? 0 : 2;
        int64_t w = ev->w_units[i];
        for (size_t g = b; g < e; g++) {
            uint8_t d = raw[g] == 2 ? repl : raw[g];
            fin[g] = d;
            ev->score_lo[g] += d == 1 ? w : 0;
            ev->score_hi[g] += d != 0 ? w : 0;
        }
    }
    {
        double *sc = ev->arrs[ev->a_score].num;
        for (size_t g = b; g < e; g++)
            sc[g] = ev->score_lo[g] == ev->score_hi[g] ? (double)ev->score_lo[g] / (double)ev->score_den : NAN;
    }
    if (ev->has_poor_expr) {
        run_target_range(ev, &ev->poor_t, b, e);
    } else {
        /* AF identification, exact: poor iff c_i >= k (weak inequality,
         * DOMAIN.md §3.1 item 4) with unknown indicators bounding c_i */
        uint8_t *po = ev->arrs[ev->a_poor].b3;
        for (size_t g = b; g < e; g++)
            po[g] = ev->score_lo[g] >= ev->k_units ? 1 : ev->score_hi[g] < ev->k_units ? 0 : 2;
    }
    for (size_t i = 0; i < p->n_categories; i++) run_target_range(ev, &ev->cat_t[i], b, e);
    for (size_t g = b; g < e; g++) {
        ev->category[g] = -1;
        for (size_t i = 0; i < p->n_categories; i++)
            if (ev->arrs[ev->cat_t[i].arr].b3[g] == 1) { ev->category[g] = (int32_t)i; break; }
    }
    for (size_t i = 0; i < p->n_exit_rules; i++) run_target_range(ev, &ev->exit_t[i], b, e);
    for (size_t g = b; g < e; g++) {
        uint8_t acc = p->n_exit_rules ? 1 : 2;
        for (size_t i = 0; i < p->n_exit_rules; i++) acc = AND3[acc * 3 + ev->arrs[ev->exit_t[i].arr].b3[g]];
        ev->exit_ok[g] = acc;
    }
}

/* Causes for households [b, e): after household_stages (they read poor). */
static void cause_stages(upl_eval *ev, size_t b, size_t e) {
    const upl_profile *p = ev->p;
    for (size_t i = 0; i < p->n_causes; i++) if (ev->cause_t[i].arr >= 0) run_target_range(ev, &ev->cause_t[i], b, e);
    {
        /* main cause: the registry's declared main cause when the data has
         * one that matches the list; else the first rule (list order =
         * priority) that holds. Secondary: the next rules that hold.
         * Causes are given for poor and undetermined households. */
        const upl_column *dc = p->declared_cause_field ? upl_table_find(ev->t, p->declared_cause_field) : NULL;
        if (dc && dc->type != UPL_STR && dc->type != UPL_CAT) dc = NULL;
        const uint8_t *poor = ev->arrs[ev->a_poor].b3;
        for (size_t g = b; g < e; g++) {
            ev->main_cause[g] = -1;
            ev->secondary[g] = 0;
            if (poor[g] == 0) continue;
            size_t fr = ev->first_row[g];
            if (dc && upl_col_is_valid(dc, fr)) {
                size_t l = 0;
                const char *s;
                if (dc->type == UPL_STR) s = upl_col_str(dc, fr, &l);
                else { s = upl_dict_label(dc->dict, dc->v.cat[fr]); l = upl_dict_label_len(dc->dict, dc->v.cat[fr]); }
                for (size_t i = 0; i < p->n_causes; i++) {
                    const char *lab = p->causes[i].pub.label_zh;
                    size_t ll = strlen(lab);
                    /* 因病 also matches 因病致贫 */
                    if (l >= ll && !memcmp(s, lab, ll)) { ev->main_cause[g] = (int32_t)i; break; }
                }
            }
            size_t n_sec = 0;
            for (size_t i = 0; i < p->n_causes; i++) {
                if (ev->cause_t[i].arr < 0 || ev->arrs[ev->cause_t[i].arr].b3[g] != 1) continue;
                if (ev->main_cause[g] < 0) { ev->main_cause[g] = (int32_t)i; continue; }
                if ((int32_t)i == ev->main_cause[g]) continue;
                if (n_sec < p->max_secondary_causes) { ev->secondary[g] |= (uint64_t)1 << i; n_sec++; }
            }
        }
    }
}

/* ---- threads ------------------------------------------------------------------
 * Work is split into fixed chunks (the layout depends only on the sizes,
 * never on the thread count) and each chunk writes only its own households'
 * results, so output is identical for any number of threads. A worker runs
 * on a shallow copy of the evaluator that differs only in its register
 * file. The person pass is split only when member rows are adjacent (the
 * fast grouping), at household boundaries, so a household's rows are folded
 * by one worker in row order. */
enum { PAR_PERSONS = 0, PAR_HOUSEHOLDS = 1, PAR_CAUSES = 2 };
typedef struct par_ctx { upl_eval *ev; int what; int mode; } par_ctx;
#define PAR_HH_CHUNK ((size_t)16 * EV_CHUNK)

static size_t household_boundary(const upl_eval *ev, size_t r) {
    while (r > 0 && r < ev->n_rows && ev->hh_of_row[r] == ev->hh_of_row[r - 1]) r++;
    return r;
}

static int par_chunk(void *ctx, size_t chunk, size_t begin, size_t end) {
    par_ctx *pc = ctx;
    upl_eval w = *pc->ev;
    (void)chunk;
    w.regs = upl_malloc((size_t)(w.max_regs ? w.max_regs : 1) * EV_CHUNK * sizeof(double));
    if (!w.regs) return UPL_ENOMEM;
    if (pc->what == PAR_PERSONS) {
        size_t b0 = household_boundary(&w, begin), e0 = household_boundary(&w, end);
        for (size_t b = b0; b < e0; b += EV_CHUNK) {
            size_t e = b + EV_CHUNK < e0 ? b + EV_CHUNK : e0;
            for (size_t ai = 0; ai < w.n_aggs; ai++) {
                agg *A = &w.aggs[ai];
                if (pc->mode != PASS_ALL && A->is_cause_only) continue;
                if (A->has_cond) run_prog(&w, &A->cond, b, e);
                if (A->has_val) run_prog(&w, &A->val, b, e);
                agg_fold(&w, A, b, e);
            }
        }
    } else {
        for (size_t b = begin; b < end; b += EV_CHUNK) {
            size_t e = b + EV_CHUNK < end ? b + EV_CHUNK : end;
            if (pc->what == PAR_HOUSEHOLDS) household_stages(&w, b, e);
            else cause_stages(&w, b, e);
        }
    }
    upl_free(w.regs);
    return UPL_OK;
}

static int run_parallel(upl_eval *ev, upl_pool *pool, int mode, bool split_causes) {
    int rc;
    par_ctx pc = {ev, PAR_PERSONS, mode};
    for (size_t ai = 0; ai < ev->n_aggs; ai++)
        if (mode == PASS_ALL || !ev->aggs[ai].is_cause_only) agg_init(ev, &ev->aggs[ai]);
    if ((rc = upl_pool_for_chunks(pool, ev->n_rows, UPL_CHUNK_ROWS, par_chunk, &pc))) return rc;
    for (size_t ai = 0; ai < ev->n_aggs; ai++)
        if (mode == PASS_ALL || !ev->aggs[ai].is_cause_only) agg_finish(ev, &ev->aggs[ai]);
    pc.what = PAR_HOUSEHOLDS;
    if ((rc = upl_pool_for_chunks(pool, ev->n_hh, PAR_HH_CHUNK, par_chunk, &pc))) return rc;
    if (split_causes) cause_pass(ev);
    pc.what = PAR_CAUSES;
    return upl_pool_for_chunks(pool, ev->n_hh, PAR_HH_CHUNK, par_chunk, &pc);
}

int upl_eval_run(upl_eval *ev, upl_error *err) {
    const upl_profile *p = ev->p;
    size_t G = ev->n_hh, ni = p->n_indicators;
    ev->err = err;
    if (!ev->score_lo) {
        ev->score_lo = upl_malloc((G ? G : 1) * sizeof *ev->score_lo);
        ev->score_hi = upl_malloc((G ? G : 1) * sizeof *ev->score_hi);
        ev->category = upl_malloc((G ? G : 1) * sizeof *ev->category);
        ev->main_cause = upl_malloc((G ? G : 1) * sizeof *ev->main_cause);
        ev->secondary = upl_malloc((G ? G : 1) * sizeof *ev->secondary);
        ev->exit_ok = upl_malloc(G ? G : 1);
        if (!ev->score_lo || !ev->score_hi || !ev->category || !ev->main_cause || !ev->secondary || !ev->exit_ok)
            return upl_error_set(err, UPL_ENOMEM, "out of memory evaluating rules");
    }
    bool has_cause_aggs = false;
    for (size_t ai = 0; ai < ev->n_aggs; ai++) has_cause_aggs |= ev->aggs[ai].is_cause_only;
    upl_pool *pool = NULL;
    if (ev->opt.n_threads > 1 && ev->own_hh_of_row && upl_pool_new(ev->opt.n_threads, &pool) != UPL_OK) pool = NULL;
    if (pool) {
        int rc = run_parallel(ev, pool, has_cause_aggs ? PASS_NOT_CAUSE : PASS_ALL, has_cause_aggs);
        upl_pool_free(pool);
        if (rc) return upl_error_set(err, rc, "evaluating rules on %d threads failed (%s)", ev->opt.n_threads, upl_errname(rc));
    } else if (has_cause_aggs && ev->own_hh_of_row) {
        person_pass_mode(ev, 0, PASS_NOT_CAUSE);
        for (size_t b = 0; b < G; b += EV_CHUNK) household_stages(ev, b, b + EV_CHUNK < G ? b + EV_CHUNK : G);
        cause_pass(ev);
        for (size_t b = 0; b < G; b += EV_CHUNK) cause_stages(ev, b, b + EV_CHUNK < G ? b + EV_CHUNK : G);
    } else {
        person_pass(ev, 0);
        for (size_t b = 0; b < G; b += EV_CHUNK) {
            size_t e = b + EV_CHUNK < G ? b + EV_CHUNK : G;
            household_stages(ev, b, e);
            cause_stages(ev, b, e);
        }
    }
    for (size_t i = 0; i < ni; i++) {
        ev->ind_raw[i] = ev->arrs[ev->ind_t[i].arr].b3;
        ev->ind_wit[i] = ev->ind_t[i].first_agg >= 0 ? ev->aggs[ev->ind_t[i].first_agg].witness : NULL;
    }
    for (size_t i = 0; i < p->n_exit_rules; i++) ev->exit_res[i] = ev->arrs[ev->exit_t[i].arr].b3;
    ev->err = NULL;
    return UPL_OK;
}

int upl_eval_expr(upl_eval *ev, const char *text, uint8_t **b3, double **num, bool *is_bool, upl_error *err) {
    upl_expr *e = NULL;
    int rc;
    target t = {0};
    size_t first_agg = ev->n_aggs;
    *b3 = NULL;
    *num = NULL;
    ev->err = err;
    UPL_TRY(upl_expr_parse(text, "<expr>", 1, 1, &e, err));
    {
        /* compile as whichever type the expression has */
        const char *saved = ev->file;
        ev->file = "<expr>";
        cval v;
        memset(&t.p, 0, sizeof t.p);
        t.p.dom = DOM_HH;
        ev->cur_first_agg = -1;
        rc = comp(ev, &t.p, e->root, DOM_HH, &v);
        if (!rc && v.type == VT_TEXT) rc = coerce(ev, &t.p, e->root, VT_NUM, &v, "expression");
        if (!rc && v.type == VT_MISSING) {
            inst in = {.op = OP_CONST, .k = NAN};
            rc = emit(ev, &t.p, in, &v.reg);
            v.type = VT_NUM;
        }
        ev->file = saved;
        if (rc) goto fail;
        t.p.out = v.reg;
        t.p.out_type = v.type;
        int arr;
        UPL_TRY(add_arr(ev, "#expr", v.type, &arr));
        t.arr = arr;
    }
    UPL_TRY(alloc_regs(ev));
    person_pass(ev, first_agg);
    run_target(ev, &t, ev->n_hh);
    {
        harr *a = &ev->arrs[t.arr];
        *is_bool = a->type == VT_B3;
        if (*is_bool) { *b3 = a->b3; a->b3 = NULL; }
        else { *num = a->num; a->num = NULL; }
        a->name[0] = '#';   /* keep it hidden */
    }
fail:
    free_prog(&t.p);
    upl_expr_free(e);
    ev->err = NULL;
    return rc;
}

/* ---- accessors ---------------------------------------------------------------- */
size_t upl_eval_n_households(const upl_eval *ev) { return ev->n_hh; }
size_t upl_eval_n_persons(const upl_eval *ev) { return ev->n_rows; }
uint64_t upl_eval_household_size(const upl_eval *ev, size_t h) { return ev->hh_size[h]; }
size_t upl_eval_household_first_row(const upl_eval *ev, size_t h) { return ev->first_row[h]; }
size_t upl_eval_member_rows(const upl_eval *ev, size_t h, size_t *rows, size_t cap) {
    size_t n = (size_t)ev->hh_size[h];
    for (size_t i = 0; i < n && i < cap; i++)
        rows[i] = ev->member_rows ? ev->member_rows[ev->member_off[h] + i] : ev->first_row[h] + i;
    return n;
}
size_t upl_eval_n_rows_without_key(const upl_eval *ev) { return ev->n_missing_key; }
size_t upl_eval_n_inconsistent(const upl_eval *ev) { return ev->n_inconsistent; }
size_t upl_eval_absent_fields(const upl_eval *ev, const char *const **names) {
    if (names) *names = ev->absent;
    return ev->n_absent;
}
const uint8_t *upl_eval_indicator(const upl_eval *ev, size_t i) { return ev->arrs[ev->a_ind[i]].b3; }
const uint8_t *upl_eval_indicator_raw(const upl_eval *ev, size_t i) { return ev->ind_raw[i]; }
const int64_t *upl_eval_witness(const upl_eval *ev, size_t i) { return ev->ind_wit[i]; }
const int64_t *upl_eval_score_lo(const upl_eval *ev) { return ev->score_lo; }
const int64_t *upl_eval_score_hi(const upl_eval *ev) { return ev->score_hi; }
int64_t upl_eval_score_den(const upl_eval *ev) { return ev->score_den; }
const uint8_t *upl_eval_poor(const upl_eval *ev) { return ev->arrs[ev->a_poor].b3; }
const double *upl_eval_line(const upl_eval *ev) { return ev->arrs[ev->a_line].num; }
const double *upl_eval_income(const upl_eval *ev) { return ev->arrs[ev->a_income].num; }
const uint8_t *upl_eval_income_poor(const upl_eval *ev) { return ev->arrs[ev->a_income_poor].b3; }
const int32_t *upl_eval_category(const upl_eval *ev) { return ev->category; }
const int32_t *upl_eval_main_cause(const upl_eval *ev) { return ev->main_cause; }
const uint64_t *upl_eval_secondary_causes(const upl_eval *ev) { return ev->secondary; }
const uint8_t *upl_eval_exit_eligible(const upl_eval *ev) { return ev->exit_ok; }
size_t upl_eval_n_exit_rules(const upl_eval *ev) { return ev->p->n_exit_rules; }
const char *upl_eval_exit_rule_id(const upl_eval *ev, size_t i) { return ev->p->exit_rules[i].id; }
const uint8_t *upl_eval_exit_rule(const upl_eval *ev, size_t i) { return ev->exit_res[i]; }
