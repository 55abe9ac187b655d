// Functions whose explained gradients are checked against the generated code: every built-in
// and every operator appears at least once, alone and inside the chain rule (scalar, vector and
// matrix parameters, broadcasting, reductions along axes, values used twice).

/** How a parameter's entries are drawn: anywhere, positive, inside (−1, 1), or a positive-definite matrix. */
export type Domain = "any" | "positive" | "unit" | "spd";

export interface ExplainCase {
  readonly source: string;
  readonly domain?: Domain;
}

export const explainCases: readonly ExplainCase[] = [
  // The paper's worked examples.
  { source: "fn paper_f(x: real, y: real) = 3 * x^2 * y" },
  { source: "fn paper_sin(x: real) = sin(x^2)" },
  { source: "fn paper_total(x: real) = x + x^2" },
  { source: "fn paper_neuron(w: real[n], x: real[n], b: real) = max(0, dot(w, x) + b)" },
  {
    source:
      "fn paper_loss(w: real[d], b: real, X: real[N, d], y: real[N]) -> real wrt w, b {\n  z = X @ w + b\n  a = max(0, z)\n  return mean((y - a)^2)\n}",
  },
  { source: "fn paper_vector(x: real) = sum([x^2, 3 * x] * [log(x), sin(x)])", domain: "positive" },
  // Identities.
  { source: "fn quad(x: real[n], A: real[n, n]) = x @ A @ x" },
  { source: "fn lsq(w: real[d], X: real[N, d], y: real[N]) -> real wrt w = norm2(X @ w - y)^2" },
  { source: "fn trace_ax(A: real[n, n], X: real[n, n]) -> real wrt X = trace(A @ X)" },
  { source: "fn log_det(X: real[n, n]) = logdet(X)", domain: "spd" },
  { source: "fn xent(W: real[k, d], x: real[d], y: real[k]) -> real wrt W = -sum(y * log(softmax(W @ x)))" },
  // Element-wise functions of one argument.
  { source: "fn e_exp(x: real[n]) = sum(exp(x) * x)" },
  { source: "fn e_log(x: real[n]) = sum(log(x) * x)", domain: "positive" },
  { source: "fn e_sqrt(x: real[n]) = sum(sqrt(x) + x)", domain: "positive" },
  { source: "fn e_trig(x: real[n]) = sum(sin(x) * cos(x) + tan(x))", domain: "unit" },
  { source: "fn e_arc(x: real[n]) = sum(asin(x) * acos(x) + atan(x))", domain: "unit" },
  { source: "fn e_hyp(x: real[n]) = sum(sinh(x) + cosh(x) * tanh(x))" },
  { source: "fn e_sigmoid(x: real[n]) = sum(sigmoid(x) * softplus(x))" },
  { source: "fn e_relu(x: real[n]) = sum(relu(x) * x + abs(x))" },
  { source: "fn e_sign(x: real[n]) = sum(sign(x) * x^2)" },
  { source: "fn e_log1p(x: real[n]) = sum(log1p(x) + expm1(x))", domain: "positive" },
  { source: "fn e_stable(x: real[n]) = sum(log(sigmoid(x)) + log1p(exp(x)))" },
  // Element-wise functions of two arguments, and operators with broadcasting.
  { source: "fn e_maxmin(x: real[n], y: real[n]) = sum(max(x, y) * min(x, 2 * y))" },
  { source: "fn e_pow(x: real[n], p: real) = sum(pow(x, p))", domain: "positive" },
  { source: "fn e_atan2(y: real[n], x: real[n]) = sum(atan2(y, x))", domain: "positive" },
  { source: "fn e_hypot(x: real[n], y: real[n]) = sum(hypot(x, y))" },
  { source: "fn e_where(x: real[n], y: real[n]) = sum(where(x > y, x * y, x - y))" },
  { source: "fn e_div(x: real[n], y: real[n]) = sum(x / y - y / 2)", domain: "positive" },
  {
    source: "fn e_broadcast(A: real[m, n], b: real[n], c: real) = sum((A + b) * c - A / c)",
    domain: "positive",
  },
  { source: "fn e_neg(x: real[n], c: real) = sum(-(x - c)^3)" },
  // Reductions.
  { source: "fn r_sum_axis(A: real[m, n]) = sum(sum(A, axis=0)^2) + sum(sum(A, axis=1)^3)" },
  { source: "fn r_mean(A: real[m, n], x: real[n]) = mean(A) * mean(x) + sum(mean(A, axis=0) * x)" },
  { source: "fn r_prod(x: real[n]) = prod(x)", domain: "positive" },
  { source: "fn r_prod_axis(A: real[m, n]) = sum(prod(A, axis=1))", domain: "positive" },
  { source: "fn r_norms(x: real[n], A: real[m, n]) = norm1(x) + norm2(x) + norm2(A)" },
  { source: "fn r_norm_axis(A: real[m, n]) = sum(norm2(A, axis=0)) + sum(norm1(A, axis=1))" },
  {
    source:
      "fn r_extremes(x: real[n], A: real[m, n]) = max(x) - min(x) + sum(max(A, axis=0)) + sum(min(A, axis=1))",
  },
  { source: "fn r_lse(x: real[n]) = logsumexp(x)" },
  { source: "fn r_lse_axis(A: real[m, n]) = sum(logsumexp(A, axis=1)) + sum(logsumexp(A, axis=0))" },
  // Vectors and matrices.
  { source: "fn v_dot(x: real[n], y: real[n]) = dot(x, y) * (x @ y)" },
  { source: "fn v_outer(x: real[m], y: real[n], A: real[m, n]) = sum(outer(x, y) * A)" },
  { source: "fn v_matmul(A: real[m, k], B: real[k, n]) = sum((A @ B)^2)" },
  { source: "fn v_transposes(A: real[m, n], B: real[m, n]) = sum((A' @ B)^2) + sum(A @ transpose(B))" },
  { source: "fn v_vecmat(x: real[m], A: real[m, n], y: real[n]) = sum(x @ A * y) + sum(A @ y)" },
  { source: "fn v_diag(x: real[n], A: real[n, n]) = sum(diag(x) @ A) + sum(diagonal(A) * x)" },
  { source: "fn v_softmax(x: real[n], y: real[n]) = dot(softmax(x), y)" },
  {
    source:
      "fn v_softmax_axis(A: real[m, n], B: real[m, n]) = sum(softmax(A, axis=1) * B) + sum(softmax(A, axis=0) * B)",
  },
  { source: "fn v_inv(A: real[n, n], x: real[n]) = x @ inv(A) @ x", domain: "spd" },
  { source: "fn v_det(A: real[n, n]) = det(A)", domain: "spd" },
  {
    source:
      "fn v_constructors(x: real[n], A: real[n, n]) = sum((A + eye(n)) @ x) + sum(ones(n) * x) + sum(zeros(n) + x^2)",
  },
  {
    source:
      "fn v_index(x: real[n], A: real[n, n]) = x[0] * A[1, 0] + [x[1], x[0]] @ [[1, 2], [3, 4]] @ [x[0], A[0, 1]]",
  },
  // A value used twice, a long chain, calls inlined.
  { source: "fn twice(x: real[n]) -> real {\n  u = tanh(x)\n  return sum(u * u) + sum(u)\n}" },
  {
    source:
      "fn helper(x: real[n], W: real[m, n]) = tanh(W @ x)\nfn calls(x: real[n], W: real[m, n]) = sum(helper(x, W)^2) + sum(helper(2 * x, W))",
  },
];
