// Row kernels of scaled dot-product attention; the products (scale·Q·Kᵀ, P·V and the
// gradients) run on the batched matmul. One invocation per query row r = b·queries + i, with
// batch b = b1·batch2 + b2 (for multi-head attention b1 is the sample and b2 the head).
//
// softmax_forward: adds the causal mask and up to two masks to the row of scores in place
// (what enters the softmax; −inf where masked), then writes the probabilities with the row
// max subtracted. A mask element sits at b1·s1 + b2·s2 + i·row + j·col of its buffer; its
// mode says how it acts (common/attention_mask.wgsl).
// softmax_backward: dS = P ⊙ (dP − Σ_j dP_j·P_j), in place over dP.
// gather_heads: copies a strided [width]-wide slice of every row into a contiguous
// [batch1, batch2, queries, width] tensor (multi-head attention's traced q, k, v).

struct Params {
  rows: u32, queries: u32, keys: u32, batch2: u32, causal: u32,
  mask1Mode: u32, mask1Stride1: u32, mask1Stride2: u32, mask1Row: u32, mask1Col: u32,
  mask2Mode: u32, mask2Stride1: u32, mask2Stride2: u32, mask2Row: u32, mask2Col: u32,
  width: u32, srcOffset: u32, srcStride1: u32, srcStride2: u32, srcRow: u32,
}

@group(0) @binding(0) var<uniform> params: Params;

fn rowIndex(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@group(0) @binding(1) var<storage, read> mask1: array<f32>;
@group(0) @binding(2) var<storage, read> mask2: array<f32>;
@group(0) @binding(3) var<storage, read_write> scores: array<f32>;
@group(0) @binding(4) var<storage, read_write> probs: array<f32>;

@compute @workgroup_size(64)
fn softmax_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let r = rowIndex(gid, groups);
  if (r >= p.rows) {
    return;
  }
  let b = r / p.queries;
  let i = r % p.queries;
  let b1 = b / p.batch2;
  let b2 = b % p.batch2;
  let base = r * p.keys;
  let m1 = b1 * p.mask1Stride1 + b2 * p.mask1Stride2 + i * p.mask1Row;
  let m2 = b1 * p.mask2Stride1 + b2 * p.mask2Stride2 + i * p.mask2Row;
  var rowMax = negInf();
  for (var j = 0u; j < p.keys; j++) {
    var s = scores[base + j];
    if (p.mask1Mode != MODE_NONE) {
      s = applyMask(p.mask1Mode, mask1[m1 + j * p.mask1Col], s);
    }
    if (p.mask2Mode != MODE_NONE) {
      s = applyMask(p.mask2Mode, mask2[m2 + j * p.mask2Col], s);
    }
    if (p.causal != 0u && j > i) {
      s = negInf();
    }
    scores[base + j] = s;
    rowMax = max(rowMax, s);
  }
  var total = 0.0;
  for (var j = 0u; j < p.keys; j++) {
    let e = exp(scores[base + j] - rowMax);
    probs[base + j] = e;
    total += e;
  }
  let inv = 1.0 / total;
  for (var j = 0u; j < p.keys; j++) {
    probs[base + j] *= inv;
  }
}

@group(0) @binding(1) var<storage, read> savedProbs: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;

@compute @workgroup_size(64)
fn softmax_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let r = rowIndex(gid, groups);
  if (r >= p.rows) {
    return;
  }
  let base = r * p.keys;
  var dot = 0.0;
  for (var j = 0u; j < p.keys; j++) {
    dot += grad[base + j] * savedProbs[base + j];
  }
  for (var j = 0u; j < p.keys; j++) {
    grad[base + j] = savedProbs[base + j] * (grad[base + j] - dot);
  }
}

@group(0) @binding(1) var<storage, read> source: array<f32>;
@group(0) @binding(2) var<storage, read_write> gathered: array<f32>;

@compute @workgroup_size(64)
fn gather_heads(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let index = rowIndex(gid, groups);
  if (index >= p.rows * p.width) {
    return;
  }
  let r = index / p.width;
  let c = index % p.width;
  let b = r / p.queries;
  let i = r % p.queries;
  let b1 = b / p.batch2;
  let b2 = b % p.batch2;
  gathered[index] = source[p.srcOffset + b1 * p.srcStride1 + b2 * p.srcStride2 + i * p.srcRow + c];
}
