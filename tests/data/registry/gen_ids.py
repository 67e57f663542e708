# Helper used once to compute the check characters of the fixture IDs
# (ISO 7064 MOD 11-2, GB 11643-1999); kept for reproducibility.
import sys
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
C = "10X98765432"
def check(d17):
    return C[sum(int(a) * w for a, w in zip(d17, W)) % 11]
for d17 in sys.argv[1:]:
    print(d17 + check(d17))
