// Sparse mixture of experts as Mixtral's MixtralSparseMoeBlock routes it, on T tokens of
// `features` values and E experts: the router, and the dispatch of tokens to experts and back.
//   router_forward (one invocation per token): probs = softmax(logits) over the experts; the
//     top_k experts by probability (ties: the lower index), their probabilities renormalized
//     to sum to 1 (gates); `dense` [T, E] holds each expert's gate (0 where not chosen).
//   expert_stats (one workgroup of 64, E <= 64): per-expert counts of the T·top_k choices and
//     Mixtral's load-balancing loss aux = E · Σ_e (count_e / T) · mean_t probs[t, e].
//   router_backward (one invocation per token): dL/dlogits from dL/ddense and the auxiliary
//     loss scaled by auxCoef. With S = Σ_chosen p, dL/dp_i = (G_i − Σ_j G_j·gate_j) / S for a
//     chosen i, plus auxCoef·E·count_i / T² from aux (the counts are piecewise constant); then
//     the softmax backward p·(g − Σ p·g).
//   gather_rows, combine_rows, combine_rows_backward, gate_grad_rows, scatter_add_rows: one
//     expert's rows (the tokens routed to it) gathered from x, its output weighted by the gates
//     and added into y, and their backward passes (see below).

struct Params {
  tokens: u32, experts: u32, topK: u32, features: u32, auxCoef: f32, rows: u32, expert: u32,
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

// The entries below run for one expert at a time on its `rows` routed tokens; route[r] = t·top_k + j
// says row r is token t's j-th choice. A token reaches an expert at most once, so writes to
// token rows never collide within a dispatch, and successive experts' dispatches are ordered.

// gather_rows: x [T, C] → xe [rows, C].
@group(0) @binding(1) var<storage, read> gr_route: array<i32>;
@group(0) @binding(2) var<storage, read> gr_x: array<f32>;
@group(0) @binding(3) var<storage, read_write> gr_xe: array<f32>;

@compute @workgroup_size(64)
fn gather_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index1d(gid, nwg);
  let C = params.features;
  if (i >= params.rows * C) { return; }
  let t = u32(gr_route[i / C]) / params.topK;
  gr_xe[i] = gr_x[t * C + i % C];
}

// combine_rows: y[t, c] += gates[route[r]] · out[r, c].
@group(0) @binding(1) var<storage, read> cr_route: array<i32>;
@group(0) @binding(2) var<storage, read> cr_gates: array<f32>;
@group(0) @binding(3) var<storage, read> cr_out: array<f32>;
@group(0) @binding(4) var<storage, read_write> cr_y: array<f32>;

@compute @workgroup_size(64)
fn combine_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index1d(gid, nwg);
  let C = params.features;
  if (i >= params.rows * C) { return; }
  let slot = u32(cr_route[i / C]);
  let t = slot / params.topK;
  cr_y[t * C + i % C] += cr_gates[slot] * cr_out[i];
}

// combine_rows_backward: dL/dout[r, c] = gates[route[r]] · dy[t, c].
@group(0) @binding(1) var<storage, read> crb_route: array<i32>;
@group(0) @binding(2) var<storage, read> crb_gates: array<f32>;
@group(0) @binding(3) var<storage, read> crb_dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> crb_gradOut: array<f32>;

@compute @workgroup_size(64)
fn combine_rows_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index1d(gid, nwg);
  let C = params.features;
  if (i >= params.rows * C) { return; }
  let slot = u32(crb_route[i / C]);
  crb_gradOut[i] = crb_gates[slot] * crb_dy[(slot / params.topK) * C + i % C];
}

// gate_grad_rows: dL/ddense[t, expert] = Σ_c dy[t, c] · out[r, c] (one invocation per row).
@group(0) @binding(1) var<storage, read> gg_route: array<i32>;
@group(0) @binding(2) var<storage, read> gg_dy: array<f32>;
@group(0) @binding(3) var<storage, read> gg_out: array<f32>;
@group(0) @binding(4) var<storage, read_write> gg_gradDense: array<f32>;

@compute @workgroup_size(64)
fn gate_grad_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = index1d(gid, nwg);
  if (r >= params.rows) { return; }
  let C = params.features;
  let t = u32(gg_route[r]) / params.topK;
  var acc = 0.0;
  for (var c = 0u; c < C; c++) { acc += gg_dy[t * C + c] * gg_out[r * C + c]; }
  gg_gradDense[t * params.experts + params.expert] = acc;
}

// scatter_add_rows: acc[t, c] += xe[r, c] (an expert's input gradient into dL/dx).
@group(0) @binding(1) var<storage, read> sa_route: array<i32>;
@group(0) @binding(2) var<storage, read> sa_rows: array<f32>;
@group(0) @binding(3) var<storage, read_write> sa_acc: array<f32>;

@compute @workgroup_size(64)
fn scatter_add_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index1d(gid, nwg);
  let C = params.features;
  if (i >= params.rows * C) { return; }
  let t = u32(sa_route[i / C]) / params.topK;
  sa_acc[t * C + i % C] += sa_rows[i];
}
