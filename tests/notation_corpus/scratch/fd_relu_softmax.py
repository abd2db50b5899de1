import numpy as np
from fd_util import *
rng = np.random.default_rng(3)
# ---------- relu_unit: z = w.x, y = relu(z), l = L(y); take L(y) = yg*y + 0.3*y^2 (any), y.grad = L'(y)
d = 3
for trial in range(3):
    w = rng.normal(size=d); x = rng.normal(size=d)
    if trial == 0 and w@x < 0: w = -w   # ensure both signs over trials
    if trial == 1 and w@x > 0: w = -w
    def Lf(y): return 0.7*y + 0.3*y**2 + np.sin(y)
    def dLf(y): return 0.7 + 0.6*y + np.cos(y)
    f = lambda: Lf(max(w@x, 0))
    fd = numgrad(f, w)
    z = w@x; y = max(z, 0); yg = dLf(y)
    ans = {
     'relu1': yg*(z>0)*x, 'relu2': yg*(z>0)*x, 'relu3': yg*(z>0)*x, 'relu4': yg*x*(z>0),
     'relu5': yg*x, 'relu6': yg*max(0,z)*x, 'relu7': yg*(z>0)*w, 'relu8': yg*x*(z>0)}
    print("trial", trial, "z", z)
    for k, a in ans.items(): print(" ", k, same(a, fd))
