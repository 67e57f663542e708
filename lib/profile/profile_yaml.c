/* profile_yaml.c — turns a YAML document (libyaml's document API) into a
 * small tree of maps, sequences and scalars that keeps each node's line and
 * column, so every later error can point into the profile file. Anchors and
 * aliases are resolved by libyaml; tags are ignored (profiles are data). */
#include <string.h>
#include <yaml.h>
#include "profile_int.h"

void prof_yaml_free(ynode *n) {
    if (!n) return;
    for (size_t i = 0; i < (n->kind == Y_MAP ? 2 * n->n : n->n); i++) prof_yaml_free(n->items[i]);
    upl_free(n->items);
    upl_free(n->text);
    upl_free(n);
}

static int convert(yaml_document_t *doc, yaml_node_t *yn, int depth, const char *file, ynode **out,
                   upl_error *err) {
    int rc = UPL_OK;
    ynode *n = NULL;
    if (depth > 64)
        return upl_error_at(err, UPL_EPROFILE, file, yn->start_mark.line + 1, yn->start_mark.column + 1,
                            NULL, "nesting deeper than 64 levels");
    n = upl_calloc(1, sizeof *n);
    if (!n) return upl_error_set(err, UPL_ENOMEM, "out of memory reading profile");
    n->line = yn->start_mark.line + 1;
    n->col = yn->start_mark.column + 1;
    switch (yn->type) {
    case YAML_SCALAR_NODE:
        n->kind = Y_SCALAR;
        n->text = upl_strndup((const char *)yn->data.scalar.value, yn->data.scalar.length);
        if (!n->text) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory reading profile"); goto fail; }
        if (strlen(n->text) != yn->data.scalar.length) {
            rc = upl_error_at(err, UPL_EPROFILE, file, n->line, n->col, NULL, "NUL byte inside a value");
            goto fail;
        }
        n->is_quoted = yn->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                       yn->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
        break;
    case YAML_SEQUENCE_NODE: {
        n->kind = Y_SEQ;
        size_t cnt = (size_t)(yn->data.sequence.items.top - yn->data.sequence.items.start);
        if (cnt) {
            n->items = upl_calloc(cnt, sizeof *n->items);
            if (!n->items) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory reading profile"); goto fail; }
        }
        for (size_t i = 0; i < cnt; i++) {
            yaml_node_t *c = yaml_document_get_node(doc, yn->data.sequence.items.start[i]);
            if (!c) { rc = upl_error_at(err, UPL_EPROFILE, file, n->line, n->col, NULL, "broken YAML node"); goto fail; }
            UPL_TRY(convert(doc, c, depth + 1, file, &n->items[i], err));
            n->n = i + 1;
        }
        break;
    }
    case YAML_MAPPING_NODE: {
        n->kind = Y_MAP;
        size_t cnt = (size_t)(yn->data.mapping.pairs.top - yn->data.mapping.pairs.start);
        if (cnt) {
            n->items = upl_calloc(2 * cnt, sizeof *n->items);
            if (!n->items) { rc = upl_error_set(err, UPL_ENOMEM, "out of memory reading profile"); goto fail; }
        }
        for (size_t i = 0; i < cnt; i++) {
            yaml_node_pair_t *pr = &yn->data.mapping.pairs.start[i];
            yaml_node_t *k = yaml_document_get_node(doc, pr->key);
            yaml_node_t *v = yaml_document_get_node(doc, pr->value);
            if (!k || !v) { rc = upl_error_at(err, UPL_EPROFILE, file, n->line, n->col, NULL, "broken YAML node"); goto fail; }
            if (k->type != YAML_SCALAR_NODE) {
                rc = upl_error_at(err, UPL_EPROFILE, file, k->start_mark.line + 1, k->start_mark.column + 1,
                                  NULL, "a key must be a plain value");
                goto fail;
            }
            UPL_TRY(convert(doc, k, depth + 1, file, &n->items[2 * i], err));
            n->n = i + 1;   /* count the pair so a failure below frees the key */
            UPL_TRY(convert(doc, v, depth + 1, file, &n->items[2 * i + 1], err));
            for (size_t j = 0; j < i; j++)
                if (!strcmp(n->items[2 * j]->text, n->items[2 * i]->text)) {
                    rc = upl_error_at(err, UPL_EPROFILE, file, n->items[2 * i]->line, n->items[2 * i]->col,
                                      NULL, "duplicate key `%s` (first at line %llu)", n->items[2 * i]->text,
                                      (unsigned long long)n->items[2 * j]->line);
                    goto fail;
                }
        }
        break;
    }
    default:
        rc = upl_error_at(err, UPL_EPROFILE, file, n->line, n->col, NULL, "empty YAML node");
        goto fail;
    }
    *out = n;
    return UPL_OK;
fail:
    prof_yaml_free(n);
    return rc;
}

int prof_yaml_load(const char *text, size_t len, const char *file, ynode **out, upl_error *err) {
    yaml_parser_t parser;
    yaml_document_t doc;
    int rc = UPL_OK;
    bool has_doc = false;
    *out = NULL;
    if (!yaml_parser_initialize(&parser)) return upl_error_set(err, UPL_ENOMEM, "cannot start the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = upl_error_at(err, parser.error == YAML_MEMORY_ERROR ? UPL_ENOMEM : UPL_EPARSE, file,
                          parser.problem_mark.line + 1, parser.problem_mark.column + 1, NULL, "YAML: %s%s%s",
                          parser.problem ? parser.problem : "syntax error", parser.context ? " " : "",
                          parser.context ? parser.context : "");
        goto fail;
    }
    has_doc = true;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) { rc = upl_error_at(err, UPL_EPROFILE, file, 1, 1, NULL, "the profile is empty"); goto fail; }
    UPL_TRY(convert(&doc, root, 0, file, out, err));
    if ((*out)->kind != Y_MAP) {
        rc = upl_error_at(err, UPL_EPROFILE, file, (*out)->line, (*out)->col, NULL,
                          "the profile must be a mapping of sections (profile:, columns:, ...)");
        prof_yaml_free(*out);
        *out = NULL;
        goto fail;
    }
fail:
    if (has_doc) yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

ynode *prof_ymap_get(const ynode *map, const char *key) {
    if (!map || map->kind != Y_MAP) return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (!strcmp(map->items[2 * i]->text, key)) return map->items[2 * i + 1];
    return NULL;
}
