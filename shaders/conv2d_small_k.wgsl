// Convolutions whose reduction per output is short (groups = 1 and inChannels·kernelH·kernelW =
// K ≤ 32: the stem of a network reading 1- or 3-channel images). The implicit GEMM would pad
// K to its 16-wide steps and N to its tile; here the K weights of 16 output channels sit in
// workgroup memory as vec4s, so one input tap feeds 16 outputs with four vec4 FMAs.
//   forward          one invocation per output pixel and block of 16 output channels
//   weight gradient  one workgroup per slice of output pixels and block of 4 output channels;
//                    each invocation sums its pixels' K products into K vec4 registers (the
//                    geometry is `override`d so the tap loops unroll and the registers stay
//                    registers), the workgroup adds its partials and writes them to its slice
//                    of a [slices, outChannels, K] buffer, which channel_sum adds up.

const MAX_K = 32u;
const THREADS = 64u;
override IN_CHANNELS: u32 = 1u;
override KERNEL_H: u32 = 3u;
override KERNEL_W: u32 = 3u;
override K: u32 = IN_CHANNELS * KERNEL_H * KERNEL_W;
// Weight-gradient invocations per workgroup: their K vec4 partials fill at most 16 KiB.
override GRAD_THREADS: u32 = 64u;

/** x[n, c, oy·s + ky·d − pad, ox·s + kx·d − pad], or 0 in the padding. */
fn tapValue(n: u32, oy: u32, ox: u32, c: u32, ky: u32, kx: u32) -> f32 {
  let p = params;
  let iy = i32(oy * p.strideH + ky * p.dilationH) - i32(p.padTop);
  let ix = i32(ox * p.strideW + kx * p.dilationW) - i32(p.padLeft);
  if (iy < 0 || ix < 0 || iy >= i32(p.inHeight) || ix >= i32(p.inWidth)) {
    return 0.0;
  }
  return xIn[((n * p.inChannels + c) * p.inHeight + u32(iy)) * p.inWidth + u32(ix)];
}

@group(0) @binding(1) var<storage, read> xIn: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

// Tap k of output channels 16·block + 4j .. 4j + 3 at weightTile[4k + j].
var<workgroup> weightTile: array<vec4f, 4u * MAX_K>;

/** Output channels oc .. oc + 3 of one pixel (y[base + oc·area]), plus their bias. */
fn storeFour(base: u32, oc: u32, value: vec4f) {
  let p = params;
  var v = value;
  if (p.hasBias != 0u) {
    v += vec4f(bias[min(oc, p.outChannels - 1u)], bias[min(oc + 1u, p.outChannels - 1u)], bias[min(oc + 2u, p.outChannels - 1u)], bias[min(oc + 3u, p.outChannels - 1u)]);
  }
  let area = outArea();
  if (oc < p.outChannels) { y[base + oc * area] = v.x; }
  if (oc + 1u < p.outChannels) { y[base + (oc + 1u) * area] = v.y; }
  if (oc + 2u < p.outChannels) { y[base + (oc + 2u) * area] = v.z; }
  if (oc + 3u < p.outChannels) { y[base + (oc + 3u) * area] = v.w; }
}

@compute @workgroup_size(THREADS)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
  let p = params;
  let taps = p.inChannels * p.kernelH * p.kernelW;
  let oc0 = wid.z * 16u;
  for (var i = lid; i < 4u * taps; i += THREADS) {
    let k = i / 4u;
    let oc = oc0 + 4u * (i % 4u);
    var w = vec4f(0.0);
    for (var lane = 0u; lane < 4u; lane++) {
      if (oc + lane < p.outChannels) {
        w[lane] = weight[(oc + lane) * taps + k];
      }
    }
    weightTile[i] = w;
  }
  workgroupBarrier();
  let pixel = gid.x;
  let n = wid.y;
  if (pixel >= outArea()) {
    return;
  }
  let oy = pixel / p.outWidth;
  let ox = pixel % p.outWidth;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  var k = 0u;
  for (var c = 0u; c < p.inChannels; c++) {
    for (var ky = 0u; ky < p.kernelH; ky++) {
      for (var kx = 0u; kx < p.kernelW; kx++) {
        let v = tapValue(n, oy, ox, c, ky, kx);
        acc0 = fma(vec4f(v), weightTile[4u * k], acc0);
        acc1 = fma(vec4f(v), weightTile[4u * k + 1u], acc1);
        acc2 = fma(vec4f(v), weightTile[4u * k + 2u], acc2);
        acc3 = fma(vec4f(v), weightTile[4u * k + 3u], acc3);
        k++;
      }
    }
  }
  let base = n * p.outChannels * outArea() + pixel;
  storeFour(base, oc0, acc0);
  storeFour(base, oc0 + 4u, acc1);
  storeFour(base, oc0 + 8u, acc2);
  storeFour(base, oc0 + 12u, acc3);
}

@group(0) @binding(2) var<storage, read> gradY: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;

var<workgroup> gradPartials: array<vec4f, GRAD_THREADS * K>;

@compute @workgroup_size(GRAD_THREADS)
fn weight_grad(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let area = outArea();
  let pixels = p.batch * area;
  let perSlice = (pixels + groups.x - 1u) / groups.x;
  let first = wid.x * perSlice;
  let last = min(pixels, first + perSlice);
  let oc0 = 4u * wid.y;
  var acc: array<vec4f, MAX_K>;
  for (var q = first + lid; q < last; q += GRAD_THREADS) {
    let n = q / area;
    let pixel = q % area;
    let oy = pixel / p.outWidth;
    let ox = pixel % p.outWidth;
    let base = (n * p.outChannels + oc0) * area + pixel;
    var g = vec4f(0.0);
    for (var lane = 0u; lane < 4u; lane++) {
      if (oc0 + lane < p.outChannels) {
        g[lane] = gradY[base + lane * area];
      }
    }
    for (var c = 0u; c < IN_CHANNELS; c++) {
      for (var ky = 0u; ky < KERNEL_H; ky++) {
        for (var kx = 0u; kx < KERNEL_W; kx++) {
          let k = (c * KERNEL_H + ky) * KERNEL_W + kx;
          acc[k] = fma(g, vec4f(tapValue(n, oy, ox, c, ky, kx)), acc[k]);
        }
      }
    }
  }
  for (var k = 0u; k < K; k++) {
    gradPartials[k * GRAD_THREADS + lid] = acc[k];
  }
  workgroupBarrier();
  for (var k = lid; k < K; k += GRAD_THREADS) {
    var sum = vec4f(0.0);
    for (var t = 0u; t < GRAD_THREADS; t++) {
      sum += gradPartials[k * GRAD_THREADS + t];
    }
    let out = wid.x * p.outChannels * K + oc0 * K + k;
    for (var lane = 0u; lane < 4u; lane++) {
      if (oc0 + lane < p.outChannels) {
        partials[out + lane * K] = sum[lane];
      }
    }
  }
}
