// Gradient of conv2d with respect to its weight: one workgroup per weight element sums
// gradY · x over batch and output positions, then reduces across the workgroup.

struct Params {
  batch: u32, inChannels: u32, inHeight: u32, inWidth: u32,
  outChannels: u32, outHeight: u32, outWidth: u32,
  kernelH: u32, kernelW: u32, strideH: u32, strideW: u32,
  padTop: u32, padLeft: u32, dilationH: u32, dilationW: u32,
  groups: u32, hasBias: u32,
}

const WORKGROUP = 64u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> gradY: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> gradWeight: array<f32>;

var<workgroup> partial: array<f32, WORKGROUP>;

@compute @workgroup_size(WORKGROUP)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_index) lid: u32,
  @builtin(num_workgroups) groups: vec3u,
) {
  let p = params;
  let index = wid.x + wid.y * groups.x;
  let inPerGroup = p.inChannels / p.groups;
  let total = p.outChannels * inPerGroup * p.kernelH * p.kernelW;
  let kx = index % p.kernelW;
  let ky = (index / p.kernelW) % p.kernelH;
  let ic = (index / (p.kernelW * p.kernelH)) % inPerGroup;
  let oc = index / (p.kernelW * p.kernelH * inPerGroup);
  let c = (oc / (p.outChannels / p.groups)) * inPerGroup + ic;
  let positions = p.outHeight * p.outWidth;

  var acc = 0.0;
  if (index < total) {
    for (var j = lid; j < p.batch * positions; j += WORKGROUP) {
      let n = j / positions;
      let oy = (j % positions) / p.outWidth;
      let ox = j % p.outWidth;
      let iy = i32(oy * p.strideH + ky * p.dilationH) - i32(p.padTop);
      let ix = i32(ox * p.strideW + kx * p.dilationW) - i32(p.padLeft);
      if (iy >= 0 && iy < i32(p.inHeight) && ix >= 0 && ix < i32(p.inWidth)) {
        let dy = gradY[((n * p.outChannels + oc) * p.outHeight + oy) * p.outWidth + ox];
        acc += dy * x[((n * p.inChannels + c) * p.inHeight + u32(iy)) * p.inWidth + u32(ix)];
      }
    }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var stride = WORKGROUP / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      partial[lid] += partial[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u && index < total) {
    gradWeight[index] = partial[0];
  }
}
