# uplift convert: CSV/DTA/SAV -> .upl/CSV/JSON, rejects files, round trips.
D=tests/data/io
case_run "convert csv to csv byte for byte" 0 "!" "~wrote" -- "$UPLIFT" convert $D/leading_zeros.csv "$TMP/lz.csv"
case_run "convert output identical" 0 "!" "!" -- cmp $D/leading_zeros.csv "$TMP/lz.csv"
case_run "convert csv to upl" 0 "!" "~wrote 写入: .*lz.upl \(3 rows, 4 columns\)" -- "$UPLIFT" convert $D/leading_zeros.csv "$TMP/lz.upl"
case_run "convert upl back to csv" 0 "!" "" -- "$UPLIFT" convert "$TMP/lz.upl" "$TMP/lz2.csv" -q
case_run "convert upl round trip identical" 0 "!" "!" -- cmp $D/leading_zeros.csv "$TMP/lz2.csv"
case_run "convert rejects reported" 0 "!" "~5 rows rejected; see .*b.upl.rejects.csv" -- "$UPLIFT" convert $D/broken.csv "$TMP/b.upl"
case_run "convert rejects file lines" 0 "~^tests/data/io/broken.csv,11,8,3,addr,CONTROL_CHAR," "!" -- cat "$TMP/b.upl.rejects.csv"
case_run "convert rejects explicit path" 0 "!" "~see $TMP/r.csv" -- "$UPLIFT" convert $D/excel_ids.csv "$TMP/e.csv" --rejects "$TMP/r.csv"
case_run "convert excel ids rejected" 0 "~,3,2,1,id_number,ID_EXCEL_MANGLED," "!" -- cat "$TMP/r.csv"
case_run "convert no rejects no file" 0 "!" "" -- "$UPLIFT" convert $D/bom.csv "$TMP/bom.csv" -q
case_run "convert no stale rejects" 1 "!" "" -- test -e "$TMP/bom.csv.rejects.csv"
case_run "convert dta to csv" 0 "~^0101,王芳,34,1200.5,男,1,户主,1$" "!" -- sh -c "\"$UPLIFT\" convert $D/labelled.dta $TMP/l.csv -q && cat $TMP/l.csv"
case_run "convert legacy dta gbk" 0 "~^0102,李雷,红旗村,800$" "!" -- sh -c "\"$UPLIFT\" convert $D/legacy_gbk.dta $TMP/g.csv -q --encoding gbk && cat $TMP/g.csv"
case_run "convert json" 0 '~"area":"007"' "!" -- sh -c "\"$UPLIFT\" convert $D/leading_zeros.csv $TMP/lz.json -q && cat $TMP/lz.json"
case_run "convert formula neutralised" 0 "~^'=1\+2,1$" "!" -- sh -c "printf 'a,b\n=1+2,1\n' > $TMP/f.csv && \"$UPLIFT\" convert $TMP/f.csv $TMP/f2.csv -q && cat $TMP/f2.csv"
case_run "convert truncated dta" 1 "!" "~truncated or corrupt" -- "$UPLIFT" convert $D/truncated.dta "$TMP/t.upl"
case_run "convert unknown output" 2 "!" "~cannot tell the output format" -- "$UPLIFT" convert $D/bom.csv "$TMP/x.xyz"
case_run "convert same file" 2 "!" "~same file" -- "$UPLIFT" convert $D/bom.csv $D/bom.csv
case_run "convert one arg" 2 "!" "~expected IN and OUT" -- "$UPLIFT" convert $D/bom.csv
