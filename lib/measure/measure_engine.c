/* measure_engine.c — many measures for many groups in a few passes.
 *
 * Pass 1 (parallel, fixed chunks): validate rows under the policies and fill
 * one upl_acc per (chunk, group) with counts, weights, mean sums and — with
 * an absolute line — the FGT/Watts sums. Accumulators are merged in chunk
 * order, so the result does not depend on the thread count.
 * Sort (only when a measure needs it): scatter each group's (y, v) pairs to
 * a contiguous segment (positions fixed by chunk order), radix-sort each
 * segment on the pool; the segments are the groups' distributions.
 * Lines: absolute, by group, or a share of the weighted median.
 * Pass 2 (only when needed): sums relative to each group's mean (GE,
 * Atkinson) and the FGT/Watts sums for a relative line.
 * Standard errors: linearisation (upl_design_ratio) for means and FGT/Watts
 * with a fixed line; Rao–Wu bootstrap for the rest. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "measure_int.h"

/* ---- names ------------------------------------------------------------------------- */

static const char *const measure_names_help =
    "mean median qP (quantile, e.g. q0.9) fgt0 fgt1 fgt2 fgtA watts sen sen_largeq sst gini theil mld geA "
    "atkinsonE palma s80s20 shareP-Q (e.g. share0.9-1) lorenzP glorenzP (e.g. lorenz0.4) line rmpg";

static bool parse_num(const char *s, double *out) {
    char *end = NULL;
    if (!*s) return false;
    double v = strtod(s, &end);
    if (*end || !isfinite(v)) return false;
    *out = v;
    return true;
}

int upl_measure_parse(const char *name, upl_measure_req *out, upl_error *err) {
    memset(out, 0, sizeof *out);
    out->param = NAN;
    out->param2 = NAN;
    snprintf(out->name, sizeof out->name, "%s", name);
    double v, v2;
    const char *dash;
    if (!strcmp(name, "mean")) out->kind = UPL_MEAS_MEAN;
    else if (!strcmp(name, "median")) out->kind = UPL_MEAS_MEDIAN;
    else if (!strcmp(name, "watts")) out->kind = UPL_MEAS_WATTS;
    else if (!strcmp(name, "sen")) out->kind = UPL_MEAS_SEN;
    else if (!strcmp(name, "sen_largeq")) out->kind = UPL_MEAS_SEN_LARGEQ;
    else if (!strcmp(name, "sst")) out->kind = UPL_MEAS_SST;
    else if (!strcmp(name, "gini")) out->kind = UPL_MEAS_GINI;
    else if (!strcmp(name, "theil")) { out->kind = UPL_MEAS_GE; out->param = 1; }
    else if (!strcmp(name, "mld")) { out->kind = UPL_MEAS_GE; out->param = 0; }
    else if (!strcmp(name, "palma")) out->kind = UPL_MEAS_PALMA;
    else if (!strcmp(name, "s80s20")) out->kind = UPL_MEAS_S80S20;
    else if (!strcmp(name, "line")) out->kind = UPL_MEAS_LINE;
    else if (!strcmp(name, "rmpg")) out->kind = UPL_MEAS_RMPG;
    else if (!strncmp(name, "fgt", 3) && parse_num(name + 3, &v) && v >= 0) { out->kind = UPL_MEAS_FGT; out->param = v; }
    else if (!strncmp(name, "ge", 2) && parse_num(name + 2, &v)) { out->kind = UPL_MEAS_GE; out->param = v; }
    else if (!strncmp(name, "atkinson", 8) && parse_num(name + 8, &v) && v >= 0) {
        out->kind = UPL_MEAS_ATKINSON;
        out->param = v;
    } else if (!strncmp(name, "glorenz", 7) && parse_num(name + 7, &v) && v >= 0 && v <= 1) {
        out->kind = UPL_MEAS_GLORENZ;
        out->param = v;
    } else if (!strncmp(name, "lorenz", 6) && parse_num(name + 6, &v) && v >= 0 && v <= 1) {
        out->kind = UPL_MEAS_LORENZ;
        out->param = v;
    } else if (name[0] == 'q' && parse_num(name + 1, &v) && v >= 0 && v <= 1) {
        out->kind = UPL_MEAS_QUANTILE;
        out->param = v;
    } else if (!strncmp(name, "share", 5) && (dash = strchr(name + 5, '-')) != NULL) {
        char a[32];
        size_t len = (size_t)(dash - (name + 5));
        if (len == 0 || len >= sizeof a) goto bad;
        memcpy(a, name + 5, len);
        a[len] = 0;
        if (!parse_num(a, &v) || !parse_num(dash + 1, &v2) || !(v >= 0 && v < v2 && v2 <= 1)) goto bad;
        out->kind = UPL_MEAS_SHARE;
        out->param = v;
        out->param2 = v2;
    } else {
        goto bad;
    }
    return UPL_OK;
bad:
    return upl_error_set(err, UPL_EMISUSE, "unknown measure `%s`; known: %s", name, measure_names_help);
}

void upl_measure_options_init(upl_measure_options *o) {
    memset(o, 0, sizeof *o);
    o->line = UPL_LINE_NONE;
    o->z = NAN;
    o->rel_share = NAN;
    o->quantile_rule = UPL_QUANTILE_EUROSTAT;
    o->missing = UPL_POLICY_DROP;
    o->negative = UPL_POLICY_KEEP;
    o->nonpositive = UPL_POLICY_UNDEFINED;
    o->boot_seed = 1;
}

void upl_measure_result_free(upl_measure_result *r) {
    if (!r) return;
    upl_free(r->measures);
    upl_free(r->stats);
    upl_free(r->line);
    upl_free(r);
}

upl_stat *upl_measure_result_get(const upl_measure_result *r, size_t m, int32_t g) {
    if (!r || m >= r->n_measures || g < 0 || g >= r->n_groups) return NULL;
    return &r->stats[m * (size_t)r->n_groups + (size_t)g];
}

/* ---- the engine ------------------------------------------------------------------------ */

enum { BAD_NONE = 0, BAD_MISSING, BAD_WEIGHT, BAD_INF, BAD_NEGATIVE, BAD_NONPOS, BAD_GROUP };

typedef struct chunk_info {
    uint64_t n_missing, n_negdrop, n_zero_w, n_outside, n_used_all;
    size_t bad_row;     /* first offending row, SIZE_MAX = none */
    int bad_kind;
} chunk_info;

typedef struct engine {
    const upl_measure_input *in;
    const upl_measure_options *opt;
    int32_t G;
    size_t n_chunks;
    bool need_pos, need_nonneg;   /* some measure needs y > 0 / y >= 0 (policy ERROR check) */
    upl_acc_params *par1, *par2;  /* per group */
    upl_acc *acc1, *acc2;         /* n_chunks * G, merged into [0 * G + g] */
    chunk_info *ci;
    /* sorting */
    bool need_sort, need_all_dist;
    size_t *pos;                  /* n_chunks * G write positions */
    size_t *pos_all;              /* n_chunks */
    double *sy, *sw, *scw, *scy;  /* segments of all groups */
    size_t *seg_off;              /* G + 1 */
    upl_dist *dist;               /* G views */
    upl_dist all;                 /* whole population (relative line) */
    double *ay, *aw, *acw, *acy;
    int sort_rc;
} engine;

static inline int classify(const engine *e, size_t i, double *yo, double *wo, int32_t *go) {
    const upl_measure_input *in = e->in;
    double y = in->y[i];
    double w = in->w ? in->w[i] : 1.0;
    int32_t g = in->group ? in->group[i] : 0;
    if (isnan(w) || w < 0 || isinf(w)) return isnan(w) ? BAD_MISSING : BAD_WEIGHT;
    if (isnan(y)) return BAD_MISSING;
    if (isinf(y)) return BAD_INF;
    if (g >= e->G || g < -1) return BAD_GROUP;
    *yo = y;
    *wo = w;
    *go = g;
    return BAD_NONE;
}

/* A row classified as usable can still be dropped by the negative policy
 * or fail a policy ERROR. Returns 0 = use, 1 = skip (counted), 2 = error. */
static inline int apply_policies(const engine *e, double y, int *kind) {
    const upl_measure_options *o = e->opt;
    if (y < 0 && o->negative != UPL_POLICY_KEEP) {
        if (o->negative == UPL_POLICY_DROP) return 1;
        *kind = BAD_NEGATIVE;
        return 2;
    }
    if (o->nonpositive == UPL_POLICY_ERROR && ((e->need_pos && y <= 0) || (e->need_nonneg && y < 0))) {
        *kind = BAD_NONPOS;
        return 2;
    }
    return 0;
}

static void note_bad(chunk_info *c, size_t i, int kind) {
    if (c->bad_row == SIZE_MAX) {
        c->bad_row = i;
        c->bad_kind = kind;
    }
}

static int pass1_chunk(void *ctx, size_t chunk, size_t begin, size_t end) {
    engine *e = ctx;
    chunk_info *c = &e->ci[chunk];
    upl_acc *acc = &e->acc1[chunk * (size_t)e->G];
    for (int32_t g = 0; g < e->G; g++) upl_acc_init(&acc[g], &e->par1[g]);
    c->bad_row = SIZE_MAX;
    for (size_t i = begin; i < end; i++) {
        double y, w;
        int32_t g;
        int kind = classify(e, i, &y, &w, &g);
        if (kind == BAD_MISSING) {
            c->n_missing++;
            if (e->opt->missing == UPL_POLICY_ERROR) note_bad(c, i, kind);
            continue;
        }
        if (kind != BAD_NONE) {
            note_bad(c, i, kind);
            continue;
        }
        int pk = apply_policies(e, y, &kind);
        if (pk == 1) { c->n_negdrop++; continue; }
        if (pk == 2) { note_bad(c, i, kind); continue; }
        if (w == 0) c->n_zero_w++;
        c->n_used_all++;
        if (g < 0) { c->n_outside++; continue; }
        acc_add1(&acc[g], y, w);
    }
    return UPL_OK;
}

static int scatter_chunk(void *ctx, size_t chunk, size_t begin, size_t end) {
    engine *e = ctx;
    size_t *pos = &e->pos[chunk * (size_t)e->G];
    size_t pa = e->need_all_dist ? e->pos_all[chunk] : 0;
    for (size_t i = begin; i < end; i++) {
        double y, w;
        int32_t g;
        int kind;
        if (classify(e, i, &y, &w, &g) != BAD_NONE || apply_policies(e, y, &kind) != 0) continue;
        if (e->need_all_dist) {
            e->ay[pa] = y;
            e->aw[pa] = w;
            pa++;
        }
        if (g < 0) continue;
        size_t p = pos[g]++;
        e->sy[p] = y;
        e->sw[p] = w;
    }
    return UPL_OK;
}

static int sort_group(void *ctx, size_t chunk, size_t begin, size_t end) {
    engine *e = ctx;
    for (size_t g = begin; g < end; g++) {
        upl_dist *d = &e->dist[g];
        int rc = upl_sort_f64_f64(d->y, d->w, d->n);
        if (rc != UPL_OK) return rc;
        dist_cumulate(d);
    }
    (void)chunk;
    return UPL_OK;
}

static int pass2_chunk(void *ctx, size_t chunk, size_t begin, size_t end) {
    engine *e = ctx;
    upl_acc *acc = &e->acc2[chunk * (size_t)e->G];
    for (int32_t g = 0; g < e->G; g++) upl_acc_init(&acc[g], &e->par2[g]);
    for (size_t i = begin; i < end; i++) {
        double y, w;
        int32_t g;
        int kind;
        if (classify(e, i, &y, &w, &g) != BAD_NONE || apply_policies(e, y, &kind) != 0 || g < 0) continue;
        acc_add_pass2(&acc[g], y, w);
    }
    return UPL_OK;
}

static bool kind_needs_sort(const upl_measure_req *r) {
    switch (r->kind) {
    case UPL_MEAS_MEDIAN: case UPL_MEAS_QUANTILE: case UPL_MEAS_SEN: case UPL_MEAS_SEN_LARGEQ:
    case UPL_MEAS_SST: case UPL_MEAS_GINI: case UPL_MEAS_PALMA: case UPL_MEAS_S80S20:
    case UPL_MEAS_SHARE: case UPL_MEAS_RMPG: case UPL_MEAS_LORENZ: case UPL_MEAS_GLORENZ:
        return true;
    default:
        return false;
    }
}

static bool kind_needs_line(const upl_measure_req *r) {
    switch (r->kind) {
    case UPL_MEAS_FGT: case UPL_MEAS_WATTS: case UPL_MEAS_SEN: case UPL_MEAS_SEN_LARGEQ:
    case UPL_MEAS_SST: case UPL_MEAS_LINE: case UPL_MEAS_RMPG:
        return true;
    default:
        return false;
    }
}

/* Which subset of incomes a GE/Atkinson measure uses: 2 = y > 0, 1 = y >= 0. */
static int ineq_subset(const upl_measure_req *r) {
    if (r->kind == UPL_MEAS_GE) return r->param <= 0 ? 2 : 1;
    if (r->kind == UPL_MEAS_ATKINSON) return r->param >= 1 ? 2 : 1;
    if (r->kind == UPL_MEAS_WATTS) return 2;
    return 0;
}

static int pow_index(const upl_acc_params *p, double pw) {
    for (int k = 0; k < p->n_pow; k++)
        if (p->pow[k] == pw) return k;
    return -1;
}

static void set_undefined(upl_stat *s, const char *why) {
    s->value = NAN;
    s->undefined = why;
}

/* Finish one measure for one group. */
static void finish_stat(const engine *e, const upl_measure_req *r, int32_t g, double line, upl_stat *s) {
    const upl_measure_options *o = e->opt;
    const upl_acc *a1 = &e->acc1[g];
    const upl_acc *a2 = e->acc2 ? &e->acc2[g] : NULL;
    const upl_dist *d = e->dist ? &e->dist[g] : NULL;
    double V = upl_ksum_value(&a1->v);
    s->value = NAN;
    s->se = s->ci_low = s->ci_high = NAN;
    s->n = a1->n;
    s->weight_sum = V;
    s->n_dropped = 0;
    s->undefined = NULL;
    s->se_method = NULL;
    if (a1->n == 0) { set_undefined(s, "no observations in the group"); return; }
    if (!(V > 0)) { set_undefined(s, "the weights of the group sum to zero"); return; }
    if (kind_needs_line(r) && !(line > 0)) {
        set_undefined(s, isnan(line) ? "no poverty line given" : "the poverty line is not positive");
        return;
    }
    switch (r->kind) {
    case UPL_MEAS_MEAN: s->value = upl_acc_mean(a1); break;
    case UPL_MEAS_MEDIAN: s->value = upl_dist_quantile(d, 0.5, o->quantile_rule); break;
    case UPL_MEAS_QUANTILE: s->value = upl_dist_quantile(d, r->param, o->quantile_rule); break;
    case UPL_MEAS_LINE: s->value = line; break;
    case UPL_MEAS_FGT: {
        const upl_acc *a = o->line == UPL_LINE_RELATIVE ? a2 : a1;
        s->value = upl_acc_fgt(a, r->param);
        break;
    }
    case UPL_MEAS_WATTS: {
        const upl_acc *a = o->line == UPL_LINE_RELATIVE ? a2 : a1;
        if (a->n_poor_nonpos > 0) {
            if (o->nonpositive == UPL_POLICY_DROP) {
                double Vb = upl_ksum_value(&a1->v_pos); /* counts and sign sums: pass 1 */
                s->n_dropped = a1->n_nonpos;
                s->n = a1->n - a1->n_nonpos;
                s->weight_sum = Vb;
                if (!(Vb > 0)) set_undefined(s, "no incomes > 0 left for Watts");
                else s->value = upl_ksum_value(&a->watts) / Vb;
            } else {
                set_undefined(s, "Watts is undefined: a poor observation has income <= 0 (ln 0)");
            }
        } else {
            s->value = upl_acc_watts(a);
        }
        break;
    }
    case UPL_MEAS_SEN: s->value = upl_dist_sen(d, line, false); break;
    case UPL_MEAS_SEN_LARGEQ: s->value = upl_dist_sen(d, line, true); break;
    case UPL_MEAS_SST: s->value = upl_dist_sst(d, line); break;
    case UPL_MEAS_RMPG:
        s->value = upl_dist_rmpg(d, line, o->quantile_rule);
        if (isnan(s->value)) set_undefined(s, "nobody is poor: no median income of the poor");
        break;
    case UPL_MEAS_GINI:
        s->value = upl_dist_gini(d, o->is_gini_corrected);
        if (isnan(s->value)) set_undefined(s, d->n < 2 && o->is_gini_corrected ? "the n/(n-1) correction needs 2 observations"
                                                                              : "mean income is zero");
        else if (o->is_percent) s->value *= 100;
        break;
    case UPL_MEAS_PALMA:
        s->value = upl_dist_palma(d);
        if (isnan(s->value)) set_undefined(s, "the bottom 40% have no income");
        break;
    case UPL_MEAS_S80S20:
        s->value = upl_dist_s80s20(d);
        if (isnan(s->value)) set_undefined(s, "the bottom 20% have no income");
        break;
    case UPL_MEAS_SHARE:
        s->value = upl_dist_share(d, r->param, r->param2);
        if (isnan(s->value)) set_undefined(s, "total income is zero");
        else if (o->is_percent) s->value *= 100;
        break;
    case UPL_MEAS_LORENZ:
    case UPL_MEAS_GLORENZ:
        s->value = upl_dist_lorenz_at(d, r->param);
        if (isnan(s->value)) set_undefined(s, "total income is zero");
        else if (r->kind == UPL_MEAS_GLORENZ) s->value *= upl_acc_mean(a1);
        break;
    case UPL_MEAS_GE:
    case UPL_MEAS_ATKINSON: {
        int sub = ineq_subset(r);
        uint64_t n_bad = sub == 2 ? a1->n_nonpos : a1->n_neg; /* counts and sign sums: pass 1 */
        double Vs, mus;
        if (sub == 2) {
            Vs = upl_ksum_value(&a1->v_pos);
            mus = a2->par.mu_pos;
        } else {
            Vs = V - upl_ksum_value(&a1->v_neg);
            mus = a2->par.mu;
        }
        if (n_bad > 0) {
            if (o->nonpositive != UPL_POLICY_DROP) {
                set_undefined(s, sub == 2 ? "undefined with incomes <= 0 (needs y > 0)"
                                          : "undefined with negative incomes (needs y >= 0)");
                break;
            }
            s->n_dropped = n_bad;
            s->n = a1->n - n_bad;
            s->weight_sum = Vs;
        }
        if (!(Vs > 0) || !(mus > 0)) { set_undefined(s, "mean income is not positive"); break; }
        double a = r->param;
        if (r->kind == UPL_MEAS_GE) {
            if (a == 0) s->value = -upl_ksum_value(&a2->ln_rel) / Vs;
            else if (a == 1) s->value = upl_ksum_value(&a2->ylny_rel) / Vs;
            else {
                int k = pow_index(&a2->par, a);
                s->value = (upl_ksum_value(&a2->powsum[k]) / Vs - 1) / (a * (a - 1));
            }
        } else {
            if (a == 1) s->value = 1 - exp(upl_ksum_value(&a2->ln_rel) / Vs);
            else {
                int k = pow_index(&a2->par, 1 - a);
                s->value = 1 - pow(upl_ksum_value(&a2->powsum[k]) / Vs, 1 / (1 - a));
            }
        }
        break;
    }
    default:
        set_undefined(s, "unknown measure");
    }
    if (isnan(s->value) && !s->undefined) s->undefined = "undefined for this data";
}

static const char *bad_text(int kind) {
    switch (kind) {
    case BAD_MISSING: return "missing income or weight (missing policy: error)";
    case BAD_WEIGHT: return "the weight is negative or infinite";
    case BAD_INF: return "the income is infinite";
    case BAD_NEGATIVE: return "negative income (negative policy: error)";
    case BAD_NONPOS: return "income <= 0 where a requested measure needs y > 0 (policy: error)";
    case BAD_GROUP: return "group id out of range";
    }
    return "bad row";
}

static void engine_free(engine *e) {
    upl_free(e->par1);
    upl_free(e->par2);
    upl_free(e->acc1);
    upl_free(e->acc2);
    upl_free(e->ci);
    upl_free(e->pos);
    upl_free(e->pos_all);
    upl_free(e->sy);
    upl_free(e->sw);
    upl_free(e->scw);
    upl_free(e->scy);
    upl_free(e->seg_off);
    upl_free(e->dist);
    upl_free(e->ay);
    upl_free(e->aw);
    upl_free(e->acw);
    upl_free(e->acy);
}

static int bootstrap_ses(const upl_measure_input *in, const upl_measure_req *req, size_t n_req,
                         const upl_measure_options *opt, upl_measure_result *res, const bool *use_boot,
                         upl_error *err);

int upl_measure_compute(const upl_measure_input *in, const upl_measure_req *req, size_t n_req,
                        const upl_measure_options *opt_in, upl_measure_result **out, upl_error *err) {
    int rc = UPL_OK;
    engine e;
    upl_pool *pool = NULL;
    upl_measure_result *res = NULL;
    upl_measure_options opt_def;
    const upl_measure_options *opt = opt_in;
    double *fbuf = NULL, *est = NULL, *se = NULL;
    bool *use_boot = NULL;
    memset(&e, 0, sizeof e);
    *out = NULL;
    if (!opt) {
        upl_measure_options_init(&opt_def);
        opt = &opt_def;
    }
    UPL_FAIL_IF(!in || (!in->y && in->n) || !req, err, UPL_EMISUSE, "upl_measure_compute: missing input");
    UPL_FAIL_IF(in->group && in->n_groups <= 0, err, UPL_EMISUSE, "upl_measure_compute: n_groups must be > 0");
    UPL_FAIL_IF(opt->missing != UPL_POLICY_DROP && opt->missing != UPL_POLICY_ERROR, err, UPL_EMISUSE,
                "missing-value policy must be drop or error");
    UPL_FAIL_IF(opt->line == UPL_LINE_RELATIVE && !(opt->rel_share > 0), err, UPL_EMISUSE,
                "a relative line needs a share p > 0 of the median");
    UPL_FAIL_IF(opt->line == UPL_LINE_ABSOLUTE && !opt->z_by_group && !(opt->z > 0), err, UPL_EMISUSE,
                "the poverty line must be a positive number");
    e.in = in;
    e.opt = opt;
    e.G = in->group ? in->n_groups : 1;
    e.n_chunks = upl_n_chunks(in->n, UPL_CHUNK_ROWS);
    size_t G = (size_t)e.G, NC = e.n_chunks ? e.n_chunks : 1;

    /* what the requests need */
    upl_acc_params base;
    upl_acc_params_init(&base);
    bool need_pass2 = false, has_line_measure = false;
    for (size_t m = 0; m < n_req; m++) {
        const upl_measure_req *r = &req[m];
        UPL_FAIL_IF((unsigned)r->kind >= UPL_MEAS_KIND_COUNT_, err, UPL_EMISUSE, "request %zu: unknown measure", m);
        if (kind_needs_sort(r)) e.need_sort = true;
        if (kind_needs_line(r)) has_line_measure = true;
        int sub = ineq_subset(r);
        if (sub == 2) e.need_pos = true;
        if (sub == 1) e.need_nonneg = true;
        if (r->kind == UPL_MEAS_FGT && r->param != 0 && r->param != 1 && r->param != 2) {
            UPL_FAIL_IF(!isnan(base.alpha) && base.alpha != r->param, err, UPL_EMISUSE,
                        "only one FGT exponent besides 0, 1 and 2 per call (%g and %g asked)", base.alpha, r->param);
            base.alpha = r->param;
        }
        if (r->kind == UPL_MEAS_GE || r->kind == UPL_MEAS_ATKINSON) {
            need_pass2 = true;
            double pw = r->kind == UPL_MEAS_GE ? r->param : 1 - r->param;
            bool is_log = r->kind == UPL_MEAS_GE ? (r->param == 0 || r->param == 1) : r->param == 1;
            if (!is_log && pow_index(&base, pw) < 0) {
                UPL_FAIL_IF(base.n_pow >= UPL_ACC_MAX_POW, err, UPL_EMISUSE,
                            "at most %d distinct GE/Atkinson parameters per call", UPL_ACC_MAX_POW);
                base.pow[base.n_pow++] = pw;
            }
        }
    }
    if (opt->line == UPL_LINE_RELATIVE) {
        e.need_sort = true; /* the median, even when only `line` or no line measure is asked */
        if (has_line_measure) need_pass2 = true;
    }
    base.is_gap_capped = opt->is_gap_capped;
    /* keep only the sums some request needs (the hot loop is compute-bound) */
    bool want_fgt = false, want_watts = false;
    for (size_t m = 0; m < n_req; m++) {
        if (req[m].kind == UPL_MEAS_FGT) want_fgt = true;
        if (req[m].kind == UPL_MEAS_WATTS) want_watts = true;
    }
    base.need = (want_fgt ? UPL_ACC_NEED_FGT : 0) | (want_watts ? UPL_ACC_NEED_WATTS : 0) |
                (need_pass2 || (want_watts && opt->nonpositive == UPL_POLICY_DROP) ? UPL_ACC_NEED_SIGN : 0);
    /* a separate whole-population sort only when groups split the population */
    e.need_all_dist = opt->line == UPL_LINE_RELATIVE && !opt->is_rel_by_group && in->group != NULL;

    e.par1 = upl_calloc(G, sizeof *e.par1);
    e.par2 = upl_calloc(G, sizeof *e.par2);
    e.acc1 = upl_calloc(NC * G, sizeof *e.acc1);
    e.ci = upl_calloc(NC, sizeof *e.ci);
    res = upl_calloc(1, sizeof *res);
    UPL_FAIL_IF(!e.par1 || !e.par2 || !e.acc1 || !e.ci || !res, err, UPL_ENOMEM, "out of memory");
    res->n_measures = n_req;
    res->n_groups = e.G;
    res->measures = upl_malloc((n_req ? n_req : 1) * sizeof *res->measures);
    res->stats = upl_calloc((n_req ? n_req : 1) * G, sizeof *res->stats);
    res->line = upl_malloc(G * sizeof(double));
    UPL_FAIL_IF(!res->measures || !res->stats || !res->line, err, UPL_ENOMEM, "out of memory");
    if (n_req) memcpy(res->measures, req, n_req * sizeof *req);
    res->missing = opt->missing;
    res->negative = opt->negative;
    res->nonpositive = opt->nonpositive;
    res->n_rows = in->n;
    for (size_t g = 0; g < G; g++) {
        e.par1[g] = base;
        double z = NAN;
        if (opt->line == UPL_LINE_ABSOLUTE) z = opt->z_by_group ? opt->z_by_group[g] : opt->z;
        e.par1[g].z = z;
        if (opt->line != UPL_LINE_ABSOLUTE) e.par1[g].alpha = NAN;
        res->line[g] = z;
    }
    if (opt->n_threads != 1) {
        rc = upl_pool_new(opt->n_threads, &pool);
        if (rc != UPL_OK) { upl_error_set(err, rc, "cannot start worker threads"); goto fail; }
    }

    /* pass 1 */
    UPL_TRY(upl_pool_for_chunks(pool, in->n, UPL_CHUNK_ROWS, pass1_chunk, &e));
    for (size_t c = 0; c < e.n_chunks; c++) {
        if (e.ci[c].bad_row != SIZE_MAX) {
            size_t i = e.ci[c].bad_row;
            int kind = e.ci[c].bad_kind;
            rc = upl_error_at(err, kind == BAD_GROUP ? UPL_EMISUSE : UPL_ERANGE, NULL, i + 1, 0, NULL,
                              "row %zu: %s (income %g, weight %g)", i + 1, bad_text(kind), in->y[i],
                              in->w ? in->w[i] : 1.0);
            goto fail;
        }
        res->n_missing += e.ci[c].n_missing;
        res->n_negative_dropped += e.ci[c].n_negdrop;
        res->n_zero_weight += e.ci[c].n_zero_w;
        res->n_outside += e.ci[c].n_outside;
    }
    if (e.need_sort) { /* per-chunk counts, before the merge overwrites chunk 0 */
        e.pos = upl_malloc(NC * G * sizeof(size_t));
        UPL_FAIL_IF(!e.pos, err, UPL_ENOMEM, "out of memory");
        for (size_t k = 0; k < e.n_chunks * G; k++) e.pos[k] = e.acc1[k].n;
    }
    for (size_t c = 1; c < e.n_chunks; c++)
        for (size_t g = 0; g < G; g++) upl_acc_merge(&e.acc1[g], &e.acc1[c * G + g]);

    /* sort */
    if (e.need_sort) {
        e.seg_off = upl_calloc(G + 1, sizeof(size_t));
        e.pos_all = upl_malloc(NC * sizeof(size_t));
        e.dist = upl_calloc(G, sizeof *e.dist);
        UPL_FAIL_IF(!e.seg_off || !e.pos_all || !e.dist, err, UPL_ENOMEM, "out of memory");
        for (size_t g = 0; g < G; g++) e.seg_off[g + 1] = e.seg_off[g] + e.acc1[g].n;
        size_t total = e.seg_off[G], total_all = 0;
        for (size_t g = 0; g < G; g++) { /* e.pos held chunk counts; turn them into write positions */
            size_t p = e.seg_off[g];
            for (size_t c = 0; c < e.n_chunks; c++) {
                size_t cnt = e.pos[c * G + g];
                e.pos[c * G + g] = p;
                p += cnt;
            }
        }
        for (size_t c = 0; c < e.n_chunks; c++) {
            e.pos_all[c] = total_all;
            total_all += e.ci[c].n_used_all;
        }
        size_t cap = total ? total : 1;
        e.sy = upl_malloc(cap * sizeof(double));
        e.sw = upl_malloc(cap * sizeof(double));
        e.scw = upl_malloc(cap * sizeof(double));
        e.scy = upl_malloc(cap * sizeof(double));
        UPL_FAIL_IF(!e.sy || !e.sw || !e.scw || !e.scy, err, UPL_ENOMEM, "out of memory sorting %zu values", total);
        if (e.need_all_dist) {
            size_t ca = total_all ? total_all : 1;
            e.ay = upl_malloc(ca * sizeof(double));
            e.aw = upl_malloc(ca * sizeof(double));
            e.acw = upl_malloc(ca * sizeof(double));
            e.acy = upl_malloc(ca * sizeof(double));
            UPL_FAIL_IF(!e.ay || !e.aw || !e.acw || !e.acy, err, UPL_ENOMEM, "out of memory");
        }
        UPL_TRY(upl_pool_for_chunks(pool, in->n, UPL_CHUNK_ROWS, scatter_chunk, &e));
        for (size_t g = 0; g < G; g++) {
            upl_dist *d = &e.dist[g];
            size_t o = e.seg_off[g];
            d->n = e.seg_off[g + 1] - o;
            d->y = e.sy + o;
            d->w = e.sw + o;
            d->cw = e.scw + o;
            d->cy = e.scy + o;
        }
        rc = upl_pool_for_chunks(pool, G, 1, sort_group, &e);
        if (rc != UPL_OK) { upl_error_set(err, rc, "sorting failed"); goto fail; }
        if (e.need_all_dist) {
            e.all.n = total_all;
            e.all.y = e.ay;
            e.all.w = e.aw;
            e.all.cw = e.acw;
            e.all.cy = e.acy;
            rc = upl_sort_f64_f64(e.ay, e.aw, total_all);
            if (rc != UPL_OK) { upl_error_set(err, rc, "sorting failed"); goto fail; }
            dist_cumulate(&e.all);
        }
    }

    /* lines */
    if (opt->line == UPL_LINE_RELATIVE) {
        /* whole population: its own sort, or the single group when there are no groups */
        const upl_dist *pop = e.need_all_dist ? &e.all : (!in->group ? &e.dist[0] : NULL);
        double zall = pop ? opt->rel_share * upl_dist_quantile(pop, 0.5, opt->quantile_rule) : NAN;
        for (size_t g = 0; g < G; g++)
            res->line[g] = pop ? zall : opt->rel_share * upl_dist_quantile(&e.dist[g], 0.5, opt->quantile_rule);
    }

    /* pass 2 */
    if (need_pass2) {
        e.acc2 = upl_calloc(NC * G, sizeof *e.acc2);
        UPL_FAIL_IF(!e.acc2, err, UPL_ENOMEM, "out of memory");
        for (size_t g = 0; g < G; g++) {
            const upl_acc *a = &e.acc1[g];
            upl_acc_params p = base;
            double Vn = upl_ksum_value(&a->v) - upl_ksum_value(&a->v_neg);
            double Yn = upl_ksum_value(&a->vy) - upl_ksum_value(&a->vy_neg);
            double Vp = upl_ksum_value(&a->v_pos);
            p.mu = Vn > 0 ? Yn / Vn : NAN;
            p.mu_pos = Vp > 0 ? upl_ksum_value(&a->vy_pos) / Vp : NAN;
            /* FGT/Watts sums in pass 2 only for a relative line (an absolute one was done in pass 1) */
            p.z = opt->line == UPL_LINE_RELATIVE ? res->line[g] : NAN;
            e.par2[g] = p;
        }
        UPL_TRY(upl_pool_for_chunks(pool, in->n, UPL_CHUNK_ROWS, pass2_chunk, &e));
        for (size_t c = 1; c < e.n_chunks; c++)
            for (size_t g = 0; g < G; g++) upl_acc_merge(&e.acc2[g], &e.acc2[c * G + g]);
        if (e.n_chunks == 0)
            for (size_t g = 0; g < G; g++) upl_acc_init(&e.acc2[g], &e.par2[g]);
    }
    if (e.n_chunks == 0)
        for (size_t g = 0; g < G; g++) upl_acc_init(&e.acc1[g], &e.par1[g]);

    for (size_t m = 0; m < n_req; m++)
        for (size_t g = 0; g < G; g++)
            finish_stat(&e, &req[m], (int32_t)g, res->line[g], &res->stats[m * G + g]);

    /* standard errors */
    if (opt->design && in->n > 0) {
        double zc = upl_design_zcrit(opt->design->conf_level);
        fbuf = upl_malloc(in->n * sizeof(double));
        est = upl_malloc(G * sizeof(double));
        se = upl_malloc(G * sizeof(double));
        use_boot = upl_calloc(n_req ? n_req : 1, sizeof(bool));
        UPL_FAIL_IF(!fbuf || !est || !se || !use_boot, err, UPL_ENOMEM, "out of memory");
        bool any_boot = false;
        for (size_t m = 0; m < n_req; m++) {
            const upl_measure_req *r = &req[m];
            bool is_linear = r->kind == UPL_MEAS_MEAN ||
                             ((r->kind == UPL_MEAS_FGT || r->kind == UPL_MEAS_WATTS) && opt->line == UPL_LINE_ABSOLUTE);
            if (r->kind == UPL_MEAS_LINE && opt->line == UPL_LINE_ABSOLUTE) continue; /* a constant */
            if (!is_linear) {
                if (opt->n_boot >= 2) { use_boot[m] = true; any_boot = true; }
                continue;
            }
            bool drop_nonpos = r->kind == UPL_MEAS_WATTS && opt->nonpositive == UPL_POLICY_DROP;
            for (size_t i = 0; i < in->n; i++) {
                double y, w;
                int32_t g;
                int kind;
                fbuf[i] = NAN;
                if (classify(&e, i, &y, &w, &g) != BAD_NONE || apply_policies(&e, y, &kind) != 0 || g < 0) continue;
                if (r->kind == UPL_MEAS_MEAN) { fbuf[i] = y; continue; }
                double z = res->line[g];
                if (r->kind == UPL_MEAS_FGT) {
                    double gap = (z - y) / z;
                    if (opt->is_gap_capped && gap > 1) gap = 1;
                    fbuf[i] = y < z ? (r->param == 0 ? 1.0 : pow(gap, r->param)) : 0.0;
                } else {
                    if (y <= 0 && drop_nonpos) continue;
                    fbuf[i] = y < z ? (y > 0 ? log(z / y) : NAN) : 0.0;
                }
            }
            UPL_TRY(upl_design_ratio(opt->design, in->n, in->w, fbuf, NULL, in->group, in->group ? e.G : 0, est, se, err));
            for (size_t g = 0; g < G; g++) {
                upl_stat *s = &res->stats[m * G + g];
                if (isnan(s->value)) continue;
                s->se = se[g];
                s->ci_low = s->value - zc * se[g];
                s->ci_high = s->value + zc * se[g];
                s->se_method = "linearization";
            }
        }
        if (any_boot) UPL_TRY(bootstrap_ses(in, req, n_req, opt, res, use_boot, err));
    }
    *out = res;
    res = NULL;
fail:
    upl_measure_result_free(res);
    upl_pool_free(pool);
    engine_free(&e);
    upl_free(fbuf);
    upl_free(est);
    upl_free(se);
    upl_free(use_boot);
    return rc;
}

/* Rao–Wu bootstrap: recompute the measures under each replicate's weights
 * (the relative line is re-estimated in every replicate, so its sampling
 * error is part of the SE). var = sum_b (t_b - tbar)^2 / (B - 1), the
 * scale R's survey uses for subbootstrap replicates (mse = FALSE). */
static int bootstrap_ses(const upl_measure_input *in, const upl_measure_req *req, size_t n_req,
                         const upl_measure_options *opt, upl_measure_result *res, const bool *use_boot,
                         upl_error *err) {
    int rc = UPL_OK;
    boot_gen bg;
    double *wb = NULL, *vals = NULL;
    upl_measure_req *sub = NULL;
    size_t *map = NULL;
    size_t n_sub = 0, G = (size_t)res->n_groups, B = (size_t)opt->n_boot;
    memset(&bg, 0, sizeof bg);
    sub = upl_malloc(n_req * sizeof *sub);
    map = upl_malloc(n_req * sizeof *map);
    wb = upl_malloc(in->n * sizeof(double));
    UPL_FAIL_IF(!sub || !map || !wb, err, UPL_ENOMEM, "out of memory");
    for (size_t m = 0; m < n_req; m++)
        if (use_boot[m]) { map[n_sub] = m; sub[n_sub++] = req[m]; }
    vals = upl_malloc(n_sub * G * B * sizeof(double));
    UPL_FAIL_IF(!vals, err, UPL_ENOMEM, "out of memory for %zu bootstrap values", n_sub * G * B);
    UPL_TRY(boot_gen_init(&bg, opt->design, in->n, opt->boot_seed, err));
    upl_measure_options o2 = *opt;
    o2.design = NULL;
    o2.n_boot = 0;
    upl_measure_input in2 = *in;
    in2.w = wb;
    for (size_t b = 0; b < B; b++) {
        upl_measure_result *rb = NULL;
        boot_gen_next(&bg, in->w, wb);
        UPL_TRY(upl_measure_compute(&in2, sub, n_sub, &o2, &rb, err));
        for (size_t k = 0; k < n_sub * G; k++) vals[k * B + b] = rb->stats[k].value;
        upl_measure_result_free(rb);
    }
    double zc = upl_design_zcrit(opt->design->conf_level);
    for (size_t k = 0; k < n_sub; k++) {
        for (size_t g = 0; g < G; g++) {
            upl_stat *s = &res->stats[map[k] * G + g];
            const double *v = &vals[(k * G + g) * B];
            if (isnan(s->value)) continue;
            upl_ksum sum = {0, 0}, ss = {0, 0};
            bool is_bad = false;
            for (size_t b = 0; b < B; b++) {
                if (isnan(v[b])) is_bad = true;
                upl_ksum_add(&sum, v[b]);
            }
            if (is_bad) { /* undefined in some replicate (e.g. a group drawn empty): no SE, say why */
                s->se_method = "bootstrap: undefined in a replicate";
                continue;
            }
            double mean = upl_ksum_value(&sum) / (double)B;
            for (size_t b = 0; b < B; b++) upl_ksum_add(&ss, (v[b] - mean) * (v[b] - mean));
            s->se = sqrt(upl_ksum_value(&ss) / (double)(B - 1));
            s->ci_low = s->value - zc * s->se;
            s->ci_high = s->value + zc * s->se;
            s->se_method = "bootstrap";
        }
    }
fail:
    boot_gen_free(&bg);
    upl_free(wb);
    upl_free(vals);
    upl_free(sub);
    upl_free(map);
    return rc;
}
