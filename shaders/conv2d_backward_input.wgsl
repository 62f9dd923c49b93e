// Gradient of conv2d with respect to its input: each invocation gathers, for one input
// element, every output position whose window covered it (no atomics, deterministic).

@group(0) @binding(1) var<storage, read> gradY: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> gradX: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  let p = params;
  if (index >= p.batch * p.inChannels * p.inHeight * p.inWidth) {
    return;
  }
  let ix = index % p.inWidth;
  let iy = (index / p.inWidth) % p.inHeight;
  let c = (index / (p.inWidth * p.inHeight)) % p.inChannels;
  let n = index / (p.inWidth * p.inHeight * p.inChannels);
  let inPerGroup = p.inChannels / p.groups;
  let outPerGroup = p.outChannels / p.groups;
  let g = c / inPerGroup;
  let ic = c % inPerGroup;

  var acc = 0.0;
  for (var ky = 0u; ky < p.kernelH; ky++) {
    let ty = i32(iy + p.padTop) - i32(ky * p.dilationH);
    if (ty < 0 || u32(ty) % p.strideH != 0u) {
      continue;
    }
    let oy = u32(ty) / p.strideH;
    if (oy >= p.outHeight) {
      continue;
    }
    for (var kx = 0u; kx < p.kernelW; kx++) {
      let tx = i32(ix + p.padLeft) - i32(kx * p.dilationW);
      if (tx < 0 || u32(tx) % p.strideW != 0u) {
        continue;
      }
      let ox = u32(tx) / p.strideW;
      if (ox >= p.outWidth) {
        continue;
      }
      for (var j = 0u; j < outPerGroup; j++) {
        let oc = g * outPerGroup + j;
        let dy = gradY[((n * p.outChannels + oc) * p.outHeight + oy) * p.outWidth + ox];
        acc += dy * weight[((oc * inPerGroup + ic) * p.kernelH + ky) * p.kernelW + kx];
      }
    }
  }
  gradX[index] = acc;
}
