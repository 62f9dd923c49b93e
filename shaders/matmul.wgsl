// C[m, n] = Σ_k A(m, k) · B(k, n) (+ bias[n]), with A and B addressed through strides so one
// kernel serves linear forward (x · Wᵀ), its input gradient (dy · W) and its weight
// gradient (dyᵀ · x). 16×16 output tiles, K staged through workgroup memory.

struct Params {
  m: u32, n: u32, k: u32,
  aRowStride: u32, aColStride: u32, bRowStride: u32, bColStride: u32,
  hasBias: u32,
}

const TILE = 16u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

var<workgroup> tileA: array<array<f32, TILE>, TILE>;
var<workgroup> tileB: array<array<f32, TILE>, TILE>;

@compute @workgroup_size(TILE, TILE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let p = params;
  let row = wid.y * TILE + lid.y;
  let col = wid.x * TILE + lid.x;
  var acc = 0.0;
  for (var k0 = 0u; k0 < p.k; k0 += TILE) {
    let ka = k0 + lid.x;
    let kb = k0 + lid.y;
    tileA[lid.y][lid.x] = select(0.0, a[row * p.aRowStride + ka * p.aColStride], row < p.m && ka < p.k);
    tileB[lid.y][lid.x] = select(0.0, b[kb * p.bRowStride + col * p.bColStride], kb < p.k && col < p.n);
    workgroupBarrier();
    for (var i = 0u; i < TILE; i++) {
      acc += tileA[lid.y][i] * tileB[i][lid.x];
    }
    workgroupBarrier();
  }
  if (row < p.m && col < p.n) {
    if (p.hasBias != 0u) {
      acc += bias[col];
    }
    c[row * p.n + col] = acc;
  }
}
