// C[m, n] = Σ_k A(m, k) · B(k, n) (+ bias[n]), with A and B addressed through strides so one
// kernel serves linear forward (x · Wᵀ), its input gradient (dy · W) and its weight
// gradient (dyᵀ · x). Each workgroup computes a 32×32 tile; each of its 8×8 invocations keeps
// a 4×4 block in registers; K advances 16 at a time through workgroup memory. Workgroup z
// takes the K range [z·kPerSplit, (z+1)·kPerSplit) and writes its partial sums to slice z of C
// (split-K, for a small C with a long K; the slices are summed afterwards).

struct Params {
  m: u32, n: u32, k: u32,
  aRowStride: u32, aColStride: u32, bRowStride: u32, bColStride: u32,
  hasBias: u32, kPerSplit: u32,
}

const TILE = 32u;
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
  let kBegin = wid.z * p.kPerSplit;
  let kEnd = min(p.k, kBegin + p.kPerSplit);
  // THREADS is twice TILE, so every load of this invocation hits column ii of the tiles.
  let ii = flat % TILE;
  let row = m0 + ii;
  let col = n0 + ii;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var k0 = kBegin; k0 < kEnd; k0 += TILE_K) {
    for (var kk = flat / TILE; kk < TILE_K; kk += THREADS / TILE) {
      let k = k0 + kk;
      tileA[kk][ii] = select(0.0, a[row * p.aRowStride + k * p.aColStride], row < p.m && k < kEnd);
      tileB[kk][ii] = select(0.0, b[k * p.bRowStride + col * p.bColStride], col < p.n && k < kEnd);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      let bv = vec4f(tileB[kk][lid.x], tileB[kk][lid.x + 8u], tileB[kk][lid.x + 16u], tileB[kk][lid.x + 24u]);
      acc0 = fma(vec4f(tileA[kk][lid.y]), bv, acc0);
      acc1 = fma(vec4f(tileA[kk][lid.y + 8u]), bv, acc1);
      acc2 = fma(vec4f(tileA[kk][lid.y + 16u]), bv, acc2);
      acc3 = fma(vec4f(tileA[kk][lid.y + 24u]), bv, acc3);
    }
    workgroupBarrier();
  }
  let rows = array<vec4f, 4>(acc0, acc1, acc2, acc3);
  let slice = wid.z * p.m * p.n;
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) {
      let r = m0 + lid.y + 8u * i;
      let cc = n0 + lid.x + 8u * j;
      if (r < p.m && cc < p.n) {
        var v = rows[i][j];
        if (p.hasBias != 0u) {
          v += bias[cc];
        }
        c[slice + r * p.n + cc] = v;
      }
    }
  }
}
