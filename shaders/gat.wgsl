// GATConv's attention, forward and backward, on H = X·Wᵀ viewed as [V, heads, C] and messages
// m = (src → dst) grouped by target (rowPtr/order) and by source (colPtr/orderT).
//   scores:           a_src[v, h] = Σ_c H[v, h, c]·att_src[h, c], a_dst likewise;
//   softmax:          e[m, h] = LeakyReLU(a_src[src, h] + a_dst[dst, h]),
//                     α[m, h] = exp(e − max) / Σ exp(e − max) over the target's incoming messages;
//   head_mean:        out[i, c] = mean_h agg[i, h, c] + bias[c]           (concat = false);
//   head_mean_backward, alpha_grad (dα = ⟨dAgg[dst, h], H[src, h]⟩), softmax_backward (through
//   the softmax and the LeakyReLU), score_grad (gathers d a_src, d a_dst), feature_grad
//   (dH += d a_src·att_src + d a_dst·att_dst) and att_grad (Σ_v d a·H, one workgroup per entry).

struct Params {
  nodes: u32, messages: u32, heads: u32, channels: u32, negativeSlope: f32, hasBias: u32,
}

const WORKGROUP = 64u;

@group(0) @binding(0) var<uniform> params: Params;

fn linearIndex(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

// The (node, head) pair of an invocation of the per-pair passes (scores, softmax and their
// gradients): index = node·heads + head; `inside` is false past the last pair.
struct NodeHead {
  index: u32, node: u32, head: u32, inside: bool,
}

fn nodeHeadOf(gid: vec3u, groups: vec3u) -> NodeHead {
  let index = linearIndex(gid, groups);
  return NodeHead(index, index / params.heads, index % params.heads, index < params.nodes * params.heads);
}

// ---- scores ----
@group(0) @binding(1) var<storage, read> sH: array<f32>;
@group(0) @binding(2) var<storage, read> sAttSrc: array<f32>;
@group(0) @binding(3) var<storage, read> sAttDst: array<f32>;
@group(0) @binding(4) var<storage, read_write> sASrc: array<f32>;
@group(0) @binding(5) var<storage, read_write> sADst: array<f32>;

@compute @workgroup_size(64)
fn scores(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let pair = nodeHeadOf(gid, groups);
  if (!pair.inside) {
    return;
  }
  let p = params;
  let base = pair.node * p.heads * p.channels + pair.head * p.channels;
  var accSrc = 0.0;
  var accDst = 0.0;
  for (var c = 0u; c < p.channels; c++) {
    let hv = sH[base + c];
    accSrc += hv * sAttSrc[pair.head * p.channels + c];
    accDst += hv * sAttDst[pair.head * p.channels + c];
  }
  sASrc[pair.index] = accSrc;
  sADst[pair.index] = accDst;
}

// ---- softmax ----
@group(0) @binding(1) var<storage, read> fRowPtr: array<u32>;
@group(0) @binding(2) var<storage, read> fOrder: array<u32>;
@group(0) @binding(3) var<storage, read> fSrc: array<u32>;
@group(0) @binding(4) var<storage, read> fASrc: array<f32>;
@group(0) @binding(5) var<storage, read> fADst: array<f32>;
@group(0) @binding(6) var<storage, read_write> fLogits: array<f32>;
@group(0) @binding(7) var<storage, read_write> fAlpha: array<f32>;

fn leaky(x: f32) -> f32 {
  return select(x * params.negativeSlope, x, x > 0.0);
}

@compute @workgroup_size(64)
fn softmax(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let pair = nodeHeadOf(gid, groups);
  if (!pair.inside) {
    return;
  }
  let p = params;
  let start = fRowPtr[pair.node];
  let end = fRowPtr[pair.node + 1u];
  let aDst = fADst[pair.index];
  var best = -3.0e38;
  for (var q = start; q < end; q++) {
    let m = fOrder[q];
    let e = leaky(fASrc[fSrc[m] * p.heads + pair.head] + aDst);
    fLogits[m * p.heads + pair.head] = e;
    best = max(best, e);
  }
  var total = 0.0;
  for (var q = start; q < end; q++) {
    let m = fOrder[q];
    total += exp(fLogits[m * p.heads + pair.head] - best);
  }
  for (var q = start; q < end; q++) {
    let m = fOrder[q];
    fAlpha[m * p.heads + pair.head] = exp(fLogits[m * p.heads + pair.head] - best) / total;
  }
}

// ---- head_mean (concat = false) ----
@group(0) @binding(1) var<storage, read> mAgg: array<f32>;
@group(0) @binding(2) var<storage, read> mBias: array<f32>;
@group(0) @binding(3) var<storage, read_write> mOut: array<f32>;

@compute @workgroup_size(64)
fn head_mean(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = linearIndex(gid, groups);
  let p = params;
  if (index >= p.nodes * p.channels) {
    return;
  }
  let i = index / p.channels;
  let c = index % p.channels;
  var acc = 0.0;
  for (var h = 0u; h < p.heads; h++) {
    acc += mAgg[(i * p.heads + h) * p.channels + c];
  }
  var v = acc / f32(p.heads);
  if (p.hasBias != 0u) {
    v += mBias[c];
  }
  mOut[index] = v;
}

// ---- head_mean_backward ----
@group(0) @binding(1) var<storage, read> bGrad: array<f32>;
@group(0) @binding(2) var<storage, read_write> bAgg: array<f32>;

@compute @workgroup_size(64)
fn head_mean_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = linearIndex(gid, groups);
  let p = params;
  if (index >= p.nodes * p.heads * p.channels) {
    return;
  }
  let i = index / (p.heads * p.channels);
  let c = index % p.channels;
  bAgg[index] = bGrad[i * p.channels + c] / f32(p.heads);
}

// ---- alpha_grad ----
@group(0) @binding(1) var<storage, read> gSrc: array<u32>;
@group(0) @binding(2) var<storage, read> gDst: array<u32>;
@group(0) @binding(3) var<storage, read> gAgg: array<f32>;
@group(0) @binding(4) var<storage, read> gH: array<f32>;
@group(0) @binding(5) var<storage, read_write> gAlpha: array<f32>;

@compute @workgroup_size(64)
fn alpha_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = linearIndex(gid, groups);
  let p = params;
  if (index >= p.messages * p.heads) {
    return;
  }
  let m = index / p.heads;
  let h = index % p.heads;
  let width = p.heads * p.channels;
  let a = gDst[m] * width + h * p.channels;
  let b = gSrc[m] * width + h * p.channels;
  var acc = 0.0;
  for (var c = 0u; c < p.channels; c++) {
    acc += gAgg[a + c] * gH[b + c];
  }
  gAlpha[index] = acc;
}

// ---- softmax_backward ----
@group(0) @binding(1) var<storage, read> kRowPtr: array<u32>;
@group(0) @binding(2) var<storage, read> kOrder: array<u32>;
@group(0) @binding(3) var<storage, read> kSrc: array<u32>;
@group(0) @binding(4) var<storage, read> kASrc: array<f32>;
@group(0) @binding(5) var<storage, read> kADst: array<f32>;
@group(0) @binding(6) var<storage, read> kAlpha: array<f32>;
@group(0) @binding(7) var<storage, read> kDAlpha: array<f32>;
@group(0) @binding(8) var<storage, read_write> kDScore: array<f32>;

@compute @workgroup_size(64)
fn softmax_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let pair = nodeHeadOf(gid, groups);
  if (!pair.inside) {
    return;
  }
  let p = params;
  let start = kRowPtr[pair.node];
  let end = kRowPtr[pair.node + 1u];
  var dot = 0.0;
  for (var q = start; q < end; q++) {
    let k = kOrder[q] * p.heads + pair.head;
    dot += kAlpha[k] * kDAlpha[k];
  }
  let aDst = kADst[pair.index];
  for (var q = start; q < end; q++) {
    let m = kOrder[q];
    let k = m * p.heads + pair.head;
    let de = kAlpha[k] * (kDAlpha[k] - dot);
    let raw = kASrc[kSrc[m] * p.heads + pair.head] + aDst;
    kDScore[k] = select(de * p.negativeSlope, de, raw > 0.0);
  }
}

// ---- score_grad ----
@group(0) @binding(1) var<storage, read> rRowPtr: array<u32>;
@group(0) @binding(2) var<storage, read> rOrder: array<u32>;
@group(0) @binding(3) var<storage, read> rColPtr: array<u32>;
@group(0) @binding(4) var<storage, read> rOrderT: array<u32>;
@group(0) @binding(5) var<storage, read> rDScore: array<f32>;
@group(0) @binding(6) var<storage, read_write> rDASrc: array<f32>;
@group(0) @binding(7) var<storage, read_write> rDADst: array<f32>;

@compute @workgroup_size(64)
fn score_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let pair = nodeHeadOf(gid, groups);
  if (!pair.inside) {
    return;
  }
  let p = params;
  var accSrc = 0.0;
  for (var q = rColPtr[pair.node]; q < rColPtr[pair.node + 1u]; q++) {
    accSrc += rDScore[rOrderT[q] * p.heads + pair.head];
  }
  var accDst = 0.0;
  for (var q = rRowPtr[pair.node]; q < rRowPtr[pair.node + 1u]; q++) {
    accDst += rDScore[rOrder[q] * p.heads + pair.head];
  }
  rDASrc[pair.index] = accSrc;
  rDADst[pair.index] = accDst;
}

// ---- feature_grad ----
@group(0) @binding(1) var<storage, read> xDASrc: array<f32>;
@group(0) @binding(2) var<storage, read> xDADst: array<f32>;
@group(0) @binding(3) var<storage, read> xAttSrc: array<f32>;
@group(0) @binding(4) var<storage, read> xAttDst: array<f32>;
@group(0) @binding(5) var<storage, read_write> xDH: array<f32>;

@compute @workgroup_size(64)
fn feature_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = linearIndex(gid, groups);
  let p = params;
  let width = p.heads * p.channels;
  if (index >= p.nodes * width) {
    return;
  }
  let v = index / width;
  let hc = index % width;
  let h = hc / p.channels;
  xDH[index] += xDASrc[v * p.heads + h] * xAttSrc[hc] + xDADst[v * p.heads + h] * xAttDst[hc];
}

// ---- att_grad: one workgroup per entry of d att_src (first heads·C) and d att_dst (next) ----
@group(0) @binding(1) var<storage, read> tDASrc: array<f32>;
@group(0) @binding(2) var<storage, read> tDADst: array<f32>;
@group(0) @binding(3) var<storage, read> tH: array<f32>;
@group(0) @binding(4) var<storage, read_write> tAttSrc: array<f32>;
@group(0) @binding(5) var<storage, read_write> tAttDst: array<f32>;

@compute @workgroup_size(WORKGROUP)
fn att_grad(at: WorkgroupItem, @builtin(local_invocation_index) lid: u32) {
  let p = params;
  let width = p.heads * p.channels;
  let w = itemIndex(at);
  let isDst = w >= width;
  let hc = select(w, w - width, isDst);
  let h = hc / p.channels;
  var acc = 0.0;
  if (w < 2u * width) {
    for (var v = lid; v < p.nodes; v += WORKGROUP) {
      let d = select(tDASrc[v * p.heads + h], tDADst[v * p.heads + h], isDst);
      acc += d * tH[v * width + hc];
    }
  }
  let total = workgroupSum(lid, acc);
  if (lid == 0u && w < 2u * width) {
    if (isDst) {
      tAttDst[hc] = total;
    } else {
      tAttSrc[hc] = total;
    }
  }
}
