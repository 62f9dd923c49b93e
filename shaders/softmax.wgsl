// softmax and log_softmax along one dimension of any tensor, viewed as [outer, size, inner]:
// a row is the `size` elements at base + k·inner, base = o·size·inner + i, so any dim works
// without a transpose. Stable: the max m and Σ exp(x − m) come from one online pass (when a
// larger value arrives, the running sum is rescaled by exp(m_old − m_new)), then one pass
// writes the outputs. `naive` keeps m = 0 (exp(x) / Σ exp(x)) to show how float32 overflows
// without the max.
//   *_wide:   one workgroup per row, strided loads and a tree reduction of (m, Σ) pairs.
//   *_narrow: one invocation per row, serial loops (many short rows; adjacent invocations
//             read adjacent addresses when inner > 1).
// Forward also writes each row's max and Σ exp(x − max) (the log-sum-exp trick's parts).
// Backward from the output y: softmax dx = y·(g − Σ g·y), log_softmax dx = g − exp(y)·Σ g.

struct Params {
  outer: u32, size: u32, inner: u32, log: u32, naive: u32,
}

const WORKGROUP = 128u;
// The running max starts at the lowest finite float, not −inf, so that rescaling never computes
// exp(−inf − (−inf)) = NaN for an empty share of a row or a leading −inf.
const LOWEST = -0x1.fffffep+127f;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> rowMax: array<f32>;
@group(0) @binding(4) var<storage, read_write> rowSumExp: array<f32>;

// reduceState keeps the maxima here and the sums in workgroupSum's `partial`.
var<workgroup> partialMax: array<f32, WORKGROUP>;

fn rowBase(row: u32) -> u32 {
  return (row / params.inner) * params.size * params.inner + row % params.inner;
}

// Running (max, Σ exp(x − max)) after one more value v.
fn accumulate(state: vec2<f32>, v: f32) -> vec2<f32> {
  if (params.naive != 0u) {
    return vec2(0.0, state.y + exp(v));
  }
  if (v > state.x) {
    return vec2(v, state.y * exp(state.x - v) + 1.0);
  }
  return vec2(state.x, state.y + exp(v - state.x));
}

// Two partial (max, Σ) pairs joined: both sums rescaled to the larger max.
fn combine(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let m = max(a.x, b.x);
  return vec2(m, a.y * exp(a.x - m) + b.y * exp(b.x - m));
}

fn startState() -> vec2<f32> {
  return vec2(select(LOWEST, 0.0, params.naive != 0u), 0.0);
}

fn reduceState(lid: u32, state: vec2<f32>) -> vec2<f32> {
  partialMax[lid] = state.x;
  partial[lid] = state.y;
  workgroupBarrier();
  for (var stride = WORKGROUP / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      let joined = combine(vec2(partialMax[lid], partial[lid]), vec2(partialMax[lid + stride], partial[lid + stride]));
      partialMax[lid] = joined.x;
      partial[lid] = joined.y;
    }
    workgroupBarrier();
  }
  let result = vec2(partialMax[0], partial[0]);
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
fn forward_wide(at: WorkgroupItem, @builtin(local_invocation_index) lid: u32) {
  let p = params;
  let row = itemIndex(at);
  if (row >= p.outer * p.inner) {
    return;
  }
  let base = rowBase(row);
  var state = startState();
  for (var k = lid; k < p.size; k += WORKGROUP) {
    state = accumulate(state, x[base + k * p.inner]);
  }
  let total = reduceState(lid, state);
  for (var k = lid; k < p.size; k += WORKGROUP) {
    let index = base + k * p.inner;
    y[index] = activate(x[index], total.x, total.y);
  }
  if (lid == 0u) {
    rowMax[row] = total.x;
    rowSumExp[row] = total.y;
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
  var state = startState();
  for (var k = 0u; k < p.size; k++) {
    state = accumulate(state, x[base + k * p.inner]);
  }
  for (var k = 0u; k < p.size; k++) {
    let index = base + k * p.inner;
    y[index] = activate(x[index], state.x, state.y);
  }
  rowMax[row] = state.x;
  rowSumExp[row] = state.y;
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
fn backward_wide(at: WorkgroupItem, @builtin(local_invocation_index) lid: u32) {
  let p = params;
  let row = itemIndex(at);
  if (row >= p.outer * p.inner) {
    return;
  }
  let base = rowBase(row);
  var local_sum = 0.0;
  for (var k = lid; k < p.size; k += WORKGROUP) {
    local_sum += backwardTerm(base + k * p.inner);
  }
  let s = workgroupSum(lid, local_sum);
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
