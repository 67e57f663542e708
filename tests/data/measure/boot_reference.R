# boot_reference.R — second method for the Rao–Wu bootstrap SEs in
# tests/unit/test_measure_design.c. boot_repw_seed7.csv holds uplift's replicate
# weights for svy.csv (strata st, PSUs psu nested, weights w; seed 7, 200
# replicates; written with upl_design_bootstrap_weights). R's survey package
# computes the replicate estimates and the variance with the subbootstrap scale
# 1/(B-1), centred at the replicate mean (mse = FALSE); the statistics are the
# population-form weighted Gini and the Eurostat weighted median, written here
# independently of uplift.   Rscript tests/data/measure/boot_reference.R
suppressMessages(library(survey))
d <- read.csv("tests/data/measure/svy.csv")
rw <- as.matrix(read.csv("tests/data/measure/boot_repw_seed7.csv", header = FALSE))
des <- svrepdesign(data = d, repweights = rw, weights = ~w, type = "bootstrap",
                   scale = 1 / (ncol(rw) - 1), rscales = rep(1, ncol(rw)), combined.weights = TRUE, mse = FALSE)
gini <- function(w, y) {  # sum_i sum_j w_i w_j |y_i - y_j| / (2 V^2 mu)
  V <- sum(w); mu <- sum(w * y) / V
  sum(outer(w, w) * abs(outer(y, y, "-"))) / (2 * V^2 * mu)
}
wmedian <- function(w, y) {  # laeken::weightedQuantile rule (average at an exact 0.5 share)
  o <- order(y); y <- y[o]; w <- w[o]; rw <- cumsum(w) / sum(w)
  k <- min(which(rw >= 0.5)); if (rw[k] == 0.5) mean(y[k:(k + 1)]) else y[k]
}
g <- withReplicates(des, function(w, data) gini(w, data$y))
m <- withReplicates(des, function(w, data) wmedian(w, data$y))
cat("gini:", format(coef(g), digits = 17), "se:", format(SE(g), digits = 17), "\n")
cat("median:", format(coef(m), digits = 17), "se:", format(SE(m), digits = 17), "\n")
# at-risk-of-poverty rate with the line 0.6 x weighted median re-estimated in every replicate
arpr <- function(w, y) { z <- 0.6 * wmedian(w, y); sum(w * (y < z)) / sum(w) }
a <- withReplicates(des, function(w, data) arpr(w, data$y))
cat("arpr:", format(coef(a), digits = 17), "se:", format(SE(a), digits = 17), "\n")
