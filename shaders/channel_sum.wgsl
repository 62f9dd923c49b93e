// Sums a tensor viewed as [outer, channels, inner] over outer and inner, per channel:
// the bias gradient of conv2d ([N, C, H·W]) and of linear ([M, N, 1]), split-K partial sums
// ([slices, elements, 1]). `main` reduces one channel per workgroup (long sums); `serial` sums
// one channel per invocation (short sums: no barriers).

struct Params {
  outer: u32, channels: u32, inner: u32,
}

const WORKGROUP = 64u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> sums: array<f32>;

@compute @workgroup_size(WORKGROUP)
fn main(at: WorkgroupItem, @builtin(local_invocation_index) lid: u32) {
  let p = params;
  let c = itemIndex(at);
  var acc = 0.0;
  if (c < p.channels) {
    for (var j = lid; j < p.outer * p.inner; j += WORKGROUP) {
      let o = j / p.inner;
      acc += values[(o * p.channels + c) * p.inner + j % p.inner];
    }
  }
  let total = workgroupSum(lid, acc);
  if (lid == 0u && c < p.channels) {
    sums[c] = total;
  }
}

@compute @workgroup_size(WORKGROUP)
fn serial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let c = gid.x + gid.y * groups.x * WORKGROUP;
  if (c >= p.channels) {
    return;
  }
  var acc = 0.0;
  for (var o = 0u; o < p.outer; o++) {
    let base = (o * p.channels + c) * p.inner;
    for (var i = 0u; i < p.inner; i++) {
      acc += values[base + i];
    }
  }
  sums[c] = acc;
}
