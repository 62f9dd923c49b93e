// The weights of one loss-landscape point: out = theta + alpha·d1 + beta·d2, written straight
// into the model's parameter buffer (Li et al., 2018).

struct Params {
  count: u32,
  alpha: f32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> theta: array<f32>;
@group(0) @binding(2) var<storage, read> d1: array<f32>;
@group(0) @binding(3) var<storage, read> d2: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn combine(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  if (index < params.count) {
    out[index] = theta[index] + params.alpha * d1[index] + params.beta * d2[index];
  }
}
