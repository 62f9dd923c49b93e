// Fused scaled dot-product attention: scores and probabilities are recomputed where needed and
// never stored, so memory grows with L + S rather than L·S. Batch b = b1·batch2 + b2 (for
// multi-head attention b1 is the sample and b2 the head); q, k, v and the output are strided
// views (row i of batch (b1, b2) at offset + b1·stride1 + b2·stride2 + i·row); the gradients
// share the layouts of q, k, v and the output gradient that of the output. Masks act as in
// common/attention_mask.wgsl (1 keep, 2 drop, 3 add; causal masks j > i).
//
// forward: one invocation per query row, one pass over the keys with an online softmax (the
// running max m, the running sum l and the output rescaled by exp(m_old − m_new) when m
// grows), then stats[r] = m + log(l), the row's logsumexp.
// backward_query: per query row, δ = Σ_j P_ij·dP_ij (stored at stats[rows + r]) with
// P_ij = exp(s_ij − lse_i) and dP_ij = dO_i·V_j, then dQ_i = scale·Σ_j P_ij(dP_ij − δ_i)·K_j.
// backward_key: per key row, dK_j = scale·Σ_i P_ij(dP_ij − δ_i)·Q_i (reads δ, so it runs after).
// backward_value: per key row, dV_j = Σ_i P_ij·dO_i.

struct Params {
  rows: u32, queries: u32, keys: u32, dim: u32, valueDim: u32, batch2: u32, causal: u32, scale: f32,
  qOffset: u32, qStride1: u32, qStride2: u32, qRow: u32,
  kOffset: u32, kStride1: u32, kStride2: u32, kRow: u32,
  vOffset: u32, vStride1: u32, vStride2: u32, vRow: u32,
  oOffset: u32, oStride1: u32, oStride2: u32, oRow: u32,
  mask1Mode: u32, mask1Stride1: u32, mask1Stride2: u32, mask1Row: u32, mask1Col: u32,
  mask2Mode: u32, mask2Stride1: u32, mask2Stride2: u32, mask2Row: u32, mask2Col: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> mask1: array<f32>;
@group(0) @binding(2) var<storage, read> mask2: array<f32>;
@group(0) @binding(3) var<storage, read> q: array<f32>;
@group(0) @binding(4) var<storage, read> k: array<f32>;
@group(0) @binding(5) var<storage, read> v: array<f32>;
@group(0) @binding(6) var<storage, read> gradOut: array<f32>;
@group(0) @binding(7) var<storage, read_write> stats: array<f32>;
@group(0) @binding(8) var<storage, read_write> result: array<f32>;

// One (query, key) pair of batch (b1, b2): where its rows start and where its mask rows start.
struct Pair {
  b1: u32, b2: u32, i: u32,
  qBase: u32, oBase: u32, m1: u32, m2: u32,
}

fn pairOf(b: u32, i: u32) -> Pair {
  let p = params;
  let b1 = b / p.batch2;
  let b2 = b % p.batch2;
  return Pair(
    b1, b2, i,
    p.qOffset + b1 * p.qStride1 + b2 * p.qStride2 + i * p.qRow,
    p.oOffset + b1 * p.oStride1 + b2 * p.oStride2 + i * p.oRow,
    b1 * p.mask1Stride1 + b2 * p.mask1Stride2 + i * p.mask1Row,
    b1 * p.mask2Stride1 + b2 * p.mask2Stride2 + i * p.mask2Row,
  );
}

fn keyBase(x: Pair, j: u32) -> u32 {
  return params.kOffset + x.b1 * params.kStride1 + x.b2 * params.kStride2 + j * params.kRow;
}

fn valueBase(x: Pair, j: u32) -> u32 {
  return params.vOffset + x.b1 * params.vStride1 + x.b2 * params.vStride2 + j * params.vRow;
}

// scale·q_i·k_j with the masks applied (−inf where masked).
fn score(x: Pair, j: u32, kBase: u32) -> f32 {
  let p = params;
  if (p.causal != 0u && j > x.i) {
    return negInf();
  }
  var s = 0.0;
  for (var e = 0u; e < p.dim; e++) {
    s += q[x.qBase + e] * k[kBase + e];
  }
  s *= p.scale;
  if (p.mask1Mode != MODE_NONE) {
    s = applyMask(p.mask1Mode, mask1[x.m1 + j * p.mask1Col], s);
  }
  if (p.mask2Mode != MODE_NONE) {
    s = applyMask(p.mask2Mode, mask2[x.m2 + j * p.mask2Col], s);
  }
  return s;
}

// dO_i · V_j.
fn gradDot(x: Pair, vBase: u32) -> f32 {
  var s = 0.0;
  for (var c = 0u; c < params.valueDim; c++) {
    s += gradOut[x.oBase + c] * v[vBase + c];
  }
  return s;
}

fn invocationIndex(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let r = invocationIndex(gid, groups);
  if (r >= p.rows) {
    return;
  }
  let x = pairOf(r / p.queries, r % p.queries);
  for (var c = 0u; c < p.valueDim; c++) {
    result[x.oBase + c] = 0.0;
  }
  var m = negInf();
  var l = 0.0;
  for (var j = 0u; j < p.keys; j++) {
    let s = score(x, j, keyBase(x, j));
    if (s == negInf()) {
      continue;
    }
    let vBase = valueBase(x, j);
    if (s > m) {
      let shrink = exp(m - s);
      m = s;
      l = l * shrink + 1.0;
      for (var c = 0u; c < p.valueDim; c++) {
        result[x.oBase + c] = result[x.oBase + c] * shrink + v[vBase + c];
      }
    } else {
      let e = exp(s - m);
      l += e;
      for (var c = 0u; c < p.valueDim; c++) {
        result[x.oBase + c] += e * v[vBase + c];
      }
    }
  }
  let inv = 1.0 / l;
  for (var c = 0u; c < p.valueDim; c++) {
    result[x.oBase + c] *= inv;
  }
  stats[r] = m + log(l);
}

@compute @workgroup_size(64)
fn backward_query(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let r = invocationIndex(gid, groups);
  if (r >= p.rows) {
    return;
  }
  let x = pairOf(r / p.queries, r % p.queries);
  let lse = stats[r];
  var delta = 0.0;
  for (var j = 0u; j < p.keys; j++) {
    let s = score(x, j, keyBase(x, j));
    if (s != negInf()) {
      delta += exp(s - lse) * gradDot(x, valueBase(x, j));
    }
  }
  stats[p.rows + r] = delta;
  for (var e = 0u; e < p.dim; e++) {
    result[x.qBase + e] = 0.0;
  }
  for (var j = 0u; j < p.keys; j++) {
    let kBase = keyBase(x, j);
    let s = score(x, j, kBase);
    if (s == negInf()) {
      continue;
    }
    let ds = p.scale * exp(s - lse) * (gradDot(x, valueBase(x, j)) - delta);
    for (var e = 0u; e < p.dim; e++) {
      result[x.qBase + e] += ds * k[kBase + e];
    }
  }
}

// Key row j of batch b, and where dK_j (in k's layout) and dV_j (in v's layout) start.
struct KeyRow {
  b: u32, j: u32, kBase: u32, vBase: u32,
}

fn keyRowOf(gid: vec3u, groups: vec3u) -> KeyRow {
  let index = invocationIndex(gid, groups);
  let b = index / params.keys;
  let j = index % params.keys;
  let first = pairOf(b, 0u);
  return KeyRow(b, j, keyBase(first, j), valueBase(first, j));
}

@compute @workgroup_size(64)
fn backward_key(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let key = keyRowOf(gid, groups);
  if (key.b * p.queries >= p.rows) {
    return;
  }
  for (var e = 0u; e < p.dim; e++) {
    result[key.kBase + e] = 0.0;
  }
  for (var i = 0u; i < p.queries; i++) {
    let x = pairOf(key.b, i);
    let s = score(x, key.j, key.kBase);
    if (s == negInf()) {
      continue;
    }
    let r = key.b * p.queries + i;
    let ds = p.scale * exp(s - stats[r]) * (gradDot(x, key.vBase) - stats[p.rows + r]);
    for (var e = 0u; e < p.dim; e++) {
      result[key.kBase + e] += ds * q[x.qBase + e];
    }
  }
}

@compute @workgroup_size(64)
fn backward_value(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let key = keyRowOf(gid, groups);
  if (key.b * p.queries >= p.rows) {
    return;
  }
  for (var c = 0u; c < p.valueDim; c++) {
    result[key.vBase + c] = 0.0;
  }
  for (var i = 0u; i < p.queries; i++) {
    let x = pairOf(key.b, i);
    let s = score(x, key.j, key.kBase);
    if (s == negInf()) {
      continue;
    }
    let weight = exp(s - stats[key.b * p.queries + i]);
    for (var c = 0u; c < p.valueDim; c++) {
      result[key.vBase + c] += weight * gradOut[x.oBase + c];
    }
  }
}
