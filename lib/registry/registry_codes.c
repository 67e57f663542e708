/* registry_codes.c — the code lists of county exports, with versions and
 * aliases (REGISTRY_FIELDS.md §4).
 *
 * Exports hold labels, not codes, and the lists changed over time
 * (文化程度, 在校生状况, 劳动技能 and 与户主关系 all grew after 2020; 缺劳力 is
 * also written 缺劳动力; some systems export the national numeric codes).
 * Import maps every alias to the current label (counted as CODE_ALIAS, the
 * value is stored in its current form) and keeps unknown labels as written
 * with a CODE_UNKNOWN warning: provinces add their own values, and a label
 * we do not know is a question for a person, not a reason to drop a row.
 *
 * Each entry: label | aliases separated by '|'. Version notes are comments;
 * labels valid in any version are accepted. Numeric aliases are the national
 * system's codes where a source gives them (C2 numbers the causes 1–13). */
#include <string.h>
#include "registry_int.h"

typedef struct code_entry { const char *label; const char *aliases; } code_entry;
typedef struct code_list { const char *fields; const code_entry *entries; } code_list;

static const code_entry sex_codes[] = {
    { "男", "男性|1|M|male" }, { "女", "女性|2|F|female" }, { "未说明的性别", "9" }, { NULL, NULL }
};
/* 2016 national list + 2021+ additions (C4, C7); GB-style codes where unambiguous (C14). */
static const code_entry relation_codes[] = {
    { "户主", "本人|1|01|head" }, { "配偶", "10|spouse" }, { "之子", "子" }, { "之女", "女" },
    { "之儿媳", "儿媳" }, { "之女婿", "女婿" }, { "之孙子", "孙子" }, { "之孙女", "孙女" },
    { "之外孙子", "外孙子" }, { "之外孙女", "外孙女" }, { "之父", "父亲" }, { "之母", "母亲" },
    { "之岳父", "岳父" }, { "之岳母", "岳母" }, { "之公公", "公公" }, { "之婆婆", "婆婆" },
    { "之祖父", "祖父" }, { "之祖母", "祖母" }, { "之外祖父", "外祖父" }, { "之外祖母", "外祖母" },
    { "之兄弟姐妹", "兄弟姐妹|70" }, { "之曾孙子", "曾孙子" }, { "之曾孙女", "曾孙女" }, { "之侄儿", "侄儿" },
    { "之侄女", "侄女" }, { "之兄弟媳妇", "兄弟媳妇" }, { "之叔伯", "叔伯" }, { "其他", "其它|99" }, { NULL, NULL }
};
/* 2014–2020 causes; C2 numbers them 1–13 in this order (因婚 12, 因丧 13). */
static const code_entry cause_codes[] = {
    { "因病", "1|因病致贫" }, { "因残", "2|因残致贫" }, { "因学", "3|因学致贫" }, { "因灾", "4|因灾致贫" },
    { "缺土地", "5" }, { "缺水", "6" }, { "缺技术", "7" }, { "缺劳力", "8|缺劳动力" }, { "缺资金", "9" },
    { "交通条件落后", "10|交通落后" }, { "自身发展动力不足", "11|自身发展力不足" }, { "因婚", "12" },
    { "因丧", "13" }, { "其他", "其它|99" }, { NULL, NULL }
};
/* 2021+ risk types (100A27, P3); the value is also exported without 因 (C6 rule 5_15_013). */
static const code_entry risk_codes[] = {
    { "因病", "病" }, { "因学", "学" }, { "因残", "残" }, { "因自然灾害", "自然灾害" }, { "因意外事故", "意外事故" },
    { "因产业项目失败", "产业项目失败" }, { "因务工就业不稳", "务工就业不稳" }, { "缺劳动力", "缺劳力" },
    { "其他", "其它" }, { NULL, NULL }
};
static const code_entry health_codes[] = {
    { "健康", NULL }, { "长期慢性病", "慢性病" }, { "患有大病", "大病" }, { "残疾", NULL }, { NULL, NULL }
};
/* 4 values until 2019 (C7), 5 since (弱劳动力或半劳动力 added; C4, C15). */
static const code_entry labor_codes[] = {
    { "普通劳动力", NULL }, { "技能劳动力", NULL }, { "弱劳动力或半劳动力", "弱劳动力|半劳动力" },
    { "丧失劳动力", NULL }, { "无劳动力", NULL }, { NULL, NULL }
};
static const code_entry monitor_codes[] = {
    { "脱贫不稳定户", "0" }, { "边缘易致贫户", "1" },
    { "突发严重困难户", "2|因病因灾因意外事故等刚性支出较大或收入大幅缩减导致基本生活出现严重困难户" }, { NULL, NULL }
};
static const code_entry household_type_codes[] = {
    { "脱贫户", "1" }, { "普通农户", "0|一般农户" }, { NULL, NULL }
};
/* 2014 form, 2016–2020 national, post-2020 脱贫户属性 (P1, C7, C15). */
static const code_entry attribute_codes[] = {
    { "一般贫困户", NULL }, { "低保贫困户", "低保(部分)贫困户|低保(全家)贫困户" }, { "特困供养贫困户", NULL },
    { "五保户", NULL }, { "低保户", NULL }, { "一般脱贫户", NULL }, { "低保脱贫户", NULL },
    { "特困供养脱贫户", "低保特困供养贫困户" }, { "扶贫户", NULL }, { "扶贫低保户", NULL }, { NULL, NULL }
};
static const code_entry exit_codes[] = {
    { "未脱贫", NULL }, { "脱贫", "已脱贫" }, { "预脱贫", NULL }, { "返贫", NULL }, { NULL, NULL }
};
static const code_entry elimination_codes[] = { { "帮扶消除", NULL }, { "自然消除", NULL }, { NULL, NULL } };

static const code_list lists[] = {
    { "sex", sex_codes },
    { "relation_to_head", relation_codes },
    { "main_poverty_cause,other_poverty_causes", cause_codes },
    { "risk_types", risk_codes },
    { "health_status", health_codes },
    { "labor_skill", labor_codes },
    { "monitoring_category", monitor_codes },
    { "household_type", household_type_codes },
    { "poverty_attribute", attribute_codes },
    { "exit_status", exit_codes },
    { "elimination_method", elimination_codes },
};

static bool in_csv(const char *list, const char *name) {
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !memcmp(p, name, n)) return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

static bool alias_match(const char *aliases, const char *s, size_t n) {
    for (const char *p = aliases; p && *p;) {
        const char *e = strchr(p, '|');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !memcmp(p, s, n)) return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

int upl_code_normalise(const char *field, const char *label, size_t len, const char **out, bool *is_alias) {
    *out = NULL;
    *is_alias = false;
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        if (!in_csv(lists[i].fields, field)) continue;
        for (const code_entry *e = lists[i].entries; e->label; e++)
            if (strlen(e->label) == len && !memcmp(e->label, label, len)) { *out = e->label; return UPL_OK; }
        for (const code_entry *e = lists[i].entries; e->label; e++)
            if (alias_match(e->aliases, label, len)) { *out = e->label; *is_alias = true; return UPL_OK; }
        return UPL_ENOTFOUND;
    }
    return UPL_EUNSUPPORTED;
}
