// Recurrent cells (rnn, lstm, gru), one time step per dispatch, forward and backward through
// time. The input side x_t·W_ihᵀ + b_ih of every step comes precomputed from one matmul
// (xproj [T, N, G·H]); each step adds h_{t−1}·W_hhᵀ + b_hh for all G gates of one hidden unit
// in one invocation (LSTM: of four sequences, forward and backward), then applies the gate nonlinearities. PyTorch
// layout and gate order: weight_hh [G·H, H], LSTM i, f, g, o; GRU r, z, n with
// n = tanh(W_in x + b_in + r·(W_hn h + b_hn)).
//
// Activated gates are stored packed as gates[g][t][n][u]; the forward keeps h (and c) in state
// buffers [T + 1, N, H] with the initial state in slot 0, and y [T, N, H] is slots 1 … T.
// Backward walks t from T − 1 to 0; step t reads the hidden-side pre-activation gradients dA of
// step t + 1 (written by the previous dispatch) to form dL/dh_t = dy_t + dA_{t+1}·W_hh
// (+ dh_{t+1}·z_{t+1} for GRU).
//
// The entry points of each direction share their first bindings (forward 1–4, backward 1–5),
// so the helpers below read the same module-scope buffers for every cell.

struct Params {
  steps: u32, batch: u32, hidden: u32, step: u32, cell: u32, hasBias: u32,
}

// cell: 0 rnn tanh, 1 rnn relu, 2 lstm, 3 gru.
const RNN_RELU = 1u;
const LSTM = 2u;
const GRU = 3u;
const WORKGROUP = 64u;

@group(0) @binding(0) var<uniform> params: Params;

fn sigmoid(v: f32) -> f32 {
  return 1.0 / (1.0 + exp(-v));
}

// tanh without the overflow of exp for large |v| (tanh(±15) is ±1 in f32).
fn tanhSafe(v: f32) -> f32 {
  return tanh(clamp(v, -15.0, 15.0));
}

// Where one invocation works: hidden unit u of sequence n at step t. index is its flat index
// in [N, H] (NH = N·H of them), at the one in [T, N, H], plane = T·N·H the stride between
// packed gates.
struct Unit { index: u32, n: u32, u: u32, t: u32, at: u32, NH: u32, plane: u32 }

// This invocation's unit (grids wider than 65,535 groups use y); index ≥ NH past the end.
fn unitOf(gid: vec3u, groups: vec3u) -> Unit {
  return unitAt(gid.x + gid.y * groups.x * WORKGROUP);
}

// The unit of flat index n·H + u at this dispatch's step.
fn unitAt(index: u32) -> Unit {
  let H = params.hidden;
  let NH = params.batch * H;
  return Unit(index, index / H, index % H, params.step, params.step * NH + index, NH, params.steps * NH);
}

// The flat index of gate 0 of w's unit in a [T, N, G·H] array (xproj, dA); gate g is H further per g.
fn gateIndex(w: Unit, gates: u32) -> u32 {
  return (w.t * params.batch + w.n) * gates * params.hidden + w.u;
}

// Rows of weight_hh: G·H.
fn gateRows() -> u32 {
  var gates = 1u;
  if (params.cell == LSTM) {
    gates = 4u;
  } else if (params.cell == GRU) {
    gates = 3u;
  }
  return gates * params.hidden;
}

// ---- forward steps ----
// h and c live in state buffers [T + 1, N, H] whose slot 0 is the initial state: step t reads
// slot t (h_{t−1}, c_{t−1}) and writes slot t + 1, so no load in a K loop branches on t == 0.

@group(0) @binding(1) var<storage, read> fXproj: array<f32>;
// rnn, gru: weight_hh [G·H, H]; lstm: its transpose [H, 4·H], so the lanes of a workgroup
// (consecutive units u) read consecutive weights.
@group(0) @binding(2) var<storage, read> fWhh: array<f32>;
@group(0) @binding(3) var<storage, read> fBhh: array<f32>;
@group(0) @binding(4) var<storage, read_write> fH: array<f32>;

// h_{t−1}[n, k]: slot t of the h states.
fn hiddenBefore(t: u32, n: u32, k: u32) -> f32 {
  return fH[(t * params.batch + n) * params.hidden + k];
}

@compute @workgroup_size(64)
fn rnn_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let w = unitOf(gid, groups);
  if (w.index >= w.NH) {
    return;
  }
  let H = params.hidden;
  var a = fXproj[w.at];
  if (params.hasBias != 0u) {
    a += fBhh[w.u];
  }
  for (var k = 0u; k < H; k++) {
    a += fWhh[w.u * H + k] * hiddenBefore(w.t, w.n, k);
  }
  var h = tanhSafe(a);
  if (params.cell == RNN_RELU) {
    h = max(a, 0.0);
  }
  fH[w.at + w.NH] = h;
}

// c states [T + 1, N, H].
@group(0) @binding(5) var<storage, read_write> lC: array<f32>;
@group(0) @binding(6) var<storage, read_write> lGates: array<f32>;

// Sequences per invocation of lstm_forward and lstm_backward (LSTM_SEQUENCES_PER_INVOCATION in
// src/kernels/recurrent.ts).
const SEQ_BLOCK = 4u;

// The SEQ_BLOCK sequences of one LSTM step invocation: unit u, first sequence n0, and the
// sequences n0 … n0 + 3 clamped to the last one (those past N are computed, not written).
struct SeqBlock { u: u32, n0: u32, seqs: vec4u }

// The block of flat invocation index `flat`; flat ≥ seqBlockCount() is past the end.
fn seqBlockAt(flat: u32) -> SeqBlock {
  let H = params.hidden;
  let last = params.batch - 1u;
  let n0 = flat / H * SEQ_BLOCK;
  return SeqBlock(flat % H, n0, vec4u(n0, min(n0 + 1u, last), min(n0 + 2u, last), min(n0 + 3u, last)));
}

fn seqBlockCount() -> u32 {
  return (params.batch + SEQ_BLOCK - 1u) / SEQ_BLOCK * params.hidden;
}

// Sequence n, unit u of step t from its hidden-side sums (i, f, g, o): c_t = f·c_{t−1} + i·g,
// h_t = o·tanh(c_t).
fn lstmCell(n: u32, u: u32, hiddenSums: vec4f) {
  let H = params.hidden;
  let NH = params.batch * H;
  let at = (params.step * params.batch + n) * H + u;
  let xrow = (params.step * params.batch + n) * 4u * H + u;
  var pre = hiddenSums + vec4f(fXproj[xrow], fXproj[xrow + H], fXproj[xrow + 2u * H], fXproj[xrow + 3u * H]);
  if (params.hasBias != 0u) {
    pre += vec4f(fBhh[u], fBhh[H + u], fBhh[2u * H + u], fBhh[3u * H + u]);
  }
  let i = sigmoid(pre.x);
  let f = sigmoid(pre.y);
  let g = tanhSafe(pre.z);
  let o = sigmoid(pre.w);
  let c = f * lC[at] + i * g;
  let plane = params.steps * NH;
  lGates[at] = i;
  lGates[plane + at] = f;
  lGates[2u * plane + at] = g;
  lGates[3u * plane + at] = o;
  lC[at + NH] = c;
  fH[at + NH] = o * tanhSafe(c);
}

// One invocation: unit u of SEQ_BLOCK sequences n0 … n0 + 3, the four gates of each in one
// vec4 (no indexed private arrays), so one load of u's four weights feeds 16 FMAs. Sequences
// past N read the last one's h and are not written.
@compute @workgroup_size(64)
fn lstm_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let flat = gid.x + gid.y * groups.x * WORKGROUP;
  if (flat >= seqBlockCount()) {
    return;
  }
  let b = seqBlockAt(flat);
  let H = params.hidden;
  let N = params.batch;
  let u = b.u;
  let n0 = b.n0;
  let rows = (params.step * N + b.seqs) * H;
  var s0 = vec4f(0.0);
  var s1 = vec4f(0.0);
  var s2 = vec4f(0.0);
  var s3 = vec4f(0.0);
  for (var k = 0u; k < H; k++) {
    let wk = k * 4u * H + u;
    let whh = vec4f(fWhh[wk], fWhh[wk + H], fWhh[wk + 2u * H], fWhh[wk + 3u * H]);
    s0 = fma(whh, vec4f(fH[rows.x + k]), s0);
    s1 = fma(whh, vec4f(fH[rows.y + k]), s1);
    s2 = fma(whh, vec4f(fH[rows.z + k]), s2);
    s3 = fma(whh, vec4f(fH[rows.w + k]), s3);
  }
  lstmCell(n0, u, s0);
  if (n0 + 1u < N) {
    lstmCell(n0 + 1u, u, s1);
  }
  if (n0 + 2u < N) {
    lstmCell(n0 + 2u, u, s2);
  }
  if (n0 + 3u < N) {
    lstmCell(n0 + 3u, u, s3);
  }
}

@group(0) @binding(5) var<storage, read_write> gGates: array<f32>;

// r = σ(xr + hr), z = σ(xz + hz), n = tanh(xn + r·hn), h = (1 − z)·n + z·h_{t−1}.
@compute @workgroup_size(64)
fn gru_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let w = unitOf(gid, groups);
  if (w.index >= w.NH) {
    return;
  }
  let H = params.hidden;
  let u = w.u;
  // The three hidden-side sums (r, z, n) ride in one vec3: no indexed private arrays.
  var hs = vec3f(0.0);
  if (params.hasBias != 0u) {
    hs = vec3f(fBhh[u], fBhh[H + u], fBhh[2u * H + u]);
  }
  for (var k = 0u; k < H; k++) {
    let whh = vec3f(fWhh[u * H + k], fWhh[(H + u) * H + k], fWhh[(2u * H + u) * H + k]);
    hs = fma(whh, vec3f(hiddenBefore(w.t, w.n, k)), hs);
  }
  let xrow = gateIndex(w, 3u);
  let r = sigmoid(fXproj[xrow] + hs.x);
  let z = sigmoid(fXproj[xrow + H] + hs.y);
  let nn = tanhSafe(fXproj[xrow + 2u * H] + r * hs.z);
  gGates[w.at] = r;
  gGates[w.plane + w.at] = z;
  gGates[2u * w.plane + w.at] = nn;
  fH[w.at + w.NH] = (1.0 - z) * nn + z * fH[w.at];
}

// ---- backward steps ----
// Each writes dh[t] = dL/dh_t (total) and dA[t] [N, G·H], the gradient of the hidden-side
// pre-activations (what multiplies W_hh). dh[T − 1] is seeded with dL/dh_n before the loop.

@group(0) @binding(1) var<storage, read> bWhh: array<f32>;
@group(0) @binding(2) var<storage, read_write> bDA: array<f32>;
@group(0) @binding(3) var<storage, read_write> bDh: array<f32>;
// rnn: y [T, N, H]; lstm, gru: the packed activated gates [G, T, N, H].
@group(0) @binding(4) var<storage, read> bSaved: array<f32>;
@group(0) @binding(5) var<storage, read> bGradY: array<f32>;

// Σ_row dA[base + row]·W_hh[row, u] over the G·H hidden-side rows: what the pre-activation
// gradients of one step send back to h[u] of the step before.
fn gradThroughWhh(base: u32, u: u32) -> f32 {
  let H = params.hidden;
  let rows = gateRows();
  var d = 0.0;
  for (var row = 0u; row < rows; row++) {
    d += bDA[base + row] * bWhh[row * H + u];
  }
  return d;
}

// GRU's direct path h_t = … + z_t·h_{t−1}: dL/dh_{t−1} gains dh_t·z_t (at = flat index of step t).
fn gruDirectGrad(at: u32) -> f32 {
  return bDh[at] * bSaved[params.steps * params.batch * params.hidden + at];
}

// What step t + 1 sends back to w's unit through W_hh (nothing at the last step).
fn nextStepGrad(w: Unit) -> f32 {
  if (w.t + 1u == params.steps) {
    return 0.0;
  }
  return gradThroughWhh(((w.t + 1u) * params.batch + w.n) * gateRows(), w.u);
}

// dL/dh_t of w's unit = dy_t + (the seed dL/dh_n at the last step, else fromNext, what step
// t + 1 sends back through W_hh); stored in dh[t] for the step before and the norms.
fn hiddenGrad(w: Unit, fromNext: f32) -> f32 {
  var dh = bGradY[w.at];
  if (w.t + 1u == params.steps) {
    dh += bDh[w.at];
  } else {
    dh += fromNext;
    if (params.cell == GRU) {
      dh += gruDirectGrad(w.at + w.NH);
    }
  }
  bDh[w.at] = dh;
  return dh;
}

@compute @workgroup_size(64)
fn rnn_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let w = unitOf(gid, groups);
  if (w.index >= w.NH) {
    return;
  }
  let dh = hiddenGrad(w, nextStepGrad(w));
  let h = bSaved[w.at];
  var d = dh * (1.0 - h * h);
  if (params.cell == RNN_RELU) {
    d = select(0.0, dh, h > 0.0);
  }
  bDA[w.at] = d;
}

@group(0) @binding(6) var<storage, read> lbC: array<f32>;
@group(0) @binding(7) var<storage, read> lbC0: array<f32>;
@group(0) @binding(8) var<storage, read_write> lbDc: array<f32>;

// lbDc [N, H] carries dL/dc_t·f_t from step t to step t − 1 (seeded with dL/dc_n); after
// step 0 it holds dL/dc0. fromNext: what step t + 1 sends back to w's h through W_hh.
fn lstmCellBackward(w: Unit, fromNext: f32) {
  let dh = hiddenGrad(w, fromNext);
  let i = bSaved[w.at];
  let f = bSaved[w.plane + w.at];
  let g = bSaved[2u * w.plane + w.at];
  let o = bSaved[3u * w.plane + w.at];
  let tc = tanhSafe(lbC[w.at]);
  var cPrev: f32;
  if (w.t == 0u) {
    cPrev = lbC0[w.index];
  } else {
    cPrev = lbC[w.at - w.NH];
  }
  let dc = lbDc[w.index] + dh * o * (1.0 - tc * tc);
  let H = params.hidden;
  let row = gateIndex(w, 4u);
  bDA[row] = dc * g * i * (1.0 - i);
  bDA[row + H] = dc * cPrev * f * (1.0 - f);
  bDA[row + 2u * H] = dc * i * (1.0 - g * g);
  bDA[row + 3u * H] = dh * tc * o * (1.0 - o);
  lbDc[w.index] = dc * f;
}

// One invocation: unit u of SEQ_BLOCK sequences n0 … n0 + 3, so one load of W_hh[row, u] feeds
// four FMAs of dA_{t+1}·W_hh. Sequences past N read the last one's dA and are not written.
@compute @workgroup_size(64)
fn lstm_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let flat = gid.x + gid.y * groups.x * WORKGROUP;
  if (flat >= seqBlockCount()) {
    return;
  }
  let b = seqBlockAt(flat);
  var fromNext = vec4f(0.0);
  let H = params.hidden;
  if (params.step + 1u < params.steps) {
    let rows = ((params.step + 1u) * params.batch + b.seqs) * 4u * H;
    for (var row = 0u; row < 4u * H; row++) {
      let da = vec4f(bDA[rows.x + row], bDA[rows.y + row], bDA[rows.z + row], bDA[rows.w + row]);
      fromNext = fma(da, vec4f(bWhh[row * H + b.u]), fromNext);
    }
  }
  let n0 = b.n0;
  lstmCellBackward(unitAt(n0 * H + b.u), fromNext.x);
  if (n0 + 1u < params.batch) {
    lstmCellBackward(unitAt((n0 + 1u) * H + b.u), fromNext.y);
  }
  if (n0 + 2u < params.batch) {
    lstmCellBackward(unitAt((n0 + 2u) * H + b.u), fromNext.z);
  }
  if (n0 + 3u < params.batch) {
    lstmCellBackward(unitAt((n0 + 3u) * H + b.u), fromNext.w);
  }
}

// h_{t−1} per step [T, N, H].
@group(0) @binding(6) var<storage, read> gbHprev: array<f32>;
@group(0) @binding(7) var<storage, read> gbBhh: array<f32>;
@group(0) @binding(8) var<storage, read_write> gbDXg: array<f32>;

// The n gate's hidden side hn = W_hn·h_{t−1} + b_hn is recomputed here; its gradient is
// dpn·r (dA) while the input side gets dpn (dXg).
@compute @workgroup_size(64)
fn gru_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let w = unitOf(gid, groups);
  if (w.index >= w.NH) {
    return;
  }
  let dh = hiddenGrad(w, nextStepGrad(w));
  let r = bSaved[w.at];
  let z = bSaved[w.plane + w.at];
  let nn = bSaved[2u * w.plane + w.at];
  let H = params.hidden;
  let u = w.u;
  var hn = 0.0;
  if (params.hasBias != 0u) {
    hn = gbBhh[2u * H + u];
  }
  let prev = w.at - u;
  for (var k = 0u; k < H; k++) {
    hn += bWhh[(2u * H + u) * H + k] * gbHprev[prev + k];
  }
  let dn = dh * (1.0 - z) * (1.0 - nn * nn);
  let dz = dh * (gbHprev[w.at] - nn) * z * (1.0 - z);
  let dr = dn * hn * r * (1.0 - r);
  let row = gateIndex(w, 3u);
  bDA[row] = dr;
  bDA[row + H] = dz;
  bDA[row + 2u * H] = dn * r;
  gbDXg[row] = dr;
  gbDXg[row + H] = dz;
  gbDXg[row + 2u * H] = dn;
}

@group(0) @binding(5) var<storage, read_write> hgOut: array<f32>;

// dL/dh0 = dA_0·W_hh (+ dh_0·z_0 for GRU), i.e. what step −1 would carry.
@compute @workgroup_size(64)
fn initial_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let w = unitOf(gid, groups);
  if (w.index >= w.NH) {
    return;
  }
  var d = gradThroughWhh(w.n * gateRows(), w.u);
  if (params.cell == GRU) {
    d += gruDirectGrad(w.index);
  }
  hgOut[w.index] = d;
}

@group(0) @binding(1) var<storage, read> snDh: array<f32>;
@group(0) @binding(2) var<storage, read_write> snNorms: array<f32>;

var<workgroup> partial: array<f32, WORKGROUP>;

// norms[t] = ‖dh[t]‖₂ over [N, H], one workgroup per step, scaled by the largest magnitude
// first (as BLAS nrm2) so vanishing gradients of 1e-30 do not underflow when squared.
@compute @workgroup_size(WORKGROUP)
fn step_norms(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_index) lid: u32,
  @builtin(num_workgroups) groups: vec3u,
) {
  let p = params;
  let t = wid.x + wid.y * groups.x;
  if (t >= p.steps) {
    return;
  }
  let NH = p.batch * p.hidden;
  var m = 0.0;
  for (var j = lid; j < NH; j += WORKGROUP) {
    m = max(m, abs(snDh[t * NH + j]));
  }
  partial[lid] = m;
  workgroupBarrier();
  for (var stride = WORKGROUP / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      partial[lid] = max(partial[lid], partial[lid + stride]);
    }
    workgroupBarrier();
  }
  let scale = partial[0];
  workgroupBarrier();
  var s = 0.0;
  if (scale > 0.0) {
    for (var j = lid; j < NH; j += WORKGROUP) {
      let v = snDh[t * NH + j] / scale;
      s += v * v;
    }
  }
  partial[lid] = s;
  workgroupBarrier();
  for (var stride = WORKGROUP / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      partial[lid] += partial[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    snNorms[t] = scale * sqrt(partial[0]);
  }
}
