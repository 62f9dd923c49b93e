// Fake quantization as PyTorch 1.13's CPU kernel computes it, per tensor or per channel over an
// [outer, channels, inner] view (per tensor: one channel). Each channel's (scale, 1/scale,
// zero_point) come in `qparams`; 1/scale is rounded on the host because WGSL's f32 division is
// not correctly rounded and PyTorch multiplies by the float32 1.0f / scale.
//   code   = zero_point + round(x · inv_scale)   (round half to even, float32 like PyTorch's sum)
//   q      = clamp(code, quant_min, quant_max)   (the integer codes)
//   output = (q − zero_point) · scale             (one rounding: |q − zero_point| < 2^24)
//   mask   = quant_min <= code <= quant_max       (1 or 0; the straight-through gradient's gate)
// Backward: grad_x = grad_output · mask.

struct Params {
  count: u32, channels: u32, inner: u32, quantMin: f32, quantMax: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> qparams: array<f32>;
@group(0) @binding(3) var<storage, read_write> output: array<f32>;
@group(0) @binding(4) var<storage, read_write> codes: array<f32>;
@group(0) @binding(5) var<storage, read_write> mask: array<f32>;

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  if (index >= params.count) {
    return;
  }
  let c = (index / params.inner) % params.channels;
  let scale = qparams[3u * c];
  let invScale = qparams[3u * c + 1u];
  let zeroPoint = qparams[3u * c + 2u];
  let code = zeroPoint + round(x[index] * invScale);
  let q = clamp(code, params.quantMin, params.quantMax);
  output[index] = (q - zeroPoint) * scale;
  codes[index] = q;
  mask[index] = select(0.0, 1.0, params.quantMin <= code && code <= params.quantMax);
}

/**
 * Backward (common/elementwise_backward.wgsl, saved = mask): a product, as PyTorch computes
 * dY * mask, so a negative gradient outside the range gives −0.
 */
fn gradInput(g: f32, mask: f32) -> f32 {
  return g * mask;
}
