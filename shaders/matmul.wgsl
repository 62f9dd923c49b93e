// C[m, n] = alpha · Σ_k A(m, k) · B(k, n) (+ bias[n]), with A, B and C addressed through strides
// so one kernel serves linear forward (x · Wᵀ), its input gradient (dy · W), its weight
// gradient (dyᵀ · x) and attention's per-head products. Each workgroup computes a 64×64 tile;
// each of its 8×8 invocations keeps an 8×8 block in registers; K advances 16 at a time through
// workgroup memory. Workgroup z = batch · splits + split: batch index b = b1 · batch2 + b2
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

const TILE = 64u;
const TILE_K = 16u;
const THREADS = 64u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

var<workgroup> tileA: array<array<f32, TILE>, TILE_K>;
var<workgroup> tileB: array<array<f32, TILE>, TILE_K>;

@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) flat: u32) {
  let p = params;
  let m0 = wid.y * TILE;
  let n0 = wid.x * TILE;
  let split = wid.z % p.splits;
  let batch = wid.z / p.splits;
  let b1 = batch / p.batch2;
  let b2 = batch % p.batch2;
  let aBase = p.aOffset + b1 * p.aStride1 + b2 * p.aStride2;
  let bBase = p.bOffset + b1 * p.bStride1 + b2 * p.bStride2;
  let cBase = p.cOffset + b1 * p.cStride1 + b2 * p.cStride2 + split * p.cSplitStride;
  let kBegin = split * p.kPerSplit;
  let kEnd = min(p.k, kBegin + p.kPerSplit);
  // THREADS equals TILE, so every load of this invocation hits column ii of the tiles.
  let ii = flat % TILE;
  let row = m0 + ii;
  let col = n0 + ii;
  // accRh holds row m0 + lid.y + 8R; lanes of h = a (b) are columns n0 + lid.x + 8j, j = 0..3 (4..7).
  var acc0a = vec4f(0.0);
  var acc0b = vec4f(0.0);
  var acc1a = vec4f(0.0);
  var acc1b = vec4f(0.0);
  var acc2a = vec4f(0.0);
  var acc2b = vec4f(0.0);
  var acc3a = vec4f(0.0);
  var acc3b = vec4f(0.0);
  var acc4a = vec4f(0.0);
  var acc4b = vec4f(0.0);
  var acc5a = vec4f(0.0);
  var acc5b = vec4f(0.0);
  var acc6a = vec4f(0.0);
  var acc6b = vec4f(0.0);
  var acc7a = vec4f(0.0);
  var acc7b = vec4f(0.0);
  for (var k0 = kBegin; k0 < kEnd; k0 += TILE_K) {
    for (var kk = flat / TILE; kk < TILE_K; kk += THREADS / TILE) {
      let k = k0 + kk;
      tileA[kk][ii] = select(0.0, a[aBase + row * p.aRowStride + k * p.aColStride], row < p.m && k < kEnd);
      tileB[kk][ii] = select(0.0, b[bBase + k * p.bRowStride + col * p.bColStride], col < p.n && k < kEnd);
    }
    workgroupBarrier();
    // Only the K steps that exist (the last tile of a short K skips its zero padding); the
    // bound also keeps SwiftShader from unrolling the loop, which measured faster rolled.
    let kSteps = min(TILE_K, kEnd - k0);
    for (var kk = 0u; kk < kSteps; kk++) {
      let ba = vec4f(tileB[kk][lid.x], tileB[kk][lid.x + 8u], tileB[kk][lid.x + 16u], tileB[kk][lid.x + 24u]);
      let bb = vec4f(tileB[kk][lid.x + 32u], tileB[kk][lid.x + 40u], tileB[kk][lid.x + 48u], tileB[kk][lid.x + 56u]);
      let a0 = vec4f(tileA[kk][lid.y + 0u]);
      acc0a = fma(a0, ba, acc0a);
      acc0b = fma(a0, bb, acc0b);
      let a1 = vec4f(tileA[kk][lid.y + 8u]);
      acc1a = fma(a1, ba, acc1a);
      acc1b = fma(a1, bb, acc1b);
      let a2 = vec4f(tileA[kk][lid.y + 16u]);
      acc2a = fma(a2, ba, acc2a);
      acc2b = fma(a2, bb, acc2b);
      let a3 = vec4f(tileA[kk][lid.y + 24u]);
      acc3a = fma(a3, ba, acc3a);
      acc3b = fma(a3, bb, acc3b);
      let a4 = vec4f(tileA[kk][lid.y + 32u]);
      acc4a = fma(a4, ba, acc4a);
      acc4b = fma(a4, bb, acc4b);
      let a5 = vec4f(tileA[kk][lid.y + 40u]);
      acc5a = fma(a5, ba, acc5a);
      acc5b = fma(a5, bb, acc5b);
      let a6 = vec4f(tileA[kk][lid.y + 48u]);
      acc6a = fma(a6, ba, acc6a);
      acc6b = fma(a6, bb, acc6b);
      let a7 = vec4f(tileA[kk][lid.y + 56u]);
      acc7a = fma(a7, ba, acc7a);
      acc7b = fma(a7, bb, acc7b);
    }
    workgroupBarrier();
  }
  let rows = array<vec4f, 16>(acc0a, acc0b, acc1a, acc1b, acc2a, acc2b, acc3a, acc3b, acc4a, acc4b, acc5a, acc5b, acc6a, acc6b, acc7a, acc7b);
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

// The same product, one invocation per element of C, for products of a few million
// multiply-adds or less: no workgroup memory, hence no barriers, which cost more than the
// arithmetic of such products on SwiftShader, and no 64×64 tile that is mostly padding when
// C has a few dozen columns. Workgroup z = batch index b.
@compute @workgroup_size(16, 4)
fn direct(@builtin(global_invocation_id) gid: vec3u) {
  let p = params;
  let col = gid.x;
  let row = gid.y;
  if (row >= p.m || col >= p.n) {
    return;
  }
  let b1 = gid.z / p.batch2;
  let b2 = gid.z % p.batch2;
  var ai = p.aOffset + b1 * p.aStride1 + b2 * p.aStride2 + row * p.aRowStride;
  var bi = p.bOffset + b1 * p.bStride1 + b2 * p.bStride2 + col * p.bColStride;
  var acc = 0.0;
  for (var k = 0u; k < p.k; k++) {
    acc = fma(a[ai], b[bi], acc);
    ai += p.aColStride;
    bi += p.bRowStride;
  }
  var v = p.alpha * acc;
  if (p.hasBias != 0u) {
    v += bias[col];
  }
  c[p.cOffset + b1 * p.cStride1 + b2 * p.cStride2 + row * p.cRowStride + col] = v;
}
