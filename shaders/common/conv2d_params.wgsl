// shaders/common/conv2d_params.wgsl: the uniform every conv2d kernel reads (schemas.ts
// Conv2dParams) and the sizes derived from it. Input x [batch, inChannels, inHeight, inWidth],
// weight [outChannels, inChannels / groups, kernelH, kernelW], output
// [batch, outChannels, outHeight, outWidth], all NCHW.

struct Params {
  batch: u32, inChannels: u32, inHeight: u32, inWidth: u32,
  outChannels: u32, outHeight: u32, outWidth: u32,
  kernelH: u32, kernelW: u32, strideH: u32, strideW: u32,
  padTop: u32, padLeft: u32, dilationH: u32, dilationW: u32,
  groups: u32, hasBias: u32,
}

@group(0) @binding(0) var<uniform> params: Params;

fn inPerGroup() -> u32 {
  return params.inChannels / params.groups;
}

fn outPerGroup() -> u32 {
  return params.outChannels / params.groups;
}

fn kernelArea() -> u32 {
  return params.kernelH * params.kernelW;
}

fn outArea() -> u32 {
  return params.outHeight * params.outWidth;
}

fn inArea() -> u32 {
  return params.inHeight * params.inWidth;
}
