# svy_reference.R — reference values for tests/unit/test_measure_design.c,
# computed with R's survey package (Debian r-cran-survey 4.1-1).
#   Rscript tests/data/measure/svy_reference.R
# Prints estimates and SEs with 17 significant digits; the test carries them
# as literals. Conventions exercised: strata, nested PSUs, fpc as population
# PSU counts, lonely PSU policies, domains (svyby = zeroing), ratio, no PSU.
suppressMessages(library(survey))
options(digits = 17)
d <- data.frame(
  y  = c(12.5, 3.2, 8.1, 0.5, 22.0, 15.3, 7.7, 9.9, 4.4, 18.2, 6.1, 11.0, 2.3, 14.8, 5.5, 9.1, 13.3, 1.9, 16.6, 7.2),
  x  = c(2, 1, 3, 1, 4, 2, 2, 3, 1, 2, 1, 3, 1, 2, 2, 3, 1, 1, 2, 2),
  w  = c(1.5, 2.0, 1.0, 3.0, 2.5, 1.0, 2.0, 1.5, 3.5, 1.0, 2.0, 2.5, 1.0, 1.5, 3.0, 2.0, 1.0, 2.5, 1.5, 2.0),
  st = c(1,1,1,1,1,1,1, 2,2,2,2,2,2, 3,3,3,3,3,3,3),
  psu= c(1,1,2,2,3,3,3, 1,1,2,2,3,3, 1,1,2,2,3,3,4),
  grp= c(0,1,0,1,0,1,0, 1,0,1,0,1,0, 0,1,0,1,0,1,0),
  st2= c(1,1,1,1,1,1,1, 2,2,2,2,2,2, 3,3,3,3,3,4,4),
  psu2=c(1,1,2,2,3,3,3, 1,1,2,2,3,3, 1,1,2,2,3,1,1))
d$N <- c(10, 8, 12)[d$st]
z <- 8
d$poor <- as.numeric(d$y < z)
d$gap <- ifelse(d$y < z, (z - d$y) / z, 0)
d$gap2 <- d$gap^2
show <- function(label, s) {
  cat(label, ": est = ", paste(format(coef(s), digits = 17), collapse = ", "),
      "  se = ", paste(format(SE(s), digits = 17), collapse = ", "), "\n", sep = "")
}
des <- svydesign(ids = ~psu, strata = ~st, weights = ~w, data = d, nest = TRUE)
show("mean y (strata+psu)", svymean(~y, des))
show("fgt0", svymean(~poor, des))
show("fgt1", svymean(~gap, des))
show("fgt2", svymean(~gap2, des))
show("by grp mean y", svyby(~y, ~grp, des, svymean))
show("by grp fgt1", svyby(~gap, ~grp, des, svymean))
show("ratio y/x", svyratio(~y, ~x, des))
show("by grp ratio y/x", svyby(~y, ~grp, denominator = ~x, design = des, svyratio))
desf <- svydesign(ids = ~psu, strata = ~st, weights = ~w, fpc = ~N, data = d, nest = TRUE)
show("fpc mean y", svymean(~y, desf))
show("fpc by grp mean y", svyby(~y, ~grp, desf, svymean))
des0 <- svydesign(ids = ~1, strata = ~st, weights = ~w, data = d)
show("no psu mean y", svymean(~y, des0))
show("no psu by grp mean y", svyby(~y, ~grp, des0, svymean))
des00 <- svydesign(ids = ~1, weights = ~w, data = d)
show("srs mean y", svymean(~y, des00))
for (lp in c("remove", "adjust", "certainty")) {
  options(survey.lonely.psu = lp)
  dl <- svydesign(ids = ~psu2, strata = ~st2, weights = ~w, data = d, nest = TRUE)
  show(paste("lonely", lp, "mean y"), svymean(~y, dl))
  show(paste("lonely", lp, "by grp mean y"), svyby(~y, ~grp, dl, svymean))
}
options(survey.lonely.psu = "fail")
dl <- svydesign(ids = ~psu2, strata = ~st2, weights = ~w, data = d, nest = TRUE)
r <- try(svymean(~y, dl), silent = TRUE)
cat("lonely fail:", class(r), "\n")
cat("qnorm(0.975) =", format(qnorm(0.975), digits = 17), "\n")
