// Recurrent cells (rnn, lstm, gru), one time step per dispatch, forward and backward through
// time. The input side x_t·W_ihᵀ + b_ih of every step comes precomputed from one matmul
// (xproj [T, N, G·H]); each step adds h_{t−1}·W_hhᵀ + b_hh for all G gates of one hidden unit
// in one invocation, then applies the gate nonlinearities. PyTorch layout and gate order:
// weight_hh [G·H, H], LSTM i, f, g, o; GRU r, z, n with n = tanh(W_in x + b_in + r·(W_hn h + b_hn)).
//
// Activated gates are stored packed as gates[g][t][n][u]; y [T, N, H] holds h_t, so h_{t−1}
// is y[t − 1] (or the initial state at t = 0). Backward walks t from T − 1 to 0; step t reads
// the hidden-side pre-activation gradients dA of step t + 1 (written by the previous dispatch)
// to form dL/dh_t = dy_t + dA_{t+1}·W_hh (+ dh_{t+1}·z_{t+1} for GRU).

struct Params {
  steps: u32, batch: u32, hidden: u32, step: u32, cell: u32, hasBias: u32,
}

// cell: 0 rnn tanh, 1 rnn relu, 2 lstm, 3 gru.
const RNN_RELU = 1u;
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

// ---- forward steps ----

@group(0) @binding(1) var<storage, read> rXproj: array<f32>;
@group(0) @binding(2) var<storage, read> rWhh: array<f32>;
@group(0) @binding(3) var<storage, read> rBhh: array<f32>;
@group(0) @binding(4) var<storage, read> rInit: array<f32>;
@group(0) @binding(5) var<storage, read_write> rY: array<f32>;

@compute @workgroup_size(64)
fn rnn_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  let p = params;
  let H = p.hidden;
  if (index >= p.batch * H) {
    return;
  }
  let n = index / H;
  let u = index % H;
  let t = p.step;
  var a = rXproj[(t * p.batch + n) * H + u];
  if (p.hasBias != 0u) {
    a += rBhh[u];
  }
  if (t == 0u) {
    for (var k = 0u; k < H; k++) {
      a += rWhh[u * H + k] * rInit[n * H + k];
    }
  } else {
    let prev = ((t - 1u) * p.batch + n) * H;
    for (var k = 0u; k < H; k++) {
      a += rWhh[u * H + k] * rY[prev + k];
    }
  }
  var h = tanhSafe(a);
  if (p.cell == RNN_RELU) {
    h = max(a, 0.0);
  }
  rY[(t * p.batch + n) * H + u] = h;
}

@group(0) @binding(1) var<storage, read> lXproj: array<f32>;
@group(0) @binding(2) var<storage, read> lWhh: array<f32>;
@group(0) @binding(3) var<storage, read> lBhh: array<f32>;
@group(0) @binding(4) var<storage, read> lInit: array<f32>;
@group(0) @binding(5) var<storage, read_write> lY: array<f32>;
@group(0) @binding(6) var<storage, read_write> lC: array<f32>;
@group(0) @binding(7) var<storage, read_write> lGates: array<f32>;

// lInit is [h0; c0], each [N, H]. c_t = f·c_{t−1} + i·g, h_t = o·tanh(c_t).
@compute @workgroup_size(64)
fn lstm_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  let p = params;
  let H = p.hidden;
  let NH = p.batch * H;
  if (index >= NH) {
    return;
  }
  let n = index / H;
  let u = index % H;
  let t = p.step;
  let xrow = (t * p.batch + n) * 4u * H;
  // The four gates ride in one vec4 (i, f, g, o): no indexed private arrays in the K loop.
  var pre = vec4f(lXproj[xrow + u], lXproj[xrow + H + u], lXproj[xrow + 2u * H + u], lXproj[xrow + 3u * H + u]);
  if (p.hasBias != 0u) {
    pre += vec4f(lBhh[u], lBhh[H + u], lBhh[2u * H + u], lBhh[3u * H + u]);
  }
  var cPrev: f32;
  if (t == 0u) {
    cPrev = lInit[NH + index];
  } else {
    cPrev = lC[(t - 1u) * NH + index];
  }
  for (var k = 0u; k < H; k++) {
    var hk: f32;
    if (t == 0u) {
      hk = lInit[n * H + k];
    } else {
      hk = lY[((t - 1u) * p.batch + n) * H + k];
    }
    let w = vec4f(lWhh[u * H + k], lWhh[(H + u) * H + k], lWhh[(2u * H + u) * H + k], lWhh[(3u * H + u) * H + k]);
    pre = fma(w, vec4f(hk), pre);
  }
  let i = sigmoid(pre.x);
  let f = sigmoid(pre.y);
  let g = tanhSafe(pre.z);
  let o = sigmoid(pre.w);
  let c = f * cPrev + i * g;
  let at = t * NH + index;
  let plane = p.steps * NH;
  lGates[at] = i;
  lGates[plane + at] = f;
  lGates[2u * plane + at] = g;
  lGates[3u * plane + at] = o;
  lC[at] = c;
  lY[at] = o * tanhSafe(c);
}

@group(0) @binding(1) var<storage, read> gXproj: array<f32>;
@group(0) @binding(2) var<storage, read> gWhh: array<f32>;
@group(0) @binding(3) var<storage, read> gBhh: array<f32>;
@group(0) @binding(4) var<storage, read> gInit: array<f32>;
@group(0) @binding(5) var<storage, read_write> gY: array<f32>;
@group(0) @binding(6) var<storage, read_write> gGates: array<f32>;

// r = σ(xr + hr), z = σ(xz + hz), n = tanh(xn + r·hn), h = (1 − z)·n + z·h_{t−1}.
@compute @workgroup_size(64)
fn gru_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  let p = params;
  let H = p.hidden;
  let NH = p.batch * H;
  if (index >= NH) {
    return;
  }
  let n = index / H;
  let u = index % H;
  let t = p.step;
  // The three hidden-side sums (r, z, n) ride in one vec3: no indexed private arrays.
  var hs = vec3f(0.0);
  if (p.hasBias != 0u) {
    hs = vec3f(gBhh[u], gBhh[H + u], gBhh[2u * H + u]);
  }
  var hPrev: f32;
  if (t == 0u) {
    hPrev = gInit[index];
  } else {
    hPrev = gY[((t - 1u) * p.batch + n) * H + u];
  }
  for (var k = 0u; k < H; k++) {
    var hk: f32;
    if (t == 0u) {
      hk = gInit[n * H + k];
    } else {
      hk = gY[((t - 1u) * p.batch + n) * H + k];
    }
    let w = vec3f(gWhh[u * H + k], gWhh[(H + u) * H + k], gWhh[(2u * H + u) * H + k]);
    hs = fma(w, vec3f(hk), hs);
  }
  let xrow = (t * p.batch + n) * 3u * H;
  let r = sigmoid(gXproj[xrow + u] + hs.x);
  let z = sigmoid(gXproj[xrow + H + u] + hs.y);
  let nn = tanhSafe(gXproj[xrow + 2u * H + u] + r * hs.z);
  let at = t * NH + index;
  let plane = p.steps * NH;
  gGates[at] = r;
  gGates[plane + at] = z;
  gGates[2u * plane + at] = nn;
  gY[at] = (1.0 - z) * nn + z * hPrev;
}

// ---- backward steps ----
// Each writes dh[t] = dL/dh_t (total) and dA[t] [N, G·H], the gradient of the hidden-side
// pre-activations (what multiplies W_hh). dh[T − 1] is seeded with dL/dh_n before the loop.

@group(0) @binding(1) var<storage, read> rbY: array<f32>;
@group(0) @binding(2) var<storage, read> rbWhh: array<f32>;
@group(0) @binding(3) var<storage, read> rbGradY: array<f32>;
@group(0) @binding(4) var<storage, read_write> rbDA: array<f32>;
@group(0) @binding(5) var<storage, read_write> rbDh: array<f32>;

@compute @workgroup_size(64)
fn rnn_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  let p = params;
  let H = p.hidden;
  let NH = p.batch * H;
  if (index >= NH) {
    return;
  }
  let n = index / H;
  let u = index % H;
  let t = p.step;
  let at = t * NH + index;
  var dh = rbGradY[at];
  if (t + 1u == p.steps) {
    dh += rbDh[at];
  } else {
    let next = ((t + 1u) * p.batch + n) * H;
    for (var row = 0u; row < H; row++) {
      dh += rbDA[next + row] * rbWhh[row * H + u];
    }
  }
  rbDh[at] = dh;
  let h = rbY[at];
  var d = dh * (1.0 - h * h);
  if (p.cell == RNN_RELU) {
    d = select(0.0, dh, h > 0.0);
  }
  rbDA[at] = d;
}

@group(0) @binding(1) var<storage, read> lbGates: array<f32>;
@group(0) @binding(2) var<storage, read> lbC: array<f32>;
@group(0) @binding(3) var<storage, read> lbC0: array<f32>;
@group(0) @binding(4) var<storage, read> lbWhh: array<f32>;
@group(0) @binding(5) var<storage, read> lbGradY: array<f32>;
@group(0) @binding(6) var<storage, read_write> lbDc: array<f32>;
@group(0) @binding(7) var<storage, read_write> lbDA: array<f32>;
@group(0) @binding(8) var<storage, read_write> lbDh: array<f32>;

// lbDc [N, H] carries dL/dc_t·f_t from step t to step t − 1 (seeded with dL/dc_n); after
// step 0 it holds dL/dc0.
@compute @workgroup_size(64)
fn lstm_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  let p = params;
  let H = p.hidden;
  let NH = p.batch * H;
  if (index >= NH) {
    return;
  }
  let n = index / H;
  let u = index % H;
  let t = p.step;
  let at = t * NH + index;
  let G4 = 4u * H;
  var dh = lbGradY[at];
  if (t + 1u == p.steps) {
    dh += lbDh[at];
  } else {
    let next = ((t + 1u) * p.batch + n) * G4;
    for (var r = 0u; r < H; r++) {
      let da = vec4f(lbDA[next + r], lbDA[next + H + r], lbDA[next + 2u * H + r], lbDA[next + 3u * H + r]);
      let w = vec4f(lbWhh[r * H + u], lbWhh[(H + r) * H + u], lbWhh[(2u * H + r) * H + u], lbWhh[(3u * H + r) * H + u]);
      dh += dot(da, w);
    }
  }
  lbDh[at] = dh;
  let plane = p.steps * NH;
  let i = lbGates[at];
  let f = lbGates[plane + at];
  let g = lbGates[2u * plane + at];
  let o = lbGates[3u * plane + at];
  let tc = tanhSafe(lbC[at]);
  var cPrev: f32;
  if (t == 0u) {
    cPrev = lbC0[index];
  } else {
    cPrev = lbC[at - NH];
  }
  let dc = lbDc[index] + dh * o * (1.0 - tc * tc);
  let row = (t * p.batch + n) * G4;
  lbDA[row + u] = dc * g * i * (1.0 - i);
  lbDA[row + H + u] = dc * cPrev * f * (1.0 - f);
  lbDA[row + 2u * H + u] = dc * i * (1.0 - g * g);
  lbDA[row + 3u * H + u] = dh * tc * o * (1.0 - o);
  lbDc[index] = dc * f;
}

@group(0) @binding(1) var<storage, read> gbGates: array<f32>;
@group(0) @binding(2) var<storage, read> gbHprev: array<f32>;
@group(0) @binding(3) var<storage, read> gbWhh: array<f32>;
@group(0) @binding(4) var<storage, read> gbBhh: array<f32>;
@group(0) @binding(5) var<storage, read> gbGradY: array<f32>;
@group(0) @binding(6) var<storage, read_write> gbDA: array<f32>;
@group(0) @binding(7) var<storage, read_write> gbDXg: array<f32>;
@group(0) @binding(8) var<storage, read_write> gbDh: array<f32>;

// gbHprev [T, N, H] is h_{t−1} per step. The n gate's hidden side hn = W_hn·h_{t−1} + b_hn is
// recomputed here; its gradient is dpn·r (dA) while the input side gets dpn (dXg).
@compute @workgroup_size(64)
fn gru_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  let p = params;
  let H = p.hidden;
  let NH = p.batch * H;
  if (index >= NH) {
    return;
  }
  let n = index / H;
  let u = index % H;
  let t = p.step;
  let at = t * NH + index;
  let G3 = 3u * H;
  let plane = p.steps * NH;
  var dh = gbGradY[at];
  if (t + 1u == p.steps) {
    dh += gbDh[at];
  } else {
    let next = ((t + 1u) * p.batch + n) * G3;
    for (var r = 0u; r < H; r++) {
      let da = vec3f(gbDA[next + r], gbDA[next + H + r], gbDA[next + 2u * H + r]);
      let w = vec3f(gbWhh[r * H + u], gbWhh[(H + r) * H + u], gbWhh[(2u * H + r) * H + u]);
      dh += dot(da, w);
    }
    dh += gbDh[at + NH] * gbGates[plane + at + NH];
  }
  gbDh[at] = dh;
  let r = gbGates[at];
  let z = gbGates[plane + at];
  let nn = gbGates[2u * plane + at];
  var hn = 0.0;
  if (p.hasBias != 0u) {
    hn = gbBhh[2u * H + u];
  }
  let prev = (t * p.batch + n) * H;
  for (var k = 0u; k < H; k++) {
    hn += gbWhh[(2u * H + u) * H + k] * gbHprev[prev + k];
  }
  let dn = dh * (1.0 - z) * (1.0 - nn * nn);
  let dz = dh * (gbHprev[at] - nn) * z * (1.0 - z);
  let dr = dn * hn * r * (1.0 - r);
  let row = (t * p.batch + n) * G3;
  gbDA[row + u] = dr;
  gbDA[row + H + u] = dz;
  gbDA[row + 2u * H + u] = dn * r;
  gbDXg[row + u] = dr;
  gbDXg[row + H + u] = dz;
  gbDXg[row + 2u * H + u] = dn;
}

@group(0) @binding(1) var<storage, read> hgWhh: array<f32>;
@group(0) @binding(2) var<storage, read> hgDA: array<f32>;
@group(0) @binding(3) var<storage, read> hgDh: array<f32>;
@group(0) @binding(4) var<storage, read> hgGates: array<f32>;
@group(0) @binding(5) var<storage, read_write> hgOut: array<f32>;

// dL/dh0 = dA_0·W_hh (+ dh_0·z_0 for GRU), i.e. what step −1 would carry.
@compute @workgroup_size(64)
fn initial_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  let p = params;
  let H = p.hidden;
  let NH = p.batch * H;
  if (index >= NH) {
    return;
  }
  let n = index / H;
  let u = index % H;
  var gates = 1u;
  if (p.cell == 2u) {
    gates = 4u;
  } else if (p.cell == GRU) {
    gates = 3u;
  }
  var d = 0.0;
  for (var row = 0u; row < gates * H; row++) {
    d += hgDA[n * gates * H + row] * hgWhh[row * H + u];
  }
  if (p.cell == GRU) {
    d += hgDh[index] * hgGates[p.steps * NH + index];
  }
  hgOut[index] = d;
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
