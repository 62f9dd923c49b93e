// Max pooling over [planes, inHeight, inWidth] (planes = N·C). The forward pass keeps the flat
// index (iy·inWidth + ix) of each window's first maximum; the backward pass routes the
// gradient to exactly that element, as PyTorch does. With RELU_MASK the backward pass also
// applies the gradient of a ReLU whose output x is (∂L/∂ its input: 0 where x ≤ 0), so a
// ReLU → max-pool pair needs no backward pass of its own.

struct Params {
  planes: u32, inHeight: u32, inWidth: u32, outHeight: u32, outWidth: u32,
  kernelH: u32, kernelW: u32, strideH: u32, strideW: u32,
  padH: u32, padW: u32, dilationH: u32, dilationW: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> argmax: array<i32>;

// A runtime value, not a constant: WGSL rejects an infinite constant expression.
var<private> negativeInfinityBits = 0xff800000u;

// [first, end) of the kernel taps k whose input position start + k·dilation lies in [0, size).
fn tapRange(start: i32, dilation: u32, kernel: u32, size: u32) -> vec2u {
  let d = i32(dilation);
  let first = u32(max(0, (d - 1 - start) / d));
  let last = i32(size) - 1 - start;
  if (last < 0) {
    return vec2u(0u, 0u);
  }
  return vec2u(first, min(kernel, u32(last / d) + 1u));
}

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let o = outputElement(gid, groups);
  if (!o.inside) {
    return;
  }
  let p = params;
  // -inf stays when the window lies all in padding, as PyTorch returns.
  var best = bitcast<f32>(negativeInfinityBits);
  var bestIndex = -1;
  // Walk only the taps that land inside the input: a window mostly over padding (kernel_size 2^30,
  // padding 2^29) would otherwise loop 2^60 times.
  let kyRange = tapRange(i32(o.y * p.strideH) - i32(p.padH), p.dilationH, p.kernelH, p.inHeight);
  let kxRange = tapRange(i32(o.x * p.strideW) - i32(p.padW), p.dilationW, p.kernelW, p.inWidth);
  for (var ky = kyRange.x; ky < kyRange.y; ky++) {
    let iy = i32(o.y * p.strideH + ky * p.dilationH) - i32(p.padH);
    for (var kx = kxRange.x; kx < kxRange.y; kx++) {
      let ix = i32(o.x * p.strideW + kx * p.dilationW) - i32(p.padW);
      let flat = iy * i32(p.inWidth) + ix;
      let v = x[o.plane * p.inHeight * p.inWidth + u32(flat)];
      // NaN wins, as in PyTorch; otherwise strictly greater keeps the first maximum.
      if (bestIndex < 0 || v > best || v != v) {
        best = v;
        bestIndex = flat;
        if (v != v) {
          break;
        }
      }
    }
  }
  y[o.index] = best;
  argmax[o.index] = bestIndex;
}

// Windows that tile the input (stride = kernel, dilation 1, no padding): one invocation takes
// TILE_OUTPUTS adjacent outputs of a row, with no tap-range arithmetic. Same winner rule as
// `forward`; a partial window past the input's edge (ceil_mode) reads only its inside.
override TILE_OUTPUTS: u32 = 8u;

@compute @workgroup_size(64)
fn forward_tiles(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let runs = (p.outWidth + TILE_OUTPUTS - 1u) / TILE_OUTPUTS;
  let item = gid.x + gid.y * groups.x * 64u;
  if (item >= p.planes * p.outHeight * runs) {
    return;
  }
  let ox0 = (item % runs) * TILE_OUTPUTS;
  let oy = (item / runs) % p.outHeight;
  let plane = item / (runs * p.outHeight);
  let planeBase = plane * p.inHeight * p.inWidth;
  let y0 = oy * p.kernelH;
  let y1 = min(y0 + p.kernelH, p.inHeight);
  for (var ox = ox0; ox < min(ox0 + TILE_OUTPUTS, p.outWidth); ox++) {
    let x0 = ox * p.kernelW;
    let x1 = min(x0 + p.kernelW, p.inWidth);
    var best = x[planeBase + y0 * p.inWidth + x0];
    var bestIndex = i32(y0 * p.inWidth + x0);
    for (var iy = y0; iy < y1 && best == best; iy++) {
      for (var ix = x0; ix < x1; ix++) {
        let flat = iy * p.inWidth + ix;
        let v = x[planeBase + flat];
        if (v > best || v != v) {
          best = v;
          bestIndex = i32(flat);
          if (v != v) {
            break;
          }
        }
      }
    }
    let o = (plane * p.outHeight + oy) * p.outWidth + ox;
    y[o] = best;
    argmax[o] = bestIndex;
  }
}

@group(0) @binding(1) var<storage, read> gradY: array<f32>;
@group(0) @binding(2) var<storage, read> argmaxIn: array<i32>;
@group(0) @binding(3) var<storage, read_write> gradX: array<f32>;
@group(0) @binding(4) var<storage, read> poolInput: array<f32>;

override RELU_MASK: u32 = 0u;

/** The gradient g routed to input element `index`, times the ReLU mask when RELU_MASK is set. */
fn routed(g: f32, index: u32) -> f32 {
  if (RELU_MASK == 0u) {
    return g;
  }
  return select(0.0, g, poolInput[index] > 0.0);
}

@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = inputElement(gid, groups);
  if (!e.inside) {
    return;
  }
  let p = params;
  let flat = i32(e.y * p.inWidth + e.x);
  // Outputs whose window can reach e.y: oy·stride ∈ [e.y + pad − dilation·(k−1), e.y + pad].
  let spanH = i32(p.dilationH * (p.kernelH - 1u));
  let spanW = i32(p.dilationW * (p.kernelW - 1u));
  let oyFirst = max(0, (i32(e.y + p.padH) - spanH + i32(p.strideH) - 1) / i32(p.strideH));
  let oyLast = min(i32(p.outHeight) - 1, i32(e.y + p.padH) / i32(p.strideH));
  let oxFirst = max(0, (i32(e.x + p.padW) - spanW + i32(p.strideW) - 1) / i32(p.strideW));
  let oxLast = min(i32(p.outWidth) - 1, i32(e.x + p.padW) / i32(p.strideW));
  var acc = 0.0;
  for (var oy = oyFirst; oy <= oyLast; oy++) {
    for (var ox = oxFirst; ox <= oxLast; ox++) {
      let o = (e.plane * p.outHeight + u32(oy)) * p.outWidth + u32(ox);
      if (argmaxIn[o] == flat) {
        acc += gradY[o];
      }
    }
  }
  gradX[e.index] = routed(acc, e.index);
}

// Windows that tile the input (stride = kernel, dilation 1, no padding): one invocation per
// tile of kernelH × kernelW inputs writes them all, the gradient at its window's maximum and 0
// elsewhere (also in the partial tiles past the last window). A quarter of the invocations of
// `backward` for 2×2 pooling: on SwiftShader each invocation's fixed cost outweighs its work.
@compute @workgroup_size(64)
fn backward_tiles(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let tilesY = (p.inHeight + p.kernelH - 1u) / p.kernelH;
  let tilesX = (p.inWidth + p.kernelW - 1u) / p.kernelW;
  let tile = gid.x + gid.y * groups.x * 64u;
  if (tile >= p.planes * tilesY * tilesX) {
    return;
  }
  let tx = tile % tilesX;
  let ty = (tile / tilesX) % tilesY;
  let plane = tile / (tilesX * tilesY);
  let planeBase = plane * p.inHeight * p.inWidth;
  var winner = -1;
  var grad = 0.0;
  if (ty < p.outHeight && tx < p.outWidth) {
    let o = (plane * p.outHeight + ty) * p.outWidth + tx;
    winner = argmaxIn[o];
    grad = routed(gradY[o], planeBase + u32(winner));
  }
  let y0 = ty * p.kernelH;
  let x0 = tx * p.kernelW;
  for (var iy = y0; iy < min(y0 + p.kernelH, p.inHeight); iy++) {
    for (var ix = x0; ix < min(x0 + p.kernelW, p.inWidth); ix++) {
      let flat = iy * p.inWidth + ix;
      gradX[planeBase + flat] = select(0.0, grad, i32(flat) == winner);
    }
  }
}
