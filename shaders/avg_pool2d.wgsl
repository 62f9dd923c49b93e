// Average pooling over [planes, inHeight, inWidth] with PyTorch's divisor: the window clipped
// to the padded input when countIncludePad is set, clipped to the input otherwise, or a
// fixed divisorOverride (> 0).

struct Params {
  planes: u32, inHeight: u32, inWidth: u32, outHeight: u32, outWidth: u32,
  kernelH: u32, kernelW: u32, strideH: u32, strideW: u32,
  padH: u32, padW: u32, countIncludePad: u32, divisorOverride: u32,
}

@group(0) @binding(0) var<uniform> params: Params;

struct Window {
  y0: i32, y1: i32, x0: i32, x1: i32, divisor: f32,
}

fn window(oy: u32, ox: u32) -> Window {
  let p = params;
  var y0 = i32(oy * p.strideH) - i32(p.padH);
  var x0 = i32(ox * p.strideW) - i32(p.padW);
  var y1 = min(y0 + i32(p.kernelH), i32(p.inHeight + p.padH));
  var x1 = min(x0 + i32(p.kernelW), i32(p.inWidth + p.padW));
  let padded = (y1 - y0) * (x1 - x0);
  y0 = max(y0, 0);
  x0 = max(x0, 0);
  y1 = min(y1, i32(p.inHeight));
  x1 = min(x1, i32(p.inWidth));
  var divisor = f32(padded);
  if (p.divisorOverride > 0u) {
    divisor = f32(p.divisorOverride);
  } else if (p.countIncludePad == 0u) {
    divisor = f32((y1 - y0) * (x1 - x0));
  }
  return Window(y0, y1, x0, x1, divisor);
}

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let o = outputElement(gid, groups);
  if (!o.inside) {
    return;
  }
  let w = window(o.y, o.x);
  var acc = 0.0;
  for (var iy = w.y0; iy < w.y1; iy++) {
    for (var ix = w.x0; ix < w.x1; ix++) {
      acc += x[(o.plane * params.inHeight + u32(iy)) * params.inWidth + u32(ix)];
    }
  }
  y[o.index] = acc / w.divisor;
}

@group(0) @binding(1) var<storage, read> gradY: array<f32>;
@group(0) @binding(2) var<storage, read_write> gradX: array<f32>;

@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = inputElement(gid, groups);
  if (!e.inside) {
    return;
  }
  let ix = i32(e.x);
  let iy = i32(e.y);
  let p = params;
  let oyFirst = max(0, (iy + i32(p.padH) - i32(p.kernelH) + i32(p.strideH)) / i32(p.strideH));
  let oyLast = min(i32(p.outHeight) - 1, (iy + i32(p.padH)) / i32(p.strideH));
  let oxFirst = max(0, (ix + i32(p.padW) - i32(p.kernelW) + i32(p.strideW)) / i32(p.strideW));
  let oxLast = min(i32(p.outWidth) - 1, (ix + i32(p.padW)) / i32(p.strideW));
  var acc = 0.0;
  for (var oy = oyFirst; oy <= oyLast; oy++) {
    for (var ox = oxFirst; ox <= oxLast; ox++) {
      let w = window(u32(oy), u32(ox));
      if (iy >= w.y0 && iy < w.y1 && ix >= w.x0 && ix < w.x1) {
        acc += gradY[(e.plane * p.outHeight + u32(oy)) * p.outWidth + u32(ox)] / w.divisor;
      }
    }
  }
  gradX[e.index] = acc;
}
