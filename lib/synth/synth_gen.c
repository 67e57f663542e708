/* synth_gen.c — generates households, members and shock events for one work
 * unit (whole counties) at a time, and drives the units over the thread
 * pool in batches so output is written in order with bounded memory.
 *
 * Every random quantity comes from a stream keyed by (seed, village code,
 * household number), so a household's content does not depend on which
 * thread or chunk produced it. Attributes are drawn conditional on the
 * household's income rank through the "poverty pressure" g = -Phi^-1(u)
 * (u = income rank in its region and urban/rural class): poorer households
 * more often have illness, disability, weak labour, little schooling,
 * unsafe housing or water and shocks. The coefficients are illustrative
 * [model assumption], chosen so rates look plausible; docs/synth.md lists
 * them. Column names follow /work/shared/REGISTRY_FIELDS.md. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "uplift/io.h"
#include "synth_gen.h"

/* ---- schemas ------------------------------------------------------------------ */
typedef struct colspec { const char *name; upl_type type; bool kept; } colspec;

enum {
    H_CODE, H_YEAR, H_PROVINCE, H_CITY, H_COUNTY, H_TOWNSHIP, H_VILLAGE, H_AREA, H_REGION, H_REGION4,
    H_URBAN, H_STRATUM, H_PSU, H_WEIGHT, H_SIZE, H_HEAD_NAME, H_HEAD_ID, H_ETHNIC,
    H_WAGE, H_BUSINESS, H_EXPENSE, H_PROPERTY, H_TRANSFER, H_NET, H_NET_PC,
    H_DIBAO, H_GRADE, H_DILAP, H_AREA_M2, H_STRUCT, H_FLOOR, H_ROOF, H_WALLS,
    H_WQTY, H_WQUAL, H_WFETCH, H_WREL, H_WSAFE, H_FUEL, H_ELEC, H_TOILET, H_TSHARED,
    H_RADIO, H_TV, H_PHONE, H_COMPUTER, H_CART, H_BIKE, H_MOTO, H_FRIDGE, H_CAR, H_CHILD_DEATHS,
    H_N_
};
static const colspec H_SPEC[H_N_] = {
    { "household_code", UPL_STR, true }, { "record_year", UPL_I64, false },
    { "province", UPL_CAT, false }, { "city", UPL_CAT, false }, { "county", UPL_CAT, false },
    { "township", UPL_CAT, false }, { "village", UPL_CAT, false }, { "area_code", UPL_STR, true },
    { "region", UPL_CAT, false }, { "region4", UPL_CAT, false }, { "is_urban", UPL_BOOL, false },
    { "stratum", UPL_CAT, false }, { "psu", UPL_STR, true }, { "weight", UPL_F64, false },
    { "household_size", UPL_I64, false }, { "head_name", UPL_STR, false }, { "head_id_number", UPL_STR, true },
    { "ethnicity", UPL_CAT, false },
    { "income_wage", UPL_F64, false }, { "income_business", UPL_F64, false }, { "expense_business", UPL_F64, false },
    { "income_property", UPL_F64, false }, { "income_transfer", UPL_F64, false }, { "income_net", UPL_F64, false },
    { "income_net_per_capita", UPL_F64, false }, { "receives_dibao", UPL_BOOL, false },
    { "dilapidated_grade", UPL_CAT, false }, { "is_dilapidated_house", UPL_BOOL, false },
    { "housing_area_m2", UPL_F64, false }, { "house_structure", UPL_CAT, false },
    { "floor_adequate", UPL_BOOL, false }, { "roof_adequate", UPL_BOOL, false }, { "walls_adequate", UPL_BOOL, false },
    { "water_quantity_lpd", UPL_F64, false }, { "water_quality_ok", UPL_BOOL, false },
    { "water_fetch_minutes", UPL_F64, false }, { "water_supply_reliability_pct", UPL_F64, false },
    { "has_safe_drinking_water", UPL_BOOL, false }, { "main_fuel_type", UPL_CAT, false },
    { "has_household_electricity", UPL_BOOL, false }, { "has_sanitary_toilet", UPL_BOOL, false },
    { "toilet_shared", UPL_BOOL, false },
    { "owns_radio", UPL_BOOL, false }, { "owns_tv", UPL_BOOL, false }, { "owns_telephone", UPL_BOOL, false },
    { "owns_computer", UPL_BOOL, false }, { "owns_animal_cart", UPL_BOOL, false }, { "owns_bicycle", UPL_BOOL, false },
    { "owns_motorbike", UPL_BOOL, false }, { "owns_refrigerator", UPL_BOOL, false }, { "owns_car", UPL_BOOL, false },
    { "child_deaths_5y", UPL_I64, false },
};

enum {
    M_HH, M_PERSON, M_NAME, M_SEX, M_BIRTH, M_AGE, M_ID_TYPE, M_ID, M_REL, M_ETHNIC, M_EDU, M_YEARS,
    M_SCHOOL, M_ENROLLED, M_HEALTH, M_CHRONIC, M_MAJOR, M_DIS_GRADE, M_DIS_CAT, M_LABOR, M_WORK_MONTHS,
    M_INS_MED, M_INS_CRIT, M_INS_PENSION, M_DIBAO, M_HEIGHT, M_WEIGHT_KG,
    M_N_
};
static const colspec M_SPEC[M_N_] = {
    { "household_code", UPL_STR, true }, { "person_code", UPL_STR, true }, { "name", UPL_STR, false },
    { "sex", UPL_CAT, false }, { "birth_date", UPL_STR, false }, { "age", UPL_I64, false },
    { "id_type", UPL_CAT, false }, { "id_number", UPL_STR, true }, { "relation_to_head", UPL_CAT, false },
    { "ethnicity", UPL_CAT, false }, { "education_level", UPL_CAT, false }, { "schooling_years", UPL_I64, false },
    { "school_status", UPL_CAT, false }, { "is_enrolled", UPL_BOOL, false }, { "health_status", UPL_CAT, false },
    { "has_chronic_illness", UPL_BOOL, false }, { "has_major_illness", UPL_BOOL, false },
    { "disability_grade", UPL_I64, false }, { "disability_category", UPL_CAT, false },
    { "labor_skill", UPL_CAT, false }, { "work_months", UPL_I64, false },
    { "has_resident_medical_insurance", UPL_BOOL, false }, { "has_critical_illness_insurance", UPL_BOOL, false },
    { "has_resident_pension_insurance", UPL_BOOL, false }, { "receives_dibao", UPL_BOOL, false },
    { "height_cm", UPL_F64, false }, { "weight_kg", UPL_F64, false },
};

enum { E_HH, E_PERSON, E_YEAR, E_DATE, E_TYPE, E_LOSS, E_N_ };
static const colspec E_SPEC[E_N_] = {
    { "household_code", UPL_STR, true }, { "person_code", UPL_STR, true }, { "record_year", UPL_I64, false },
    { "event_date", UPL_STR, false }, { "event_type", UPL_CAT, false }, { "loss_yuan", UPL_F64, false },
};

/* Category codes by label address: labels pushed here are static strings or
 * live in the area table, so an address names one label; a direct-mapped
 * cache of (address -> code) per column skips the dictionary's hashing. */
#define LCACHE 256
typedef struct lcache { const char *ptr[LCACHE]; int32_t code[LCACHE]; } lcache;

typedef struct out_tables {
    upl_table *h, *m, *e;
    upl_column *hc[H_N_], *mc[M_N_], *ec[E_N_];
    lcache *hcache, *mcache, *ecache;   /* one per column */
} out_tables;

static int push_label(upl_column *c, lcache *lc, const char *s, size_t len) {
    size_t slot = ((uintptr_t)s >> 3) & (LCACHE - 1);
    if (lc->ptr[slot] == s) return upl_col_push_code(c, lc->code[slot]);
    int rc = upl_col_push_cat(c, s, len);
    if (rc == UPL_OK) {
        lc->ptr[slot] = s;
        lc->code[slot] = c->v.cat[c->n_rows - 1];
    }
    return rc;
}

static int make_table(const colspec *spec, size_t n, upl_table **out, upl_column **cols, upl_error *err) {
    upl_table *t = upl_table_new();
    if (!t) return upl_error_set(err, UPL_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        int rc = upl_table_add_column(t, spec[i].name, spec[i].type, &cols[i], err);
        if (rc) { upl_table_free(t); return rc; }
        cols[i]->is_text_kept = spec[i].kept;
    }
    *out = t;
    return UPL_OK;
}

static void out_free(out_tables *o) {
    upl_table_free(o->h);
    upl_table_free(o->m);
    upl_table_free(o->e);
    upl_free(o->hcache);
    upl_free(o->mcache);
    upl_free(o->ecache);
    memset(o, 0, sizeof *o);
}

static int out_init(out_tables *o, upl_error *err) {
    memset(o, 0, sizeof *o);
    int rc = make_table(H_SPEC, H_N_, &o->h, o->hc, err);
    if (!rc) rc = make_table(M_SPEC, M_N_, &o->m, o->mc, err);
    if (!rc) rc = make_table(E_SPEC, E_N_, &o->e, o->ec, err);
    if (!rc) {
        o->hcache = upl_calloc(H_N_, sizeof *o->hcache);
        o->mcache = upl_calloc(M_N_, sizeof *o->mcache);
        o->ecache = upl_calloc(E_N_, sizeof *o->ecache);
        if (!o->hcache || !o->mcache || !o->ecache) rc = upl_error_set(err, UPL_ENOMEM, "out of memory");
    }
    if (rc) out_free(o);
    return rc;
}

/* push helpers: any failure is out of memory */
#define PF(c, v) do { if (upl_col_push_f64((c), (v))) goto oom; } while (0)
#define PI(c, v) do { if (upl_col_push_i64((c), (v))) goto oom; } while (0)
#define PB(c, v) do { if (upl_col_push_bool((c), (v))) goto oom; } while (0)
#define PS(c, s, n) do { if (upl_col_push_str((c), (s), (n))) goto oom; } while (0)
#define PZ(c, s) do { const char *s_ = (s); if (upl_col_push_str((c), s_, strlen(s_))) goto oom; } while (0)
#define PC(c, s) do { const char *s_ = (s); if (upl_col_push_cat((c), s_, strlen(s_))) goto oom; } while (0)
#define PN(c) do { if (upl_col_push_null(c)) goto oom; } while (0)
/* a label with a stable address (static or in the area table) */
#define PLH(i, s) do { const char *s_ = (s); if (push_label(ot->hc[i], &ot->hcache[i], s_, strlen(s_))) goto oom; } while (0)
#define PLM(i, s) do { const char *s_ = (s); if (push_label(ot->mc[i], &ot->mcache[i], s_, strlen(s_))) goto oom; } while (0)
#define PLE(i, s) do { const char *s_ = (s); if (push_label(ot->ec[i], &ot->ecache[i], s_, strlen(s_))) goto oom; } while (0)

/* ---- lists ---------------------------------------------------------------------- */
static const char *const SURNAMES[] = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高",
    "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁",
    "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔",
    "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏", "韦", "付", "方", "白", "邹", "孟", "熊", "秦",
};
static const char *const GIVEN_M[] = { "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "平", "辉",
                                       "建", "国", "华", "鹏", "飞", "斌", "文", "志", "海", "林", "波", "东" };
static const char *const GIVEN_F[] = { "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀", "英", "玲", "红",
                                       "梅", "兰", "琴", "云", "燕", "萍", "洁", "婷", "雪", "慧", "月", "春" };
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Minority shares by province [from memory: 2010 census, rounded]. */
typedef struct ethnic_mix { const char *prov; double minority; const char *groups[4]; } ethnic_mix;
static const ethnic_mix ETHNIC[] = {
    { "15", 0.21, { "蒙古族", "满族", "回族", NULL } }, { "21", 0.16, { "满族", "蒙古族", "朝鲜族", NULL } },
    { "22", 0.08, { "朝鲜族", "满族", NULL, NULL } }, { "43", 0.10, { "土家族", "苗族", "侗族", NULL } },
    { "45", 0.37, { "壮族", "瑶族", "苗族", "侗族" } }, { "46", 0.16, { "黎族", "苗族", NULL, NULL } },
    { "50", 0.06, { "土家族", "苗族", NULL, NULL } }, { "51", 0.06, { "彝族", "藏族", "羌族", NULL } },
    { "52", 0.36, { "苗族", "布依族", "侗族", "土家族" } }, { "53", 0.33, { "彝族", "哈尼族", "白族", "傣族" } },
    { "54", 0.91, { "藏族", NULL, NULL, NULL } }, { "62", 0.09, { "回族", "藏族", "东乡族", NULL } },
    { "63", 0.47, { "藏族", "回族", "土族", "撒拉族" } }, { "64", 0.36, { "回族", NULL, NULL, NULL } },
    { "65", 0.60, { "维吾尔族", "哈萨克族", "回族", NULL } },
};

/* ETHNIC[] entry of a province code, or -1. */
static int ethnic_index(const char *prov) {
    for (size_t i = 0; i < NELEM(ETHNIC); i++)
        if (!strcmp(ETHNIC[i].prov, prov)) return (int)i;
    return -1;
}

static const char *draw_ethnicity(syn_rng *r, int i) {
    if (i < 0) return syn_bern(r, 0.02) ? "回族" : "汉族";
    if (!syn_bern(r, ETHNIC[i].minority)) return "汉族";
    int n = 0;
    while (n < 4 && ETHNIC[i].groups[n]) n++;
    return ETHNIC[i].groups[syn_int(r, 0, n - 1)];
}

/* ---- dates and IDs ------------------------------------------------------------------ */
static bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
static void day_to_md(int y, int doy, int *mo, int *d) {
    static const int ml[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    for (int m = 0; m < 12; m++) {
        int l = ml[m] + (m == 1 && is_leap(y));
        if (doy < l) { *mo = m + 1; *d = doy + 1; return; }
        doy -= l;
    }
    *mo = 12;
    *d = 31;
}

char upl_synth_id_check_char(const char *first17) {
    /* GB 11643-1999: weights 2^(17-i) mod 11, check = (12 - S mod 11) mod 11, 10 -> X */
    static const int W[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
    int s = 0;
    for (int i = 0; i < 17; i++) {
        if (first17[i] < '0' || first17[i] > '9') return 0;
        s += (first17[i] - '0') * W[i];
    }
    int c = (12 - s % 11) % 11;
    return c == 10 ? 'X' : (char)('0' + c);
}

/* ID sequence numbers: within a county, per (birth date, sex), counting up
 * from a hashed start, so numbers are unique in the county up to 500 per
 * date and sex (odd = male, even = female, GB 11643). */
typedef struct seqmap { uint64_t *key; uint16_t *count; size_t cap; } seqmap;

static int seqmap_init(seqmap *s, size_t persons) {
    size_t cap = 64;
    while (cap < persons * 2) cap *= 2;
    s->key = upl_calloc(cap, sizeof *s->key);
    s->count = upl_calloc(cap, sizeof *s->count);
    s->cap = cap;
    return s->key && s->count ? UPL_OK : UPL_ENOMEM;
}
static void seqmap_free(seqmap *s) { upl_free(s->key); upl_free(s->count); }
static unsigned seqmap_next(seqmap *s, uint64_t key) {
    key += 1; /* 0 marks an empty slot */
    size_t i = (size_t)syn_mix(key) & (s->cap - 1);
    while (s->key[i] && s->key[i] != key) i = (i + 1) & (s->cap - 1);
    s->key[i] = key;
    return s->count[i]++;
}

/* ---- generation of one work unit -------------------------------------------------- */
typedef struct gen_ctx {
    const upl_synth_tables *t;
    const upl_synth_options *o;
    const syn_plan_t *plan;
    const syn_model *model;
    uint64_t class_start[2 * SYN_MAX_REGIONS];  /* Weyl start per class */
    int *ethnic;                 /* per province: ETHNIC[] index or -1 */
    bool *pastoral;              /* per province: Tibet, Qinghai, Inner Mongolia (dung fuel) */
} gen_ctx;

static const char L_NONE[] = "无劳动力", L_LOST[] = "丧失劳动力", L_WEAK[] = "弱劳动力或半劳动力",
                  L_SKILLED[] = "技能劳动力", L_ORDINARY[] = "普通劳动力";

typedef struct member {
    int age, sex;           /* sex 1 male, 2 female */
    const char *rel;
    char name[16];
    bool enrolled, chronic, major, has_dis, can_work;
    bool is_kin;            /* carries the head's surname (head, children, grandchildren, father) */
    int dis_grade, years, work_months;
    const char *edu, *school, *labor, *dis_cat;
} member;

#define GOLDEN 0.6180339887498948482

/* Zero-padded decimal of v in exactly w digits at p (no NUL); snprintf is a
 * third of the generator's time otherwise. */
static void put_digits(char *p, uint64_t v, int w) {
    for (int i = w - 1; i >= 0; i--) { p[i] = (char)('0' + v % 10); v /= 10; }
}
static void put_date(char *p, int y, int m, int d) {   /* YYYY-MM-DD\0 */
    put_digits(p, (uint64_t)y, 4);
    p[4] = '-';
    put_digits(p + 5, (uint64_t)m, 2);
    p[7] = '-';
    put_digits(p + 8, (uint64_t)d, 2);
    p[10] = 0;
}
/* Concatenate up to three strings into out (cap bytes, truncating). */
static void cat3(char *out, size_t cap, const char *a, const char *b, const char *c) {
    size_t n = 0;
    const char *parts[3] = { a, b, c };
    for (int i = 0; i < 3; i++)
        for (const char *q = parts[i]; q && *q && n + 1 < cap; q++) out[n++] = *q;
    out[n] = 0;
}

static void make_name(syn_rng *r, const char *surname, int sex, char *out, size_t cap) {
    const char *const *g = sex == 1 ? GIVEN_M : GIVEN_F;
    size_t n = sex == 1 ? NELEM(GIVEN_M) : NELEM(GIVEN_F);
    if (syn_bern(r, 0.6)) {
        int a = syn_int(r, 0, (int)n - 1);
        int b = syn_int(r, 0, (int)n - 1);
        cat3(out, cap, surname, g[a], g[b]);
    } else {
        cat3(out, cap, surname, g[syn_int(r, 0, (int)n - 1)], NULL);
    }
}

static double clampd(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }
static double logit(double p) { return log(p / (1 - p)); }
static double round2(double x) { return round(x * 100) / 100; }

/* WHO-like median heights (cm) at ages 0..19 (+0.5 y) [approximate, from memory]. */
static const double H_BOY[20] = { 67, 82, 91, 99, 106, 113, 119, 125, 130, 135, 140, 146, 152, 159, 165, 169, 172, 174, 175, 176 };
static const double H_GIRL[20] = { 65, 80, 89, 98, 105, 112, 118, 124, 129, 135, 141, 147, 153, 157, 159, 161, 162, 162, 163, 163 };

static int gen_household(const gen_ctx *g, const syn_psu *p, uint32_t hno, int size, uint64_t ordinal,
                         seqmap *seq, out_tables *ot, uint64_t *n_events) {
    const upl_synth_tables *t = g->t;
    const syn_village *v = &t->villages[p->village];
    const syn_province *prov = &t->provinces[v->province];
    const syn_stratum *st = &g->plan->strata[p->stratum];
    const syn_model *md = g->model;
    const int Y = md->year;
    const bool urban = v->is_urban;
    const int reg = prov->region3;
    syn_rng r = syn_rng_for(g->o->seed, v->code, (uint64_t)hno + 1);
    char hcode[32], buf[64], area[24];
    member mem[8];
    size_t len;

    put_digits(hcode, v->code, 12);
    put_digits(hcode + 12, (uint64_t)hno + 1, 4);
    hcode[16] = 0;
    memcpy(area, hcode, 12);
    area[12] = 0;

    /* income rank: golden-ratio sequence over the class's households */
    size_t cls = (size_t)reg * 2 + urban;
    double u = (double)(g->class_start[cls] >> 11) * 0x1.0p-53 + (double)ordinal * GOLDEN;
    u -= floor(u);
    u = clampd(u, 1e-9, 1 - 1e-9);
    double z = syn_norm_quantile(u);
    double gp = -z;                       /* poverty pressure */
    double gpos = gp > 0 ? gp : 0;
    double y_pc = exp((urban ? md->mu_urban[reg] : md->mu_rural[reg]) + md->sigma * z);

    /* ---- members ---- */
    const char *surname = SURNAMES[syn_int(&r, 0, (int)NELEM(SURNAMES) - 1)];
    int n = 0;
    int A = (int)clampd(round((urban ? 47 : 53) + 13 * syn_normal(&r)), 22, 88);
    if (size == 1 && !urban && syn_bern(&r, 0.5)) A = syn_int(&r, 60, 88);
    int head_sex = syn_bern(&r, urban ? 0.7 : 0.88) ? 1 : 2;
    mem[n++] = (member){ .age = A, .sex = head_sex, .rel = "户主", .is_kin = true };
    if (size >= 2 && syn_bern(&r, 0.9)) {
        int sa = (int)clampd(A + (head_sex == 1 ? -2 : 2) + round(3 * syn_normal(&r)), 18, 95);
        mem[n++] = (member){ .age = sa, .sex = 3 - head_sex, .rel = "配偶" };
    }
    if (n < size && A >= 50 && syn_bern(&r, 0.65)) {
        int son = A - syn_int(&r, 22, 30);
        mem[n++] = (member){ .age = son, .sex = 1, .rel = "之子", .is_kin = true };
        if (n < size) mem[n++] = (member){ .age = (int)clampd(son - syn_int(&r, 0, 4), 18, 95), .sex = 2, .rel = "之儿媳" };
        int k = 0;
        while (n < size) {
            int ga = son - syn_int(&r, 22, 30) - k * syn_int(&r, 1, 4);
            if (ga < 0) ga = 0;
            int sx = syn_bern(&r, 0.53) ? 1 : 2;
            mem[n++] = (member){ .age = ga, .sex = sx, .rel = sx == 1 ? "之孙子" : "之孙女", .is_kin = true };
            k++;
        }
    } else {
        int k = 0;
        while (n < size && k < 4) {
            int ca = A - syn_int(&r, 22, 32) - k * syn_int(&r, 1, 4);
            if (ca < 0) break;
            int sx = syn_bern(&r, 0.53) ? 1 : 2;
            mem[n++] = (member){ .age = ca, .sex = sx, .rel = sx == 1 ? "之子" : "之女", .is_kin = true };
            k++;
        }
        int parents = 0;
        while (n < size) {
            int pa = (int)clampd(A + syn_int(&r, 22, 32), 40, 100);
            if (parents < 2) {
                int sx = parents == 0 ? (syn_bern(&r, 0.4) ? 1 : 2) : 0;
                if (parents == 1) sx = 3 - mem[n - 1].sex;
                mem[n++] = (member){ .age = pa, .sex = sx, .rel = sx == 1 ? "之父" : "之母", .is_kin = sx == 1 };
                parents++;
            } else {
                int sx = syn_bern(&r, 0.5) ? 1 : 2;
                mem[n++] = (member){ .age = syn_int(&r, 0, 80), .sex = sx, .rel = "其他" };
            }
        }
    }
    const char *ethnic = draw_ethnicity(&r, g->ethnic[v->province]);
    bool dibao = !urban && syn_bern(&r, syn_logistic(-4.2 + 1.4 * gp));
    int n_labor = 0;
    for (int i = 0; i < n; i++) {
        member *m = &mem[i];
        int a = m->age;
        if (m->is_kin)
            make_name(&r, surname, m->sex, m->name, sizeof m->name);
        else
            make_name(&r, SURNAMES[syn_int(&r, 0, (int)NELEM(SURNAMES) - 1)], m->sex, m->name, sizeof m->name);
        m->chronic = syn_bern(&r, syn_logistic(-3.2 + 0.045 * (a - 40) + 0.35 * gp));
        m->major = syn_bern(&r, syn_logistic(-4.8 + 0.03 * (a - 40) + 0.45 * gp));
        m->has_dis = syn_bern(&r, syn_logistic(-4.0 + 0.025 * (a - 40) + 0.4 * gp));
        m->dis_grade = 0;
        m->dis_cat = NULL;
        if (m->has_dis) {
            double q = syn_unif(&r);
            m->dis_grade = q < 0.15 ? 1 : q < 0.4 ? 2 : q < 0.7 ? 3 : 4;
            static const char *const cats[] = { "视力", "听力", "言语", "肢体", "智力", "精神", "多重" };
            static const double cw[] = { 0.15, 0.22, 0.03, 0.37, 0.08, 0.09, 0.06 };
            double c = 0, x = syn_unif(&r);
            m->dis_cat = cats[6];
            for (size_t k = 0; k < 7; k++) { c += cw[k]; if (x < c) { m->dis_cat = cats[k]; break; } }
        }
        /* schooling */
        m->school = NULL;
        m->edu = NULL;
        m->enrolled = false;
        if (a <= 2) {
            m->school = "学龄前儿童";
        } else if (a <= 5) {
            m->school = syn_bern(&r, 0.85 - 0.05 * gpos) ? "学前教育" : "学龄前儿童";
        } else if (a <= 14) {
            double pe = 0.996 - 0.012 * gpos - (m->has_dis && m->dis_grade <= 2 ? 0.3 : 0);
            if (syn_bern(&r, pe)) {
                static const char *const g9[] = { "小学", "七年级", "八年级", "九年级" };
                m->school = a <= 11 ? g9[0] : g9[a - 11];
                m->enrolled = true;
            }
        } else if (a <= 17) {
            if (syn_bern(&r, clampd(0.88 - 0.08 * gp, 0.3, 0.98))) {
                static const char *const hs[] = { "普通高中一年级", "普通高中二年级", "普通高中三年级" };
                static const char *const vs[] = { "中职一年级", "中职二年级", "中职三年级" };
                m->school = syn_bern(&r, 0.35) ? vs[a - 15] : hs[a - 15];
                m->enrolled = true;
            }
        } else if (a <= 21) {
            if (syn_bern(&r, clampd((urban ? 0.55 : 0.35) - 0.1 * gp, 0.02, 0.9))) {
                static const char *const hv[] = { "高职高专一年级", "高职高专二年级", "高职高专三年级", "高职高专三年级" };
                static const char *const un[] = { "本科一年级", "本科二年级", "本科三年级", "本科四年级" };
                m->school = syn_bern(&r, 0.45) ? hv[a - 18] : un[a - 18];
                m->enrolled = true;
            }
        }
        if (m->enrolled) {
            m->years = a - 6 < 0 ? 0 : a - 6;
        } else if (a >= 6) {
            int birth = Y - a;
            double mean = clampd(4 + (birth - 1940) * 0.13, 2, 11) + (urban ? 2.5 : 0);
            double yrs = mean + 3 * syn_normal(&r) - 1.2 * gp;
            int yi = (int)clampd(round(yrs), 0, 16);
            if (yi > a - 6) yi = a - 6;
            if (a <= 15 && yi > a - 7) yi = a - 7 < 0 ? 0 : a - 7;   /* dropped out */
            m->years = yi;
            m->edu = yi <= 1 ? "文盲或半文盲" : yi <= 6 ? "小学" : yi <= 9 ? "初中" : yi <= 12 ? "高中" : yi <= 15 ? "大专"
                                                                                                      : "本科及以上";
        } else {
            m->years = 0;
        }
        /* labour ability (a student counts as no labour) */
        if (a < 16 || m->enrolled) m->labor = L_NONE;
        else if ((m->has_dis && m->dis_grade <= 2) || m->major) m->labor = L_LOST;
        else if (a >= 70) m->labor = syn_bern(&r, 0.6) ? L_LOST : L_WEAK;
        else if (a >= 60 || (m->chronic && syn_bern(&r, 0.5)) || m->has_dis) m->labor = L_WEAK;
        else m->labor = syn_bern(&r, syn_logistic(-1.7 + 0.25 * (m->years - 9) - 0.3 * gp)) ? L_SKILLED : L_ORDINARY;
        m->can_work = m->labor == L_SKILLED || m->labor == L_ORDINARY || m->labor == L_WEAK;
        m->work_months = 0;
        if (m->can_work && syn_bern(&r, clampd((urban ? 0.8 : 0.6) - 0.1 * gp, 0.1, 0.95)))
            m->work_months = m->labor == L_WEAK ? syn_int(&r, 1, 6) : syn_int(&r, 3, 12);
        if (m->can_work) n_labor++;
    }

    /* ---- income by source (net total fixed by the calibrated y_pc) ---- */
    double Y_net = y_pc * size;
    double w_wage, w_op, w_prop, w_tr;
    if (urban) { w_wage = 0.604; w_op = 0.114; w_prop = 0.104; w_tr = 0.178; }
    else { w_wage = 0.411; w_op = 0.360; w_prop = 0.024; w_tr = 0.206; }  /* NBS 2019 structure [from memory] */
    if (n_labor == 0) { w_wage = 0; w_op *= 0.4; w_tr *= 3; }
    w_wage *= exp(0.6 * syn_normal(&r));
    w_op *= exp(0.6 * syn_normal(&r));
    w_prop *= exp(0.8 * syn_normal(&r));
    w_tr *= exp(0.5 * syn_normal(&r)) * (dibao ? 1.5 : 1);
    double wsum = w_wage + w_op + w_prop + w_tr;
    int64_t c_wage = (int64_t)llround(Y_net * w_wage / wsum * 100);
    int64_t c_opnet = (int64_t)llround(Y_net * w_op / wsum * 100);
    int64_t c_prop = (int64_t)llround(Y_net * w_prop / wsum * 100);
    int64_t c_tr = (int64_t)llround(Y_net * 100) - c_wage - c_opnet - c_prop;
    if (c_tr < 0) { c_opnet += c_tr; c_tr = 0; }
    double cost = 0.2 + 0.25 * syn_unif(&r);
    int64_t c_gross = (int64_t)llround((double)c_opnet / (1 - cost));
    int64_t c_exp = c_gross - c_opnet;
    int64_t c_net = c_wage + c_gross - c_exp + c_prop + c_tr;

    /* ---- housing, water, energy, sanitation, assets ---- */
    double yr = (double)(Y - 2012);
    double p_cd = syn_logistic((urban ? -4.5 : -2.6) + 1.1 * gp - 0.3 * yr);
    const char *grade;
    if (syn_bern(&r, p_cd)) grade = syn_bern(&r, 0.3) ? "D" : "C";
    else grade = syn_bern(&r, 0.55) ? "A" : "B";
    bool dilap = grade[0] == 'C' || grade[0] == 'D';
    const char *structure;
    if (dilap) structure = syn_bern(&r, 0.55) ? "竹草土坯" : "砖瓦砖木";
    else if (urban) structure = syn_bern(&r, 0.6) ? "钢筋混凝土" : "砖混材料";
    else structure = syn_bern(&r, 0.55) ? "砖混材料" : (syn_bern(&r, 0.6) ? "砖瓦砖木" : "钢筋混凝土");
    bool walls_ok = strcmp(structure, "竹草土坯") != 0;
    bool roof_ok = !(grade[0] == 'D' && syn_bern(&r, 0.5));
    bool floor_ok = !syn_bern(&r, syn_logistic(-3.8 + 1.0 * gp - 0.2 * yr));
    double area_m2 = round2(clampd(size * ((urban ? 33 : 38) - 3 * gp + 10 * syn_normal(&r)), 8 * size, 400));
    bool piped = syn_bern(&r, syn_logistic((urban ? 3.5 : 0.8) - 0.6 * gp + 0.25 * yr));
    double w_qty = round2(clampd((urban ? 120 : 80) * exp(0.35 * syn_normal(&r) - 0.15 * gp), 10, 400));
    bool w_qual = syn_bern(&r, syn_logistic((piped ? 3.5 : 1.5) - 0.6 * gp + 0.15 * yr));
    double w_fetch = piped ? 0 : round(clampd(5 + 12 * exp(0.6 * syn_normal(&r) + 0.2 * gp), 1, 120));
    double w_rel = round2(clampd(piped ? 98.5 + 1.5 * syn_normal(&r) : 95 + 4 * syn_normal(&r), 50, 100));
    bool w_safe = w_qty >= 40 && w_qual && w_fetch <= 20 && w_rel >= 95;
    const char *fuel;
    {
        bool pastoral = g->pastoral[v->province];
        double x = syn_unif(&r);
        double p_wood = urban ? 0.03 : clampd(syn_logistic(-0.3 + 0.5 * gp - 0.12 * yr), 0, 1);
        double p_dung = pastoral && !urban ? 0.25 : 0.0;
        double p_coal = urban ? 0.05 : 0.12;
        fuel = x < p_dung ? "干畜粪" : x < p_dung + p_wood ? "柴草" : x < p_dung + p_wood + p_coal ? "煤炭"
             : x < p_dung + p_wood + p_coal + 0.02 ? "其它" : "清洁能源";
    }
    bool elec = syn_bern(&r, 0.998);
    bool toilet = syn_bern(&r, syn_logistic((urban ? 3.2 : -0.6) + 0.25 * yr - 0.6 * gp));
    bool tshared = toilet && syn_bern(&r, urban ? 0.08 : 0.04);
#define ASSET(base, k) syn_bern(&r, syn_logistic(logit(base) - (k) * gp))
    bool a_radio = ASSET(0.15, 0.1), a_tv = ASSET(0.93, 0.5), a_phone = ASSET(0.95, 0.5),
         a_comp = ASSET(urban ? 0.6 : 0.25, 0.6), a_cart = ASSET(urban ? 0.005 : 0.05, -0.2),
         a_bike = ASSET(0.4, 0.1), a_moto = ASSET(urban ? 0.2 : 0.45, 0.2), a_fridge = ASSET(urban ? 0.95 : 0.8, 0.6),
         a_car = ASSET(urban ? 0.3 : 0.15, 0.7);
#undef ASSET
    int child_deaths = syn_bern(&r, syn_logistic(-5.5 + 0.6 * gp)) ? 1 : 0;

    /* ---- ID numbers ---- */
    char ids[8][20];
    uint64_t county = v->code / 1000000;
    for (int i = 0; i < n; i++) {
        member *m = &mem[i];
        int by = Y - m->age, doy = syn_int(&r, 0, is_leap(by) ? 365 : 364), mo, d;
        day_to_md(by, doy, &mo, &d);
        uint64_t key = (county << 24) ^ ((uint64_t)(by - 1800) << 11) ^ ((uint64_t)doy << 2) ^ (uint64_t)m->sex;
        unsigned k = seqmap_next(seq, key);
        unsigned start = (unsigned)(syn_mix(key ^ g->o->seed) % 500);
        unsigned s = (start + k) % 500;               /* 0..499 */
        unsigned sq = m->sex == 1 ? 2 * s + 1 : 2 * s + 2;   /* odd male 1..999, even female 2..1000 */
        if (sq == 1000) sq = 0;                        /* 000 is even too */
        put_digits(ids[i], county % 1000000, 6);
        put_digits(ids[i] + 6, (uint64_t)by, 4);
        put_digits(ids[i] + 10, (uint64_t)mo, 2);
        put_digits(ids[i] + 12, (uint64_t)d, 2);
        put_digits(ids[i] + 14, sq, 3);
        ids[i][17] = upl_synth_id_check_char(ids[i]);
        ids[i][18] = 0;
        put_date(buf, by, mo, d);
        upl_column *const *mc = ot->mc;
        char pcode[48];
        memcpy(pcode, hcode, 16);
        put_digits(pcode + 16, (uint64_t)i + 1, 2);
        pcode[18] = 0;
        PZ(mc[M_HH], hcode);
        PZ(mc[M_PERSON], pcode);
        PZ(mc[M_NAME], m->name);
        PLM(M_SEX, m->sex == 1 ? "男" : "女");
        PZ(mc[M_BIRTH], buf);
        PI(mc[M_AGE], m->age);
        PLM(M_ID_TYPE, "居民身份证");
        PS(mc[M_ID], ids[i], 18);
        PLM(M_REL, m->rel);
        PLM(M_ETHNIC, ethnic);
        if (m->edu) PLM(M_EDU, m->edu); else PN(mc[M_EDU]);
        PI(mc[M_YEARS], m->years);
        if (m->school) PLM(M_SCHOOL, m->school); else PN(mc[M_SCHOOL]);
        PB(mc[M_ENROLLED], m->enrolled);
        {
            char hs[64] = "";
            if (m->chronic) strcat(hs, "长期慢性病");
            if (m->major) strcat(hs, hs[0] ? ",患有大病" : "患有大病");
            if (m->has_dis) strcat(hs, hs[0] ? ",残疾" : "残疾");
            PC(mc[M_HEALTH], hs[0] ? hs : "健康");
        }
        PB(mc[M_CHRONIC], m->chronic);
        PB(mc[M_MAJOR], m->major);
        if (m->has_dis) { PI(mc[M_DIS_GRADE], m->dis_grade); PLM(M_DIS_CAT, m->dis_cat); }
        else { PN(mc[M_DIS_GRADE]); PN(mc[M_DIS_CAT]); }
        PLM(M_LABOR, m->labor);
        if (m->work_months) PI(mc[M_WORK_MONTHS], m->work_months); else PN(mc[M_WORK_MONTHS]);
        bool ins = syn_bern(&r, clampd(0.955 + 0.03 * gpos, 0, 0.999));
        PB(mc[M_INS_MED], ins);
        PB(mc[M_INS_CRIT], ins && syn_bern(&r, 0.95));
        if (m->age >= 16 && !m->enrolled) PB(mc[M_INS_PENSION], syn_bern(&r, 0.85)); else PN(mc[M_INS_PENSION]);
        PB(mc[M_DIBAO], dibao);
        double h, w;
        if (m->age >= 20) {
            h = (m->sex == 1 ? 168 : 157) - 1.0 * gp + 6 * syn_normal(&r);
            double bmi = clampd(22.8 - 0.5 * gp + 3 * syn_normal(&r), 14, 40);
            w = bmi * (h / 100) * (h / 100);
        } else {
            double med = (m->sex == 1 ? H_BOY : H_GIRL)[m->age];
            h = med * (1 + 0.04 * (syn_normal(&r) - 0.4 * gp));
            double mb = m->age < 2 ? 17 : m->age < 10 ? 15.8 : 15.8 + 0.5 * (m->age - 10);
            w = mb * exp(0.11 * (syn_normal(&r) - 0.3 * gp)) * (h / 100) * (h / 100);
        }
        PF(mc[M_HEIGHT], round(h * 10) / 10);
        PF(mc[M_WEIGHT_KG], round(w * 10) / 10);
    }

    /* ---- household row ---- */
    upl_column *const *hc = ot->hc;
    PZ(hc[H_CODE], hcode);
    PI(hc[H_YEAR], Y);
    {
        const char *nm;
        nm = syn_level_name(t, 0, v->code / 10000000000ULL, &len);
        if (nm) PLH(H_PROVINCE, nm); else PLH(H_PROVINCE, prov->name_zh);
        nm = syn_level_name(t, 1, v->code / 100000000ULL, &len);
        if (nm) PLH(H_CITY, nm); else PN(hc[H_CITY]);
        nm = syn_level_name(t, 2, v->code / 1000000ULL, &len);
        if (nm) PLH(H_COUNTY, nm); else PN(hc[H_COUNTY]);
        nm = syn_level_name(t, 3, v->code / 1000ULL, &len);
        if (nm) PLH(H_TOWNSHIP, nm); else PN(hc[H_TOWNSHIP]);
        if (push_label(hc[H_VILLAGE], &ot->hcache[H_VILLAGE], t->names + v->name_off, v->name_len)) goto oom;
    }
    PZ(hc[H_AREA], area);
    PLH(H_REGION, t->region3[reg]);
    PLH(H_REGION4, t->region4[prov->region4]);
    PB(hc[H_URBAN], urban);
    snprintf(buf, sizeof buf, "%s-%s", prov->code, urban ? "urban" : "rural");
    PC(hc[H_STRATUM], buf);
    PZ(hc[H_PSU], area);
    PF(hc[H_WEIGHT], st->weight);
    PI(hc[H_SIZE], size);
    PZ(hc[H_HEAD_NAME], mem[0].name);
    PS(hc[H_HEAD_ID], ids[0], 18);
    PLH(H_ETHNIC, ethnic);
    PF(hc[H_WAGE], (double)c_wage / 100);
    PF(hc[H_BUSINESS], (double)c_gross / 100);
    PF(hc[H_EXPENSE], (double)c_exp / 100);
    PF(hc[H_PROPERTY], (double)c_prop / 100);
    PF(hc[H_TRANSFER], (double)c_tr / 100);
    PF(hc[H_NET], (double)c_net / 100);
    PF(hc[H_NET_PC], round((double)c_net / size) / 100);
    PB(hc[H_DIBAO], dibao);
    PLH(H_GRADE, grade);
    PB(hc[H_DILAP], dilap);
    PF(hc[H_AREA_M2], area_m2);
    PLH(H_STRUCT, structure);
    PB(hc[H_FLOOR], floor_ok);
    PB(hc[H_ROOF], roof_ok);
    PB(hc[H_WALLS], walls_ok);
    PF(hc[H_WQTY], w_qty);
    PB(hc[H_WQUAL], w_qual);
    PF(hc[H_WFETCH], w_fetch);
    PF(hc[H_WREL], w_rel);
    PB(hc[H_WSAFE], w_safe);
    PLH(H_FUEL, fuel);
    PB(hc[H_ELEC], elec);
    PB(hc[H_TOILET], toilet);
    if (toilet) PB(hc[H_TSHARED], tshared); else PN(hc[H_TSHARED]);
    PB(hc[H_RADIO], a_radio);
    PB(hc[H_TV], a_tv);
    PB(hc[H_PHONE], a_phone);
    PB(hc[H_COMPUTER], a_comp);
    PB(hc[H_CART], a_cart);
    PB(hc[H_BIKE], a_bike);
    PB(hc[H_MOTO], a_moto);
    PB(hc[H_FRIDGE], a_fridge);
    PB(hc[H_CAR], a_car);
    PI(hc[H_CHILD_DEATHS], child_deaths);

    /* ---- shock events of the year ---- */
    if (g->o->has_events) {
        int n_ev = syn_bern(&r, syn_logistic(-2.0 + 0.5 * gp)) ? (syn_bern(&r, 0.15) ? 2 : 1) : 0;
        static const char *const types[] = { "因病", "因自然灾害", "因意外事故", "因务工就业不稳", "因产业项目失败", "因残", "因学" };
        static const double tw[] = { 0.35, 0.20, 0.10, 0.15, 0.08, 0.05, 0.07 };
        static const double median_loss[] = { 8000, 5000, 6000, 10000, 8000, 10000, 6000 };
        for (int e = 0; e < n_ev; e++) {
            double x = syn_unif(&r), c = 0;
            size_t k = 0;
            for (; k < 6; k++) { c += tw[k]; if (x < c) break; }
            int doy = syn_int(&r, 0, is_leap(Y) ? 365 : 364), mo, d;
            day_to_md(Y, doy, &mo, &d);
            int who = -1;
            if (k == 0 || k == 2 || k == 5) who = syn_int(&r, 0, n - 1);
            if (k == 3) for (int i = 0; i < n && who < 0; i++) if (mem[i].work_months) who = i;
            if (k == 6) for (int i = 0; i < n && who < 0; i++) if (mem[i].enrolled) who = i;
            upl_column *const *ec = ot->ec;
            PZ(ec[E_HH], hcode);
            if (who >= 0) {
                char pcode[48];
                memcpy(pcode, hcode, 16);
                put_digits(pcode + 16, (uint64_t)who + 1, 2);
                pcode[18] = 0;
                PZ(ec[E_PERSON], pcode);
            } else {
                PN(ec[E_PERSON]);
            }
            PI(ec[E_YEAR], Y);
            put_date(buf, Y, mo, d);
            PZ(ec[E_DATE], buf);
            PLE(E_TYPE, types[k]);
            PF(ec[E_LOSS], round2(median_loss[k] * exp(0.8 * syn_normal(&r))));
            (*n_events)++;
        }
    }
    return UPL_OK;
oom:
    return UPL_ENOMEM;
}

typedef struct unit_result {
    out_tables out;
    uint64_t events;
    int rc;
} unit_result;

static int gen_unit(const gen_ctx *g, const syn_work *w, unit_result *res, upl_error *err) {
    int rc = out_init(&res->out, err);
    if (rc) return rc;
    seqmap seq = { 0 };
    uint8_t *sizes = NULL;
    if (seqmap_init(&seq, (size_t)w->persons + 16) != UPL_OK) { rc = UPL_ENOMEM; goto fail; }
    size_t hh_est = (size_t)w->persons + 8;
    if (upl_col_reserve(res->out.mc[0], (size_t)w->persons, 0) != UPL_OK) { rc = UPL_ENOMEM; goto fail; }
    (void)hh_est;
    for (size_t i = w->psu_begin; i < w->psu_end; i++) {
        const syn_psu *p = &g->plan->psus[i];
        const syn_village *v = &g->t->villages[p->village];
        sizes = upl_malloc(p->n_households ? p->n_households : 1);
        if (!sizes) { rc = UPL_ENOMEM; goto fail; }
        uint32_t nh = syn_psu_sizes(g->o->seed, p, v->is_urban, sizes, p->n_households);
        for (uint32_t h = 0; h < nh; h++) {
            rc = gen_household(g, p, h, sizes[h], p->class_ordinal + h, &seq, &res->out, &res->events);
            if (rc) goto fail;
        }
        upl_free(sizes);
        sizes = NULL;
    }
fail:
    if (rc == UPL_ENOMEM) upl_error_set(err, UPL_ENOMEM, "out of memory generating synthetic households");
    upl_free(sizes);
    seqmap_free(&seq);
    return rc;
}

/* ---- driver ------------------------------------------------------------------------------ */
typedef struct batch_ctx {
    const gen_ctx *g;
    size_t first;            /* first work unit of the batch */
    unit_result *res;
    upl_error *errs;
} batch_ctx;

static int batch_fn(void *vctx, size_t chunk, size_t begin, size_t end) {
    batch_ctx *b = vctx;
    (void)chunk;
    for (size_t i = begin; i < end; i++) {
        unit_result *r = &b->res[i];
        r->rc = gen_unit(b->g, &b->g->plan->work[b->first + i], r, &b->errs[i]);
        if (r->rc) return r->rc;
    }
    return UPL_OK;
}

void upl_synth_options_init(upl_synth_options *o) {
    memset(o, 0, sizeof *o);
    o->n_persons = 100000;
    o->seed = 1;
    o->year = 2019;
    o->has_events = true;
}

int upl_synth_run(const upl_synth_tables *t, const upl_synth_options *o, const upl_synth_sink *sink,
                  upl_synth_summary *summary, upl_error *err) {
    int rc = UPL_OK;
    syn_plan_t plan = { 0 };
    syn_model model;
    gen_ctx g;
    memset(&g, 0, sizeof g);
    upl_pool *pool = NULL;
    unit_result *res = NULL;
    upl_error *errs = NULL;
    size_t batch = 0;
    if (!t || !o || !sink || !sink->chunk) return upl_error_set(err, UPL_EMISUSE, "upl_synth_run: NULL argument");
    if (o->n_persons == 0) return upl_error_set(err, UPL_EMISUSE, "--persons must be at least 1");
    if (o->n_persons > 2000000000ULL) return upl_error_set(err, UPL_ELIMIT, "at most 2,000,000,000 persons");
    UPL_TRY(syn_calibrate(t, o->year, &model, err));
    UPL_TRY(syn_plan(t, o, &plan, err));
    g.t = t;
    g.o = o;
    g.plan = &plan;
    g.model = &model;
    for (size_t c = 0; c < 2 * SYN_MAX_REGIONS; c++) {
        syn_rng r = syn_rng_for(o->seed, 0xC1A55ULL, c);
        g.class_start[c] = syn_next(&r);
    }
    g.ethnic = upl_calloc(t->n_provinces + 1, sizeof *g.ethnic);
    g.pastoral = upl_calloc(t->n_provinces + 1, sizeof *g.pastoral);
    UPL_FAIL_IF(!g.ethnic || !g.pastoral, err, UPL_ENOMEM, "out of memory");
    for (size_t i = 0; i < t->n_provinces; i++) {
        const char *c = t->provinces[i].code;
        g.ethnic[i] = ethnic_index(c);
        g.pastoral[i] = !strcmp(c, "54") || !strcmp(c, "63") || !strcmp(c, "15");
    }
    UPL_TRY(upl_pool_new(o->n_threads, &pool));
    batch = (size_t)upl_pool_threads(pool) * 2;
    if (batch < 2) batch = 2;
    res = upl_calloc(batch, sizeof *res);
    errs = upl_calloc(batch, sizeof *errs);
    UPL_FAIL_IF(!res || !errs, err, UPL_ENOMEM, "out of memory");
    uint64_t done = 0, events = 0;
    for (size_t first = 0; first < plan.n_work; first += batch) {
        size_t nb = plan.n_work - first < batch ? plan.n_work - first : batch;
        batch_ctx bc = { .g = &g, .first = first, .res = res, .errs = errs };
        int prc = upl_pool_for_chunks(pool, nb, 1, batch_fn, &bc);
        for (size_t i = 0; i < nb && rc == UPL_OK; i++) {
            if (res[i].rc) { rc = upl_error_copy(err, &errs[i]); break; }
            rc = sink->chunk(sink->ctx, res[i].out.h, res[i].out.m, res[i].out.e, err);
            done += plan.work[first + i].persons;
            events += res[i].events;
        }
        if (rc == UPL_OK && prc) rc = upl_error_set(err, prc, "synthetic data generation failed");
        for (size_t i = 0; i < nb; i++) {
            out_free(&res[i].out);
            res[i].events = 0;
            res[i].rc = 0;
            upl_error_clear(&errs[i]);
        }
        if (rc) goto fail;
        upl_progress("persons", done, o->n_persons);
    }
    if (summary) {
        memset(summary, 0, sizeof *summary);
        summary->households = plan.n_households;
        summary->persons = o->n_persons;
        summary->events = events;
        summary->villages = plan.n_psu;
        uint64_t last = UINT64_MAX;
        for (size_t i = 0; i < plan.n_psu; i++) {
            uint64_t c = plan.psus[i].village_code / 1000000;
            if (c != last) summary->counties++;
            last = c;
        }
        double wp = 0;
        for (size_t k = 0; k < plan.n_strata; k++) {
            if (plan.strata[k].persons) summary->strata++;
            wp += plan.strata[k].weight * (double)plan.strata[k].persons;
        }
        summary->weighted_persons = wp;
        summary->line = model.line;
    }
fail:
    if (res && errs)
        for (size_t i = 0; i < batch; i++) { out_free(&res[i].out); upl_error_clear(&errs[i]); }
    upl_free(res);
    upl_free(errs);
    upl_pool_free(pool);
    upl_free(g.ethnic);
    upl_free(g.pastoral);
    syn_plan_free(&plan);
    return rc;
}
