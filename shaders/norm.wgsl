// Normalizations (batch_norm, layer_norm, group_norm), forward and backward, on one view of x:
//
//   statistics group j (a channel, a row, or one (sample, group) pair) holds the elements
//   ((a · statGroups + j) · statInner + b) for a < statOuter, b < statInner;
//   the affine parameter of flat element i is (i / affInner) % affCount.
//
// batch_norm [N, C, S]: statOuter N, statGroups C, statInner S, affCount C, affInner S.
// layer_norm [R, D]:    statOuter 1, statGroups R, statInner D, affCount D, affInner 1.
// group_norm [N, G·Cg, S]: statOuter 1, statGroups N·G, statInner Cg·S, affCount G·Cg, affInner S.
//
// Statistics are exact for large counts and large means: each workgroup takes one chunk of
// one group, finds the chunk mean, then sums (x − chunk mean) and its square (the corrected
// two-pass algorithm); stats_finalize merges the chunks with Chan et al.'s pairwise update,
// so no sum of raw squares ever appears.

struct Params {
  total: u32, statOuter: u32, statGroups: u32, statInner: u32,
  chunkSize: u32, chunks: u32, affCount: u32, affInner: u32,
  hasWeight: u32, hasBias: u32, training: u32, eps: f32, momentum: f32,
}

const WORKGROUP = 64u;

@group(0) @binding(0) var<uniform> params: Params;

var<workgroup> partA: array<f32, WORKGROUP>;
var<workgroup> partB: array<f32, WORKGROUP>;

/** Tree-sums partA and partB across the workgroup; every invocation then reads partA[0], partB[0]. */
fn reduceBoth(lid: u32) {
  workgroupBarrier();
  for (var stride = WORKGROUP / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      partA[lid] += partA[lid + stride];
      partB[lid] += partB[lid + stride];
    }
    workgroupBarrier();
  }
}

/** Flat index of element e of statistics group j. */
fn groupAddress(j: u32, e: u32) -> u32 {
  let p = params;
  return ((e / p.statInner) * p.statGroups + j) * p.statInner + e % p.statInner;
}

/** Statistics group of flat element i. */
fn groupOf(i: u32) -> u32 {
  return (i / params.statInner) % params.statGroups;
}

/** Affine parameter of flat element i. */
fn paramOf(i: u32) -> u32 {
  return (i / params.affInner) % params.affCount;
}

// ---- forward statistics: per chunk (mean, M2), then merged per group ----

@group(0) @binding(1) var<storage, read> statsX: array<f32>;
@group(0) @binding(2) var<storage, read_write> statsPartials: array<f32>;

/** Work items of the per-chunk passes: one per (statistics group, chunk). */
fn chunkCount() -> u32 {
  return params.statGroups * params.chunks;
}

/** Work item w of the per-chunk passes: (group j, first element, end) of its chunk. */
fn chunkOf(w: u32) -> vec3u {
  let p = params;
  let start = (w % p.chunks) * p.chunkSize;
  return vec3u(w / p.chunks, start, min(start + p.chunkSize, p.statOuter * p.statInner));
}

/** Σ x over elements first, first + step, … < end of group j. */
fn statsSum(j: u32, first: u32, end: u32, step: u32) -> f32 {
  var s = 0.0;
  for (var e = first; e < end; e += step) {
    s += statsX[groupAddress(j, e)];
  }
  return s;
}

/** Σ (x − guess) and Σ (x − guess)² over the same elements. */
fn statsDeviations(j: u32, first: u32, end: u32, step: u32, guess: f32) -> vec2f {
  var s = vec2f(0.0);
  for (var e = first; e < end; e += step) {
    let d = statsX[groupAddress(j, e)] - guess;
    s += vec2f(d, d * d);
  }
  return s;
}

/** Chunk w's mean and M2 from its m elements' deviation sums around `guess`. */
fn storeStats(w: u32, guess: f32, sums: vec2f, m: f32) {
  statsPartials[2u * w] = guess + sums.x / m;
  statsPartials[2u * w + 1u] = max(sums.y - sums.x * sums.x / m, 0.0);
}

@compute @workgroup_size(WORKGROUP)
fn stats_partial(at: WorkgroupItem, @builtin(local_invocation_index) lid: u32) {
  let p = params;
  let w = itemIndex(at);
  if (w >= chunkCount()) {
    return;
  }
  let c = chunkOf(w);
  let m = f32(c.z - c.y);
  partA[lid] = statsSum(c.x, c.y + lid, c.z, WORKGROUP);
  partB[lid] = 0.0;
  reduceBoth(lid);
  let guess = partA[0] / m;
  workgroupBarrier();
  let d = statsDeviations(c.x, c.y + lid, c.z, WORKGROUP, guess);
  partA[lid] = d.x;
  partB[lid] = d.y;
  reduceBoth(lid);
  if (lid == 0u) {
    storeStats(w, guess, vec2f(partA[0], partB[0]), m);
  }
}

// The same with one invocation per chunk, for short groups (layer_norm's rows): no barriers.
@compute @workgroup_size(64)
fn stats_partial_serial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let w = gid.x + gid.y * groups.x * 64u;
  if (w >= chunkCount()) {
    return;
  }
  let c = chunkOf(w);
  let m = f32(c.z - c.y);
  let guess = statsSum(c.x, c.y, c.z, 1u) / m;
  storeStats(w, guess, statsDeviations(c.x, c.y, c.z, 1u, guess), m);
}

@group(0) @binding(1) var<storage, read> finalPartials: array<f32>;
@group(0) @binding(2) var<storage, read_write> finalMean: array<f32>;
@group(0) @binding(3) var<storage, read_write> finalVar: array<f32>;
@group(0) @binding(4) var<storage, read_write> finalInvstd: array<f32>;

// One invocation per group merges its chunks: n = nA + nB, δ = meanB − meanA,
// mean = meanA + δ·nB/n, M2 = M2A + M2B + δ²·nA·nB/n; var = M2 / n (biased). Means are kept
// relative to the first chunk's mean so that the running mean (≈ 1000, say) is not rounded
// to float32 at every merge; it is rounded once at the end.
@compute @workgroup_size(64)
fn stats_finalize(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let j = gid.x + gid.y * groups.x * 64u;
  let p = params;
  if (j >= p.statGroups) {
    return;
  }
  let count = p.statOuter * p.statInner;
  let shift = finalPartials[2u * j * p.chunks];
  var n = 0.0;
  var mu = 0.0;
  var m2 = 0.0;
  for (var c = 0u; c < p.chunks; c++) {
    let nb = f32(min(p.chunkSize, count - c * p.chunkSize));
    let mb = finalPartials[2u * (j * p.chunks + c)] - shift;
    let m2b = finalPartials[2u * (j * p.chunks + c) + 1u];
    let total = n + nb;
    let delta = mb - mu;
    mu += delta * (nb / total);
    m2 += m2b + delta * delta * (n * nb / total);
    n = total;
  }
  let v = m2 / n;
  finalMean[j] = shift + mu;
  finalVar[j] = v;
  finalInvstd[j] = 1.0 / sqrt(v + p.eps);
}

@group(0) @binding(1) var<storage, read> runMean: array<f32>;
@group(0) @binding(2) var<storage, read> runVar: array<f32>;
@group(0) @binding(3) var<storage, read> runMeanIn: array<f32>;
@group(0) @binding(4) var<storage, read> runVarIn: array<f32>;
@group(0) @binding(5) var<storage, read_write> runMeanOut: array<f32>;
@group(0) @binding(6) var<storage, read_write> runVarOut: array<f32>;

// batch_norm training: running ← (1 − momentum)·running + momentum·batch, with the unbiased
// variance var·n/(n − 1) as PyTorch.
@compute @workgroup_size(64)
fn running_stats(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let c = gid.x + gid.y * groups.x * 64u;
  let p = params;
  if (c >= p.statGroups) {
    return;
  }
  let n = f32(p.statOuter * p.statInner);
  runMeanOut[c] = (1.0 - p.momentum) * runMeanIn[c] + p.momentum * runMean[c];
  runVarOut[c] = (1.0 - p.momentum) * runVarIn[c] + p.momentum * runVar[c] * (n / (n - 1.0));
}

@group(0) @binding(1) var<storage, read> evalVarIn: array<f32>;
@group(0) @binding(2) var<storage, read_write> evalInvstd: array<f32>;

// batch_norm eval: invstd from the running variance.
@compute @workgroup_size(64)
fn eval_stats(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let c = gid.x + gid.y * groups.x * 64u;
  if (c < params.statGroups) {
    evalInvstd[c] = 1.0 / sqrt(evalVarIn[c] + params.eps);
  }
}

// ---- forward: xhat = (x − mean)·invstd, y = weight·xhat + bias ----

@group(0) @binding(1) var<storage, read> applyX: array<f32>;
@group(0) @binding(2) var<storage, read> applyMean: array<f32>;
@group(0) @binding(3) var<storage, read> applyInvstd: array<f32>;
@group(0) @binding(4) var<storage, read> applyWeight: array<f32>;
@group(0) @binding(5) var<storage, read> applyBias: array<f32>;
@group(0) @binding(6) var<storage, read_write> applyXhat: array<f32>;
@group(0) @binding(7) var<storage, read_write> applyY: array<f32>;

@compute @workgroup_size(64)
fn apply(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 64u;
  let p = params;
  if (i >= p.total) {
    return;
  }
  let j = groupOf(i);
  let k = paramOf(i);
  let xhat = (applyX[i] - applyMean[j]) * applyInvstd[j];
  var y = xhat;
  if (p.hasWeight != 0u) {
    y *= applyWeight[k];
  }
  if (p.hasBias != 0u) {
    y += applyBias[k];
  }
  applyXhat[i] = xhat;
  applyY[i] = y;
}

@group(0) @binding(4) var<storage, read_write> normalizedXhat: array<f32>;

// xhat alone, recomputed in backward when the forward pass did not keep it (as PyTorch keeps
// only x, mean and invstd).
@compute @workgroup_size(64)
fn normalize(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= params.total) {
    return;
  }
  let j = groupOf(i);
  normalizedXhat[i] = (applyX[i] - applyMean[j]) * applyInvstd[j];
}

// ---- backward ----
// dxhat = dy·weight. With batch statistics (training, layer_norm, group_norm):
//   dx = invstd·(dxhat − Σ_group dxhat / n − xhat·Σ_group (dxhat·xhat) / n);
// with running statistics (batch_norm eval): dx = invstd·dxhat.

@group(0) @binding(1) var<storage, read> gpDy: array<f32>;
@group(0) @binding(2) var<storage, read> gpXhat: array<f32>;
@group(0) @binding(3) var<storage, read> gpWeight: array<f32>;
@group(0) @binding(4) var<storage, read_write> gpPartials: array<f32>;

/** Σ dxhat and Σ dxhat·xhat (dxhat = dy·weight) over elements first, first + step, … < end of group j. */
fn gradSums(j: u32, first: u32, end: u32, step: u32) -> vec2f {
  var s = vec2f(0.0);
  for (var e = first; e < end; e += step) {
    let i = groupAddress(j, e);
    var d = gpDy[i];
    if (params.hasWeight != 0u) {
      d *= gpWeight[paramOf(i)];
    }
    s += vec2f(d, d * gpXhat[i]);
  }
  return s;
}

@compute @workgroup_size(WORKGROUP)
fn grad_partial(at: WorkgroupItem, @builtin(local_invocation_index) lid: u32) {
  let p = params;
  let w = itemIndex(at);
  if (w >= chunkCount()) {
    return;
  }
  let c = chunkOf(w);
  let s = gradSums(c.x, c.y + lid, c.z, WORKGROUP);
  partA[lid] = s.x;
  partB[lid] = s.y;
  reduceBoth(lid);
  if (lid == 0u) {
    gpPartials[2u * w] = partA[0];
    gpPartials[2u * w + 1u] = partB[0];
  }
}

// The same with one invocation per chunk, for short groups: no barriers.
@compute @workgroup_size(64)
fn grad_partial_serial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let w = gid.x + gid.y * groups.x * 64u;
  if (w >= chunkCount()) {
    return;
  }
  let c = chunkOf(w);
  let s = gradSums(c.x, c.y, c.z, 1u);
  gpPartials[2u * w] = s.x;
  gpPartials[2u * w + 1u] = s.y;
}

@group(0) @binding(1) var<storage, read> gfPartials: array<f32>;
@group(0) @binding(2) var<storage, read_write> gfSums: array<f32>;

@compute @workgroup_size(64)
fn grad_finalize(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let j = gid.x + gid.y * groups.x * 64u;
  let p = params;
  if (j >= p.statGroups) {
    return;
  }
  var s1 = 0.0;
  var s2 = 0.0;
  for (var c = 0u; c < p.chunks; c++) {
    s1 += gfPartials[2u * (j * p.chunks + c)];
    s2 += gfPartials[2u * (j * p.chunks + c) + 1u];
  }
  gfSums[2u * j] = s1;
  gfSums[2u * j + 1u] = s2;
}

@group(0) @binding(1) var<storage, read> biDy: array<f32>;
@group(0) @binding(2) var<storage, read> biXhat: array<f32>;
@group(0) @binding(3) var<storage, read> biInvstd: array<f32>;
@group(0) @binding(4) var<storage, read> biWeight: array<f32>;
@group(0) @binding(5) var<storage, read> biSums: array<f32>;
@group(0) @binding(6) var<storage, read_write> biDx: array<f32>;

@compute @workgroup_size(64)
fn backward_input(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 64u;
  let p = params;
  if (i >= p.total) {
    return;
  }
  let j = groupOf(i);
  var d = biDy[i];
  if (p.hasWeight != 0u) {
    d *= biWeight[paramOf(i)];
  }
  if (p.training != 0u) {
    let n = f32(p.statOuter * p.statInner);
    d = d - biSums[2u * j] / n - biXhat[i] * (biSums[2u * j + 1u] / n);
  }
  biDx[i] = d * biInvstd[j];
}

@group(0) @binding(1) var<storage, read> agDy: array<f32>;
@group(0) @binding(2) var<storage, read> agXhat: array<f32>;
@group(0) @binding(3) var<storage, read_write> agWeight: array<f32>;
@group(0) @binding(4) var<storage, read_write> agBias: array<f32>;

/** Σ dy·xhat and Σ dy over elements first, first + step, … of parameter k. */
fn affineSums(k: u32, first: u32, step: u32) -> vec2f {
  let p = params;
  let per = p.total / p.affCount;
  var s = vec2f(0.0);
  for (var e = first; e < per; e += step) {
    let i = ((e / p.affInner) * p.affCount + k) * p.affInner + e % p.affInner;
    let dy = agDy[i];
    s += vec2f(dy * agXhat[i], dy);
  }
  return s;
}

// dweight[k] = Σ dy·xhat and dbias[k] = Σ dy over the elements of parameter k; one workgroup per k.
@compute @workgroup_size(WORKGROUP)
fn affine_grad(at: WorkgroupItem, @builtin(local_invocation_index) lid: u32) {
  let p = params;
  let k = itemIndex(at);
  if (k >= p.affCount) {
    return;
  }
  let s = affineSums(k, lid, WORKGROUP);
  partA[lid] = s.x;
  partB[lid] = s.y;
  reduceBoth(lid);
  if (lid == 0u) {
    agWeight[k] = partA[0];
    agBias[k] = partB[0];
  }
}

// The same sums with one invocation per parameter, for parameters with few elements each
// (layer_norm's affine over [64, 32, 32] has 8 per parameter): no barriers, no idle lanes.
@compute @workgroup_size(64)
fn affine_grad_serial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let k = gid.x + gid.y * groups.x * 64u;
  if (k >= params.affCount) {
    return;
  }
  let s = affineSums(k, 0u, 1u);
  agWeight[k] = s.x;
  agBias[k] = s.y;
}
