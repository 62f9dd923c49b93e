// Mean squared error: loss = scale · Σ (x − t)², scale = 1/count for "mean", 1 for "sum".
// Forward is one workgroup (a strided sum, then a tree reduction); backward one invocation per element.

struct Params {
  count: u32, scale: f32,
}

const WORKGROUP = 256u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> goal: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;

@compute @workgroup_size(WORKGROUP)
fn forward(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = lid; i < params.count; i += WORKGROUP) {
    let d = x[i] - goal[i];
    acc += d * d;
  }
  let total = workgroupSum(lid, acc);
  if (lid == 0u) {
    loss[0] = total * params.scale;
  }
}

@group(0) @binding(1) var<storage, read> xSaved: array<f32>;
@group(0) @binding(2) var<storage, read> goalSaved: array<f32>;
@group(0) @binding(3) var<storage, read> gradLoss: array<f32>;
@group(0) @binding(4) var<storage, read_write> gradX: array<f32>;

@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  if (index < params.count) {
    gradX[index] = 2.0 * params.scale * gradLoss[0] * (xSaved[index] - goalSaved[index]);
  }
}
