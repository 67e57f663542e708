/* revital_system.c — indicator systems (指标体系) from YAML: dimensions
 * (criterion layer), indicators with direction, unit, labels, optional given
 * weights, baselines and targets with their years, source and whether the
 * figures are verified; optional AHP pairwise matrices over the dimensions
 * and over each dimension's indicators. The schema is in docs/revital.md.
 *
 * Parsed with libyaml's document loader so every node keeps its position;
 * every error names file:line:column and the key. Unknown keys are errors:
 * a misspelt "dirction" must not silently become the default. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "uplift/revital.h"
#include "revital_int.h"

typedef struct ctx {
    yaml_document_t *doc;
    const char *file;
    upl_error *err;
} ctx;

static int node_err(ctx *c, const yaml_node_t *n, const char *key, int code, const char *fmt, ...)
    UPL_PRINTF(5, 6);
static int node_err(ctx *c, const yaml_node_t *n, const char *key, int code, const char *fmt, ...) {
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len >= 0 && (msg = upl_malloc((size_t)len + 1))) {
        va_start(ap, fmt);
        vsnprintf(msg, (size_t)len + 1, fmt, ap);
        va_end(ap);
    }
    upl_error_at(c->err, code, c->file, n ? n->start_mark.line + 1 : 0, n ? n->start_mark.column + 1 : 0, key, "%s",
                 msg ? msg : "invalid indicator system");
    upl_free(msg);
    return code;
}

static const char *scalar(const yaml_node_t *n) {
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int get_str(ctx *c, const yaml_node_t *n, const char *key, char **out) {
    const char *s = scalar(n);
    if (!s) return node_err(c, n, key, UPL_EPROFILE, "expected text");
    upl_free(*out);
    *out = upl_strdup(s);
    return *out ? UPL_OK : upl_error_set(c->err, UPL_ENOMEM, "out of memory");
}

/* Strict decimal, or a fraction "a/b" (AHP judgements are written 1/3). */
static bool parse_num(const char *s, double *out) {
    if (!s || !*s) return false;
    char *end;
    errno = 0;
    double a = strtod(s, &end);
    if (end == s || errno || !isfinite(a)) return false;
    if (*end == '/') {
        const char *q = end + 1;
        double b = strtod(q, &end);
        if (end == q || *end || !(b != 0) || !isfinite(b)) return false;
        *out = a / b;
        return true;
    }
    if (*end) return false;
    *out = a;
    return true;
}

static int get_num(ctx *c, const yaml_node_t *n, const char *key, double *out) {
    const char *s = scalar(n);
    if (!parse_num(s, out)) return node_err(c, n, key, UPL_EPROFILE, "expected a number, found `%s`", s ? s : "(a list or map)");
    return UPL_OK;
}

static int get_bool(ctx *c, const yaml_node_t *n, const char *key, bool *out) {
    const char *s = scalar(n);
    if (s && (!strcmp(s, "true") || !strcmp(s, "yes"))) { *out = true; return UPL_OK; }
    if (s && (!strcmp(s, "false") || !strcmp(s, "no"))) { *out = false; return UPL_OK; }
    return node_err(c, n, key, UPL_EPROFILE, "expected true or false, found `%s`", s ? s : "(a list or map)");
}

/* A target or baseline: a number, or a number with a relation (">6",
 * ">=90", "<2.7"). The text is kept as written. */
static int get_target(ctx *c, const yaml_node_t *n, const char *key, double *v, char **text) {
    const char *s = scalar(n);
    if (!s) return node_err(c, n, key, UPL_EPROFILE, "expected a number such as 61.5 or >6");
    const char *p = s;
    while (*p == '>' || *p == '<' || *p == '=' || *p == ' ') p++;
    if (!parse_num(p, v)) return node_err(c, n, key, UPL_EPROFILE, "expected a number such as 61.5 or >6, found `%s`", s);
    upl_free(*text);
    *text = upl_strdup(s);
    return *text ? UPL_OK : upl_error_set(c->err, UPL_ENOMEM, "out of memory");
}

static int get_matrix(ctx *c, const yaml_node_t *n, const char *key, size_t k, double **out) {
    int rc = UPL_OK;
    double *m = NULL;
    if (!n || n->type != YAML_SEQUENCE_NODE) return node_err(c, n, key, UPL_EPROFILE, "expected a list of %zu rows", k);
    size_t rows = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (rows != k) return node_err(c, n, key, UPL_EPROFILE, "pairwise matrix has %zu rows; expected %zu (one per item, in order)", rows, k);
    m = upl_calloc(k * k, sizeof *m);
    if (!m) return upl_error_set(c->err, UPL_ENOMEM, "out of memory");
    for (size_t i = 0; i < k; i++) {
        yaml_node_t *row = yaml_document_get_node(c->doc, n->data.sequence.items.start[i]);
        if (!row || row->type != YAML_SEQUENCE_NODE ||
            (size_t)(row->data.sequence.items.top - row->data.sequence.items.start) != k) {
            rc = node_err(c, row, key, UPL_EPROFILE, "row %zu of the pairwise matrix must list %zu numbers", i + 1, k);
            goto fail;
        }
        for (size_t j = 0; j < k; j++) {
            yaml_node_t *cell = yaml_document_get_node(c->doc, row->data.sequence.items.start[j]);
            if ((rc = get_num(c, cell, key, &m[i * k + j])) != UPL_OK) goto fail;
        }
    }
    upl_free(*out);
    *out = m;
    return UPL_OK;
fail:
    upl_free(m);
    return rc;
}

static int parse_direction(ctx *c, const yaml_node_t *n, int *dir) {
    const char *s = scalar(n);
    static const struct { const char *name; int dir; } names[] = {
        {"benefit", UPL_REVITAL_BENEFIT}, {"positive", UPL_REVITAL_BENEFIT}, {"+", UPL_REVITAL_BENEFIT},
        {"cost", UPL_REVITAL_COST}, {"negative", UPL_REVITAL_COST}, {"-", UPL_REVITAL_COST},
        {"centre", UPL_REVITAL_CENTRE}, {"center", UPL_REVITAL_CENTRE}, {"best", UPL_REVITAL_CENTRE},
        {"interval", UPL_REVITAL_INTERVAL},
    };
    for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(s, names[i].name)) { *dir = names[i].dir; return UPL_OK; }
    return node_err(c, n, "direction", UPL_EPROFILE, "unknown direction `%s` (benefit, cost, centre or interval)", s ? s : "");
}

static void free_indicator(upl_revital_indicator *d) {
    upl_free(d->name); upl_free(d->column); upl_free(d->label_en); upl_free(d->label_zh); upl_free(d->unit);
    upl_free(d->baseline_text); upl_free(d->target_text); upl_free(d->attribute); upl_free(d->source);
}

void upl_revital_system_free(upl_revital_system *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n_inds; i++) free_indicator(&s->inds[i]);
    for (size_t i = 0; i < s->n_dims; i++) {
        upl_free(s->dims[i].name); upl_free(s->dims[i].label_en); upl_free(s->dims[i].label_zh); upl_free(s->dims[i].ahp);
    }
    upl_free(s->inds); upl_free(s->dims); upl_free(s->ahp);
    upl_free(s->name); upl_free(s->label_en); upl_free(s->label_zh); upl_free(s->source); upl_free(s->path);
    upl_free(s);
}

#define FOR_PAIRS(node, kvar, vvar, keyname) \
    for (yaml_node_pair_t *pp_ = (node)->data.mapping.pairs.start; pp_ < (node)->data.mapping.pairs.top; pp_++) \
        for (int once_ = 1; once_; once_ = 0) \
            for (yaml_node_t *kvar = yaml_document_get_node(c->doc, pp_->key), \
                             *vvar = yaml_document_get_node(c->doc, pp_->value); once_; once_ = 0) \
                for (const char *keyname = scalar(kvar) ? scalar(kvar) : ""; once_; once_ = 0)

static int parse_indicator(ctx *c, yaml_node_t *n, upl_revital_system *s, size_t dim) {
    int rc = UPL_OK;
    if (n->type != YAML_MAPPING_NODE) return node_err(c, n, "indicators", UPL_EPROFILE, "an indicator must be a map (name:, direction:, ...)");
    upl_revital_indicator *d = &s->inds[s->n_inds];
    memset(d, 0, sizeof *d);
    s->n_inds++;
    d->dimension = dim;
    d->weight = d->baseline = d->target = NAN;
    d->dir.best = d->dir.lo = d->dir.hi = NAN;
    d->is_verified = true;
    d->line = n->start_mark.line + 1;
    d->column_no = n->start_mark.column + 1;
    bool has_dir = false, has_bv = false, has_tv = false;
    FOR_PAIRS(n, k, v, key) {
        if (rc) break;
        if (!strcmp(key, "name")) rc = get_str(c, v, key, &d->name);
        else if (!strcmp(key, "column")) rc = get_str(c, v, key, &d->column);
        else if (!strcmp(key, "label_en") || !strcmp(key, "label")) rc = get_str(c, v, key, &d->label_en);
        else if (!strcmp(key, "label_zh") || !strcmp(key, "zh")) rc = get_str(c, v, key, &d->label_zh);
        else if (!strcmp(key, "unit")) rc = get_str(c, v, key, &d->unit);
        else if (!strcmp(key, "direction")) { rc = parse_direction(c, v, &d->dir.direction); has_dir = true; }
        else if (!strcmp(key, "best")) rc = get_num(c, v, key, &d->dir.best);
        else if (!strcmp(key, "lo")) rc = get_num(c, v, key, &d->dir.lo);
        else if (!strcmp(key, "hi")) rc = get_num(c, v, key, &d->dir.hi);
        else if (!strcmp(key, "weight")) rc = get_num(c, v, key, &d->weight);
        else if (!strcmp(key, "baseline")) rc = get_target(c, v, key, &d->baseline, &d->baseline_text);
        else if (!strcmp(key, "target")) rc = get_target(c, v, key, &d->target, &d->target_text);
        else if (!strcmp(key, "baseline_year") || !strcmp(key, "target_year")) {
            double y;
            rc = get_num(c, v, key, &y);
            if (!rc && (y != floor(y) || y < 1900 || y > 2200)) rc = node_err(c, v, key, UPL_EPROFILE, "expected a year");
            if (!rc) *(key[0] == 'b' ? &d->baseline_year : &d->target_year) = (int)y;
        }
        else if (!strcmp(key, "attribute")) rc = get_str(c, v, key, &d->attribute);
        else if (!strcmp(key, "source")) rc = get_str(c, v, key, &d->source);
        else if (!strcmp(key, "verified")) rc = get_bool(c, v, key, &d->is_verified);
        else if (!strcmp(key, "baseline_verified")) { rc = get_bool(c, v, key, &d->is_baseline_verified); has_bv = true; }
        else if (!strcmp(key, "target_verified")) { rc = get_bool(c, v, key, &d->is_target_verified); has_tv = true; }
        else if (!strcmp(key, "note")) { /* free text for people */ }
        else rc = node_err(c, k, key, UPL_EPROFILE, "unknown indicator key `%s`", key);
    }
    if (rc) return rc;
    if (!has_bv) d->is_baseline_verified = d->is_verified;
    if (!has_tv) d->is_target_verified = d->is_verified;
    if (!d->name) return node_err(c, n, "name", UPL_EPROFILE, "indicator without a name");
    if (!has_dir) return node_err(c, n, "direction", UPL_EPROFILE, "indicator `%s` has no direction (benefit, cost, centre or interval)", d->name);
    if (d->dir.direction == UPL_REVITAL_CENTRE && isnan(d->dir.best))
        return node_err(c, n, "best", UPL_EPROFILE, "centre-type indicator `%s` needs `best:`", d->name);
    if (d->dir.direction == UPL_REVITAL_INTERVAL && (isnan(d->dir.lo) || isnan(d->dir.hi) || d->dir.lo > d->dir.hi))
        return node_err(c, n, "lo", UPL_EPROFILE, "interval-type indicator `%s` needs `lo:` <= `hi:`", d->name);
    if (!isnan(d->weight) && !(d->weight >= 0))
        return node_err(c, n, "weight", UPL_EPROFILE, "indicator `%s`: a weight must be >= 0", d->name);
    if (!d->column && !(d->column = upl_strdup(d->name))) return upl_error_set(c->err, UPL_ENOMEM, "out of memory");
    for (size_t i = 0; i + 1 < s->n_inds; i++)
        if (!strcmp(s->inds[i].name, d->name))
            return node_err(c, n, "name", UPL_EPROFILE, "indicator `%s` is defined twice (first at line %llu)", d->name,
                            (unsigned long long)s->inds[i].line);
    return UPL_OK;
}

static size_t seq_len(const yaml_node_t *n) {
    return n && n->type == YAML_SEQUENCE_NODE ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start) : 0;
}

static int parse_dimension(ctx *c, yaml_node_t *n, upl_revital_system *s, yaml_node_t **ahp_node) {
    int rc = UPL_OK;
    if (n->type != YAML_MAPPING_NODE) return node_err(c, n, "dimensions", UPL_EPROFILE, "a dimension must be a map (name:, indicators:)");
    size_t di = s->n_dims++;
    upl_revital_dimension *d = &s->dims[di];
    memset(d, 0, sizeof *d);
    d->weight = NAN;
    yaml_node_t *inds = NULL;
    *ahp_node = NULL;
    FOR_PAIRS(n, k, v, key) {
        if (rc) break;
        if (!strcmp(key, "name")) rc = get_str(c, v, key, &d->name);
        else if (!strcmp(key, "label_en") || !strcmp(key, "label")) rc = get_str(c, v, key, &d->label_en);
        else if (!strcmp(key, "label_zh") || !strcmp(key, "zh")) rc = get_str(c, v, key, &d->label_zh);
        else if (!strcmp(key, "weight")) rc = get_num(c, v, key, &d->weight);
        else if (!strcmp(key, "ahp")) *ahp_node = v;
        else if (!strcmp(key, "indicators")) inds = v;
        else if (!strcmp(key, "note")) { }
        else rc = node_err(c, k, key, UPL_EPROFILE, "unknown dimension key `%s`", key);
    }
    if (rc) return rc;
    if (!d->name) return node_err(c, n, "name", UPL_EPROFILE, "dimension without a name");
    if (!inds || inds->type != YAML_SEQUENCE_NODE || seq_len(inds) == 0)
        return node_err(c, inds ? inds : n, "indicators", UPL_EPROFILE, "dimension `%s` needs a non-empty list `indicators:`", d->name);
    for (size_t i = 0; i < di; i++)
        if (!strcmp(s->dims[i].name, d->name)) return node_err(c, n, "name", UPL_EPROFILE, "dimension `%s` is defined twice", d->name);
    size_t first = s->n_inds;
    for (yaml_node_item_t *it = inds->data.sequence.items.start; it < inds->data.sequence.items.top; it++)
        if ((rc = parse_indicator(c, yaml_document_get_node(c->doc, *it), s, di)) != UPL_OK) return rc;
    if (*ahp_node) {
        d->ahp_k = s->n_inds - first;
        rc = get_matrix(c, *ahp_node, "ahp", d->ahp_k, &d->ahp);
    }
    return rc;
}

int upl_revital_system_parse(const char *text, size_t len, const char *name, upl_revital_system **out,
                             upl_error *err) {
    int rc = UPL_OK;
    yaml_parser_t parser;
    yaml_document_t doc;
    bool has_parser = false, has_doc = false;
    upl_revital_system *s = NULL;
    ctx c0 = { &doc, name ? name : "<system>", err };
    ctx *c = &c0;
    *out = NULL;
    UPL_FAIL_IF(!yaml_parser_initialize(&parser), err, UPL_ENOMEM, "out of memory");
    has_parser = true;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = upl_error_at(err, UPL_EPROFILE, c->file, parser.problem_mark.line + 1, parser.problem_mark.column + 1, NULL,
                          "YAML: %s%s%s", parser.problem ? parser.problem : "syntax error",
                          parser.context ? " " : "", parser.context ? parser.context : "");
        goto fail;
    }
    has_doc = true;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    UPL_FAIL_IF(!root, err, UPL_EPROFILE, "%s: the indicator system is empty", c->file);
    if (root->type != YAML_MAPPING_NODE) { rc = node_err(c, root, NULL, UPL_EPROFILE, "expected a map at the top level"); goto fail; }
    s = upl_calloc(1, sizeof *s);
    UPL_FAIL_IF(!s, err, UPL_ENOMEM, "out of memory");
    s->path = upl_strdup(c->file);
    UPL_FAIL_IF(!s->path, err, UPL_ENOMEM, "out of memory");
    yaml_node_t *dims = NULL, *ahp = NULL;
    FOR_PAIRS(root, k, v, key) {
        if (rc) break;
        if (!strcmp(key, "name")) rc = get_str(c, v, key, &s->name);
        else if (!strcmp(key, "label_en") || !strcmp(key, "label")) rc = get_str(c, v, key, &s->label_en);
        else if (!strcmp(key, "label_zh") || !strcmp(key, "zh")) rc = get_str(c, v, key, &s->label_zh);
        else if (!strcmp(key, "source")) rc = get_str(c, v, key, &s->source);
        else if (!strcmp(key, "dimensions")) dims = v;
        else if (!strcmp(key, "ahp")) ahp = v;
        else if (!strcmp(key, "note") || !strcmp(key, "version")) { }
        else rc = node_err(c, k, key, UPL_EPROFILE, "unknown top-level key `%s`", key);
    }
    if (rc) goto fail;
    if (!dims || dims->type != YAML_SEQUENCE_NODE || seq_len(dims) == 0) {
        rc = node_err(c, dims ? dims : root, "dimensions", UPL_EPROFILE, "the system needs a non-empty list `dimensions:`");
        goto fail;
    }
    /* Count indicators first so the arrays never move while parsing. */
    size_t n_ind = 0;
    for (yaml_node_item_t *it = dims->data.sequence.items.start; it < dims->data.sequence.items.top; it++) {
        yaml_node_t *d = yaml_document_get_node(&doc, *it);
        if (d && d->type == YAML_MAPPING_NODE)
            for (yaml_node_pair_t *p = d->data.mapping.pairs.start; p < d->data.mapping.pairs.top; p++) {
                const char *kk = scalar(yaml_document_get_node(&doc, p->key));
                if (kk && !strcmp(kk, "indicators")) n_ind += seq_len(yaml_document_get_node(&doc, p->value));
            }
    }
    s->dims = upl_calloc(seq_len(dims), sizeof *s->dims);
    s->inds = upl_calloc(n_ind ? n_ind : 1, sizeof *s->inds);
    UPL_FAIL_IF(!s->dims || !s->inds, err, UPL_ENOMEM, "out of memory");
    for (yaml_node_item_t *it = dims->data.sequence.items.start; it < dims->data.sequence.items.top; it++) {
        yaml_node_t *dn = NULL;
        if ((rc = parse_dimension(c, yaml_document_get_node(&doc, *it), s, &dn)) != UPL_OK) goto fail;
    }
    if (ahp) {
        s->ahp_k = s->n_dims;
        if ((rc = get_matrix(c, ahp, "ahp", s->ahp_k, &s->ahp)) != UPL_OK) goto fail;
    }
    if (!s->name && !(s->name = upl_strdup(c->file))) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    *out = s;
    s = NULL;
fail:
    if (has_doc) yaml_document_delete(&doc);
    if (has_parser) yaml_parser_delete(&parser);
    upl_revital_system_free(s);
    return rc;
}

int upl_revital_system_load(const char *path, upl_revital_system **out, upl_error *err) {
    int rc = UPL_OK;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return upl_error_at(err, UPL_EIO, path, 0, 0, NULL, "cannot open indicator system: %s", strerror(errno));
    for (;;) {
        if (len + 4096 > cap) {
            size_t nc = cap ? cap * 2 : 65536;
            char *nb = upl_realloc(buf, nc);
            UPL_FAIL_IF(!nb, err, UPL_ENOMEM, "out of memory");
            buf = nb;
            cap = nc;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    UPL_FAIL_IF(ferror(f), err, UPL_EIO, "%s: read error", path);
    rc = upl_revital_system_parse(buf, len, path, out, err);
fail:
    fclose(f);
    upl_free(buf);
    return rc;
}
