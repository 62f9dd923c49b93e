// Convolution as an implicit GEMM over one group (workgroup z): C[m, n] = Σ_k A[m, k]·B[k, n],
// with A and B gathered from the conv tensors on the fly, so no im2col buffer exists. Each
// workgroup computes a TILE_M×TILE_N tile of C (64×64, 128×32, 256×16, 32×128 or 16×256, picked
// per problem so narrow GEMMs waste little); each of its 64 invocations keeps an 8×8 block in
// registers, and K advances 16 at a time through workgroup memory (common/register_block.wgsl).
// In MODE 2, workgroups beyond the groups on z split K into slices that write partial sums
// (summed by channel_sum after).
// In MODE 0 the epilogue adds the bias and, with RELU = 1, clamps at 0 (conv → ReLU in one
// dispatch, as a BatchNorm folded into the weights leaves conv → BN → ReLU).
// MODE picks the pass:
//   0 forward          m = (batch, oy, ox)  n = out channel             k = (in channel, ky, kx)
//   1 input gradient   m = (batch, iy, ix)  n = in channel              k = (out channel, ky, kx)
//   2 weight gradient  m = out channel      n = (in channel, ky, kx)    k = (batch, oy, ox)

override MODE: u32 = 0u;
override RELU: u32 = 0u;
override TILE_M: u32 = 64u;
override TILE_N: u32 = 64u;
override ROW_THREADS: u32 = TILE_M / 8u;
override COL_THREADS: u32 = TILE_N / 8u;
override TILE_A: u32 = TILE_M * TILE_K;
override TILE_B: u32 = TILE_N * TILE_K;

const TILE_K = 16u;
const THREADS = 64u;

// MODE 0: x, weight · MODE 1: gradY, weight · MODE 2: gradY, x
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

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

fn store(m: u32, col: u32, g: u32, slice: u32, value: f32) {
  let p = params;
  if (MODE == 0u) {
    let oc = g * outPerGroup() + col;
    let pixel = m % outArea();
    var v = value;
    if (p.hasBias != 0u) {
      v += bias[oc];
    }
    if (RELU != 0u) {
      // max() would turn NaN into 0; PyTorch's ReLU propagates it.
      v = select(0.0, v, v > 0.0 || v != v);
    }
    c[((m / outArea()) * p.outChannels + oc) * outArea() + pixel] = v;
  } else if (MODE == 1u) {
    c[((m / inArea()) * p.inChannels + g * inPerGroup() + col) * inArea() + m % inArea()] = value;
  } else {
    c[slice * p.outChannels * inPerGroup() * kernelArea() + (g * outPerGroup() + m) * inPerGroup() * kernelArea() + col] = value;
  }
}

@compute @workgroup_size(ROW_THREADS, COL_THREADS)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(local_invocation_index) flat: u32,
  @builtin(num_workgroups) groups: vec3u,
) {
  let size = sizes();
  let g = wid.z % params.groups;
  // K slice of this workgroup: all of K unless MODE 2 splits it (z = slice·groups + group).
  let slices = groups.z / params.groups;
  let slice = wid.z / params.groups;
  let kPerSlice = (size.z + slices * TILE_K - 1u) / (slices * TILE_K) * TILE_K;
  let kBegin = slice * kPerSlice;
  let kEnd = min(size.z, kBegin + kPerSlice);
  let m0 = wid.x * TILE_M;
  let n0 = wid.y * TILE_N;
  // Block row R is row m0 + lid.x + ROW_THREADS·R of C, block column j is column n0 + lid.y + COL_THREADS·j.
  var acc = RegisterBlock();
  // Loads: min(TILE, 64) invocations share a tile row; each owns columns ii, ii + 64, ... and
  // the rows kk, kk + 64 / TILE, ... so the coordinates of its column are split once per chunk.
  let aCols = min(TILE_M, THREADS);
  let bCols = min(TILE_N, THREADS);
  for (var k0 = kBegin; k0 < kEnd; k0 += TILE_K) {
    for (var ii = flat % aCols; ii < TILE_M; ii += aCols) {
      let m = m0 + ii;
      let fixed = fixedFor(m, g);
      for (var kk = flat / aCols; kk < TILE_K; kk += THREADS / aCols) {
        let k = k0 + kk;
        var av = 0.0;
        if (k < kEnd && m < size.x) {
          av = loadA(fixed, m, k, g);
        }
        tileA[kk * TILE_M + ii] = av;
      }
    }
    for (var ii = flat % bCols; ii < TILE_N; ii += bCols) {
      let col = n0 + ii;
      let fixed = fixedFor(col, g);
      for (var kk = flat / bCols; kk < TILE_K; kk += THREADS / bCols) {
        let k = k0 + kk;
        var bv = 0.0;
        if (k < kEnd && col < size.y) {
          bv = loadB(fixed, k, col, g);
        }
        tileB[kk * TILE_N + ii] = bv;
      }
    }
    workgroupBarrier();
    multiplyTiles(&acc, min(TILE_K, kEnd - k0), lid.x, lid.y);
    workgroupBarrier();
  }
  let rows = blockRows(acc);
  for (var i = 0u; i < 8u; i++) {
    for (var j = 0u; j < 8u; j++) {
      let m = m0 + lid.x + ROW_THREADS * i;
      let col = n0 + lid.y + COL_THREADS * j;
      if (m < size.x && col < size.y) {
        store(m, col, g, slice, rows[2u * i + j / 4u][j % 4u]);
      }
    }
  }
}
