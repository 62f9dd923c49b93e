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

/** Input rows [start, end) that output row i averages. */
fn windowRows(i: u32) -> vec2u {
  return vec2u(windowStart(i, params.inHeight, params.outHeight), windowEnd(i, params.inHeight, params.outHeight));
}

/** Input columns [start, end) that output column i averages. */
fn windowCols(i: u32) -> vec2u {
  return vec2u(windowStart(i, params.inWidth, params.outWidth), windowEnd(i, params.inWidth, params.outWidth));
}

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let o = outputElement(gid, groups);
  if (!o.inside) {
    return;
  }
  let rows = windowRows(o.y);
  let cols = windowCols(o.x);
  var acc = 0.0;
  for (var h = rows.x; h < rows.y; h++) {
    for (var w = cols.x; w < cols.y; w++) {
      acc += source[(o.plane * params.inHeight + h) * params.inWidth + w];
    }
  }
  destination[o.index] = acc / f32((rows.y - rows.x) * (cols.y - cols.x));
}

// source: ∂L/∂y [planes, outHeight, outWidth]; destination: ∂L/∂x [planes, inHeight, inWidth].
@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = inputElement(gid, groups);
  if (!e.inside) {
    return;
  }
  var acc = 0.0;
  for (var oh = 0u; oh < params.outHeight; oh++) {
    let rows = windowRows(oh);
    if (e.y < rows.x || e.y >= rows.y) {
      continue;
    }
    for (var ow = 0u; ow < params.outWidth; ow++) {
      let cols = windowCols(ow);
      if (e.x >= cols.x && e.x < cols.y) {
        acc += source[(e.plane * params.outHeight + oh) * params.outWidth + ow] / f32((rows.y - rows.x) * (cols.y - cols.x));
      }
    }
  }
  destination[e.index] = acc;
}
