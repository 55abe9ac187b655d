// Sources of programs with calls generated as calls, shared by the tests of calls and of the
// generated code's types.

// g has well over 32 operations; f calls it twice, fv twice (nested). fi and fvi are the same
// math with g's body written out.
const gBody = (x: string, A: string, s: string, k: string) => `
  u${k} = tanh(${A} @ ${x}) * ${s}
  v${k} = exp(-${x}^2) + sigmoid(u${k}) * softplus(${x} - ${s})
  w${k} = ${A}' @ (u${k} * v${k}) + log1p(${x}^2) * sin(${s} * ${x})
  r${k} = w${k} * cos(u${k}) + v${k} / (1 + ${x}^2) + ${s}^2 * ${x} + max(0, ${x} - 0.1 * ${s})`;

/** g, and f and fv, which call it twice: the calls stay calls. */
export const callingSource = `
fn g(x: real[k], A: real[k, k], s: real) -> real[k] {${gBody("x", "A", "s", "")}
  return r
}

fn f(x: real[n], A: real[n, n], B: real[n, n], c: real) -> real {
  p = g(x, A, c)
  q = g(p, B, 0.5)
  return sum(q * x) + c * norm2(p)
}

fn fv(x: real[n], A: real[n, n], c: real) -> real[n] = g(g(x, A, c), A', c) + x
`;

/** The same, with fi and fvi: f and fv with g's body written out. */
export const callsSource = `${callingSource}
fn fi(x: real[n], A: real[n, n], B: real[n, n], c: real) -> real {${gBody("x", "A", "c", "1")}${gBody("r1", "B", "0.5", "2")}
  return sum(r2 * x) + c * norm2(r1)
}

fn fvi(x: real[n], A: real[n, n], c: real) -> real[n] {${gBody("x", "A", "c", "1")}${gBody("r1", "A'", "c", "2")}
  return r2 + x
}
`;

/** g_k(x) = g_{k−1}(sin(x)) + g_{k−1}(cos(x)), f(x) = sum(g_k(x)): 2^k copies of g_1 if inlined. */
export function callTree(k: number): string {
  const lines = ["fn g1(x: real[n]) = x * sin(x)"];
  for (let j = 2; j <= k; j++) lines.push(`fn g${j}(x: real[n]) = g${j - 1}(sin(x)) + g${j - 1}(cos(x))`);
  lines.push(`fn f(x: real[n]) = sum(g${k}(x))`);
  return `${lines.join("\n")}\n`;
}
