// adaptive_avg_pool2d on planes [planes, inHeight, inWidth] → [planes, outHeight, outWidth]:
// output row i averages input rows [⌊i·H/out⌋, ⌈(i+1)·H/out⌉) (columns alike), as PyTorch.
// Backward: each input element sums g/window_size over the outputs whose window holds it.

struct Params {
  planes: u32, inHeight: u32, inWidth: u32, outHeight: u32, outWidth: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> source: array<f32>;
@group(0) @binding(2) var<storage, read_write> destination: array<f32>;

fn windowStart(i: u32, inSize: u32, outSize: u32) -> u32 {
  return (i * inSize) / outSize;
}

fn windowEnd(i: u32, inSize: u32, outSize: u32) -> u32 {
  return ((i + 1u) * inSize + outSize - 1u) / outSize;
}

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let index = gid.x + gid.y * groups.x * 64u;
  if (index >= p.planes * p.outHeight * p.outWidth) {
    return;
  }
  let ow = index % p.outWidth;
  let oh = (index / p.outWidth) % p.outHeight;
  let plane = index / (p.outWidth * p.outHeight);
  let h0 = windowStart(oh, p.inHeight, p.outHeight);
  let h1 = windowEnd(oh, p.inHeight, p.outHeight);
  let w0 = windowStart(ow, p.inWidth, p.outWidth);
  let w1 = windowEnd(ow, p.inWidth, p.outWidth);
  var acc = 0.0;
  for (var h = h0; h < h1; h++) {
    for (var w = w0; w < w1; w++) {
      acc += source[(plane * p.inHeight + h) * p.inWidth + w];
    }
  }
  destination[index] = acc / f32((h1 - h0) * (w1 - w0));
}

// source: ∂L/∂y [planes, outHeight, outWidth]; destination: ∂L/∂x [planes, inHeight, inWidth].
@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let index = gid.x + gid.y * groups.x * 64u;
  if (index >= p.planes * p.inHeight * p.inWidth) {
    return;
  }
  let w = index % p.inWidth;
  let h = (index / p.inWidth) % p.inHeight;
  let plane = index / (p.inWidth * p.inHeight);
  var acc = 0.0;
  for (var oh = 0u; oh < p.outHeight; oh++) {
    let h0 = windowStart(oh, p.inHeight, p.outHeight);
    let h1 = windowEnd(oh, p.inHeight, p.outHeight);
    if (h < h0 || h >= h1) {
      continue;
    }
    for (var ow = 0u; ow < p.outWidth; ow++) {
      let w0 = windowStart(ow, p.inWidth, p.outWidth);
      let w1 = windowEnd(ow, p.inWidth, p.outWidth);
      if (w >= w0 && w < w1) {
        acc += source[(plane * p.outHeight + oh) * p.outWidth + ow] / f32((h1 - h0) * (w1 - w0));
      }
    }
  }
  destination[index] = acc;
}
