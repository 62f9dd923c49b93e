// Convolution without workgroup memory or barriers: each invocation keeps a register block of
// outputs and reads its inputs and weights straight from the storage buffers. On an adapter
// that runs workgroup memory as ordinary memory and barriers as a switch of every lane
// (SwiftShader), this avoids the tile stores, the per-lane tile loads and the two barriers per
// K step of the implicit GEMM; there every load, index and bounds check costs about as much
// as a vec4 FMA, so the kernels keep large register blocks and few loads per FMA.
//   forward         MODE 0: y[n, o, oy, ox] = Σ_i,ky,kx x[n, i, oy·s + ky·d − pad, …]·w[o, i, ky, kx]
//   input gradient  MODE 1 (stride 1): the same correlation of gradY with the flipped, transposed
//                   weight, dx[n, i, iy, ix] = Σ_o,ky,kx gradY[n, o, iy − d·(k−1) + pad + d·ky′, …]
//                   · w[o, i, k−1−ky′, k−1−kx′]
// The weight is first packed (entry pack_weights) as vec4s of 4 destination channels per
// (group, source channel, tap, block of 4), zero past the group's last channel. One invocation
// of `main` computes 8 adjacent pixels of one output row × 8 destination channels: per kernel
// tap 8 inputs and 2 vec4 weights feed 64 FMAs; a 3-wide stride-1 row of taps reads its 10
// inputs once (their padding masks are set once per invocation) for 192 FMAs.
//   weight gradient (entry weight_grad) one invocation per slice of ROWS_PER_SLICE output rows
//                   × 8 output channels × one input channel; it sums 2·kh·kw ≤ 18 vec4 partials (two
//                   per kernel tap) over the rows of its slice, 4 pixels at a time (the kernel rows
//                   and the stores unrolled, so the partials stay in registers), and writes them to
//                   its slice of a [slices, outChannels, inPerGroup, kh, kw] buffer (followed by the
//                   slice's bias sums, BIAS_SUMS) that channel_sum adds up.

override MODE: u32 = 0u;
// 1 applies ReLU to the forward's output in the store (conv → ReLU in one pass; NaN kept, as PyTorch).
override RELU: u32 = 0u;
// 1 when stride, dilation and kernel width are 1, 1 and 3 (MODE 1: dilation 1, kernel width 3).
override SLIDE3: u32 = 0u;
const PIXELS = 8u;

@group(0) @binding(1) var<storage, read> source: array<f32>;
@group(0) @binding(2) var<storage, read> packed: array<vec4f>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> result: array<f32>;

// The correlation one MODE computes: source planes [channels, height, width] per sample are
// read at row oy·stride − pad + ky·dilation (pad may be negative in MODE 1).
struct Geometry {
  srcChannels: u32, srcHeight: u32, srcWidth: u32,
  dstChannels: u32, dstHeight: u32, dstWidth: u32,
  srcPerGroup: u32, dstPerGroup: u32,
  padTop: i32, padLeft: i32,
}

fn geometry() -> Geometry {
  let p = params;
  if (MODE == 0u) {
    return Geometry(p.inChannels, p.inHeight, p.inWidth, p.outChannels, p.outHeight, p.outWidth,
      inPerGroup(), outPerGroup(), i32(p.padTop), i32(p.padLeft));
  }
  return Geometry(p.outChannels, p.outHeight, p.outWidth, p.inChannels, p.inHeight, p.inWidth,
    outPerGroup(), inPerGroup(),
    i32(p.dilationH * (p.kernelH - 1u)) - i32(p.padTop), i32(p.dilationW * (p.kernelW - 1u)) - i32(p.padLeft));
}

/** Blocks of 4 destination channels per group. */
fn dstBlocks(geo: Geometry) -> u32 {
  return (geo.dstPerGroup + 3u) / 4u;
}

@group(0) @binding(2) var<storage, read_write> packedOut: array<vec4f>;

/** packed[((g·srcPerGroup + i)·taps + t)·blocks + b] = weights of destination channels 4b .. 4b + 3. */
@compute @workgroup_size(64)
fn pack_weights(@builtin(global_invocation_id) gid: vec3u) {
  let geo = geometry();
  let taps = kernelArea();
  let blocks = dstBlocks(geo);
  let index = gid.x;
  if (index >= params.groups * geo.srcPerGroup * taps * blocks) {
    return;
  }
  let b = index % blocks;
  let t = (index / blocks) % taps;
  let i = (index / (blocks * taps)) % geo.srcPerGroup;
  let g = index / (blocks * taps * geo.srcPerGroup);
  var v = vec4f(0.0);
  for (var lane = 0u; lane < 4u; lane++) {
    let o = 4u * b + lane;
    if (o < geo.dstPerGroup) {
      if (MODE == 0u) {
        v[lane] = source[((g * outPerGroup() + o) * inPerGroup() + i) * taps + t];
      } else {
        v[lane] = source[((g * outPerGroup() + i) * inPerGroup() + o) * taps + taps - 1u - t];
      }
    }
  }
  packedOut[index] = v;
}

/** source[row + ix], or 0 outside the row. */
fn sourceAt(row: u32, ix: i32, width: i32) -> f32 {
  if (ix < 0 || ix >= width) {
    return 0.0;
  }
  return source[row + u32(ix)];
}

/** The bias of destination channels o .. o + 3 of group g (MODE 0 with a bias; 0 otherwise, and past the group). */
fn bias4(g: u32, o: u32, geo: Geometry) -> vec4f {
  var v = vec4f(0.0);
  if (MODE == 0u && params.hasBias != 0u) {
    for (var lane = 0u; lane < 4u; lane++) {
      if (o + lane < geo.dstPerGroup) {
        v[lane] = bias[g * geo.dstPerGroup + o + lane];
      }
    }
  }
  return v;
}

/** Stores the first `count` of the 4 destination channels from `first` of one pixel. */
fn storeChannels(dst: u32, plane: u32, first: u32, count: u32, v: vec4f) {
  result[dst + first * plane] = v.x;
  if (count > 1u) {
    result[dst + (first + 1u) * plane] = v.y;
  }
  if (count > 2u) {
    result[dst + (first + 2u) * plane] = v.z;
  }
  if (count > 3u) {
    result[dst + (first + 3u) * plane] = v.w;
  }
}

/** v, or ReLU(v) when RELU is set. */
fn activate(v: vec4f) -> vec4f {
  if (RELU == 0u) {
    return v;
  }
  return relu4(v);
}

/** acc[P] += x[P]·w for the 8 pixels of one tap. */
fn tapRow(acc: ptr<function, Pixels>, x: Pixels, w: vec4f) {
  (*acc).p0 = fma(x.p0, w, (*acc).p0);
  (*acc).p1 = fma(x.p1, w, (*acc).p1);
  (*acc).p2 = fma(x.p2, w, (*acc).p2);
  (*acc).p3 = fma(x.p3, w, (*acc).p3);
  (*acc).p4 = fma(x.p4, w, (*acc).p4);
  (*acc).p5 = fma(x.p5, w, (*acc).p5);
  (*acc).p6 = fma(x.p6, w, (*acc).p6);
  (*acc).p7 = fma(x.p7, w, (*acc).p7);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let geo = geometry();
  let rowBlocks = (geo.dstWidth + PIXELS - 1u) / PIXELS;
  let q = gid.x + gid.y * groups.x * 64u;
  if (q >= p.batch * geo.dstHeight * rowBlocks) {
    return;
  }
  let ox = (q % rowBlocks) * PIXELS;
  let oy = (q / rowBlocks) % geo.dstHeight;
  let n = q / (rowBlocks * geo.dstHeight);
  let blocks = dstBlocks(geo);
  let pairs = (blocks + 1u) / 2u;
  let g = gid.z / pairs;
  let b = (gid.z % pairs) * 2u;
  // The second block of 4 channels, or the first again when the group has an odd count (not stored).
  let bHigh = min(b + 1u, blocks - 1u);
  let strideW = select(1u, p.strideW, MODE == 0u);
  let strideH = select(1u, p.strideH, MODE == 0u);
  let taps = kernelArea();
  let iy0 = i32(oy * strideH) - geo.padTop;
  let ix0 = i32(ox * strideW) - geo.padLeft;
  let srcPlane = geo.srcHeight * geo.srcWidth;
  let w = i32(geo.srcWidth);
  let cols = windowColumns(ix0, w);
  // The 8 pixels of channels 4b .. 4b + 3 (low) and 4b + 4 .. 4b + 7 (high).
  var low = Pixels();
  var high = Pixels();
  for (var i = 0u; i < geo.srcPerGroup; i++) {
    let plane = (n * geo.srcChannels + g * geo.srcPerGroup + i) * srcPlane;
    let weightRow = (g * geo.srcPerGroup + i) * taps;
    for (var ky = 0u; ky < p.kernelH; ky++) {
      let iy = iy0 + i32(ky * p.dilationH);
      if (iy < 0 || iy >= i32(geo.srcHeight)) {
        continue;
      }
      let row = plane + u32(iy) * geo.srcWidth;
      if (SLIDE3 != 0u) {
        let c = window(row, cols);
        let t = (weightRow + ky * 3u) * blocks;
        slideRow(&low, c, packed[t + b], packed[t + blocks + b], packed[t + 2u * blocks + b]);
        slideRow(&high, c, packed[t + bHigh], packed[t + blocks + bHigh], packed[t + 2u * blocks + bHigh]);
      } else {
        let s = i32(strideW);
        for (var kx = 0u; kx < p.kernelW; kx++) {
          let ix = ix0 + i32(kx * p.dilationW);
          let t = (weightRow + ky * p.kernelW + kx) * blocks;
          let x = Pixels(vec4f(sourceAt(row, ix, w)), vec4f(sourceAt(row, ix + s, w)), vec4f(sourceAt(row, ix + 2 * s, w)),
            vec4f(sourceAt(row, ix + 3 * s, w)), vec4f(sourceAt(row, ix + 4 * s, w)), vec4f(sourceAt(row, ix + 5 * s, w)),
            vec4f(sourceAt(row, ix + 6 * s, w)), vec4f(sourceAt(row, ix + 7 * s, w)));
          tapRow(&low, x, packed[t + b]);
          tapRow(&high, x, packed[t + bHigh]);
        }
      }
    }
  }
  let dstPlane = geo.dstHeight * geo.dstWidth;
  let dst = n * geo.dstChannels * dstPlane + oy * geo.dstWidth + ox;
  let biasLow = bias4(g, 4u * b, geo);
  let biasHigh = bias4(g, 4u * b + 4u, geo);
  let lows = array<vec4f, PIXELS>(low.p0, low.p1, low.p2, low.p3, low.p4, low.p5, low.p6, low.p7);
  let highs = array<vec4f, PIXELS>(high.p0, high.p1, high.p2, high.p3, high.p4, high.p5, high.p6, high.p7);
  let first = g * geo.dstPerGroup + 4u * b;
  let countLow = min(4u, geo.dstPerGroup - 4u * b);
  let countHigh = select(0u, min(4u, geo.dstPerGroup - 4u * b - 4u), b + 1u < blocks);
  for (var px = 0u; px < min(PIXELS, geo.dstWidth - ox); px++) {
    storeChannels(dst + px, dstPlane, first, countLow, activate(lows[px] + biasLow));
    if (countHigh > 0u) {
      storeChannels(dst + px, dstPlane, first + 4u, countHigh, activate(highs[px] + biasHigh));
    }
  }
}

// A 3×3 kernel at stride 1 and dilation 1 (both MODEs): one invocation computes 2 rows × 8 pixels
// × 4 destination channels (slide_rows.wgsl's twoRows3x3), loading each input row once for both
// rows and 9 vec4 weights per source channel: 76 loads per 576 FMAs, against 102 for `main`.
@compute @workgroup_size(64)
fn main_rows2(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let geo = geometry();
  let rowBlocks = (geo.dstWidth + PIXELS - 1u) / PIXELS;
  let rowPairs = (geo.dstHeight + 1u) / 2u;
  let q = gid.x + gid.y * groups.x * 64u;
  if (q >= params.batch * rowPairs * rowBlocks) {
    return;
  }
  let ox = (q % rowBlocks) * PIXELS;
  let oy = ((q / rowBlocks) % rowPairs) * 2u;
  let n = q / (rowBlocks * rowPairs);
  let blocks = dstBlocks(geo);
  let g = gid.z / blocks;
  let b = gid.z % blocks;
  let block = twoRows3x3(n, g * geo.srcPerGroup, geo.srcPerGroup, geo.srcChannels, geo.srcHeight, geo.srcWidth, blocks, b,
    i32(oy) - geo.padTop, i32(ox) - geo.padLeft);
  let dstPlane = geo.dstHeight * geo.dstWidth;
  let dst = n * geo.dstChannels * dstPlane + oy * geo.dstWidth + ox;
  let biasV = bias4(g, 4u * b, geo);
  let tops = array<vec4f, PIXELS>(block.top.p0, block.top.p1, block.top.p2, block.top.p3, block.top.p4, block.top.p5, block.top.p6, block.top.p7);
  let bottoms = array<vec4f, PIXELS>(block.bottom.p0, block.bottom.p1, block.bottom.p2, block.bottom.p3,
    block.bottom.p4, block.bottom.p5, block.bottom.p6, block.bottom.p7);
  let first = g * geo.dstPerGroup + 4u * b;
  let count = min(4u, geo.dstPerGroup - 4u * b);
  let hasBottom = oy + 1u < geo.dstHeight;
  for (var px = 0u; px < min(PIXELS, geo.dstWidth - ox); px++) {
    storeChannels(dst + px, dstPlane, first, count, activate(tops[px] + biasV));
    if (hasBottom) {
      storeChannels(dst + geo.dstWidth + px, dstPlane, first, count, activate(bottoms[px] + biasV));
    }
  }
}

// Weight gradient: bindings 1 x, 2 gradY, 3 partials (the forward's source, weight and bias
// slots; no entry point uses both sets).
override KERNEL_H: u32 = 3u;
override KERNEL_W: u32 = 3u;
override ROWS_PER_SLICE: u32 = 1u;
// 1: the invocations of input channel 0 also sum gradY per output channel (the bias gradient's slice partials).
override BIAS_SUMS: u32 = 0u;
const MAX_TAPS = 9u;

@group(0) @binding(2) var<storage, read> gradOut: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;

/** Offsets of output channels o .. o + 3 (clamped to the group's last) from their group's first plane. */
fn channelOffsets(o: u32, last: u32, plane: u32) -> vec4u {
  return vec4u(min(o, last), min(o + 1u, last), min(o + 2u, last), min(o + 3u, last)) * plane;
}

/** gradY of four output channels at pixel ox of a row (clamped into the row; 0 past its end). */
fn gradOut4(rowBase: u32, ox: u32, offsets: vec4u) -> vec4f {
  let at = rowBase + min(ox, params.outWidth - 1u);
  let g = vec4f(gradOut[at + offsets.x], gradOut[at + offsets.y], gradOut[at + offsets.z], gradOut[at + offsets.w]);
  return select(vec4f(0.0), g, ox < params.outWidth);
}

/** acc[t + k] += Σ_P g[P]·c[P + k] for k = 0, 1, 2: one row of 3 taps over 4 pixels and their 6 inputs. */
fn slideTaps(acc: ptr<function, array<vec4f, MAX_TAPS>>, t: u32, g: array<vec4f, 4>, c: array<vec4f, 6>) {
  (*acc)[t] = fma(g[3], c[3], fma(g[2], c[2], fma(g[1], c[1], fma(g[0], c[0], (*acc)[t]))));
  (*acc)[t + 1u] = fma(g[3], c[4], fma(g[2], c[3], fma(g[1], c[2], fma(g[0], c[1], (*acc)[t + 1u]))));
  (*acc)[t + 2u] = fma(g[3], c[5], fma(g[2], c[4], fma(g[1], c[3], fma(g[0], c[2], (*acc)[t + 2u]))));
}

/** Row iy of a plane at 6 precomputed columns, or zeros above or below the input. */
fn row6Clipped(plane: u32, iy: i32, k: array<Column, 6>) -> array<vec4f, 6> {
  if (iy < 0 || iy >= i32(params.inHeight)) {
    return array<vec4f, 6>();
  }
  return row6(plane + u32(iy) * params.inWidth, k);
}

/** The inputs of row `row` at 6 precomputed columns (the window of 4 stride-1 pixels under 3 taps), splatted. */
fn row6(row: u32, k: array<Column, 6>) -> array<vec4f, 6> {
  return array<vec4f, 6>(at(row, k[0]), at(row, k[1]), at(row, k[2]), at(row, k[3]), at(row, k[4]), at(row, k[5]));
}

@compute @workgroup_size(64)
fn weight_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let inGroup = inPerGroup();
  let outGroup = outPerGroup();
  let channelBlocks = (outGroup + 7u) / 8u;
  // x (and y): slice of ROWS_PER_SLICE output rows · input channel of the group; z: group·channelBlocks + block.
  let rows = p.batch * p.outHeight;
  let item = gid.x + gid.y * groups.x * 64u;
  if (item >= (rows + ROWS_PER_SLICE - 1u) / ROWS_PER_SLICE * inGroup) {
    return;
  }
  let i = item % inGroup;
  let slice = item / inGroup;
  let g = gid.z / channelBlocks;
  let o = (gid.z % channelBlocks) * 8u;
  let firstRow = slice * ROWS_PER_SLICE;
  let lastRow = min(rows, firstRow + ROWS_PER_SLICE);
  let outPlane = outArea();
  let inPlane = inArea();
  let offsetsA = channelOffsets(o, outGroup - 1u, outPlane);
  let offsetsB = channelOffsets(o + 4u, outGroup - 1u, outPlane);
  let w = i32(p.inWidth);
  // accA[t] (accB[t]) holds tap t of output channels o .. o + 3 (o + 4 .. o + 7); biasA and
  // biasB sum gradY over the slice's pixels (BIAS_SUMS).
  var accA: array<vec4f, MAX_TAPS>;
  var accB: array<vec4f, MAX_TAPS>;
  var biasA = vec4f(0.0);
  var biasB = vec4f(0.0);
  for (var r = firstRow; r < lastRow; r++) {
    let n = r / p.outHeight;
    let oy = r % p.outHeight;
    let gradRow = (n * p.outChannels + g * outGroup) * outPlane + oy * p.outWidth;
    let xPlane = (n * p.inChannels + g * inGroup + i) * inPlane;
    if (SLIDE3 != 0u) {
      // Stride 1, 3 taps wide, dilation 1: 4 pixels of the row take 6 inputs per tap row.
      for (var ox = 0u; ox < p.outWidth; ox += 4u) {
        let ga = array<vec4f, 4>(gradOut4(gradRow, ox, offsetsA), gradOut4(gradRow, ox + 1u, offsetsA), gradOut4(gradRow, ox + 2u, offsetsA), gradOut4(gradRow, ox + 3u, offsetsA));
        let gb = array<vec4f, 4>(gradOut4(gradRow, ox, offsetsB), gradOut4(gradRow, ox + 1u, offsetsB), gradOut4(gradRow, ox + 2u, offsetsB), gradOut4(gradRow, ox + 3u, offsetsB));
        if (BIAS_SUMS != 0u) {
          biasA += (ga[0] + ga[1]) + (ga[2] + ga[3]);
          biasB += (gb[0] + gb[1]) + (gb[2] + gb[3]);
        }
        let ix0 = i32(ox) - i32(p.padLeft);
        let k = array<Column, 6>(column(ix0, w), column(ix0 + 1, w), column(ix0 + 2, w), column(ix0 + 3, w), column(ix0 + 4, w), column(ix0 + 5, w));
        let iy0 = i32(oy) - i32(p.padTop);
        let cA = row6Clipped(xPlane, iy0, k);
        slideTaps(&accA, 0u, ga, cA);
        slideTaps(&accB, 0u, gb, cA);
        if (KERNEL_H > 1u) {
          let cB = row6Clipped(xPlane, iy0 + 1, k);
          slideTaps(&accA, 3u, ga, cB);
          slideTaps(&accB, 3u, gb, cB);
        }
        if (KERNEL_H > 2u) {
          let cC = row6Clipped(xPlane, iy0 + 2, k);
          slideTaps(&accA, 6u, ga, cC);
          slideTaps(&accB, 6u, gb, cC);
        }
      }
      continue;
    }
    for (var ox = 0u; ox < p.outWidth; ox++) {
      let ga = gradOut4(gradRow, ox, offsetsA);
      let gb = gradOut4(gradRow, ox, offsetsB);
      if (BIAS_SUMS != 0u) {
        biasA += ga;
        biasB += gb;
      }
      let ix0 = i32(ox * p.strideW) - i32(p.padLeft);
      for (var ky = 0u; ky < KERNEL_H; ky++) {
        let iy = i32(oy * p.strideH + ky * p.dilationH) - i32(p.padTop);
        if (iy < 0 || iy >= i32(p.inHeight)) {
          continue;
        }
        let row = xPlane + u32(iy) * p.inWidth;
        for (var kx = 0u; kx < KERNEL_W; kx++) {
          let t = ky * KERNEL_W + kx;
          let v = vec4f(sourceAt(row, ix0 + i32(kx * p.dilationW), w));
          accA[t] = fma(ga, v, accA[t]);
          accB[t] = fma(gb, v, accB[t]);
        }
      }
    }
  }
  // Slice s of partials: the weight gradient [outChannels, inGroup, taps], then with BIAS_SUMS the bias gradient [outChannels].
  let taps = KERNEL_H * KERNEL_W;
  let weights = p.outChannels * inGroup * taps;
  let sliceBase = slice * (weights + select(0u, p.outChannels, BIAS_SUMS != 0u));
  for (var lane = 0u; lane < 8u; lane++) {
    if (o + lane < outGroup) {
      let out = sliceBase + ((g * outGroup + o + lane) * inGroup + i) * taps;
      for (var t = 0u; t < MAX_TAPS; t++) {
        if (t < taps) {
          partials[out + t] = select(accB[t][lane % 4u], accA[t][lane], lane < 4u);
        }
      }
      if (BIAS_SUMS != 0u && i == 0u) {
        partials[sliceBase + weights + g * outGroup + o + lane] = select(biasB[lane % 4u], biasA[lane], lane < 4u);
      }
    }
  }
}
