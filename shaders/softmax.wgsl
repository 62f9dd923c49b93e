// softmax and log_softmax along one dimension of any tensor, viewed as [outer, size, inner]:
// a row is the `size` elements at base + k·inner, base = o·size·inner + i, so any dim works
// without a transpose. Stable: every exponent is taken of x − max(row). `naive` skips the max
// (exp(x) / Σ exp(x)) to show how float32 overflows without it.
//   *_wide:   one workgroup per row, strided loads and a tree reduction (long rows).
//   *_narrow: one invocation per row, serial loops (many short rows; adjacent invocations
//             read adjacent addresses when inner > 1).
// Forward also writes each row's max and Σ exp(x − max) (the log-sum-exp trick's parts).
// Backward from the output y: softmax dx = y·(g − Σ g·y), log_softmax dx = g − exp(y)·Σ g.

struct Params {
  outer: u32, size: u32, inner: u32, log: u32, naive: u32,
}

const WORKGROUP = 128u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> rowMax: array<f32>;
@group(0) @binding(4) var<storage, read_write> rowSumExp: array<f32>;

var<workgroup> partial: array<f32, WORKGROUP>;

fn rowBase(row: u32) -> u32 {
  return (row / params.inner) * params.size * params.inner + row % params.inner;
}

fn reduceMax(lid: u32, v: f32) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  for (var stride = WORKGROUP / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      partial[lid] = max(partial[lid], partial[lid + stride]);
    }
    workgroupBarrier();
  }
  let result = partial[0];
  workgroupBarrier();
  return result;
}

fn reduceSum(lid: u32, v: f32) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  for (var stride = WORKGROUP / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      partial[lid] += partial[lid + stride];
    }
    workgroupBarrier();
  }
  let result = partial[0];
  workgroupBarrier();
  return result;
}

fn activate(v: f32, m: f32, s: f32) -> f32 {
  if (params.log != 0u) {
    return v - m - log(s);
  }
  return exp(v - m) / s;
}

@compute @workgroup_size(WORKGROUP)
fn forward_wide(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_index) lid: u32,
  @builtin(num_workgroups) groups: vec3u,
) {
  let p = params;
  let row = wid.x + wid.y * groups.x;
  if (row >= p.outer * p.inner) {
    return;
  }
  let base = rowBase(row);
  var m = 0.0;
  if (p.naive == 0u) {
    var local = x[base];
    for (var k = lid; k < p.size; k += WORKGROUP) {
      local = max(local, x[base + k * p.inner]);
    }
    m = reduceMax(lid, local);
  }
  var local_sum = 0.0;
  for (var k = lid; k < p.size; k += WORKGROUP) {
    local_sum += exp(x[base + k * p.inner] - m);
  }
  let s = reduceSum(lid, local_sum);
  for (var k = lid; k < p.size; k += WORKGROUP) {
    let index = base + k * p.inner;
    y[index] = activate(x[index], m, s);
  }
  if (lid == 0u) {
    rowMax[row] = m;
    rowSumExp[row] = s;
  }
}

@compute @workgroup_size(64)
fn forward_narrow(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let row = gid.x + gid.y * groups.x * 64u;
  if (row >= p.outer * p.inner) {
    return;
  }
  let base = rowBase(row);
  var m = 0.0;
  if (p.naive == 0u) {
    m = x[base];
    for (var k = 1u; k < p.size; k++) {
      m = max(m, x[base + k * p.inner]);
    }
  }
  var s = 0.0;
  for (var k = 0u; k < p.size; k++) {
    s += exp(x[base + k * p.inner] - m);
  }
  for (var k = 0u; k < p.size; k++) {
    let index = base + k * p.inner;
    y[index] = activate(x[index], m, s);
  }
  rowMax[row] = m;
  rowSumExp[row] = s;
}

@group(0) @binding(1) var<storage, read> output: array<f32>;
@group(0) @binding(2) var<storage, read> gradOutput: array<f32>;
@group(0) @binding(3) var<storage, read_write> gradX: array<f32>;

// The row sum backward needs: Σ g·y for softmax, Σ g for log_softmax.
fn backwardTerm(index: u32) -> f32 {
  if (params.log != 0u) {
    return gradOutput[index];
  }
  return gradOutput[index] * output[index];
}

fn backwardValue(index: u32, s: f32) -> f32 {
  let g = gradOutput[index];
  let v = output[index];
  if (params.log != 0u) {
    return g - exp(v) * s;
  }
  return v * (g - s);
}

@compute @workgroup_size(WORKGROUP)
fn backward_wide(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_index) lid: u32,
  @builtin(num_workgroups) groups: vec3u,
) {
  let p = params;
  let row = wid.x + wid.y * groups.x;
  if (row >= p.outer * p.inner) {
    return;
  }
  let base = rowBase(row);
  var local_sum = 0.0;
  for (var k = lid; k < p.size; k += WORKGROUP) {
    local_sum += backwardTerm(base + k * p.inner);
  }
  let s = reduceSum(lid, local_sum);
  for (var k = lid; k < p.size; k += WORKGROUP) {
    let index = base + k * p.inner;
    gradX[index] = backwardValue(index, s);
  }
}

@compute @workgroup_size(64)
fn backward_narrow(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let row = gid.x + gid.y * groups.x * 64u;
  if (row >= p.outer * p.inner) {
    return;
  }
  let base = rowBase(row);
  var s = 0.0;
  for (var k = 0u; k < p.size; k++) {
    s += backwardTerm(base + k * p.inner);
  }
  for (var k = 0u; k < p.size; k++) {
    let index = base + k * p.inner;
    gradX[index] = backwardValue(index, s);
  }
}
