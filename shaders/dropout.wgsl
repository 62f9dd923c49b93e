// Training-mode dropout with a seeded Bernoulli mask (counter-based, so a (seed, element) pair
// always draws the same number): mask[g] = 1 with probability keep = 1 − p, else 0, one draw per
// group of `inner` consecutive elements (1 for nn.Dropout, the spatial size for Dropout2d's whole
// channels). apply: y = x · mask[i / inner] · scale with scale = 1/(1 − p); the backward pass
// applies the same mask and scale to dL/dy.

struct Params {
  count: u32, inner: u32, seed: u32, keep: f32, scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> mask: array<f32>;

// PCG-RXS-M-XS 32-bit output function.
fn pcgHash(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

fn flatIndex(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

// count = number of groups here.
@compute @workgroup_size(64)
fn draw_mask(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let g = flatIndex(gid, groups);
  if (g >= params.count) {
    return;
  }
  let bits = pcgHash(pcgHash(g) ^ params.seed);
  let u = f32(bits >> 8u) * (1.0 / 16777216.0);
  mask[g] = select(0.0, 1.0, u < params.keep);
}

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> keptMask: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn apply(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = flatIndex(gid, groups);
  if (index < params.count) {
    y[index] = x[index] * keptMask[index / params.inner] * params.scale;
  }
}
