/* expr_parse.c — lexer and recursive-descent parser of the profile
 * expression language (grammar in docs/expressions.md). Every node keeps
 * the line and column in the profile file where it starts, so binding
 * errors found later (unknown column, wrong type) point at the exact spot.
 *
 * Precedence, lowest first: or; and; not; comparison / in / not in /
 * between (non-associative); + -; * /; unary minus; primary. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "profile_int.h"
#include "uplift/io.h"

typedef enum tok_kind {
    T_END = 0, T_NUM, T_STR, T_IDENT, T_LP, T_RP, T_LB, T_RB, T_COMMA,
    T_PLUS, T_MINUS, T_STAR, T_SLASH, T_LT, T_LE, T_GT, T_GE, T_EQ, T_NE,
    T_AND, T_OR, T_NOT, T_IN, T_BETWEEN, T_TRUE, T_FALSE, T_MISSING
} tok_kind;

typedef struct lexer {
    const char *s;
    size_t len, pos;
    uint64_t line, col;           /* of pos */
    const char *file;
    /* current token */
    tok_kind kind;
    uint64_t tline, tcol;
    size_t tstart, tlen;
    char *text;                   /* T_STR unescaped / T_IDENT */
    double num;
    upl_error *err;
    int depth;
} lexer;

static void adv(lexer *lx) {
    unsigned char c = (unsigned char)lx->s[lx->pos++];
    if (c == '\n') { lx->line++; lx->col = 1; }
    else if ((c & 0xC0) != 0x80) lx->col++;
    else { /* continuation byte: same column */ }
}

static int lex_error(lexer *lx, uint64_t line, uint64_t col, const char *fmt, ...) UPL_PRINTF(4, 5);
static int lex_error(lexer *lx, uint64_t line, uint64_t col, const char *fmt, ...) {
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return upl_error_at(lx->err, UPL_EPROFILE, lx->file, line, col, NULL, "%s", msg);
}

static bool is_ident_start(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80; }
static bool is_ident_char(unsigned char c) { return is_ident_start(c) || (c >= '0' && c <= '9') || c == '.'; }

static int next(lexer *lx) {
    upl_free(lx->text);
    lx->text = NULL;
    while (lx->pos < lx->len) {
        char c = lx->s[lx->pos];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') adv(lx);
        else if (c == '#') { while (lx->pos < lx->len && lx->s[lx->pos] != '\n') adv(lx); }
        else break;
    }
    lx->tline = lx->line;
    lx->tcol = lx->col;
    lx->tstart = lx->pos;
    if (lx->pos >= lx->len) { lx->kind = T_END; return UPL_OK; }
    unsigned char c = (unsigned char)lx->s[lx->pos];
    const char *p = lx->s + lx->pos;
    size_t rest = lx->len - lx->pos;
#define ONE(k) do { lx->kind = (k); adv(lx); return UPL_OK; } while (0)
#define TWO(k) do { lx->kind = (k); adv(lx); adv(lx); return UPL_OK; } while (0)
    switch (c) {
    case '(': ONE(T_LP);
    case ')': ONE(T_RP);
    case '[': ONE(T_LB);
    case ']': ONE(T_RB);
    case ',': ONE(T_COMMA);
    case '+': ONE(T_PLUS);
    case '-': ONE(T_MINUS);
    case '*': ONE(T_STAR);
    case '/': ONE(T_SLASH);
    case '<': if (rest > 1 && p[1] == '=') TWO(T_LE); if (rest > 1 && p[1] == '>') TWO(T_NE); ONE(T_LT);
    case '>': if (rest > 1 && p[1] == '=') TWO(T_GE); ONE(T_GT);
    case '=':
        if (rest > 1 && p[1] == '=') TWO(T_EQ);
        return lex_error(lx, lx->line, lx->col, "`=` is not an operator; write `==` to compare%s", "");
    case '!':
        if (rest > 1 && p[1] == '=') TWO(T_NE);
        return lex_error(lx, lx->line, lx->col, "`!` is not an operator; write `not`%s", "");
    case '"': case '\'': {
        char q = (char)c;
        uint64_t l0 = lx->line, c0 = lx->col;
        adv(lx);
        size_t cap = 16, n = 0;
        char *buf = upl_malloc(cap);
        if (!buf) return upl_error_set(lx->err, UPL_ENOMEM, "out of memory");
        for (;;) {
            if (lx->pos >= lx->len) { upl_free(buf); return lex_error(lx, l0, c0, "unterminated string%s", ""); }
            char ch = lx->s[lx->pos];
            if (ch == q) { adv(lx); break; }
            if (ch == '\\' && lx->pos + 1 < lx->len) { adv(lx); ch = lx->s[lx->pos]; }
            if (ch == '\n') { upl_free(buf); return lex_error(lx, l0, c0, "string runs past the end of the line%s", ""); }
            if (n + 2 > cap) {
                cap *= 2;
                char *nb = upl_realloc(buf, cap);
                if (!nb) { upl_free(buf); return upl_error_set(lx->err, UPL_ENOMEM, "out of memory"); }
                buf = nb;
            }
            buf[n++] = ch;
            adv(lx);
        }
        buf[n] = 0;
        lx->text = buf;
        lx->kind = T_STR;
        return UPL_OK;
    }
    default: break;
    }
    if ((c >= '0' && c <= '9') || (c == '.' && rest > 1 && p[1] >= '0' && p[1] <= '9')) {
        size_t n = 0;
        while (n < rest && ((p[n] >= '0' && p[n] <= '9') || p[n] == '.')) n++;
        if (n < rest && (p[n] == 'e' || p[n] == 'E')) {
            size_t m = n + 1;
            if (m < rest && (p[m] == '+' || p[m] == '-')) m++;
            if (m < rest && p[m] >= '0' && p[m] <= '9') {
                n = m;
                while (n < rest && p[n] >= '0' && p[n] <= '9') n++;
            }
        }
        /* 1/3 stays two numbers and a division: exactness is kept where it
         * matters (weights and k are rationals, not expressions) */
        if (!upl_parse_f64(p, n, &lx->num)) {
            char *t = upl_strndup(p, n);
            int rc = lex_error(lx, lx->line, lx->col, "malformed number `%s`", t ? t : "?");
            upl_free(t);
            return rc;
        }
        if (n < rest && is_ident_start((unsigned char)p[n]) && (unsigned char)p[n] < 0x80) {
            return lex_error(lx, lx->line, lx->col, "a number cannot run into a name here%s", "");
        }
        for (size_t i = 0; i < n; i++) adv(lx);
        lx->kind = T_NUM;
        return UPL_OK;
    }
    if (is_ident_start(c)) {
        size_t n = 0;
        while (n < rest && is_ident_char((unsigned char)p[n])) n++;
        /* a full-width bracket or comma ends a name: it is never part of one */
        for (size_t i = 0; i + 2 < n; i++)
            if (!memcmp(p + i, "（", 3) || !memcmp(p + i, "）", 3) || !memcmp(p + i, "，", 3)) { n = i; break; }
        if (n == 0) return lex_error(lx, lx->line, lx->col, "unexpected character%s", "");
        static const struct { const char *w; tok_kind k; } KW[] = {
            {"and", T_AND}, {"or", T_OR}, {"not", T_NOT}, {"in", T_IN}, {"between", T_BETWEEN},
            {"true", T_TRUE}, {"false", T_FALSE}, {"missing", T_MISSING}};
        for (size_t i = 0; i < sizeof KW / sizeof KW[0]; i++)
            if (strlen(KW[i].w) == n && !memcmp(KW[i].w, p, n)) {
                for (size_t j = 0; j < n; j++) adv(lx);
                lx->kind = KW[i].k;
                return UPL_OK;
            }
        lx->text = upl_strndup(p, n);
        if (!lx->text) return upl_error_set(lx->err, UPL_ENOMEM, "out of memory");
        for (size_t j = 0; j < n; j++) adv(lx);
        lx->kind = T_IDENT;
        return UPL_OK;
    }
    char shown[8] = {0};
    size_t k = 1;
    if (c >= 0x80) { k = 1; while (k < rest && k < 4 && ((unsigned char)p[k] & 0xC0) == 0x80) k++; }
    memcpy(shown, p, k);
    return lex_error(lx, lx->line, lx->col, "unexpected character `%s`", shown);
#undef ONE
#undef TWO
}

void prof_ex_node_free(ex_node *n) {
    if (!n) return;
    for (size_t i = 0; i < n->n_kids; i++) prof_ex_node_free(n->kids[i]);
    upl_free(n->kids);
    upl_free(n->str);
    upl_free(n);
}

static ex_node *mk(lexer *lx, ex_kind k, uint64_t line, uint64_t col) {
    ex_node *n = upl_calloc(1, sizeof *n);
    if (!n) { upl_error_set(lx->err, UPL_ENOMEM, "out of memory"); return NULL; }
    n->kind = k;
    n->line = line;
    n->col = col;
    return n;
}

static int add_kid(lexer *lx, ex_node *n, ex_node *kid) {
    ex_node **nk = upl_reallocarray(n->kids, n->n_kids + 1, sizeof *nk);
    if (!nk) { prof_ex_node_free(kid); return upl_error_set(lx->err, UPL_ENOMEM, "out of memory"); }
    n->kids = nk;
    n->kids[n->n_kids++] = kid;
    return UPL_OK;
}

static const char *tok_name(tok_kind k) {
    static const char *const N[] = {"end of expression", "number", "string", "name", "`(`", "`)`", "`[`", "`]`",
                                    "`,`", "`+`", "`-`", "`*`", "`/`", "`<`", "`<=`", "`>`", "`>=`", "`==`",
                                    "`!=`", "`and`", "`or`", "`not`", "`in`", "`between`", "`true`", "`false`",
                                    "`missing`"};
    return N[k];
}

static int expect(lexer *lx, tok_kind k, const char *what) {
    if (lx->kind != k) {
        char msg[160];
        snprintf(msg, sizeof msg, "expected %s %s, found %s", tok_name(k), what, tok_name(lx->kind));
        return lex_error(lx, lx->tline, lx->tcol, "%s", msg);
    }
    return next(lx);
}

static int parse_or(lexer *lx, ex_node **out);

static int parse_binary_node(lexer *lx, ex_kind k, ex_node *l, ex_node *r, uint64_t line, uint64_t col,
                             ex_node **out) {
    ex_node *n = mk(lx, k, line, col);
    if (!n) { prof_ex_node_free(l); prof_ex_node_free(r); return UPL_ENOMEM; }
    if (add_kid(lx, n, l)) { prof_ex_node_free(r); prof_ex_node_free(n); return UPL_ENOMEM; }
    if (add_kid(lx, n, r)) { prof_ex_node_free(n); return UPL_ENOMEM; }
    *out = n;
    return UPL_OK;
}

static int parse_primary(lexer *lx, ex_node **out) {
    int rc = UPL_OK;
    ex_node *n = NULL;
    uint64_t line = lx->tline, col = lx->tcol;
    *out = NULL;
    if (++lx->depth > 200) return lex_error(lx, line, col, "expression nested too deeply%s", "");
    switch (lx->kind) {
    case T_NUM:
        n = mk(lx, EX_NUM, line, col);
        if (!n) return UPL_ENOMEM;
        n->num = lx->num;
        UPL_TRY(next(lx));
        break;
    case T_STR:
        n = mk(lx, EX_STR, line, col);
        if (!n) return UPL_ENOMEM;
        n->str = lx->text;
        lx->text = NULL;
        UPL_TRY(next(lx));
        break;
    case T_TRUE: case T_FALSE:
        n = mk(lx, EX_BOOL, line, col);
        if (!n) return UPL_ENOMEM;
        n->num = lx->kind == T_TRUE;
        UPL_TRY(next(lx));
        break;
    case T_MISSING:
        n = mk(lx, EX_MISSING, line, col);
        if (!n) return UPL_ENOMEM;
        UPL_TRY(next(lx));
        break;
    case T_LP:
        UPL_TRY(next(lx));
        UPL_TRY(parse_or(lx, &n));
        UPL_TRY(expect(lx, T_RP, "to close `(`"));
        break;
    case T_LB:
        n = mk(lx, EX_LIST, line, col);
        if (!n) return UPL_ENOMEM;
        UPL_TRY(next(lx));
        if (lx->kind != T_RB) {
            for (;;) {
                ex_node *item = NULL;
                UPL_TRY(parse_or(lx, &item));
                UPL_TRY(add_kid(lx, n, item));
                if (lx->kind == T_COMMA) { UPL_TRY(next(lx)); continue; }
                break;
            }
        }
        UPL_TRY(expect(lx, T_RB, "to close the list"));
        break;
    case T_IDENT: {
        char *name = lx->text;
        lx->text = NULL;
        rc = next(lx);
        if (rc) { upl_free(name); goto fail; }
        if (lx->kind == T_LP) {
            n = mk(lx, EX_CALL, line, col);
            if (!n) { upl_free(name); return UPL_ENOMEM; }
            n->str = name;
            UPL_TRY(next(lx));
            if (lx->kind != T_RP) {
                for (;;) {
                    ex_node *arg = NULL;
                    UPL_TRY(parse_or(lx, &arg));
                    UPL_TRY(add_kid(lx, n, arg));
                    if (lx->kind == T_COMMA) { UPL_TRY(next(lx)); continue; }
                    break;
                }
            }
            UPL_TRY(expect(lx, T_RP, "to close the argument list"));
        } else {
            n = mk(lx, EX_IDENT, line, col);
            if (!n) { upl_free(name); return UPL_ENOMEM; }
            n->str = name;
        }
        break;
    }
    default:
        rc = lex_error(lx, line, col, "expected a value, found %s", tok_name(lx->kind));
        goto fail;
    }
    lx->depth--;
    *out = n;
    return UPL_OK;
fail:
    prof_ex_node_free(n);
    return rc;
}

static int parse_unary(lexer *lx, ex_node **out) {
    if (lx->kind == T_MINUS) {
        uint64_t line = lx->tline, col = lx->tcol;
        int rc = next(lx);
        if (rc) return rc;
        ex_node *kid = NULL;
        if (++lx->depth > 200) return lex_error(lx, line, col, "expression nested too deeply%s", "");
        rc = parse_unary(lx, &kid);
        lx->depth--;
        if (rc) return rc;
        if (kid->kind == EX_NUM) { kid->num = -kid->num; kid->line = line; kid->col = col; *out = kid; return UPL_OK; }
        ex_node *n = mk(lx, EX_NEG, line, col);
        if (!n) { prof_ex_node_free(kid); return UPL_ENOMEM; }
        if (add_kid(lx, n, kid)) { prof_ex_node_free(n); return UPL_ENOMEM; }
        *out = n;
        return UPL_OK;
    }
    return parse_primary(lx, out);
}

static int parse_mul(lexer *lx, ex_node **out) {
    ex_node *l = NULL;
    int rc = parse_unary(lx, &l);
    if (rc) return rc;
    while (lx->kind == T_STAR || lx->kind == T_SLASH) {
        ex_kind k = lx->kind == T_STAR ? EX_MUL : EX_DIV;
        uint64_t line = lx->tline, col = lx->tcol;
        ex_node *r = NULL;
        if ((rc = next(lx)) || (rc = parse_unary(lx, &r))) { prof_ex_node_free(l); return rc; }
        if ((rc = parse_binary_node(lx, k, l, r, line, col, &l))) return rc;
    }
    *out = l;
    return UPL_OK;
}

static int parse_add(lexer *lx, ex_node **out) {
    ex_node *l = NULL;
    int rc = parse_mul(lx, &l);
    if (rc) return rc;
    while (lx->kind == T_PLUS || lx->kind == T_MINUS) {
        ex_kind k = lx->kind == T_PLUS ? EX_ADD : EX_SUB;
        uint64_t line = lx->tline, col = lx->tcol;
        ex_node *r = NULL;
        if ((rc = next(lx)) || (rc = parse_mul(lx, &r))) { prof_ex_node_free(l); return rc; }
        if ((rc = parse_binary_node(lx, k, l, r, line, col, &l))) return rc;
    }
    *out = l;
    return UPL_OK;
}

static int parse_cmp(lexer *lx, ex_node **out) {
    ex_node *l = NULL, *r = NULL, *r2 = NULL;
    int rc = parse_add(lx, &l);
    if (rc) return rc;
    uint64_t line = lx->tline, col = lx->tcol;
    ex_kind k = 0;
    switch (lx->kind) {
    case T_LT: k = EX_LT; break;
    case T_LE: k = EX_LE; break;
    case T_GT: k = EX_GT; break;
    case T_GE: k = EX_GE; break;
    case T_EQ: k = EX_EQ; break;
    case T_NE: k = EX_NE; break;
    case T_IN: k = EX_IN; break;
    case T_BETWEEN: k = EX_BETWEEN; break;
    case T_NOT: {
        /* `x not in [..]`: peek without consuming unless `in` follows */
        size_t pos = lx->pos;
        while (pos < lx->len && (lx->s[pos] == ' ' || lx->s[pos] == '\t' || lx->s[pos] == '\n' || lx->s[pos] == '\r')) pos++;
        if (pos + 2 <= lx->len && !memcmp(lx->s + pos, "in", 2) &&
            (pos + 2 == lx->len || !is_ident_char((unsigned char)lx->s[pos + 2]))) {
            if ((rc = next(lx))) { prof_ex_node_free(l); return rc; }  /* now at `in` */
            k = EX_NOTIN;
        } else {
            *out = l;
            return UPL_OK;
        }
        break;
    }
    default:
        *out = l;
        return UPL_OK;
    }
    if ((rc = next(lx))) { prof_ex_node_free(l); return rc; }
    if (k == EX_IN || k == EX_NOTIN) {
        if (lx->kind != T_LB) {
            prof_ex_node_free(l);
            return lex_error(lx, lx->tline, lx->tcol, "`in` needs a list in brackets, e.g. x in [\"C\", \"D\"]%s", "");
        }
        if ((rc = parse_primary(lx, &r))) { prof_ex_node_free(l); return rc; }
        return parse_binary_node(lx, k, l, r, line, col, out);
    }
    if (k == EX_BETWEEN) {
        if ((rc = parse_add(lx, &r))) { prof_ex_node_free(l); return rc; }
        if (lx->kind != T_AND) {
            prof_ex_node_free(l); prof_ex_node_free(r);
            return lex_error(lx, lx->tline, lx->tcol, "`between a and b` needs `and`%s", "");
        }
        if ((rc = next(lx)) || (rc = parse_add(lx, &r2))) { prof_ex_node_free(l); prof_ex_node_free(r); return rc; }
        ex_node *n = mk(lx, EX_BETWEEN, line, col);
        if (!n) { prof_ex_node_free(l); prof_ex_node_free(r); prof_ex_node_free(r2); return UPL_ENOMEM; }
        if (add_kid(lx, n, l)) { prof_ex_node_free(r); prof_ex_node_free(r2); prof_ex_node_free(n); return UPL_ENOMEM; }
        if (add_kid(lx, n, r)) { prof_ex_node_free(r2); prof_ex_node_free(n); return UPL_ENOMEM; }
        if (add_kid(lx, n, r2)) { prof_ex_node_free(n); return UPL_ENOMEM; }
        l = n;
    } else {
        if ((rc = parse_add(lx, &r))) { prof_ex_node_free(l); return rc; }
        if ((rc = parse_binary_node(lx, k, l, r, line, col, &l))) return rc;
    }
    switch (lx->kind) {
    case T_LT: case T_LE: case T_GT: case T_GE: case T_EQ: case T_NE: case T_IN: case T_BETWEEN:
        prof_ex_node_free(l);
        return lex_error(lx, lx->tline, lx->tcol,
                         "comparisons do not chain; write `a < b and b < c` (or `x between a and b`)%s", "");
    default: break;
    }
    *out = l;
    return UPL_OK;
}

static int parse_not(lexer *lx, ex_node **out) {
    if (lx->kind == T_NOT) {
        uint64_t line = lx->tline, col = lx->tcol;
        int rc = next(lx);
        if (rc) return rc;
        if (++lx->depth > 200) return lex_error(lx, line, col, "expression nested too deeply%s", "");
        ex_node *kid = NULL;
        rc = parse_not(lx, &kid);
        lx->depth--;
        if (rc) return rc;
        ex_node *n = mk(lx, EX_NOT, line, col);
        if (!n) { prof_ex_node_free(kid); return UPL_ENOMEM; }
        if (add_kid(lx, n, kid)) { prof_ex_node_free(n); return UPL_ENOMEM; }
        *out = n;
        return UPL_OK;
    }
    return parse_cmp(lx, out);
}

static int parse_and(lexer *lx, ex_node **out) {
    ex_node *l = NULL;
    int rc = parse_not(lx, &l);
    if (rc) return rc;
    while (lx->kind == T_AND) {
        uint64_t line = lx->tline, col = lx->tcol;
        ex_node *r = NULL;
        if ((rc = next(lx)) || (rc = parse_not(lx, &r))) { prof_ex_node_free(l); return rc; }
        if ((rc = parse_binary_node(lx, EX_AND, l, r, line, col, &l))) return rc;
    }
    *out = l;
    return UPL_OK;
}

static int parse_or(lexer *lx, ex_node **out) {
    ex_node *l = NULL;
    int rc;
    if (++lx->depth > 200) return lex_error(lx, lx->tline, lx->tcol, "expression nested too deeply%s", "");
    rc = parse_and(lx, &l);
    if (rc) return rc;
    while (lx->kind == T_OR) {
        uint64_t line = lx->tline, col = lx->tcol;
        ex_node *r = NULL;
        if ((rc = next(lx)) || (rc = parse_and(lx, &r))) { prof_ex_node_free(l); return rc; }
        if ((rc = parse_binary_node(lx, EX_OR, l, r, line, col, &l))) return rc;
    }
    lx->depth--;
    *out = l;
    return UPL_OK;
}

int upl_expr_parse(const char *text, const char *file, uint64_t line, uint64_t col, upl_expr **out,
                   upl_error *err) {
    lexer lx = {0};
    int rc;
    ex_node *root = NULL;
    upl_expr *e = NULL;
    *out = NULL;
    if (!text) return upl_error_set(err, UPL_EMISUSE, "NULL expression");
    lx.s = text;
    lx.len = strlen(text);
    lx.line = line ? line : 1;
    lx.col = col ? col : 1;
    lx.file = file;
    lx.err = err;
    UPL_TRY(next(&lx));
    if (lx.kind == T_END) { rc = lex_error(&lx, lx.tline, lx.tcol, "empty expression%s", ""); goto fail; }
    UPL_TRY(parse_or(&lx, &root));
    if (lx.kind != T_END) {
        rc = lex_error(&lx, lx.tline, lx.tcol, "unexpected %s after a complete expression", tok_name(lx.kind));
        goto fail;
    }
    e = upl_calloc(1, sizeof *e);
    if (!e) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    e->root = root;
    root = NULL;
    if (file && !(e->file = upl_strdup(file))) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory"); goto fail; }
    upl_free(lx.text);
    *out = e;
    return UPL_OK;
fail:
    upl_free(lx.text);
    prof_ex_node_free(root);
    upl_expr_free(e);
    return rc;
}

void upl_expr_free(upl_expr *e) {
    if (!e) return;
    prof_ex_node_free(e->root);
    upl_free(e->file);
    upl_free(e);
}

/* ---- printing ------------------------------------------------------------- */
typedef struct sbuf { char *s; size_t n, cap; bool oom; } sbuf;
static void sb_put(sbuf *b, const char *t) {
    size_t l = strlen(t);
    if (b->oom) return;
    if (b->n + l + 1 > b->cap) {
        size_t nc = (b->cap ? b->cap * 2 : 64);
        while (nc < b->n + l + 1) nc *= 2;
        char *ns = upl_realloc(b->s, nc);
        if (!ns) { b->oom = true; return; }
        b->s = ns;
        b->cap = nc;
    }
    memcpy(b->s + b->n, t, l + 1);
    b->n += l;
}

static void print_node(sbuf *b, const ex_node *n) {
    static const char *const OPS[] = {
        [EX_ADD] = " + ", [EX_SUB] = " - ", [EX_MUL] = " * ", [EX_DIV] = " / ", [EX_LT] = " < ",
        [EX_LE] = " <= ", [EX_GT] = " > ", [EX_GE] = " >= ", [EX_EQ] = " == ", [EX_NE] = " != ",
        [EX_AND] = " and ", [EX_OR] = " or ", [EX_IN] = " in ", [EX_NOTIN] = " not in "};
    char tmp[64];
    switch (n->kind) {
    case EX_NUM: snprintf(tmp, sizeof tmp, "%.17g", n->num); sb_put(b, tmp); break;
    case EX_STR: {
        /* quote and backslash escaped so the text parses back to the same string */
        sb_put(b, "\"");
        for (const char *c = n->str; *c; c++) {
            char one[3] = {0};
            if (*c == '"' || *c == '\\') { one[0] = '\\'; one[1] = *c; }
            else one[0] = *c;
            sb_put(b, one);
        }
        sb_put(b, "\"");
        break;
    }
    case EX_BOOL: sb_put(b, n->num ? "true" : "false"); break;
    case EX_MISSING: sb_put(b, "missing"); break;
    case EX_IDENT: sb_put(b, n->str); break;
    case EX_LIST:
        sb_put(b, "[");
        for (size_t i = 0; i < n->n_kids; i++) { if (i) sb_put(b, ", "); print_node(b, n->kids[i]); }
        sb_put(b, "]");
        break;
    case EX_CALL:
        sb_put(b, n->str);
        sb_put(b, "(");
        for (size_t i = 0; i < n->n_kids; i++) { if (i) sb_put(b, ", "); print_node(b, n->kids[i]); }
        sb_put(b, ")");
        break;
    case EX_NEG: sb_put(b, "(-"); print_node(b, n->kids[0]); sb_put(b, ")"); break;
    case EX_NOT: sb_put(b, "(not "); print_node(b, n->kids[0]); sb_put(b, ")"); break;
    case EX_BETWEEN:
        sb_put(b, "(");
        print_node(b, n->kids[0]);
        sb_put(b, " between ");
        print_node(b, n->kids[1]);
        sb_put(b, " and ");
        print_node(b, n->kids[2]);
        sb_put(b, ")");
        break;
    default:
        sb_put(b, "(");
        print_node(b, n->kids[0]);
        sb_put(b, OPS[n->kind]);
        print_node(b, n->kids[1]);
        sb_put(b, ")");
        break;
    }
}

char *upl_expr_to_string(const upl_expr *e) {
    sbuf b = {0};
    if (!e) return NULL;
    print_node(&b, e->root);
    if (b.oom) { upl_free(b.s); return NULL; }
    return b.s;
}
