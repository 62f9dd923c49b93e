// Cross entropy over logits [rows, classes] with int32 targets. Per row: a stable
// log-sum-exp (max first), softmax probabilities and the loss −log p[target]. Rows whose
// target equals ignoreIndex contribute nothing.

struct Params {
  rows: u32, classes: u32, ignoreIndex: i32, scale: f32, perRowGrad: u32,
}

const WORKGROUP = 64u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<storage, read_write> probs: array<f32>;
@group(0) @binding(4) var<storage, read_write> rowLoss: array<f32>;

/** max of `value` over the workgroup, through workgroupSum's `partial`, left free for the next reduction. */
fn workgroupMax(lid: u32, value: f32) -> f32 {
  partial[lid] = value;
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

/** max of the row's logits first, first + step, … (and logit 0, so an empty share is harmless). */
fn rowMaxOf(base: u32, first: u32, step: u32) -> f32 {
  var m = logits[base];
  for (var c = first; c < params.classes; c += step) {
    m = max(m, logits[base + c]);
  }
  return m;
}

/** Σ exp(logit − m) over the same logits. */
fn rowSumExpOf(base: u32, first: u32, step: u32, m: f32) -> f32 {
  var s = 0.0;
  for (var c = first; c < params.classes; c += step) {
    s += exp(logits[base + c] - m);
  }
  return s;
}

/** Writes the probabilities of the same logits. */
fn storeProbs(base: u32, first: u32, step: u32, m: f32, total: f32) {
  for (var c = first; c < params.classes; c += step) {
    probs[base + c] = exp(logits[base + c] - m) / total;
  }
}

/** −log p[target] = m + log Σ − logit[target], or 0 for an ignored row. */
fn storeRowLoss(row: u32, base: u32, m: f32, total: f32) {
  let t = targets[row];
  rowLoss[row] = select(m + log(total) - logits[base + u32(max(t, 0))], 0.0, t == params.ignoreIndex);
}

// One workgroup per row (few, long rows).
@compute @workgroup_size(WORKGROUP)
fn rows(at: WorkgroupItem, @builtin(local_invocation_index) lid: u32) {
  let p = params;
  let row = itemIndex(at);
  if (row >= p.rows) {
    return;
  }
  let base = row * p.classes;
  let m = workgroupMax(lid, rowMaxOf(base, lid, WORKGROUP));
  let total = workgroupSum(lid, rowSumExpOf(base, lid, WORKGROUP, m));
  storeProbs(base, lid, WORKGROUP, m, total);
  if (lid == 0u) {
    storeRowLoss(row, base, m, total);
  }
}

// One invocation per row (short rows, or many): no barriers.
@compute @workgroup_size(64)
fn rows_serial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let row = gid.x + gid.y * groups.x * 64u;
  if (row >= params.rows) {
    return;
  }
  let base = row * params.classes;
  let m = rowMaxOf(base, 0u, 1u);
  let total = rowSumExpOf(base, 0u, 1u, m);
  storeProbs(base, 0u, 1u, m, total);
  storeRowLoss(row, base, m, total);
}

@group(0) @binding(1) var<storage, read> rowLossIn: array<f32>;
@group(0) @binding(2) var<storage, read_write> loss: array<f32>;

@compute @workgroup_size(WORKGROUP)
fn total(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var r = lid; r < params.rows; r += WORKGROUP) {
    s += rowLossIn[r];
  }
  let sum = workgroupSum(lid, s);
  if (lid == 0u) {
    loss[0] = sum * params.scale;
  }
}

@group(0) @binding(1) var<storage, read> probsIn: array<f32>;
@group(0) @binding(2) var<storage, read> targetsIn: array<i32>;
@group(0) @binding(3) var<storage, read> gradLoss: array<f32>;
@group(0) @binding(4) var<storage, read_write> gradLogits: array<f32>;

// d loss / d logit[r, c] = g_r · (p[r, c] − [c = target_r]), g_r the row's loss gradient.
@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  let p = params;
  if (index >= p.rows * p.classes) {
    return;
  }
  let row = index / p.classes;
  let c = index % p.classes;
  let t = targetsIn[row];
  var g = gradLoss[0] * p.scale;
  if (p.perRowGrad != 0u) {
    g = gradLoss[row];
  }
  let onehot = select(0.0, 1.0, i32(c) == t);
  gradLogits[index] = select(g * (probsIn[index] - onehot), 0.0, t == p.ignoreIndex);
}
