// Convolution as an implicit GEMM over one group (workgroup z): C[m, n] = Σ_k A[m, k]·B[k, n],
// with A and B gathered from the conv tensors on the fly, so no im2col buffer exists. Each
// workgroup computes a 64×64 tile of C; each of its 8×8 invocations keeps an 8×8 block in
// registers, and K advances 16 at a time through workgroup memory. MODE picks the pass:
//   0 forward          m = (batch, oy, ox)  n = out channel             k = (in channel, ky, kx)
//   1 input gradient   m = (batch, iy, ix)  n = in channel              k = (out channel, ky, kx)
//   2 weight gradient  m = out channel      n = (in channel, ky, kx)    k = (batch, oy, ox)

struct Params {
  batch: u32, inChannels: u32, inHeight: u32, inWidth: u32,
  outChannels: u32, outHeight: u32, outWidth: u32,
  kernelH: u32, kernelW: u32, strideH: u32, strideW: u32,
  padTop: u32, padLeft: u32, dilationH: u32, dilationW: u32,
  groups: u32, hasBias: u32,
}

override MODE: u32 = 0u;

const TILE = 64u;
const TILE_K = 16u;
const THREADS = 64u;

@group(0) @binding(0) var<uniform> params: Params;
// MODE 0: x, weight · MODE 1: gradY, weight · MODE 2: gradY, x
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

var<workgroup> tileA: array<array<f32, TILE>, TILE_K>;
var<workgroup> tileB: array<array<f32, TILE>, TILE_K>;

fn inPerGroup() -> u32 {
  return params.inChannels / params.groups;
}

fn outPerGroup() -> u32 {
  return params.outChannels / params.groups;
}

fn kernelArea() -> u32 {
  return params.kernelH * params.kernelW;
}

fn outArea() -> u32 {
  return params.outHeight * params.outWidth;
}

fn inArea() -> u32 {
  return params.inHeight * params.inWidth;
}

/** GEMM sizes (M, N, K) of the pass. */
fn sizes() -> vec3u {
  let p = params;
  if (MODE == 0u) {
    return vec3u(p.batch * outArea(), outPerGroup(), inPerGroup() * kernelArea());
  }
  if (MODE == 1u) {
    return vec3u(p.batch * inArea(), inPerGroup(), outPerGroup() * kernelArea());
  }
  return vec3u(outPerGroup(), inPerGroup() * kernelArea(), p.batch * outArea());
}

/** x[n, channel, oy·s + ky·d − pad, …] or 0 in the padding. */
fn inputAt(n: u32, channel: u32, oy: u32, ox: u32, tap: u32) -> f32 {
  let p = params;
  let iy = i32(oy * p.strideH + (tap / p.kernelW) * p.dilationH) - i32(p.padTop);
  let ix = i32(ox * p.strideW + (tap % p.kernelW) * p.dilationW) - i32(p.padLeft);
  if (iy < 0 || ix < 0 || iy >= i32(p.inHeight) || ix >= i32(p.inWidth)) {
    return 0.0;
  }
  let index = ((n * p.inChannels + channel) * p.inHeight + u32(iy)) * p.inWidth + u32(ix);
  if (MODE == 0u) {
    return a[index];
  }
  return b[index];
}

/** gradY at the output whose window put kernel tap `tap` on input (iy, ix), or 0 if none. */
fn gradAtInput(n: u32, channel: u32, iy: u32, ix: u32, tap: u32) -> f32 {
  let p = params;
  let ty = i32(iy + p.padTop) - i32((tap / p.kernelW) * p.dilationH);
  let tx = i32(ix + p.padLeft) - i32((tap % p.kernelW) * p.dilationW);
  if (ty < 0 || tx < 0 || u32(ty) % p.strideH != 0u || u32(tx) % p.strideW != 0u) {
    return 0.0;
  }
  let oy = u32(ty) / p.strideH;
  let ox = u32(tx) / p.strideW;
  if (oy >= p.outHeight || ox >= p.outWidth) {
    return 0.0;
  }
  return a[((n * p.outChannels + channel) * p.outHeight + oy) * p.outWidth + ox];
}

// The GEMM index that stays fixed for one invocation's loads (A's row m in MODE 0 and 1, B's
// column in MODE 2), split once into its tensor coordinates so the K loop divides less.
struct Fixed {
  n: u32, y: u32, x: u32, channel: u32, tap: u32,
}

fn fixedFor(index: u32, g: u32) -> Fixed {
  let p = params;
  if (MODE == 0u) {
    let pixel = index % outArea();
    return Fixed(index / outArea(), pixel / p.outWidth, pixel % p.outWidth, 0u, 0u);
  }
  if (MODE == 1u) {
    let pixel = index % inArea();
    return Fixed(index / inArea(), pixel / p.inWidth, pixel % p.inWidth, 0u, 0u);
  }
  return Fixed(0u, 0u, 0u, g * inPerGroup() + index / kernelArea(), index % kernelArea());
}

fn loadA(f: Fixed, m: u32, k: u32, g: u32) -> f32 {
  let p = params;
  if (MODE == 0u) {
    return inputAt(f.n, g * inPerGroup() + k / kernelArea(), f.y, f.x, k % kernelArea());
  }
  if (MODE == 1u) {
    return gradAtInput(f.n, g * outPerGroup() + k / kernelArea(), f.y, f.x, k % kernelArea());
  }
  let n = k / outArea();
  return a[(n * p.outChannels + g * outPerGroup() + m) * outArea() + k % outArea()];
}

fn loadB(f: Fixed, k: u32, col: u32, g: u32) -> f32 {
  let p = params;
  if (MODE == 0u) {
    return b[(g * outPerGroup() + col) * inPerGroup() * kernelArea() + k];
  }
  if (MODE == 1u) {
    let oc = g * outPerGroup() + k / kernelArea();
    return b[(oc * inPerGroup() + col) * kernelArea() + k % kernelArea()];
  }
  let pixel = k % outArea();
  return inputAt(k / outArea(), f.channel, pixel / p.outWidth, pixel % p.outWidth, f.tap);
}

fn store(m: u32, col: u32, g: u32, value: f32) {
  let p = params;
  if (MODE == 0u) {
    let oc = g * outPerGroup() + col;
    let pixel = m % outArea();
    var v = value;
    if (p.hasBias != 0u) {
      v += bias[oc];
    }
    c[((m / outArea()) * p.outChannels + oc) * outArea() + pixel] = v;
  } else if (MODE == 1u) {
    c[((m / inArea()) * p.inChannels + g * inPerGroup() + col) * inArea() + m % inArea()] = value;
  } else {
    c[(g * outPerGroup() + m) * inPerGroup() * kernelArea() + col] = value;
  }
}

@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) flat: u32) {
  let size = sizes();
  let g = wid.z;
  let m0 = wid.x * TILE;
  let n0 = wid.y * TILE;
  // accRh holds row m0 + lid.x + 8R; lanes of h = a (b) are columns n0 + lid.y + 8j, j = 0..3 (4..7).
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
  // THREADS equals TILE, so every load of this invocation hits column ii of the tiles.
  let ii = flat % TILE;
  let fixed = fixedFor(select(m0, n0, MODE == 2u) + ii, g);
  let rowInRange = m0 + ii < size.x;
  let colInRange = n0 + ii < size.y;
  for (var k0 = 0u; k0 < size.z; k0 += TILE_K) {
    for (var kk = flat / TILE; kk < TILE_K; kk += THREADS / TILE) {
      let k = k0 + kk;
      var av = 0.0;
      var bv = 0.0;
      if (k < size.z && rowInRange) {
        av = loadA(fixed, m0 + ii, k, g);
      }
      if (k < size.z && colInRange) {
        bv = loadB(fixed, k, n0 + ii, g);
      }
      tileA[kk][ii] = av;
      tileB[kk][ii] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      let ba = vec4f(tileB[kk][lid.y], tileB[kk][lid.y + 8u], tileB[kk][lid.y + 16u], tileB[kk][lid.y + 24u]);
      let bb = vec4f(tileB[kk][lid.y + 32u], tileB[kk][lid.y + 40u], tileB[kk][lid.y + 48u], tileB[kk][lid.y + 56u]);
      let a0 = vec4f(tileA[kk][lid.x + 0u]);
      acc0a = fma(a0, ba, acc0a);
      acc0b = fma(a0, bb, acc0b);
      let a1 = vec4f(tileA[kk][lid.x + 8u]);
      acc1a = fma(a1, ba, acc1a);
      acc1b = fma(a1, bb, acc1b);
      let a2 = vec4f(tileA[kk][lid.x + 16u]);
      acc2a = fma(a2, ba, acc2a);
      acc2b = fma(a2, bb, acc2b);
      let a3 = vec4f(tileA[kk][lid.x + 24u]);
      acc3a = fma(a3, ba, acc3a);
      acc3b = fma(a3, bb, acc3b);
      let a4 = vec4f(tileA[kk][lid.x + 32u]);
      acc4a = fma(a4, ba, acc4a);
      acc4b = fma(a4, bb, acc4b);
      let a5 = vec4f(tileA[kk][lid.x + 40u]);
      acc5a = fma(a5, ba, acc5a);
      acc5b = fma(a5, bb, acc5b);
      let a6 = vec4f(tileA[kk][lid.x + 48u]);
      acc6a = fma(a6, ba, acc6a);
      acc6b = fma(a6, bb, acc6b);
      let a7 = vec4f(tileA[kk][lid.x + 56u]);
      acc7a = fma(a7, ba, acc7a);
      acc7b = fma(a7, bb, acc7b);
    }
    workgroupBarrier();
  }
  let rows = array<vec4f, 16>(acc0a, acc0b, acc1a, acc1b, acc2a, acc2b, acc3a, acc3b, acc4a, acc4b, acc5a, acc5b, acc6a, acc6b, acc7a, acc7b);
  for (var i = 0u; i < 8u; i++) {
    for (var j = 0u; j < 8u; j++) {
      let m = m0 + lid.x + 8u * i;
      let col = n0 + lid.y + 8u * j;
      if (m < size.x && col < size.y) {
        store(m, col, g, rows[2u * i + j / 4u][j % 4u]);
      }
    }
  }
}
