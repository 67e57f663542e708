# uplift demo: the steps run in order and every file they list exists.
case_run "demo small" 0 "~Where everything is / 文件位置" "!" -- "$UPLIFT" demo --persons 20000 --out "$TMP/demo"
case_run "demo steps in order" 0 "~\[6/6\] register one county in the SQLite registry" "!" -- "$UPLIFT" demo --persons 5000 --province 11 --out "$TMP/demo2"
case_run "demo files exist" 0 "!" "!" -- sh -c "for f in households.upl members.upl events.upl describe.txt synth/households.csv synth/members.csv synth/events.csv; do test -s \"$TMP/demo/\$f\" || { echo missing \$f; exit 1; }; done"
case_run "demo nothing lost" 0 "~members +20000 rows read, +20000 loaded, 0 rejected" "!" -- "$UPLIFT" demo --persons 20000 --out "$TMP/demo"
case_run "demo describe file" 0 "~income_net_per_capita +f64 +0" "!" -- cat "$TMP/demo/describe.txt"
case_run "demo bad province" 2 "!" "~--province: expected a numeric code" -- "$UPLIFT" demo --province x
case_run "demo unknown province" 1 "" "~province .98. is not in the region table" -- "$UPLIFT" demo --province 98 --persons 10 --out "$TMP/demo3"

# Steps 4 and 5 against independent computations on the same files:
# one decision row per household; the rural headcount in measures.csv equals a
# plain awk loop over households.csv (person weight = weight x size, poor = income < 3218).
case_run "demo decisions one row per household" 0 "!" "!" -- sh -c '
  h=$(($(wc -l < "$TMP/demo/synth/households.csv") - 1)); d=$(($(wc -l < "$TMP/demo/decisions.csv") - 1));
  [ "$h" -gt 0 ] && [ "$h" = "$d" ] || { echo "households $h decisions $d"; exit 1; }'
case_run "demo rural headcount = awk" 0 "!" "!" -- sh -c '
  want=$(awk -F, "NR==1{for(i=1;i<=NF;i++)c[\$i]=i; next}
    \$c[\"is_urban\"]==\"false\" {w=\$c[\"weight\"]*\$c[\"household_size\"]; t+=w; if (\$c[\"income_net_per_capita\"]<3218) p+=w}
    END{printf \"%.10f\", p/t}" "$TMP/demo/synth/households.csv");
  got=$(awk -F, "\$1==\"fgt0\" && \$2==\"false\" {printf \"%.10f\", \$3}" "$TMP/demo/measures.csv");
  [ -n "$got" ] && [ "$got" = "$want" ] || { echo "measures.csv $got, awk $want"; exit 1; }'
case_run "demo summary printed" 0 "~贫困发生率最高的县" "!" -- "$UPLIFT" demo --persons 20000 --out "$TMP/demo"

# Step 6: the county export is in the SQLite registry whole, and its audit chain verifies.
case_run "demo registry audit verifies" 0 "" "" -- "$UPLIFT" audit verify --db "$TMP/demo/registry.db"
case_run "demo registry holds the export" 0 "!" "!" -- sh -c '
  rows=$(($(wc -l < "$TMP/demo/county_export.csv") - 1));
  got=$(sqlite3 "$TMP/demo/registry.db" "select count(*) from member_wave");
  [ "$rows" -gt 0 ] && [ "$rows" = "$got" ] || { echo "export $rows rows, registry $got member rows"; exit 1; }'
