import numpy as np
rng = np.random.default_rng(1)
X, Y, J, D, sw = 12, 12, 3, 2, 0.3
vals=[]; gvals=[]
for rep in range(4000):
    L0 = rng.normal(size=(X+D, Y+D, J)); W = rng.normal(0, sw, (D, D, J, J))
    R = np.zeros((X, Y, J))
    for dx in range(D):
        for dy in range(D):
            R += np.einsum('xyp,pj->xyj', L0[dx:dx+X, dy:dy+Y], W[dx, dy])
    L1 = L0[:X,:Y] + R
    vals.append(L1[3:9,3:9].ravel())
    # backward: L0.grad[x,y,p] = L1.grad[x,y,p] + sum W[dx,dy,p,j] L1.grad[x-dx,y-dy,j]
    G = rng.normal(size=(X+D, Y+D, J))  # L1.grad on a padded grid
    L0g = G[D:D+X, D:D+Y].copy()
    for dx in range(D):
        for dy in range(D):
            L0g += np.einsum('xyj,pj->xyp', G[D-dx:D-dx+X, D-dy:D-dy+Y], W[dx, dy])
    gvals.append(L0g[3:9,3:9].ravel())
print("forward factor", np.concatenate(vals).var(), 1 + D*D*J*sw**2)
print("backward factor", np.concatenate(gvals).var(), 1 + D*D*J*sw**2)
# b: solve (1+D^2 J s^2)^L = 2 approx
import math
L=20; s = math.sqrt(math.log(2)/(L*D*D*J)); print("b check", (1+D*D*J*s*s)**L)
