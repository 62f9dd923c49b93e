// Sparse mixture of experts as Mixtral's MixtralSparseMoeBlock routes it, on T tokens of
// `features` values and E experts, plus the gated sum of the experts' outputs.
//   router_forward (one invocation per token): probs = softmax(logits) over the experts; the
//     top_k experts by probability (ties: the lower index), their probabilities renormalized
//     to sum to 1 (gates); `dense` [T, E] holds each expert's gate (0 where not chosen).
//   expert_stats (one workgroup of 64, E <= 64): per-expert counts of the T·top_k choices and
//     Mixtral's load-balancing loss aux = E · Σ_e (count_e / T) · mean_t probs[t, e].
//   router_backward (one invocation per token): dL/dlogits from dL/ddense and the auxiliary
//     loss scaled by auxCoef. With S = Σ_chosen p, dL/dp_i = (G_i − Σ_j G_j·gate_j) / S for a
//     chosen i, plus auxCoef·E·count_i / T² from aux (the counts are piecewise constant); then
//     the softmax backward p·(g − Σ p·g).
//   combine_forward (one per output element): y[t, c] = Σ_e dense[t, e] · out[e, t, c].
//   combine_backward_outputs (one per expert element): dL/dout[e, t, c] = dense[t, e] · dy[t, c].
//   combine_backward_gates (one per (t, e)): dL/ddense[t, e] = Σ_c dy[t, c] · out[e, t, c].

struct Params {
  tokens: u32, experts: u32, topK: u32, features: u32, auxCoef: f32,
}

@group(0) @binding(0) var<uniform> params: Params;

fn index1d(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * 64u;
}

// router_forward: logits, probs, indices, gates, dense.
@group(0) @binding(1) var<storage, read> rf_logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> rf_probs: array<f32>;
@group(0) @binding(3) var<storage, read_write> rf_indices: array<i32>;
@group(0) @binding(4) var<storage, read_write> rf_gates: array<f32>;
@group(0) @binding(5) var<storage, read_write> rf_dense: array<f32>;

@compute @workgroup_size(64)
fn router_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = index1d(gid, nwg);
  if (t >= params.tokens) { return; }
  let E = params.experts;
  let row = t * E;
  var m = rf_logits[row];
  for (var e = 1u; e < E; e++) { m = max(m, rf_logits[row + e]); }
  var sum = 0.0;
  for (var e = 0u; e < E; e++) {
    let v = exp(rf_logits[row + e] - m);
    rf_probs[row + e] = v;
    sum += v;
  }
  for (var e = 0u; e < E; e++) {
    rf_probs[row + e] = rf_probs[row + e] / sum;
    rf_dense[row + e] = 0.0;
  }
  // Top-k by repeated arg-max over the experts not yet chosen (dense marks them with -1 meanwhile).
  var chosenSum = 0.0;
  for (var j = 0u; j < params.topK; j++) {
    var best = -1;
    var bestP = -1.0;
    for (var e = 0u; e < E; e++) {
      let p = rf_probs[row + e];
      if (rf_dense[row + e] == 0.0 && p > bestP) {
        best = i32(e);
        bestP = p;
      }
    }
    rf_indices[t * params.topK + j] = best;
    rf_dense[row + u32(best)] = -1.0;
    chosenSum += bestP;
  }
  for (var j = 0u; j < params.topK; j++) {
    let e = u32(rf_indices[t * params.topK + j]);
    let g = rf_probs[row + e] / chosenSum;
    rf_gates[t * params.topK + j] = g;
    rf_dense[row + e] = g;
  }
}

// expert_stats: probs, indices → counts [E], aux [1].
@group(0) @binding(1) var<storage, read> es_probs: array<f32>;
@group(0) @binding(2) var<storage, read> es_indices: array<i32>;
@group(0) @binding(3) var<storage, read_write> es_counts: array<f32>;
@group(0) @binding(4) var<storage, read_write> es_aux: array<f32>;

var<workgroup> terms: array<f32, 64>;

@compute @workgroup_size(64)
fn expert_stats(@builtin(local_invocation_id) lid: vec3<u32>) {
  let e = lid.x;
  var term = 0.0;
  if (e < params.experts) {
    var count = 0u;
    for (var i = 0u; i < params.tokens * params.topK; i++) {
      if (es_indices[i] == i32(e)) { count++; }
    }
    var probSum = 0.0;
    for (var t = 0u; t < params.tokens; t++) { probSum += es_probs[t * params.experts + e]; }
    let T = f32(params.tokens);
    es_counts[e] = f32(count);
    term = (f32(count) / T) * (probSum / T);
  }
  terms[e] = term;
  workgroupBarrier();
  if (e == 0u) {
    var total = 0.0;
    for (var i = 0u; i < params.experts; i++) { total += terms[i]; }
    es_aux[0] = f32(params.experts) * total;
  }
}

// router_backward: probs, indices, gates, gradDense, counts → gradLogits.
@group(0) @binding(1) var<storage, read> rb_probs: array<f32>;
@group(0) @binding(2) var<storage, read> rb_indices: array<i32>;
@group(0) @binding(3) var<storage, read> rb_gates: array<f32>;
@group(0) @binding(4) var<storage, read> rb_gradDense: array<f32>;
@group(0) @binding(5) var<storage, read> rb_counts: array<f32>;
@group(0) @binding(6) var<storage, read_write> rb_gradLogits: array<f32>;

@compute @workgroup_size(64)
fn router_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = index1d(gid, nwg);
  if (t >= params.tokens) { return; }
  let E = params.experts;
  let row = t * E;
  let T = f32(params.tokens);
  var chosenSum = 0.0;
  var gateDot = 0.0;
  for (var j = 0u; j < params.topK; j++) {
    let e = u32(rb_indices[t * params.topK + j]);
    chosenSum += rb_probs[row + e];
    gateDot += rb_gradDense[row + e] * rb_gates[t * params.topK + j];
  }
  let auxScale = params.auxCoef * f32(E) / (T * T);
  // First pass: dL/dp into gradLogits, and Σ p·dL/dp.
  var dot = 0.0;
  for (var e = 0u; e < E; e++) {
    var gp = auxScale * rb_counts[e];
    for (var j = 0u; j < params.topK; j++) {
      if (u32(rb_indices[t * params.topK + j]) == e) {
        gp += (rb_gradDense[row + e] - gateDot) / chosenSum;
      }
    }
    rb_gradLogits[row + e] = gp;
    dot += rb_probs[row + e] * gp;
  }
  for (var e = 0u; e < E; e++) {
    rb_gradLogits[row + e] = rb_probs[row + e] * (rb_gradLogits[row + e] - dot);
  }
}

// combine_forward: dense [T, E], outputs [E, T, C] → y [T, C].
@group(0) @binding(1) var<storage, read> cf_dense: array<f32>;
@group(0) @binding(2) var<storage, read> cf_outputs: array<f32>;
@group(0) @binding(3) var<storage, read_write> cf_y: array<f32>;

@compute @workgroup_size(64)
fn combine_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index1d(gid, nwg);
  let C = params.features;
  if (i >= params.tokens * C) { return; }
  let t = i / C;
  var acc = 0.0;
  for (var e = 0u; e < params.experts; e++) {
    let g = cf_dense[t * params.experts + e];
    if (g != 0.0) { acc += g * cf_outputs[e * params.tokens * C + i]; }
  }
  cf_y[i] = acc;
}

// combine_backward_outputs: dense [T, E], dy [T, C] → gradOutputs [E, T, C].
@group(0) @binding(1) var<storage, read> cbo_dense: array<f32>;
@group(0) @binding(2) var<storage, read> cbo_dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> cbo_gradOutputs: array<f32>;

@compute @workgroup_size(64)
fn combine_backward_outputs(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index1d(gid, nwg);
  let TC = params.tokens * params.features;
  if (i >= params.experts * TC) { return; }
  let e = i / TC;
  let tc = i % TC;
  let t = tc / params.features;
  cbo_gradOutputs[i] = cbo_dense[t * params.experts + e] * cbo_dy[tc];
}

// combine_backward_gates: dy [T, C], outputs [E, T, C] → gradDense [T, E].
@group(0) @binding(1) var<storage, read> cbg_dy: array<f32>;
@group(0) @binding(2) var<storage, read> cbg_outputs: array<f32>;
@group(0) @binding(3) var<storage, read_write> cbg_gradDense: array<f32>;

@compute @workgroup_size(64)
fn combine_backward_gates(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index1d(gid, nwg);
  if (i >= params.tokens * params.experts) { return; }
  let t = i / params.experts;
  let e = i % params.experts;
  let C = params.features;
  var acc = 0.0;
  for (var c = 0u; c < C; c++) { acc += cbg_dy[t * C + c] * cbg_outputs[(e * params.tokens + t) * C + c]; }
  cbg_gradDense[i] = acc;
}
