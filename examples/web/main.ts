// The web demo: classifier.grad, compiled by gradc when Vite imports it, trained live in the
// browser. Each animation frame takes a few steps of Adam with the generated `lossGrad`, then
// colors the plane with the generated `probability` and redraws the loss curve.

import "katex/dist/katex.min.css";
import "./style.css";
import * as classifier from "./classifier.grad";
import * as showcase from "virtual:gradc-showcase";

// --- The model's parameters and its optimizer ----------------------------------------------------

/** A matrix as the generated code takes it: `rows × cols` numbers, row-major. */
interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

interface Parameters {
  W1: Matrix; // 2 × h
  b1: Float64Array; // h
  w2: Float64Array; // h
  b2: number;
}

/** A small seeded pseudo-random generator (mulberry32): the same seed gives the same numbers. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A normally distributed number (Box–Muller). */
function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

/** Weights drawn uniformly in ±√(6 / (fan in + fan out)) (Glorot), biases zero. */
function initialParameters(h: number, seed: number): Parameters {
  const next = random(seed);
  const uniform = (limit: number) => (2 * next() - 1) * limit;
  const W1 = { rows: 2, cols: h, data: new Float64Array(2 * h).map(() => uniform(Math.sqrt(6 / (2 + h)))) };
  const w2 = new Float64Array(h).map(() => uniform(Math.sqrt(6 / (h + 1))));
  return { W1, b1: new Float64Array(h), w2, b2: 0 };
}

/** Adam (Kingma & Ba), on the flat arrays of the parameters; `b2` is the last entry. */
class Adam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;
  constructor(size: number) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }
  step(p: Parameters, g: Parameters, rate: number): void {
    const beta1 = 0.9;
    const beta2 = 0.999;
    this.t++;
    const scale = (rate * Math.sqrt(1 - beta2 ** this.t)) / (1 - beta1 ** this.t);
    let k = 0;
    const update = (value: number, gradient: number): number => {
      this.m[k] = beta1 * this.m[k]! + (1 - beta1) * gradient;
      this.v[k] = beta2 * this.v[k]! + (1 - beta2) * gradient * gradient;
      const next = value - (scale * this.m[k]!) / (Math.sqrt(this.v[k]!) + 1e-8);
      k++;
      return next;
    };
    for (const [value, gradient] of [
      [p.W1.data, g.W1.data],
      [p.b1, g.b1],
      [p.w2, g.w2],
    ] as const) {
      for (let i = 0; i < value.length; i++) value[i] = update(value[i]!, gradient[i]!);
    }
    p.b2 = update(p.b2, g.b2);
  }
}

// --- The data: points in the square [-1, 1]², of class 0 or 1 ------------------------------------

interface Point {
  x: number;
  y: number;
  label: 0 | 1;
}

type Dataset = "moons" | "circles" | "spirals";

function makePoints(kind: Dataset, count: number, seed: number): Point[] {
  const next = random(seed);
  const noise = (s: number) => s * gaussian(next);
  const points: Point[] = [];
  for (let i = 0; i < count; i++) {
    const label = (i % 2) as 0 | 1;
    const t = next();
    if (kind === "moons") {
      // Two interleaved half circles.
      const angle = Math.PI * t;
      const [cx, cy] = label === 0 ? [Math.cos(angle), Math.sin(angle)] : [1 - Math.cos(angle), 0.5 - Math.sin(angle)];
      points.push({ x: 0.55 * (cx - 0.5) + noise(0.06), y: 0.55 * (cy - 0.25) + noise(0.06), label });
    } else if (kind === "circles") {
      // A disc inside a ring.
      const angle = 2 * Math.PI * t;
      const r = label === 0 ? 0.75 + noise(0.07) : 0.3 + noise(0.07);
      points.push({ x: r * Math.cos(angle), y: r * Math.sin(angle), label });
    } else {
      // Two arms of a spiral, one turn and a half each.
      const r = 0.08 + 0.8 * t;
      const angle = 3 * Math.PI * t + label * Math.PI;
      points.push({ x: r * Math.cos(angle) + noise(0.035), y: r * Math.sin(angle) + noise(0.035), label });
    }
  }
  return points;
}

/** The points as the generated code takes them: X (N × 2) and y (N). */
function arrays(points: readonly Point[]): { X: Matrix; y: Float64Array } {
  const X = { rows: points.length, cols: 2, data: new Float64Array(2 * points.length) };
  const y = new Float64Array(points.length);
  points.forEach((p, i) => {
    X.data[2 * i] = p.x;
    X.data[2 * i + 1] = p.y;
    y[i] = p.label;
  });
  return { X, y };
}

// --- The page's state ------------------------------------------------------------------------------

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const settings = {
  dataset: "moons" as Dataset,
  hidden: 8,
  rate: 0.03,
  stepsPerSecond: 600,
  penalty: 1e-4,
  clickClass: 0 as 0 | 1,
};

let model = classifier;
let points = makePoints(settings.dataset, 200, 7);
let data = arrays(points);
let params = initialParameters(settings.hidden, 1);
let adam = new Adam(4 * settings.hidden + 1);
let step = 0;
let running = true;
/** The loss every `stride` steps (halved when it grows long, so the curve spans all of training). */
let history: number[] = [];
let stride = 1;

function resetTraining(): void {
  params = initialParameters(settings.hidden, 1 + step);
  adam = new Adam(4 * settings.hidden + 1);
  step = 0;
  history = [];
  stride = 1;
}

function train(steps: number): void {
  for (let s = 0; s < steps; s++) {
    const { value, grad } = model.lossGrad(
      params.W1,
      params.b1,
      params.w2,
      params.b2,
      data.X,
      data.y,
      settings.penalty,
    );
    if (step % stride === 0) history.push(value);
    if (history.length > 1200) {
      history = history.filter((_, i) => i % 2 === 0);
      stride *= 2;
    }
    adam.step(params, grad, settings.rate);
    step++;
  }
}

// --- Drawing -------------------------------------------------------------------------------------

const colors = {
  0: { point: "#e8871e", field: [250, 204, 150] },
  1: { point: "#2f6fd6", field: [160, 196, 245] },
} as const;

const plane = element<HTMLCanvasElement>("plane");
const curve = element<HTMLCanvasElement>("curve");
const grid = 90; // the plane is evaluated on grid × grid points
const gridPoints: Matrix = { rows: grid * grid, cols: 2, data: new Float64Array(2 * grid * grid) };
for (let r = 0; r < grid; r++) {
  for (let c = 0; c < grid; c++) {
    gridPoints.data[2 * (r * grid + c)] = -1 + (2 * (c + 0.5)) / grid;
    gridPoints.data[2 * (r * grid + c) + 1] = 1 - (2 * (r + 0.5)) / grid;
  }
}
const field = document.createElement("canvas");
field.width = field.height = grid;
const fieldImage = new ImageData(grid, grid);

/** Sizes a canvas's backing store to its CSS size times the device pixel ratio. */
function fit(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ratio = window.devicePixelRatio || 1;
  const { width, height } = canvas.getBoundingClientRect();
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const context = canvas.getContext("2d")!;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  return context;
}

function drawPlane(): void {
  const context = fit(plane);
  const size = plane.getBoundingClientRect().width;
  const p = model.probability(params.W1, params.b1, params.w2, params.b2, gridPoints);

  // The probability of class 1, from the color of class 0 to that of class 1.
  for (let i = 0; i < p.length; i++) {
    const q = p[i]!;
    const [r0, g0, b0] = colors[0].field;
    const [r1, g1, b1] = colors[1].field;
    // Near the boundary the colors fade to white, so the two regions read at a glance.
    const strength = Math.min(1, Math.abs(2 * q - 1) * 1.6);
    const mix = (a: number, b: number) => 255 + ((q > 0.5 ? b : a) - 255) * strength;
    fieldImage.data[4 * i] = mix(r0, r1);
    fieldImage.data[4 * i + 1] = mix(g0, g1);
    fieldImage.data[4 * i + 2] = mix(b0, b1);
    fieldImage.data[4 * i + 3] = 255;
  }
  field.getContext("2d")!.putImageData(fieldImage, 0, 0);
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = "high";
  context.drawImage(field, 0, 0, size, size);

  // The decision boundary, p = 1/2, by marching squares over the grid.
  const cell = size / grid;
  const at = (r: number, c: number) => p[r * grid + c]! - 0.5;
  context.beginPath();
  for (let r = 0; r + 1 < grid; r++) {
    for (let c = 0; c + 1 < grid; c++) {
      const corners = [at(r, c), at(r, c + 1), at(r + 1, c + 1), at(r + 1, c)] as const;
      const xy = [
        [c, r],
        [c + 1, r],
        [c + 1, r + 1],
        [c, r + 1],
      ] as const;
      const crossings: [number, number][] = [];
      for (let e = 0; e < 4; e++) {
        const a = corners[e]!;
        const b = corners[(e + 1) % 4]!;
        if (a < 0 !== b < 0) {
          const t = a / (a - b);
          const [xa, ya] = xy[e]!;
          const [xb, yb] = xy[(e + 1) % 4]!;
          crossings.push([(xa + t * (xb - xa) + 0.5) * cell, (ya + t * (yb - ya) + 0.5) * cell]);
        }
      }
      for (let k = 0; k + 1 < crossings.length; k += 2) {
        context.moveTo(...crossings[k]!);
        context.lineTo(...crossings[k + 1]!);
      }
    }
  }
  context.strokeStyle = "rgba(30, 41, 59, 0.75)";
  context.lineWidth = 1.5;
  context.stroke();

  // The points.
  const toCanvas = (v: number) => ((v + 1) / 2) * size;
  for (const point of points) {
    context.beginPath();
    context.arc(toCanvas(point.x), toCanvas(-point.y), 4.5, 0, 2 * Math.PI);
    context.fillStyle = colors[point.label].point;
    context.fill();
    context.lineWidth = 1.5;
    context.strokeStyle = "#fff";
    context.stroke();
  }
}

function drawCurve(): void {
  const context = fit(curve);
  const { width, height } = curve.getBoundingClientRect();
  context.clearRect(0, 0, width, height);
  const left = 44;
  const right = 10;
  const top = 10;
  const bottom = 22;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;

  context.font = "11px system-ui, sans-serif";
  context.fillStyle = "#64748b";
  context.strokeStyle = "#e2e8f0";
  context.lineWidth = 1;
  if (history.length < 2) return;

  // A logarithmic axis from the smallest loss to the largest, in whole decades.
  const low = Math.floor(Math.log10(Math.max(1e-6, Math.min(...history))));
  const high = Math.ceil(Math.log10(Math.max(...history)));
  const span = Math.max(1, high - low);
  const yOf = (loss: number) => top + plotHeight * (1 - (Math.log10(Math.max(loss, 1e-6)) - low) / span);
  context.textAlign = "right";
  context.textBaseline = "middle";
  for (let d = low; d <= low + span; d++) {
    const y = yOf(10 ** d);
    context.beginPath();
    context.moveTo(left, y);
    context.lineTo(width - right, y);
    context.stroke();
    context.fillText(d >= -3 ? String(Number((10 ** d).toFixed(3))) : `1e${d}`, left - 6, y);
  }
  context.textAlign = "center";
  context.textBaseline = "top";
  const steps = (history.length - 1) * stride;
  context.fillText("0", left, height - bottom + 6);
  context.textAlign = "right";
  context.fillText(`${steps.toLocaleString("en-US")} steps`, width - right, height - bottom + 6);

  context.beginPath();
  history.forEach((loss, i) => {
    const x = left + (plotWidth * i) / (history.length - 1);
    if (i === 0) context.moveTo(x, yOf(loss));
    else context.lineTo(x, yOf(loss));
  });
  context.strokeStyle = "#7c3aed";
  context.lineWidth = 2;
  context.stroke();
}

/** The loss of the weights shown (training's last value is that of the weights before its step). */
function currentLoss(): number {
  if (points.length === 0) return NaN;
  return model.loss(params.W1, params.b1, params.w2, params.b2, data.X, data.y, settings.penalty);
}

function accuracy(): number {
  const p = model.probability(params.W1, params.b1, params.w2, params.b2, data.X);
  let correct = 0;
  points.forEach((point, i) => {
    if (p[i]! > 0.5 === (point.label === 1)) correct++;
  });
  return correct / Math.max(1, points.length);
}

const lossText = element("loss");
const stepText = element("step");
const accuracyText = element("accuracy");
const pointsText = element("points");
const errorBox = element("error");

function render(): void {
  const loss = currentLoss();
  drawPlane();
  drawCurve();
  lossText.textContent = Number.isFinite(loss) ? loss.toFixed(4) : "–";
  stepText.textContent = step.toLocaleString("en-US");
  accuracyText.textContent = `${(100 * accuracy()).toFixed(1)}%`;
  pointsText.textContent = String(points.length);
}

/** Steps owed to the chosen speed, whatever the frame rate (at most 50 a frame). */
let owed = 0;
let lastFrame: number | undefined;

function frame(now: number): void {
  owed = Math.min(50, owed + (settings.stepsPerSecond * (now - (lastFrame ?? now - 1000 / 60))) / 1000);
  lastFrame = now;
  try {
    if (running && points.length > 0) {
      train(Math.floor(owed));
      owed -= Math.floor(owed);
    }
    render();
    errorBox.hidden = true;
  } catch (error) {
    // A model edited in the dev server may not fit the page any more: say why, keep the loop.
    errorBox.textContent = String(error);
    errorBox.hidden = false;
  }
  requestAnimationFrame(frame);
}

// --- Controls ------------------------------------------------------------------------------------

function setPoints(next: Point[]): void {
  points = next;
  data = arrays(points);
}

plane.addEventListener("click", (event) => {
  const { left, top, width } = plane.getBoundingClientRect();
  const x = (2 * (event.clientX - left)) / width - 1;
  const y = 1 - (2 * (event.clientY - top)) / width;
  const label = event.shiftKey ? ((1 - settings.clickClass) as 0 | 1) : settings.clickClass;
  setPoints([...points, { x, y, label }]);
});

for (const input of document.querySelectorAll<HTMLInputElement>("input[name=class]")) {
  input.addEventListener("change", () => (settings.clickClass = Number(input.value) as 0 | 1));
}

element<HTMLSelectElement>("dataset").addEventListener("change", (event) => {
  settings.dataset = (event.target as HTMLSelectElement).value as Dataset;
  setPoints(makePoints(settings.dataset, 200, 7));
  resetTraining();
});

element<HTMLSelectElement>("hidden").addEventListener("change", (event) => {
  settings.hidden = Number((event.target as HTMLSelectElement).value);
  resetTraining();
});

element<HTMLSelectElement>("speed").addEventListener("change", (event) => {
  settings.stepsPerSecond = Number((event.target as HTMLSelectElement).value);
});

element<HTMLSelectElement>("rate").addEventListener("change", (event) => {
  settings.rate = Number((event.target as HTMLSelectElement).value);
});

const pause = element<HTMLButtonElement>("pause");
pause.addEventListener("click", () => {
  running = !running;
  pause.textContent = running ? "Pause" : "Train";
});

element("reset").addEventListener("click", resetTraining);
element("clear").addEventListener("click", () => setPoints([]));

// --- The model's source, generated code and derivation -----------------------------------------

function showModel(shown: typeof showcase): void {
  for (const name of document.querySelectorAll(".model-name")) name.textContent = shown.filename;
  element("source").innerHTML = shown.sourceHtml;
  element("code").innerHTML = shown.codeHtml;
  element("code-lines").textContent = `${shown.codeLines} lines`;
  element("derivation").innerHTML = shown.derivationHtml;
}

showModel(showcase);
requestAnimationFrame(frame);

// Editing classifier.grad under `vite` swaps in the new functions and keeps training.
if (import.meta.hot) {
  import.meta.hot.accept("./classifier.grad", (next) => {
    if (next) model = next as unknown as typeof classifier;
  });
  import.meta.hot.accept("virtual:gradc-showcase", (next) => {
    if (next) showModel(next as unknown as typeof showcase);
  });
}
