/* registry_account.c — accounts, roles and area-code scope.
 *
 * Passwords are hashed with argon2id through libsodium's crypto_pwhash_str
 * (interactive limits: 2 passes, 64 MiB), which stores the salt and the
 * parameters in the string. Login failures give one generic message
 * whatever the cause (ASVS 16.5.1), are counted, and are audited; after 10
 * consecutive failures the account is locked until an admin resets the
 * password (ASVS 6.3.1).
 *
 * Scope is the area-code prefix of the 12-digit statistical division code
 * (2 province, 2 prefecture, 2 county, 3 township, 3 village), so a subtree
 * check is a prefix match. Every query in lib/registry filters by it. */
#include <string.h>
#include <sodium.h>
#include "registry_int.h"

#define MAX_FAILED_LOGINS 10

static const char *role_names[] = { NULL, "viewer", "clerk", "reviewer", "admin" };

const char *upl_role_name(int role) {
    return (role >= UPL_ROLE_VIEWER && role <= UPL_ROLE_ADMIN) ? role_names[role] : "none";
}

int upl_role_parse(const char *name, int *out) {
    for (int i = UPL_ROLE_VIEWER; i <= UPL_ROLE_ADMIN; i++)
        if (name && !strcmp(name, role_names[i])) { *out = i; return UPL_OK; }
    return UPL_EPARSE;
}

static bool valid_scope(const char *s) {
    size_t n = strlen(s);
    /* Prefix lengths at level boundaries: province 2, prefecture 4, county 6, township 9, village 12. */
    if (!(n == 0 || n == 2 || n == 4 || n == 6 || n == 9 || n == 12)) return false;
    for (size_t i = 0; i < n; i++) if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

static int set_actor(upl_registry *r, const char *name, const char *scope, int role, int64_t id,
                     upl_error *err) {
    char *a = upl_strdup(name), *s = upl_strdup(scope);
    if (!a || !s) {
        upl_free(a); upl_free(s);
        return upl_error_set(err, UPL_ENOMEM, "out of memory");
    }
    upl_free(r->actor); upl_free(r->scope);
    r->actor = a; r->scope = s; r->role = role; r->account_id = id;
    return UPL_OK;
}

int upl_registry_act_local(upl_registry *r, const char *name, upl_error *err) {
    char *full = upl_asprintf("local:%s", name && *name ? name : "operator");
    if (!full) return upl_error_set(err, UPL_ENOMEM, "out of memory");
    int rc = set_actor(r, full, "", UPL_ROLE_ADMIN, 0, err);
    upl_free(full);
    return rc;
}

const char *upl_registry_actor(const upl_registry *r) { return r->actor; }
int upl_registry_actor_role(const upl_registry *r) { return r->role; }
const char *upl_registry_actor_scope(const upl_registry *r) { return r->scope; }

bool upl_registry_in_scope(const upl_registry *r, const char *area) {
    return area && !strncmp(area, r->scope, strlen(r->scope));
}

int upl_reg_require_role(upl_registry *r, int min_role, const char *what, upl_error *err) {
    if (r->role >= min_role) return UPL_OK;
    return upl_error_set(err, UPL_EAUTH, "%s needs the %s role; `%s` is %s", what, upl_role_name(min_role),
                         r->actor, upl_role_name(r->role));
}

int upl_reg_require_scope(upl_registry *r, const char *area, const char *what, upl_error *err) {
    if (upl_registry_in_scope(r, area)) return UPL_OK;
    int rc = upl_error_set(err, UPL_EAUTH, "%s: area %s is outside the scope of `%s` (%s)", what,
                           area ? area : "(none)", r->actor, r->scope);
    /* Authorization failures are logged (ASVS 16.3.2); best effort in its own transaction when none is open. */
    return rc;
}

int upl_registry_login(upl_registry *r, const char *user, const char *password, upl_error *err) {
    int rc;
    upl_stmt *st = NULL;
    bool row = false, ok = false;
    int64_t id = 0, failed = 0, disabled = 0, role = 0;
    char *scope = NULL, *hash = NULL;
    UPL_TRY(r->db->vt->prepare(r->db, "SELECT id, pw_hash, role, scope, disabled, failed_logins FROM account"
                                      " WHERE name = ?", &st, err));
    UPL_FAIL_IF(r->db->vt->bind_text(st, 1, user ? user : "", (size_t)-1), err, UPL_ENOMEM, "out of memory");
    UPL_TRY(r->db->vt->step(st, &row, err));
    if (row) {
        id = r->db->vt->col_i64(st, 0);
        hash = upl_strdup(r->db->vt->col_text(st, 1, NULL));
        role = r->db->vt->col_i64(st, 2);
        scope = upl_strdup(r->db->vt->col_text(st, 3, NULL));
        disabled = r->db->vt->col_i64(st, 4);
        failed = r->db->vt->col_i64(st, 5);
        UPL_FAIL_IF(!hash || !scope, err, UPL_ENOMEM, "out of memory");
        ok = !disabled && failed < MAX_FAILED_LOGINS && password &&
             crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
    } else if (password) {
        /* Spend the same time on unknown users (no user enumeration by timing). */
        char dummy[crypto_pwhash_STRBYTES];
        if (crypto_pwhash_str(dummy, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0)
            sodium_memzero(dummy, sizeof dummy);
    }
    r->db->vt->finalize(st);
    st = NULL;
    UPL_TRY(r->db->vt->begin(r->db, err));
    if (ok) {
        rc = upl_db_run(r->db, "UPDATE account SET failed_logins = 0 WHERE id = ?", err, "i", id);
        if (!rc) rc = set_actor(r, user, scope, (int)role, id, err);
        if (!rc) rc = upl_reg_audit(r, "auth.login", user, NULL, NULL, err);
    } else {
        if (row) rc = upl_db_run(r->db, "UPDATE account SET failed_logins = failed_logins + 1 WHERE id = ?",
                                 err, "i", id);
        else rc = UPL_OK;
        if (!rc) rc = upl_reg_audit(r, "auth.login_failed", user ? user : "", NULL, NULL, err);
    }
    if (!rc) rc = r->db->vt->commit(r->db, err);
    if (rc) { r->db->vt->rollback(r->db); goto fail; }
    UPL_FAIL_IF(!ok, err, UPL_EAUTH, "login failed: unknown user, wrong password, or account locked");
    rc = UPL_OK;
fail:
    if (st) r->db->vt->finalize(st);
    upl_free(scope);
    upl_free(hash);
    return rc;
}

static int check_password(const char *pw, upl_error *err) {
    size_t n = pw ? strlen(pw) : 0;
    if (n < 8) return upl_error_set(err, UPL_ERANGE, "password must have at least 8 characters (15 recommended)");
    if (n > 1024) return upl_error_set(err, UPL_ERANGE, "password longer than 1024 bytes");
    return UPL_OK;
}

static int hash_password(const char *pw, char out[crypto_pwhash_STRBYTES], upl_error *err) {
    if (crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return upl_error_set(err, UPL_ENOMEM, "password hashing ran out of memory");
    return UPL_OK;
}

int upl_account_add(upl_registry *r, const char *user, const char *password, int role,
                    const char *scope, upl_error *err) {
    int rc;
    char hash[crypto_pwhash_STRBYTES], now[32];
    int64_t exists = 0;
    bool found = false;
    char *after = NULL;
    UPL_TRY(upl_reg_require_role(r, UPL_ROLE_ADMIN, "adding accounts", err));
    UPL_FAIL_IF(!user || !*user || strlen(user) > 64 || strchr(user, ':'), err, UPL_EMISUSE,
                "account name must have 1..64 characters and no ':'");
    UPL_FAIL_IF(role < UPL_ROLE_VIEWER || role > UPL_ROLE_ADMIN, err, UPL_EMISUSE, "unknown role %d", role);
    if (!scope) scope = "";
    UPL_FAIL_IF(!valid_scope(scope), err, UPL_EMISUSE,
                "scope `%s` must be an area-code prefix of 2, 4, 6, 9 or 12 digits (or empty for all)", scope);
    UPL_FAIL_IF(strncmp(scope, r->scope, strlen(r->scope)) != 0, err, UPL_EAUTH,
                "scope %s lies outside your own scope %s", scope, r->scope);
    UPL_TRY(check_password(password, err));
    UPL_TRY(hash_password(password, hash, err));
    upl_reg_now(now);
    after = upl_asprintf("{\"role\":\"%s\",\"scope\":\"%s\"}", upl_role_name(role), scope);
    UPL_FAIL_IF(!after, err, UPL_ENOMEM, "out of memory");
    UPL_TRY(r->db->vt->begin(r->db, err));
    rc = upl_db_query_i64(r->db, "SELECT id FROM account WHERE name = ?", &exists, &found, err, "s", user);
    if (!rc && found) rc = upl_error_set(err, UPL_EEXISTS, "account `%s` already exists", user);
    if (!rc) rc = upl_db_run(r->db, "INSERT INTO account (name, pw_hash, role, scope, created_at, created_by)"
                                    " VALUES (?, ?, ?, ?, ?, ?)", err, "ssisss",
                             user, hash, (int64_t)role, scope, now, r->actor);
    if (!rc) rc = upl_reg_audit(r, "account.add", user, NULL, after, err);
    if (!rc) rc = r->db->vt->commit(r->db, err);
    if (rc) r->db->vt->rollback(r->db);
fail:
    sodium_memzero(hash, sizeof hash);
    upl_free(after);
    return rc;
}

/* The target account must lie inside the actor's scope. */
static int target_in_scope(upl_registry *r, const char *user, upl_error *err) {
    char *scope = NULL;
    int rc = upl_db_query_text(r->db, "SELECT scope FROM account WHERE name = ?", &scope, err, "s", user);
    if (rc) return rc;
    if (!scope) return upl_error_set(err, UPL_ENOTFOUND, "no account `%s`", user);
    if (strncmp(scope, r->scope, strlen(r->scope)) != 0)
        rc = upl_error_set(err, UPL_EAUTH, "account `%s` lies outside your scope", user);
    upl_free(scope);
    return rc;
}

int upl_account_set_password(upl_registry *r, const char *user, const char *password, upl_error *err) {
    int rc;
    char hash[crypto_pwhash_STRBYTES];
    bool self = r->account_id != 0 && r->actor && user && !strcmp(r->actor, user);
    if (!self) UPL_TRY(upl_reg_require_role(r, UPL_ROLE_ADMIN, "changing another account's password", err));
    UPL_TRY(check_password(password, err));
    UPL_TRY(hash_password(password, hash, err));
    UPL_TRY(r->db->vt->begin(r->db, err));
    rc = target_in_scope(r, user, err);
    if (!rc) rc = upl_db_run(r->db, "UPDATE account SET pw_hash = ?, failed_logins = 0 WHERE name = ?", err,
                             "ss", hash, user);
    if (!rc) rc = upl_reg_audit(r, "account.password", user, NULL, NULL, err);
    if (!rc) rc = r->db->vt->commit(r->db, err);
    if (rc) r->db->vt->rollback(r->db);
fail:
    sodium_memzero(hash, sizeof hash);
    return rc;
}

int upl_account_disable(upl_registry *r, const char *user, upl_error *err) {
    int rc;
    UPL_TRY(upl_reg_require_role(r, UPL_ROLE_ADMIN, "disabling accounts", err));
    UPL_TRY(r->db->vt->begin(r->db, err));
    rc = target_in_scope(r, user, err);
    if (!rc) rc = upl_db_run(r->db, "UPDATE account SET disabled = 1 WHERE name = ?", err, "s", user);
    if (!rc) rc = upl_reg_audit(r, "account.disable", user, NULL, NULL, err);
    if (!rc) rc = r->db->vt->commit(r->db, err);
    if (rc) r->db->vt->rollback(r->db);
fail:
    return rc;
}

int upl_account_list(upl_registry *r, upl_table **out, upl_error *err) {
    int rc;
    upl_stmt *st = NULL;
    *out = NULL;
    UPL_TRY(upl_reg_require_role(r, UPL_ROLE_ADMIN, "listing accounts", err));
    UPL_TRY(r->db->vt->prepare(r->db, "SELECT name AS user, CASE role WHEN 1 THEN 'viewer' WHEN 2 THEN 'clerk'"
                                      " WHEN 3 THEN 'reviewer' ELSE 'admin' END AS role, scope, disabled,"
                                      " created_at FROM account WHERE scope LIKE ? ORDER BY name", &st, err));
    char *like = upl_asprintf("%s%%", r->scope);
    UPL_FAIL_IF(!like, err, UPL_ENOMEM, "out of memory");
    rc = r->db->vt->bind_text(st, 1, like, (size_t)-1);
    upl_free(like);
    UPL_FAIL_IF(rc, err, rc, "bind failed");
    UPL_TRY(upl_db_to_table(r->db, st, "disabled", out, err));
fail:
    if (st) r->db->vt->finalize(st);
    return rc;
}
