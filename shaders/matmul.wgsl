// C[m, n] = alpha · Σ_k A(m, k) · B(k, n) (+ bias[n]), with A, B and C addressed through strides
// so one kernel serves linear forward (x · Wᵀ), its input gradient (dy · W), its weight
// gradient (dyᵀ · x) and attention's per-head products. Each workgroup computes a 64×64 tile;
// each of its 8×8 invocations keeps an 8×8 block in registers; K advances 16 at a time through
// workgroup memory (the block and its K loop: common/register_block.wgsl). Workgroup z = batch · splits + split: batch index b = b1 · batch2 + b2
// offsets every operand by b1 · stride1 + b2 · stride2 (one matmul per attention head, read
// in place from a [N, L, 3E] projection), and split takes the K range
// [split · kPerSplit, (split + 1) · kPerSplit), writing its partial sums to slice split of C
// (split-K, for a small C with a long K; the slices are summed afterwards, and only slice 0
// adds the bias). Small products take the entry point `direct` instead.

struct Params {
  m: u32, n: u32, k: u32,
  aRowStride: u32, aColStride: u32, bRowStride: u32, bColStride: u32, cRowStride: u32,
  hasBias: u32, kPerSplit: u32, splits: u32, alpha: f32, batch2: u32,
  aOffset: u32, aStride1: u32, aStride2: u32,
  bOffset: u32, bStride1: u32, bStride2: u32,
  cOffset: u32, cStride1: u32, cStride2: u32, cSplitStride: u32,
}

const TILE_M = 64u;
const TILE_N = 64u;
const TILE_K = 16u;
const TILE_A = TILE_M * TILE_K;
const TILE_B = TILE_N * TILE_K;
const ROW_THREADS = 8u;
const COL_THREADS = 8u;
const THREADS = 64u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) flat: u32) {
  let p = params;
  let m0 = wid.y * TILE_M;
  let n0 = wid.x * TILE_N;
  let split = wid.z % p.splits;
  let batch = wid.z / p.splits;
  let b1 = batch / p.batch2;
  let b2 = batch % p.batch2;
  let aBase = p.aOffset + b1 * p.aStride1 + b2 * p.aStride2;
  let bBase = p.bOffset + b1 * p.bStride1 + b2 * p.bStride2;
  let cBase = p.cOffset + b1 * p.cStride1 + b2 * p.cStride2 + split * p.cSplitStride;
  let kBegin = split * p.kPerSplit;
  let kEnd = min(p.k, kBegin + p.kPerSplit);
  // THREADS equals TILE_M and TILE_N, so every load of this invocation hits column ii of the tiles.
  let ii = flat % TILE_M;
  let row = m0 + ii;
  let col = n0 + ii;
  // Block row R is row m0 + lid.y + 8R of C, block column j is column n0 + lid.x + 8j.
  var acc = RegisterBlock();
  for (var k0 = kBegin; k0 < kEnd; k0 += TILE_K) {
    for (var kk = flat / TILE_M; kk < TILE_K; kk += THREADS / TILE_M) {
      let k = k0 + kk;
      tileA[kk * TILE_M + ii] = select(0.0, a[aBase + row * p.aRowStride + k * p.aColStride], row < p.m && k < kEnd);
      tileB[kk * TILE_N + ii] = select(0.0, b[bBase + k * p.bRowStride + col * p.bColStride], col < p.n && k < kEnd);
    }
    workgroupBarrier();
    multiplyTiles(&acc, min(TILE_K, kEnd - k0), lid.y, lid.x);
    workgroupBarrier();
  }
  let rows = blockRows(acc);
  for (var i = 0u; i < 8u; i++) {
    for (var j = 0u; j < 8u; j++) {
      let r = m0 + lid.y + 8u * i;
      let cc = n0 + lid.x + 8u * j;
      if (r < p.m && cc < p.n) {
        var v = p.alpha * rows[2u * i + j / 4u][j % 4u];
        if (p.hasBias != 0u && split == 0u) {
          v += bias[cc];
        }
        c[cBase + r * p.cRowStride + cc] = v;
      }
    }
  }
}

/** Where row `row` of A and column `col` of B start and where C[row, col] sits, in batch z (b1 · batch2 + b2). */
struct DirectOrigin {
  a: u32,
  b: u32,
  c: u32,
}

fn directOrigin(z: u32, row: u32, col: u32) -> DirectOrigin {
  let p = params;
  let b1 = z / p.batch2;
  let b2 = z % p.batch2;
  return DirectOrigin(p.aOffset + b1 * p.aStride1 + b2 * p.aStride2 + row * p.aRowStride,
    p.bOffset + b1 * p.bStride1 + b2 * p.bStride2 + col * p.bColStride,
    p.cOffset + b1 * p.cStride1 + b2 * p.cStride2 + row * p.cRowStride + col);
}

/** The origin of element (row, col) of C in batch z, and whether it lies inside C. */
struct DirectElement {
  at: DirectOrigin,
  inside: bool,
}

fn directElement(z: u32, row: u32, col: u32) -> DirectElement {
  return DirectElement(directOrigin(z, row, col), row < params.m && col < params.n);
}

/** The bias of column col, or 0. */
fn biasAt(col: u32) -> f32 {
  return select(0.0, bias[min(col, arrayLength(&bias) - 1u)], params.hasBias != 0u);
}

// The same product, one invocation per element of C, for products of a few million
// multiply-adds or less: no workgroup memory, hence no barriers, which cost more than the
// arithmetic of such products on SwiftShader, and no 64×64 tile that is mostly padding when
// C has a few dozen columns. Workgroup z = batch index b.
@compute @workgroup_size(16, 4)
fn direct(@builtin(global_invocation_id) gid: vec3u) {
  let p = params;
  let e = directElement(gid.z, gid.y, gid.x);
  if (!e.inside) {
    return;
  }
  let at = e.at;
  var ai = at.a;
  var bi = at.b;
  var acc = 0.0;
  for (var k = 0u; k < p.k; k++) {
    acc = fma(a[ai], b[bi], acc);
    ai += p.aColStride;
    bi += p.bRowStride;
  }
  c[at.c] = p.alpha * acc + biasAt(gid.x);
}

@group(0) @binding(1) var<storage, read> a4: array<vec4f>;
@group(0) @binding(2) var<storage, read> b4: array<vec4f>;

// `direct` for products whose A rows and B columns both run along memory (x · Wᵀ: aColStride and
// bRowStride 1; K, offsets, row and batch strides multiples of 4): each element of C is a dot
// product of vec4s, a quarter of the loads.
@compute @workgroup_size(16, 4)
fn direct_dot4(@builtin(global_invocation_id) gid: vec3u) {
  let p = params;
  let e = directElement(gid.z, gid.y, gid.x);
  if (!e.inside) {
    return;
  }
  let at = e.at;
  var acc = vec4f(0.0);
  for (var k = 0u; k < p.k / 4u; k++) {
    acc = fma(a4[at.a / 4u + k], b4[at.b / 4u + k], acc);
  }
  c[at.c] = p.alpha * ((acc.x + acc.y) + (acc.z + acc.w)) + biasAt(gid.x);
}

// `direct` for products whose B rows run along memory (dy · W and dyᵀ · x: bColStride 1; n, the
// B offset, row and batch strides multiples of 4): each invocation takes 4 adjacent elements of a
// row of C, one A value and one vec4 of B per step of K.
@compute @workgroup_size(16, 4)
fn direct_cols4(@builtin(global_invocation_id) gid: vec3u) {
  let p = params;
  let col = 4u * gid.x;
  let e = directElement(gid.z, gid.y, col);
  if (!e.inside) {
    return;
  }
  let at = e.at;
  var ai = at.a;
  var bi = at.b / 4u;
  let bStep = p.bRowStride / 4u;
  var acc = vec4f(0.0);
  for (var k = 0u; k < p.k; k++) {
    acc = fma(vec4f(a[ai]), b4[bi], acc);
    ai += p.aColStride;
    bi += bStep;
  }
  for (var j = 0u; j < 4u; j++) {
    c[at.c + j] = p.alpha * acc[j] + biasAt(col + j);
  }
}

/** A(row, k), with row clamped into A (the rows past m of an edge block are computed and not stored). */
fn aAt(base: u32, row: u32, k: u32) -> f32 {
  return a[base + min(row, params.m - 1u) * params.aRowStride + k * params.aColStride];
}

/** B(k, col .. col + 3), columns clamped into B. */
fn b4At(base: u32, k: u32, col: u32) -> vec4f {
  let p = params;
  let last = p.n - 1u;
  let row = base + k * p.bRowStride;
  return vec4f(b[row + min(col, last) * p.bColStride], b[row + min(col + 1u, last) * p.bColStride],
    b[row + min(col + 2u, last) * p.bColStride], b[row + min(col + 3u, last) * p.bColStride]);
}

// The same product without workgroup memory or barriers (for adapters that run those slowly,
// see matmul.ts): each invocation keeps a block of 4 rows × 8 columns of C in registers and
// reads 4 values of A and 8 of B per step of K, 12 loads per 32 multiply-adds (`direct` makes 2
// per one). Workgroup z = batch · splits + split, as in `main`.
@compute @workgroup_size(16, 4)
fn blocked(@builtin(global_invocation_id) gid: vec3u) {
  let p = params;
  let col = 8u * gid.x;
  let row = 4u * gid.y;
  if (row >= p.m || col >= p.n) {
    return;
  }
  let split = gid.z % p.splits;
  let origin = directOrigin(gid.z / p.splits, 0u, 0u);
  var lo = array<vec4f, 4>();
  var hi = array<vec4f, 4>();
  for (var k = split * p.kPerSplit; k < min(p.k, (split + 1u) * p.kPerSplit); k++) {
    let bLo = b4At(origin.b, k, col);
    let bHi = b4At(origin.b, k, col + 4u);
    let a0 = aAt(origin.a, row, k);
    let a1 = aAt(origin.a, row + 1u, k);
    let a2 = aAt(origin.a, row + 2u, k);
    let a3 = aAt(origin.a, row + 3u, k);
    lo[0] = fma(vec4f(a0), bLo, lo[0]);
    hi[0] = fma(vec4f(a0), bHi, hi[0]);
    lo[1] = fma(vec4f(a1), bLo, lo[1]);
    hi[1] = fma(vec4f(a1), bHi, hi[1]);
    lo[2] = fma(vec4f(a2), bLo, lo[2]);
    hi[2] = fma(vec4f(a2), bHi, hi[2]);
    lo[3] = fma(vec4f(a3), bLo, lo[3]);
    hi[3] = fma(vec4f(a3), bHi, hi[3]);
  }
  for (var r = 0u; r < min(4u, p.m - row); r++) {
    for (var j = 0u; j < min(8u, p.n - col); j++) {
      let v = select(hi[r][j % 4u], lo[r][j], j < 4u);
      c[origin.c + split * p.cSplitStride + (row + r) * p.cRowStride + col + j] = p.alpha * v + select(0.0, biasAt(col + j), split == 0u);
    }
  }
}
