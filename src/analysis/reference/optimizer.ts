/**
 * Float64 references of torch.optim.SGD (with momentum, dampening, nesterov, weight decay) and
 * torch.optim.Adam (bias-corrected, L2 weight decay), transcribed from PyTorch's documented
 * update rules. Each returns the new parameters and state; inputs are not modified.
 */

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weight_decay?: number;
  nesterov?: boolean;
}

export interface AdamOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weight_decay?: number;
}

/** One SGD step; `buf` is null before the first step (PyTorch then sets buf = g). */
export function sgdStepRef(p: Float64Array, g: Float64Array, buf: Float64Array | null, o: SgdOptions): { p: Float64Array; buf: Float64Array | null } {
  const momentum = o.momentum ?? 0;
  const dampening = o.dampening ?? 0;
  const wd = o.weight_decay ?? 0;
  const out = new Float64Array(p.length);
  const nextBuf = momentum !== 0 ? new Float64Array(p.length) : null;
  for (let i = 0; i < p.length; i++) {
    let d = g[i] + wd * p[i];
    if (nextBuf) {
      const b = buf === null ? d : momentum * buf[i] + (1 - dampening) * d;
      nextBuf[i] = b;
      d = o.nesterov ? d + momentum * b : b;
    }
    out[i] = p[i] - o.lr * d;
  }
  return { p: out, buf: nextBuf };
}

/** One Adam step number `step` (from 1). */
export function adamStepRef(p: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array, step: number, o: AdamOptions): { p: Float64Array; m: Float64Array; v: Float64Array } {
  const [b1, b2] = o.betas ?? [0.9, 0.999];
  const eps = o.eps ?? 1e-8;
  const wd = o.weight_decay ?? 0;
  const bias1 = 1 - b1 ** step;
  const bias2 = 1 - b2 ** step;
  const out = { p: new Float64Array(p.length), m: new Float64Array(p.length), v: new Float64Array(p.length) };
  for (let i = 0; i < p.length; i++) {
    const d = g[i] + wd * p[i];
    out.m[i] = b1 * m[i] + (1 - b1) * d;
    out.v[i] = b2 * v[i] + (1 - b2) * d * d;
    const denom = Math.sqrt(out.v[i]) / Math.sqrt(bias2) + eps;
    out.p[i] = p[i] - (o.lr / bias1) * (out.m[i] / denom);
  }
  return out;
}
