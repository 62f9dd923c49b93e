// Sparse aggregation over a CSR graph, gather form: every output element is written by one
// invocation, so there are no atomics and the result is deterministic.
//
//   aggregate: out[i, f] = Σ_{p ∈ [rowPtr[i], rowPtr[i+1])} coef[m, h] · feat[other[m], f]
//              (+ bias[f]) (+ out[i, f] when accumulating), m = order[p], h = f / headDim.
//   With rowPtr/order the CSR by target and other = the message sources this is message passing
//   (GCN, SAGE mean, GAT's α-weighted sum); with the CSR by source and other = the message
//   targets it is the transposed product used by backward.
//   combine:   out[i, f] = x[i, f] + bias[f] (+ out[i, f] when accumulating).

struct Params {
  nodes: u32, width: u32, headDim: u32, hasBias: u32, accumulate: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> rowPtr: array<u32>;
@group(0) @binding(2) var<storage, read> order: array<u32>;
@group(0) @binding(3) var<storage, read> other: array<u32>;
@group(0) @binding(4) var<storage, read> coef: array<f32>;
@group(0) @binding(5) var<storage, read> feat: array<f32>;
@group(0) @binding(6) var<storage, read> bias: array<f32>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn aggregate(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  let p = params;
  if (index >= p.nodes * p.width) {
    return;
  }
  let i = index / p.width;
  let f = index % p.width;
  let heads = p.width / p.headDim;
  let h = f / p.headDim;
  var acc = 0.0;
  let end = rowPtr[i + 1u];
  for (var q = rowPtr[i]; q < end; q++) {
    let m = order[q];
    acc += coef[m * heads + h] * feat[other[m] * p.width + f];
  }
  if (p.hasBias != 0u) {
    acc += bias[f];
  }
  if (p.accumulate != 0u) {
    acc += out[index];
  }
  out[index] = acc;
}

// The same with four consecutive features per invocation (width and headDim multiples of 4):
// each message's indices and coefficient are loaded once for four features.
@compute @workgroup_size(64)
fn aggregate4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  let p = params;
  let quads = p.width / 4u;
  if (index >= p.nodes * quads) {
    return;
  }
  let i = index / quads;
  let f = (index % quads) * 4u;
  let heads = p.width / p.headDim;
  let h = f / p.headDim;
  var acc = vec4f(0.0);
  let end = rowPtr[i + 1u];
  for (var q = rowPtr[i]; q < end; q++) {
    let m = order[q];
    let at = other[m] * p.width + f;
    acc = fma(vec4f(coef[m * heads + h]), vec4f(feat[at], feat[at + 1u], feat[at + 2u], feat[at + 3u]), acc);
  }
  if (p.hasBias != 0u) {
    acc += vec4f(bias[f], bias[f + 1u], bias[f + 2u], bias[f + 3u]);
  }
  let o = i * p.width + f;
  if (p.accumulate != 0u) {
    acc += vec4f(out[o], out[o + 1u], out[o + 2u], out[o + 3u]);
  }
  out[o] = acc.x;
  out[o + 1u] = acc.y;
  out[o + 2u] = acc.z;
  out[o + 3u] = acc.w;
}

@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read> addBias: array<f32>;
@group(0) @binding(3) var<storage, read_write> combined: array<f32>;

@compute @workgroup_size(64)
fn combine(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  let p = params;
  if (index >= p.nodes * p.width) {
    return;
  }
  var v = values[index];
  if (p.hasBias != 0u) {
    v += addBias[index % p.width];
  }
  if (p.accumulate != 0u) {
    v += combined[index];
  }
  combined[index] = v;
}
