// torch.mean over some dimensions: out[o] = scale · Σ_r x[base(o) + Σ r_k · rstride_k], one
// invocation per output. Kept and reduced dimensions are views of up to 4 dimensions each
// (row-major); base(o) walks the kept view with kstride_k.

struct Params {
  count: u32, reduced: u32, scale: f32,
  keep1: u32, keep2: u32, keep3: u32,
  kstride0: u32, kstride1: u32, kstride2: u32, kstride3: u32,
  red1: u32, red2: u32, red3: u32,
  rstride0: u32, rstride1: u32, rstride2: u32, rstride3: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let o = gid.x + gid.y * groups.x * 64u;
  if (o >= p.count) {
    return;
  }
  let k3 = o % p.keep3;
  let k2 = (o / p.keep3) % p.keep2;
  let k1 = (o / (p.keep3 * p.keep2)) % p.keep1;
  let k0 = o / (p.keep3 * p.keep2 * p.keep1);
  let base = k0 * p.kstride0 + k1 * p.kstride1 + k2 * p.kstride2 + k3 * p.kstride3;
  var acc = 0.0;
  for (var r = 0u; r < p.reduced; r++) {
    let r3 = r % p.red3;
    let r2 = (r / p.red3) % p.red2;
    let r1 = (r / (p.red3 * p.red2)) % p.red1;
    let r0 = r / (p.red3 * p.red2 * p.red1);
    acc += x[base + r0 * p.rstride0 + r1 * p.rstride1 + r2 * p.rstride2 + r3 * p.rstride3];
  }
  output[o] = p.scale * acc;
}
