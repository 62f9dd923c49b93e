// Gradient of conv2d with respect to its weight: one workgroup per weight element sums
// gradY · x over batch and output positions, then reduces across the workgroup.

const WORKGROUP = 64u;

@group(0) @binding(1) var<storage, read> gradY: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> gradWeight: array<f32>;

@compute @workgroup_size(WORKGROUP)
fn main(at: WorkgroupItem, @builtin(local_invocation_index) lid: u32) {
  let p = params;
  let index = itemIndex(at);
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
  let sum = workgroupSum(lid, acc);
  if (lid == 0u && index < total) {
    gradWeight[index] = sum;
  }
}
