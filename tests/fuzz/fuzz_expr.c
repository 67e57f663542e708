/* fuzz_expr.c — libFuzzer harness for the profile expression language and
 * the profile loader.
 *
 * Input byte 0 picks the target:
 *   'Y'  the rest is a whole profile document: upl_profile_load_mem must
 *        either load it or fail with an error that has a message; nothing
 *        else (no crash, leak or sanitizer report);
 *   else the rest is an expression. If it parses, printing it and parsing
 *   the print must give the same print (the printer is the parser's
 *   inverse); then it is compiled and evaluated against a small fixed table
 *   of households (numbers, text codes, multi-select labels, dates, missing
 *   values): compile errors are allowed, but a result must have one value
 *   per household, logical values in {0, 1, 2}.
 * Seeds: tests/fuzz/corpus/fuzz_expr/. Build and run: make fuzz. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "uplift/profile.h"

static const char *PROFILE =
    "profile: {name: fuzz, version: '1', effective_years: [2014, 2020]}\n"
    "columns:\n"
    "  household_code: {kind: text, level: household}\n"
    "  income: {kind: number, level: household}\n"
    "  grade: {kind: code, level: household}\n"
    "  birth_date: {kind: date}\n"
    "  id_number: {kind: text}\n"
    "  school: {kind: code}\n"
    "  health: {kind: codes}\n"
    "  insured: {kind: bool}\n"
    "  work: {kind: number}\n"
    "household: {key: household_code}\n"
    "lines:\n"
    "  national: [{year: 2014, value: 2800}]\n"
    "  income: income\n";

static upl_profile *prof;
static upl_table *tab;

static void setup(void) {
    upl_error err = {0};
    if (upl_profile_load_mem(PROFILE, strlen(PROFILE), "fuzz.yaml", &prof, &err)) abort();
    tab = upl_table_new();
    upl_column *hc, *inc, *gr, *bd, *id, *sc, *he, *ins, *wk;
    if (upl_table_add_column(tab, "household_code", UPL_STR, &hc, &err) ||
        upl_table_add_column(tab, "income", UPL_F64, &inc, &err) ||
        upl_table_add_column(tab, "grade", UPL_CAT, &gr, &err) ||
        upl_table_add_column(tab, "birth_date", UPL_STR, &bd, &err) ||
        upl_table_add_column(tab, "id_number", UPL_STR, &id, &err) ||
        upl_table_add_column(tab, "school", UPL_CAT, &sc, &err) ||
        upl_table_add_column(tab, "health", UPL_STR, &he, &err) ||
        upl_table_add_column(tab, "insured", UPL_BOOL, &ins, &err) ||
        upl_table_add_column(tab, "work", UPL_F64, &wk, &err))
        abort();
    const char *hh[] = {"h1", "h1", "h2", "h3", "h3"};
    for (int i = 0; i < 5; i++) {
        int rc = upl_col_push_str(hc, hh[i], 2);
        rc |= i == 2 ? upl_col_push_null(inc) : upl_col_push_f64(inc, 1000.0 * i);
        rc |= i >= 3 ? upl_col_push_null(gr) : upl_col_push_cat(gr, i ? "C" : "B", 1);
        rc |= i == 4 ? upl_col_push_null(bd) : upl_col_push_str(bd, "2008-12-31", 10);
        rc |= upl_col_push_str(id, "11010120081231001X", 18);
        rc |= upl_col_push_cat(sc, "非在校生", strlen("非在校生"));
        rc |= upl_col_push_str(he, "残疾,健康", strlen("残疾,健康"));
        rc |= i == 1 ? upl_col_push_null(ins) : upl_col_push_bool(ins, i % 2);
        rc |= upl_col_push_f64(wk, i - 2.5);
        if (rc) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!prof) setup();
    if (size < 1 || size > 4096) return 0;
    char *text = malloc(size);
    if (!text) return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = 0;
    upl_error err = {0};
    if (data[0] == 'Y') {
        upl_profile *p = NULL;
        int rc = upl_profile_load_mem(text, size - 1, "fuzz.yaml", &p, &err);
        if (rc == UPL_OK) {
            if (!p || strlen(upl_profile_sha256(p)) != 64) abort();
            upl_profile_free(p);
        } else if (p || !upl_error_message(&err)[0]) {
            abort();
        }
        upl_error_clear(&err);
        free(text);
        return 0;
    }
    upl_expr *e = NULL;
    if (upl_expr_parse(text, "f", 1, 1, &e, &err) == UPL_OK) {
        char *s1 = upl_expr_to_string(e);
        upl_expr *e2 = NULL;
        upl_error err2 = {0};
        if (!s1) abort();
        if (upl_expr_parse(s1, "f", 1, 1, &e2, &err2) != UPL_OK) {
            /* the print adds parentheses, so it may pass the nesting limit
             * (200) that the input stayed under; anything else is a bug */
            if (!strstr(upl_error_message(&err2), "nested too deeply")) abort();
            upl_free(s1);
            upl_expr_free(e);
            upl_error_clear(&err2);
            upl_error_clear(&err);
            free(text);
            return 0;
        }
        char *s2 = upl_expr_to_string(e2);
        if (!s2 || strcmp(s1, s2)) abort();
        upl_free(s1);
        upl_free(s2);
        upl_expr_free(e2);
        upl_expr_free(e);
        upl_error_clear(&err2);
        /* compile and evaluate against the fixed table */
        upl_eval_options o = {.year = 2014};
        upl_eval *ev = NULL;
        if (upl_eval_new(prof, tab, &o, &ev, &err) || upl_eval_run(ev, &err)) abort();
        uint8_t *b = NULL;
        double *d = NULL;
        bool is_bool = false;
        if (upl_eval_expr(ev, text, &b, &d, &is_bool, &err) == UPL_OK) {
            size_t n = upl_eval_n_households(ev);
            if (n != 3) abort();
            for (size_t i = 0; i < n; i++)
                if (is_bool && b[i] > 2) abort();
        }
        upl_free(b);
        upl_free(d);
        upl_eval_free(ev);
    } else if (e) {
        abort();
    }
    upl_error_clear(&err);
    free(text);
    return 0;
}
