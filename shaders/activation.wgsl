// Elementwise activations and their gradients: kind 0 tanh, 1 sigmoid, 2 gelu (erf),
// 3 silu, 4 leaky_relu (slope), 5 gelu (tanh approximation), 6 relu6, 7 elu (slope = alpha).
// Backward reads one saved tensor, as autograd keeps it: the output for tanh and sigmoid,
// the input for the others.

struct Params {
  count: u32, kind: u32, slope: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// erf by Abramowitz & Stegun 7.1.26 refined: |error| < 1.5e-7 (WGSL has no erf).
fn erf_approx(v: f32) -> f32 {
  let s = sign(v);
  let a = abs(v);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return s * (1.0 - poly * exp(-a * a));
}

fn sigmoid(v: f32) -> f32 {
  // Stable for large |v|: exp of a non-positive number only.
  if (v >= 0.0) {
    return 1.0 / (1.0 + exp(-v));
  }
  let e = exp(v);
  return e / (1.0 + e);
}

fn stable_tanh(v: f32) -> f32 {
  // tanh(v) = sign(v)·(1 − e^{−2|v|}) / (1 + e^{−2|v|}), no overflow.
  let e = exp(-2.0 * abs(v));
  return sign(v) * (1.0 - e) / (1.0 + e);
}

// PyTorch's approximate="tanh" GELU: √(2/π)·(v + 0.044715·v³), the argument of tanh.
const GELU_BETA = 0.7978845608;
const GELU_KAPPA = 0.044715;

fn gelu_tanh_inner(v: f32) -> f32 {
  return GELU_BETA * (v + GELU_KAPPA * v * v * v);
}

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  if (index >= params.count) {
    return;
  }
  let v = x[index];
  var r = v;
  switch params.kind {
    case 0u: { r = stable_tanh(v); }
    case 1u: { r = sigmoid(v); }
    case 2u: { r = 0.5 * v * (1.0 + erf_approx(v * 0.70710678)); }
    case 3u: { r = v * sigmoid(v); }
    case 5u: { r = 0.5 * v * (1.0 + stable_tanh(gelu_tanh_inner(v))); }
    case 6u: { r = min(max(v, 0.0), 6.0); }
    case 7u: { r = select(params.slope * (exp(min(v, 0.0)) - 1.0), v, v > 0.0); }
    default: { r = select(params.slope * v, v, v > 0.0); }
  }
  // Keep NaN as NaN (select and max would not propagate it everywhere).
  y[index] = select(r, v, v != v);
}

// d activation / dx from the saved value s (the output for tanh and sigmoid, the input for the others).
fn derivative(s: f32) -> f32 {
  switch params.kind {
    case 0u: { return 1.0 - s * s; }
    case 1u: { return s * (1.0 - s); }
    case 2u: {
      let cdf = 0.5 * (1.0 + erf_approx(s * 0.70710678));
      let pdf = 0.39894228 * exp(-0.5 * s * s);
      return cdf + s * pdf;
    }
    case 3u: {
      let sg = sigmoid(s);
      return sg * (1.0 + s * (1.0 - sg));
    }
    case 5u: {
      let t = stable_tanh(gelu_tanh_inner(s));
      return 0.5 * (1.0 + t) + 0.5 * s * (1.0 - t * t) * GELU_BETA * (1.0 + 3.0 * GELU_KAPPA * s * s);
    }
    // PyTorch's kinks: relu6 passes the gradient for 0 < x < 6 only; elu takes the α·eˣ branch at 0.
    case 6u: { return select(0.0, 1.0, s > 0.0 && s < 6.0); }
    case 7u: { return select(params.slope * exp(min(s, 0.0)), 1.0, s > 0.0); }
    default: { return select(params.slope, 1.0, s > 0.0); }
  }
}

/** Backward (common/elementwise_backward.wgsl): ∂L/∂x = ∂L/∂y · derivative(saved). */
fn gradInput(g: f32, s: f32) -> f32 {
  return g * derivative(s);
}
