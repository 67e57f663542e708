# Review and correction from the command line: deciding conflicts (scope,
# role, escalation, audit), quarantine list/show/sweep/close around a
# corrected re-import, and events. SQLite files under $TMP; no server.
V="$TMP/review"
mkdir -p "$V"
cp "$ROOT/tests/data/registry/county_2023.csv" "$V/county.csv"
DB="$V/county.db"
printf 'correct horse battery\n' > "$V/pw"
"$UPLIFT" import "$V/county.csv" --db "$DB" --today 20240101 >/dev/null 2>&1
for a in rev_town:reviewer:110105001 rev_county:reviewer:110105 clerk_v1:clerk:110105001001 clerk_v3:clerk:110105003001; do
    IFS=: read -r u role scope <<<"$a"
    env UPLIFT_NEW_PASSWORD="correct horse battery" "$UPLIFT" account add "$u" --role "$role" --scope "$scope" \
        --db "$DB" >/dev/null 2>&1
done
as() { echo --user "$1" --password-file "$V/pw"; }

# ---- conflicts ----
case_run "review: conflict listed open" 0 "~^1 +same_person_two_areas +110105\*{8}0019 +H001 +H008 +110105001001 +110105002001 +110105 +open " "!" \
    -- "$UPLIFT" case conflicts --db "$DB"
case_run "review: no resolved conflict yet" 0 "~^0 conflict\(s\)" "!" -- "$UPLIFT" case conflicts --status resolved --db "$DB"
case_run "review: bad status filter" 2 "!" "~open, escalated or resolved" \
    -- "$UPLIFT" case conflicts --status closed --db "$DB"
case_run "review: show lists both households masked" 0 "~^A +H001 +110105001001 +张伟 +2023 +P00101 +张伟 +户主 +110105\*{8}0019 +1 +1" "!" \
    -- "$UPLIFT" case conflicts show 1 --db "$DB"
case_run "review: show, no decision yet" 0 "~none yet" "!" -- "$UPLIFT" case conflicts show 1 --db "$DB"
case_run "review: show unknown conflict" 1 "" "~no conflict 99 in your scope" -- "$UPLIFT" case conflicts show 99 --db "$DB"
case_run "review: resolve needs a note" 2 "!" "~--note TEXT is required" \
    -- "$UPLIFT" case conflicts resolve 1 --decision moved --household H008 --db "$DB"
case_run "review: resolve needs a known decision" 2 "!" "~--decision must be moved, duplicate_registration" \
    -- "$UPLIFT" case conflicts resolve 1 --decision merge --note x --db "$DB"
case_run "review: a clerk may not decide" 1 "!" "~needs the reviewer role" \
    -- "$UPLIFT" case conflicts resolve 1 --decision moved --household H008 --note x --db "$DB" $(as clerk_v1)
case_run "review: another village does not see it" 0 "~^0 conflict\(s\)" "!" \
    -- "$UPLIFT" case conflicts --db "$DB" $(as clerk_v3)
case_run "review: township cannot decide across villages" 1 "!" "~decided at 110105.*record .escalated." \
    -- "$UPLIFT" case conflicts resolve 1 --decision moved --household H008 --note x --db "$DB" $(as rev_town)
case_run "review: township escalates" 0 "~conflict 1 escalated" "!" \
    -- "$UPLIFT" case conflicts resolve 1 --decision escalated --note "two villages / 跨村" --db "$DB" $(as rev_town)
case_run "review: note must not hold an ID" 2 "!" "~18 digits" \
    -- "$UPLIFT" case conflicts resolve 1 --decision moved --household H008 --note "110105195003150019" --db "$DB" $(as rev_county)
case_run "review: county decides" 0 "~next: import a corrected file for household H001 without this person" "!" \
    -- "$UPLIFT" case conflicts resolve 1 --decision moved --household H008 --note "moved in with son / 随子迁入" --db "$DB" $(as rev_county)
case_run "review: a decision is final" 1 "!" "~decided already \(moved, by rev_county" \
    -- "$UPLIFT" case conflicts resolve 1 --decision data_entry_error --household H001 --note x --db "$DB" $(as rev_county)
case_run "review: resolved fields" 0 "~ resolved +moved +H008 +rev_county +[0-9T:-]+Z +pending " "!" \
    -- "$UPLIFT" case conflicts --status resolved --db "$DB"
case_run "review: decisions in order" 0 "~rev_county +moved +H008 +moved in with son / 随子迁入" "!" \
    -- "$UPLIFT" case conflicts show 1 --db "$DB"
case_run "review: audit has the decision masked" 0 '~conflict\.resolve,conflict:H001:H008,"\{""conflict"":1,.*""id"":""110105\*{8}0019"",""status"":""escalated""\}","\{""status"":""resolved"",""decision"":""moved"",""household"":""H008""' "" \
    -- "$UPLIFT" audit list --format csv --db "$DB"
case_run "review: refusals audited" 0 "~auth\.denied,conflict:H001:H008" "" -- "$UPLIFT" audit list --format csv --db "$DB"
case_run "review: chain verifies after decisions" 0 "~chain intact" "!" -- "$UPLIFT" audit verify --db "$DB"

# ---- quarantine ----
case_run "review: quarantine list" 0 "~^5 +1 +2023 +12 +H006 +110105001001 +ID_INVALID +id_number +open " "!" \
    -- "$UPLIFT" quarantine list --db "$DB"
case_run "review: quarantine count" 0 "~^6 item\(s\)" "!" -- "$UPLIFT" quarantine list --db "$DB"
case_run "review: quarantine by code, csv" 0 "~^3,1,2023,9,H004,110105001001,HEAD_COUNT,relation_to_head,open," "!" \
    -- "$UPLIFT" quarantine list --code HEAD_COUNT --format csv --db "$DB"
case_run "review: quarantine show masks the ID" 0 "~^id_number +110105\*{8}0558 *$" "!" \
    -- "$UPLIFT" quarantine show 5 --db "$DB"
case_run "review: quarantine show has no full ID" 1 "~^0$" "" \
    -- sh -c "\"$UPLIFT\" quarantine show 5 --db \"$DB\" | grep -c 110105196010100558"
case_run "review: quarantine outside scope" 1 "!" "~no quarantined row 1 in your scope" \
    -- "$UPLIFT" quarantine show 1 --db "$DB" $(as clerk_v3)
case_run "review: nothing to sweep yet" 0 "~^0 item\(s\) superseded" "!" -- "$UPLIFT" quarantine sweep --db "$DB"
sed 's/^\(H003,110105001001,朝阳村,赵一,,2023,\)3,/\12,/' "$V/county.csv" > "$V/county_fixed.csv"
"$UPLIFT" import "$V/county_fixed.csv" --db "$DB" --today 20240101 >/dev/null 2>&1
case_run "review: sweep closes H003's two rows" 0 "~^2 +H003 +1 +2 *$" "!" -- "$UPLIFT" quarantine sweep --db "$DB" $(as clerk_v1)
case_run "review: superseded listed" 0 "~^2 item\(s\)" "!" -- "$UPLIFT" quarantine list --status superseded --db "$DB"
case_run "review: close needs a reason" 2 "!" "~--reason TEXT is required" -- "$UPLIFT" quarantine close 3 --db "$DB"
case_run "review: a clerk may not close by hand" 1 "!" "~needs the reviewer role" \
    -- "$UPLIFT" quarantine close 3 --reason "left the village" --db "$DB" $(as clerk_v1)
case_run "review: reviewer closes" 0 "~^item 3 closed" "!" \
    -- "$UPLIFT" quarantine close 3 --reason "household split, re-registered as H012 / 已分户" --db "$DB" $(as rev_county)
case_run "review: superseded cannot be closed again" 1 "!" "~row 1 is superseded already" \
    -- "$UPLIFT" quarantine close 1 --reason x --db "$DB"
case_run "review: closed item shows who and why" 0 "~why / 说明 +household split, re-registered as H012" "!" \
    -- "$UPLIFT" quarantine show 3 --db "$DB"
case_run "review: open items after correction" 0 "~^7 item\(s\)" "!" -- "$UPLIFT" quarantine list --status open --db "$DB"
case_run "review: items of import 2" 0 "~^4 item\(s\)" "!" -- "$UPLIFT" quarantine list --import 2 --db "$DB"

# ---- events ----
case_run "review: event add" 0 "~^event 1 recorded for household H002: 因病 illness on 2023-07-01, loss 35000.07" "!" \
    -- "$UPLIFT" event add --household H002 --kind 因病 --date 2023-07-01 --loss 35000.07 --note 住院 --db "$DB" $(as clerk_v1)
case_run "review: event list in fen and yuan" 0 "~^1,H002,110105001001,illness,2023-07-01,3500007,35000.07,住院,clerk_v1," "!" \
    -- "$UPLIFT" event list --format csv --db "$DB"
case_run "review: event loss with separator" 2 "!" "~--loss: expected yuan" \
    -- "$UPLIFT" event add --household H002 --kind illness --date 2023-07-01 --loss 1,200 --db "$DB"
case_run "review: event kind unknown" 2 "!" "~not a kind" \
    -- "$UPLIFT" event add --household H002 --kind flood --date 2023-07-01 --db "$DB"
case_run "review: event date not in the calendar" 1 "!" "~not a date of the calendar" \
    -- "$UPLIFT" event add --household H002 --kind illness --date 2023-02-29 --db "$DB"
case_run "review: event in the future" 1 "!" "~in the future" \
    -- "$UPLIFT" event add --household H002 --kind illness --date 2999-01-01 --db "$DB"
case_run "review: event outside scope" 1 "!" "~no household .H002. in your scope" \
    -- "$UPLIFT" event add --household H002 --kind illness --date 2023-07-01 --db "$DB" $(as clerk_v3)
case_run "review: event kinds" 0 "~^job_loss +因务工就业不稳" "!" -- "$UPLIFT" event kinds
case_run "review: chain verifies at the end" 0 "~chain intact" "!" -- "$UPLIFT" audit verify --db "$DB"
