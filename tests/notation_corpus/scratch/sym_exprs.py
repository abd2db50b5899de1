# Symbolic comparison of my translations of the expression answers with the hand-derived truths
# (the truths were confirmed by Monte Carlo in mc_moments.py / mc_resnet.py).
import sympy as sp
d, n, m, v, g, q, mu, B, D, J, L, l, sw, K, a = sp.symbols('d n m v g q mu B D J L l sigma_W K a', positive=True)
nout, nin = sp.symbols('n_out n_in', positive=True)
R = sp.Rational
truth = {
 'init_a': 1/sp.sqrt(d), 'init_b': R(1,2), 'init_d': R(1,4),
 'res_a': (1 + D**2*J*sw**2)**l, 'res_b': sp.sqrt(sp.log(2)/(L*D**2*J)), 'res_c': (1 + D**2*J*sw**2)**(L-l),
 'he_a': n*sw**2*v/2, 'he_b': sp.sqrt(2/n), 'he_c': 0, 'he_d': sp.sqrt(v/(2*sp.pi)),
 'hb_b': nout*sw**2*g/2, 'hb_c': sp.sqrt(2/nout),
 'gl_a': n*sw**2*v, 'gl_b': m*sw**2*g, 'gl_c': 1/sp.sqrt(n), 'gl_d': 1/sp.sqrt(m),
 'gl_e': sp.sqrt(2/(n+m)), 'gl_f': sp.sqrt(6/(n+m)),
 'do_b': mu, 'do_c': v/q,
 'bs_a': v/B, 'bs_b': v*(B-1)/B, 'bs_c': v, 'bs_d': 2*v**2/(B-1),
}
answers = [
 ('init_a', 1/sp.sqrt(d), 'correct'), ('init_a', 1/sp.sqrt(d), 'correct'), ('init_a', 1/d, 'incorrect'),
 ('init_a', sp.sqrt(1/d), 'correct'), ('init_a', sp.sqrt(1/d), 'correct'), ('init_a', sp.sqrt(d), 'incorrect'),
 ('init_b', R(1,2), 'correct'), ('init_b', R(1,2), 'correct'), ('init_b', 1/(1+sp.exp(0)), 'correct'), ('init_b', 0, 'incorrect'),
 ('init_d', R(1,4), 'correct'), ('init_d', R(1,4), 'correct'), ('init_d', R(1,16), 'incorrect'), ('init_d', R(1,2), 'incorrect'),
 ('res_a', (1 + D**2*J*sw**2)**l, 'correct'), ('res_a', (1 + D**2*J*sw**2)**l, 'correct'),
 ('res_a', (1 + D*J*sw**2)**l, 'incorrect'), ('res_a', (D**2*J*sw**2)**l, 'incorrect'),
 ('res_a', (1 + J*D**2*sw**2)**(l+1), 'incorrect'), ('res_a', sp.exp(l*sp.log(1 + D**2*J*sw**2)), 'correct'),
 ('res_b', sp.sqrt(sp.log(2)/(L*D**2*J)), 'correct'), ('res_b', sp.sqrt(sp.log(2)/(L*D**2*J)), 'correct'),
 ('res_b', sp.log(2)/(L*D**2*J), 'incorrect'), ('res_b', sp.sqrt(sp.log(2)/(L*D*J)), 'incorrect'),
 ('res_b', sp.sqrt(2/(L*D**2*J)), 'incorrect'),
 ('res_c', (1 + D**2*J*sw**2)**(L-l), 'correct'), ('res_c', (1 + J*D**2*sw**2)**(L-l), 'correct'),
 ('res_c', (1 + D**2*J*sw**2)**l, 'incorrect'), ('res_c', (1 + D**2*J*sw**2)**(L-l+1), 'incorrect'),
 ('he_a', R(1,2)*n*sw**2*v, 'correct'), ('he_a', n*sw**2*v/2, 'correct'), ('he_a', n*v*sw**2, 'incorrect'),
 ('he_a', n*sw**2*v*(R(1,2) - 1/(2*sp.pi)), 'incorrect'), ('he_a', (n/2)*sw**2*v, 'correct'), ('he_a', n*sw*v/2, 'incorrect'),
 ('he_b', sp.sqrt(2/n), 'correct'), ('he_b', sp.sqrt(2/n), 'correct'), ('he_b', 2/n, 'incorrect'),
 ('he_b', sp.sqrt(2)/sp.sqrt(n), 'correct'), ('he_b', 1/sp.sqrt(n), 'incorrect'), ('he_b', sp.sqrt(2/m), 'incorrect'),
 ('he_c', 0, 'correct'), ('he_c', n*sw*sp.sqrt(v/(2*sp.pi)), 'incorrect'),
 ('he_d', sp.sqrt(v/(2*sp.pi)), 'correct'), ('he_d', sp.sqrt(v)/sp.sqrt(2*sp.pi), 'correct'), ('he_d', sp.sqrt(v)/2, 'incorrect'),
 ('he_d', sp.sqrt(v/(2*sp.pi)), 'correct'), ('he_d', sp.sqrt(2*v/sp.pi), 'incorrect'),
 ('hb_b', R(1,2)*nout*sw**2*g, 'correct'), ('hb_b', R(1,2)*nout*sw**2*g, 'correct'), ('hb_b', nin*sw**2*g/2, 'incorrect'), ('hb_b', nout*sw**2*g, 'incorrect'),
 ('hb_c', sp.sqrt(2/nout), 'correct'), ('hb_c', sp.sqrt(2/nout), 'correct'), ('hb_c', sp.sqrt(2/nin), 'incorrect'), ('hb_c', sp.sqrt(2/nout), 'correct'),
 ('gl_a', n*sw**2*v, 'correct'), ('gl_a', n*sw**2*v, 'correct'), ('gl_a', m*sw**2*v, 'incorrect'),
 ('gl_b', m*sw**2*g, 'correct'), ('gl_b', m*g*sw**2, 'correct'), ('gl_b', n*sw**2*g, 'incorrect'),
 ('gl_c', 1/sp.sqrt(n), 'correct'), ('gl_c', n**R(-1,2), 'correct'), ('gl_c', 1/sp.sqrt(m), 'incorrect'),
 ('gl_d', 1/sp.sqrt(m), 'correct'), ('gl_d', 1/sp.sqrt(m), 'correct'), ('gl_d', 1/m, 'incorrect'),
 ('gl_e', sp.sqrt(2/(n+m)), 'correct'), ('gl_e', sp.sqrt(2/(n+m)), 'correct'), ('gl_e', 2/(n+m), 'incorrect'),
 ('gl_e', 1/sp.sqrt((n+m)/2), 'correct'), ('gl_e', sp.sqrt(1/(n+m)), 'incorrect'),
 ('gl_f', sp.sqrt(6/(n+m)), 'correct'), ('gl_f', sp.sqrt(6/(n+m)), 'correct'), ('gl_f', sp.sqrt(2/(3*(n+m))), 'incorrect'),
 ('gl_f', sp.sqrt(6/(n+m)), 'correct'), ('gl_f', 6/(n+m), 'incorrect'),
 ('do_b', mu, 'correct'), ('do_b', mu, 'correct'), ('do_b', q*mu, 'incorrect'),
 ('do_c', v/q, 'correct'), ('do_c', v*q**-1, 'correct'), ('do_c', v/q**2, 'incorrect'), ('do_c', v*(1-q)/q, 'incorrect'),
 ('bs_a', v/B, 'correct'), ('bs_a', v/(B-1), 'incorrect'), ('bs_a', v/B, 'correct'),
 ('bs_b', (1-1/B)*v, 'correct'), ('bs_b', (B-1)*v/B, 'correct'), ('bs_b', (1+1/B)*v, 'incorrect'), ('bs_b', v*(B-1)/B, 'correct'), ('bs_b', v, 'incorrect'),
 ('bs_c', v, 'correct'), ('bs_c', (B-1)*v/B, 'incorrect'),
 ('bs_d', 2*v**2/(B-1), 'correct'), ('bs_d', 2*v**2/(B-1), 'correct'), ('bs_d', 2*v**2/B, 'incorrect'), ('bs_d', 2*v/(B-1), 'incorrect'),
]
bad = 0
for key, expr, lab in answers:
    ok = sp.simplify(expr - truth[key]) == 0
    got = 'correct' if ok else 'incorrect'
    if got != lab: bad += 1; print("MISMATCH", key, expr, lab)
print(len(answers), "expression answers checked,", bad, "mismatches")
# the exact resnet:b solution: sqrt((2^(1/L) - 1)/(D^2 J)) vs the approximation, for large L
ex = sp.sqrt((2**(1/L) - 1)/(D**2*J)); print("res_b exact/approx as L->oo:", sp.limit(ex/truth['res_b'], L, sp.oo))
