// shaders/common/pool_planes.wgsl: which element of the pooling kernels' [planes, height, width]
// tensors (planes = N·C) an invocation of a grid1d dispatch of 64-wide workgroups handles. The
// kernel's Params has planes, inHeight, inWidth, outHeight and outWidth.

struct PlaneElement {
  index: u32, plane: u32, y: u32, x: u32, inside: bool,
}

fn planeElement(gid: vec3u, groups: vec3u, height: u32, width: u32) -> PlaneElement {
  let index = gid.x + gid.y * groups.x * 64u;
  let inside = index < params.planes * height * width;
  return PlaneElement(index, index / (width * height), (index / width) % height, index % width, inside);
}

/** The output element of this invocation; `inside` is false past the last one. */
fn outputElement(gid: vec3u, groups: vec3u) -> PlaneElement {
  return planeElement(gid, groups, params.outHeight, params.outWidth);
}

/** The input element of this invocation (backward passes); `inside` is false past the last one. */
fn inputElement(gid: vec3u, groups: vec3u) -> PlaneElement {
  return planeElement(gid, groups, params.inHeight, params.inWidth);
}
