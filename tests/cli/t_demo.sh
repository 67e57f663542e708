# uplift demo: the steps run in order and every file they list exists.
case_run "demo small" 0 "~Where everything is / 文件位置" "!" -- "$UPLIFT" demo --persons 20000 --out "$TMP/demo"
case_run "demo steps in order" 0 "~\[3/3\] describe the data / 描述数据" "!" -- "$UPLIFT" demo --persons 5000 --province 11 --out "$TMP/demo2"
case_run "demo files exist" 0 "!" "!" -- sh -c "for f in households.upl members.upl events.upl describe.txt synth/households.csv synth/members.csv synth/events.csv; do test -s \"$TMP/demo/\$f\" || { echo missing \$f; exit 1; }; done"
case_run "demo nothing lost" 0 "~members +20000 rows read, +20000 loaded, 0 rejected" "!" -- "$UPLIFT" demo --persons 20000 --out "$TMP/demo"
case_run "demo describe file" 0 "~income_net_per_capita +f64 +0" "!" -- cat "$TMP/demo/describe.txt"
case_run "demo bad province" 2 "!" "~--province: expected a numeric code" -- "$UPLIFT" demo --province x
case_run "demo unknown province" 1 "" "~province .98. is not in the region table" -- "$UPLIFT" demo --province 98 --persons 10 --out "$TMP/demo3"
