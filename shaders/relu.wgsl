// ReLU and its gradient (zero at x = 0, as PyTorch).

struct Params {
  count: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  if (index < params.count) {
    let v = x[index];
    // max() would turn NaN into 0; PyTorch propagates it.
    y[index] = select(0.0, v, v > 0.0 || v != v);
  }
}

/** Backward (common/elementwise_backward.wgsl, saved = x): ∂L/∂y where x > 0, else +0. */
fn gradInput(g: f32, x: f32) -> f32 {
  return select(0.0, g, x > 0.0);
}
