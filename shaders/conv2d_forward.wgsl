// Direct 2-D convolution, NCHW, weight [outChannels, inChannels/groups, kernelH, kernelW].
// One invocation computes one output element.

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  let p = params;
  if (index >= p.batch * p.outChannels * p.outHeight * p.outWidth) {
    return;
  }
  let ox = index % p.outWidth;
  let oy = (index / p.outWidth) % p.outHeight;
  let oc = (index / (p.outWidth * p.outHeight)) % p.outChannels;
  let n = index / (p.outWidth * p.outHeight * p.outChannels);
  let inPerGroup = p.inChannels / p.groups;
  let firstIn = (oc / (p.outChannels / p.groups)) * inPerGroup;
  let iy0 = i32(oy * p.strideH) - i32(p.padTop);
  let ix0 = i32(ox * p.strideW) - i32(p.padLeft);

  var acc = 0.0;
  for (var ic = 0u; ic < inPerGroup; ic++) {
    let plane = (n * p.inChannels + firstIn + ic) * p.inHeight;
    let wBase = (oc * inPerGroup + ic) * p.kernelH;
    for (var ky = 0u; ky < p.kernelH; ky++) {
      let iy = iy0 + i32(ky * p.dilationH);
      if (iy < 0 || iy >= i32(p.inHeight)) {
        continue;
      }
      let row = (plane + u32(iy)) * p.inWidth;
      let wRow = (wBase + ky) * p.kernelW;
      for (var kx = 0u; kx < p.kernelW; kx++) {
        let ix = ix0 + i32(kx * p.dilationW);
        if (ix >= 0 && ix < i32(p.inWidth)) {
          acc += x[row + u32(ix)] * weight[wRow + kx];
        }
      }
    }
  }
  if (p.hasBias != 0u) {
    acc += bias[oc];
  }
  y[index] = acc;
}
