// Optimizer steps with PyTorch's semantics (torch.optim.SGD and Adam, foreach=False math).
// Both overwrite grad with the update they applied (Δp = p_new − p_old), so the step is
// traceable without another buffer.
//
// SGD: g ← g + wd·p; with momentum: buf ← momentum·buf + (1 − dampening)·g (buf = g on the
// first step, which buf = 0 and dampening applied only later reproduce: firstStep = 1 skips
// dampening); nesterov: g ← g + momentum·buf, else g ← buf; p ← p − lr·g.
// Adam: g ← g + wd·p; m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²;
// p ← p − lr/bias1 · m / (sqrt(v)/sqrt(bias2) + eps), bias_k = 1 − β_k^t.

struct Params {
  count: u32, lr: f32, momentum: f32, dampening: f32, weightDecay: f32, nesterov: u32, firstStep: u32,
  beta1: f32, beta2: f32, eps: f32, bias1: f32, bias2: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> buf: array<f32>;

@compute @workgroup_size(64)
fn sgd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= params.count) {
    return;
  }
  let p = param[i];
  var g = grad[i] + params.weightDecay * p;
  if (params.momentum != 0.0) {
    var b = g;
    if (params.firstStep == 0u) {
      b = params.momentum * buf[i] + (1.0 - params.dampening) * g;
    }
    buf[i] = b;
    g = select(b, g + params.momentum * b, params.nesterov != 0u);
  }
  let updated = p - params.lr * g;
  param[i] = updated;
  grad[i] = updated - p;
}

@group(0) @binding(1) var<storage, read_write> adamParam: array<f32>;
@group(0) @binding(2) var<storage, read_write> adamGrad: array<f32>;
@group(0) @binding(3) var<storage, read_write> expAvg: array<f32>;
@group(0) @binding(4) var<storage, read_write> expAvgSq: array<f32>;

@compute @workgroup_size(64)
fn adam(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= params.count) {
    return;
  }
  let p = adamParam[i];
  let g = adamGrad[i] + params.weightDecay * p;
  let m = params.beta1 * expAvg[i] + (1.0 - params.beta1) * g;
  let v = params.beta2 * expAvgSq[i] + (1.0 - params.beta2) * g * g;
  expAvg[i] = m;
  expAvgSq[i] = v;
  let denom = sqrt(v) / sqrt(params.bias2) + params.eps;
  let updated = p - (params.lr / params.bias1) * (m / denom);
  adamParam[i] = updated;
  adamGrad[i] = updated - p;
}
