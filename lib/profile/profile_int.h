/* profile_int.h — private to lib/profile: the loaded profile, the YAML node
 * tree with source positions, and the expression AST shared by the parser,
 * the compiler and the vector evaluator. */
#ifndef UPLIFT_PROFILE_INT_H
#define UPLIFT_PROFILE_INT_H

#include "uplift/profile.h"

/* ---- YAML tree (built from libyaml's document API, keeps positions) ------ */
typedef enum ynode_kind { Y_SCALAR = 1, Y_SEQ = 2, Y_MAP = 3 } ynode_kind;
typedef struct ynode {
    ynode_kind kind;
    uint64_t line, col;          /* 1-based */
    char *text;                  /* Y_SCALAR */
    bool is_quoted;              /* scalar was quoted: never read as a number */
    size_t n;                    /* items (seq) or pairs (map) */
    struct ynode **items;        /* seq items; map: keys at 2i, values at 2i+1 */
} ynode;

int prof_yaml_load(const char *text, size_t len, const char *file, ynode **out, upl_error *err);
void prof_yaml_free(ynode *n);
ynode *prof_ymap_get(const ynode *map, const char *key);

/* ---- Expression AST ---------------------------------------------------------- */
typedef enum ex_kind {
    EX_NUM = 1, EX_STR, EX_BOOL, EX_MISSING, EX_LIST, EX_IDENT,
    EX_NEG, EX_NOT, EX_ADD, EX_SUB, EX_MUL, EX_DIV,
    EX_LT, EX_LE, EX_GT, EX_GE, EX_EQ, EX_NE,
    EX_AND, EX_OR, EX_IN, EX_NOTIN, EX_BETWEEN, EX_CALL
} ex_kind;

typedef struct ex_node {
    ex_kind kind;
    uint64_t line, col;          /* position in the profile file */
    double num;                  /* EX_NUM; EX_BOOL: 0/1 */
    char *str;                   /* EX_STR text; EX_IDENT / EX_CALL name */
    size_t n_kids;
    struct ex_node **kids;
} ex_node;

struct upl_expr {
    ex_node *root;
    char *file;
};

void prof_ex_node_free(ex_node *n);

/* ---- Profile --------------------------------------------------------------- */
typedef struct pfield {
    upl_profile_field pub;
    uint64_t line, col;
} pfield;

typedef struct pline {
    int year;
    char *province;              /* NULL = national */
    double value;
    char *source;
    bool is_verified, is_derived;
} pline;

typedef struct prule {           /* a named expression from the profile */
    char *id;
    char *label_en, *label_zh;
    upl_expr *expr;              /* NULL when the rule has none */
    char *text;
} prule;

typedef struct pindicator {
    upl_profile_indicator pub;
    upl_expr *expr;
    const char **refs; size_t n_refs;  /* names read by the rule */
} pindicator;

typedef struct pcause {
    upl_profile_cause pub;
    upl_expr *expr;
} pcause;

typedef struct parea_rule {
    upl_profile_area_rule pub;
} parea_rule;

typedef struct pthreshold {
    char *section, *name;
    int year;                    /* 0 = default */
    char *province;              /* NULL = any */
    double value;
} pthreshold;

typedef struct pregion { char *province_code, *province_name, *group; } pregion;

struct upl_profile {
    char *path, *name, *version, *title_en, *title_zh, *area;
    char sha256[65];
    int year_first, year_last;
    pfield *fields; size_t n_fields;
    char *household_key;
    char **area_levels; size_t n_area_levels;
    char *province_field;         /* field holding the province (for overrides) */
    pline *lines; size_t n_lines;
    double base_year_line; int base_year;
    upl_expr *income_expr;        /* per-capita income used against the line */
    char *income_text;
    pindicator *indicators; size_t n_indicators;
    upl_rational k;
    upl_expr *poor_expr;          /* NULL: poor iff score >= k */
    prule *categories; size_t n_categories;
    pcause *causes; size_t n_causes;
    size_t max_secondary_causes;
    char *declared_cause_field;   /* registry's main cause column, preferred when present */
    prule *exit_rules; size_t n_exit_rules;   /* household exit criteria */
    prule *triggers; size_t n_triggers;       /* monitoring triggers */
    parea_rule *village_rules; size_t n_village_rules;
    parea_rule *county_rules; size_t n_county_rules;
    pthreshold *thresholds; size_t n_thresholds;
    pregion *regions; size_t n_regions;
    int ref_month, ref_day;
    char **all_strings; size_t n_all_strings, cap_all_strings; /* owned string pool */
    void **all_ptrs; size_t n_all_ptrs, cap_all_ptrs;          /* owned arrays */
};

/* string/array ownership helpers (profile_load.c) */
char *prof_strdup(upl_profile *p, const char *s);
void *prof_keep(upl_profile *p, void *ptr);

/* SHA-256 (FIPS 180-4) of bytes, hex into out[65]. */
void prof_sha256_hex(const void *data, size_t len, char out[65]);

/* Split a multi-select cell "残疾,长期慢性病" and test for a label. */
bool prof_codes_has(const char *cell, size_t len, const char *label, size_t label_len);
/* Default boolean labels; returns 1 true, 0 false, -1 unknown. */
int prof_bool_label(const upl_profile_field *f, const char *s, size_t len);
/* Parse a date cell to days since 1970-01-01 (proleptic Gregorian). */
bool prof_parse_date(const char *s, size_t len, int *y, int *m, int *d);

#endif
