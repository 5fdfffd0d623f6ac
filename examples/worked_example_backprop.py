"""
Backpropagation on the worked 2-3-2 example of MATH.md
======================================================

fastmlp's low-level API runs the same kernels as the estimators on weights you
give it. Here: the 2-3-2 network with logistic hidden and output units and
squared error on one sample, its loss and gradients by delta backprop, a
central-difference check of every gradient, and one SGD step with eta = 0.5.
"""

# %%
import numpy as np

from fastmlp import forward_pass, loss_and_gradients

X = np.array([[0.05, 0.10]])
Y = np.array([[0.01, 0.99]])
V = np.array([[0.15, 0.20, 0.25], [0.30, 0.35, 0.40]])  # input -> hidden
W = np.array([[0.40, 0.45], [0.50, 0.55], [0.60, 0.65]])  # hidden -> output
b1, b2 = np.full(3, 0.35), np.full(2, 0.60)
net = dict(hidden_activation="logistic", output_activation="logistic", loss="squared_error")

E, (dV, dW), (db1, db2) = loss_and_gradients(X, Y, [V, W], [b1, b2], **net)
print("output O =", forward_pass(X, [V, W], [b1, b2], hidden_activation="logistic", output_activation="logistic"))
print(f"E = {E:.15f}   (MATH.md: 0.338463827667526)")
print("dE/dW =\n", dW)
print("dE/dV =\n", dV)

# %%
# Central differences of the loss, parameter by parameter.
h = 1e-6
worst = 0.0
for params, grads in (([V, W], [dV, dW]), ([b1, b2], [db1, db2])):
    for P, G in zip(params, grads):
        for idx in np.ndindex(P.shape):
            old = P[idx]
            P[idx] = old + h
            up = loss_and_gradients(X, Y, [V, W], [b1, b2], **net)[0]
            P[idx] = old - h
            down = loss_and_gradients(X, Y, [V, W], [b1, b2], **net)[0]
            P[idx] = old
            worst = max(worst, abs((up - down) / (2 * h) - G[idx]))
print(f"largest |backprop - finite difference| over all 17 parameters: {worst:.1e}")
assert worst < 1e-9

# %%
# dE/dV_11 adds the contributions of both output paths; multiplying them
# instead (a published error) gives -5.898e-6 where the right value is 4.588e-4.
print(f"dE/dV_11 = {dV[0, 0]:.6e}")
eta = 0.5
print("after one SGD step, W =\n", W - eta * dW)
print("V =\n", V - eta * dV)
