// Strided gather and scatter over a view of up to 6 dimensions [size0, …, size5]
// walked in row-major order by the element index i:
//   gather:  dense[i] = scale · strided[offset + Σ idx_k · stride_k]
//   scatter: strided[offset + Σ idx_k · stride_k] = scale · dense[i]
// Strides may be negative (time reversal) or 0 (a broadcast, gather only). Select, Mean's
// gradient, the time reversal and direction concatenation of recurrent layers and batch_first
// transposes are all such views.

struct Params {
  count: u32, offset: i32, scale: f32,
  size1: u32, size2: u32, size3: u32, size4: u32, size5: u32,
  stride0: i32, stride1: i32, stride2: i32, stride3: i32, stride4: i32, stride5: i32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> source: array<f32>;
@group(0) @binding(2) var<storage, read_write> destination: array<f32>;

fn stridedIndex(i: u32) -> u32 {
  let p = params;
  var rest = i;
  let i5 = rest % p.size5;
  rest /= p.size5;
  let i4 = rest % p.size4;
  rest /= p.size4;
  let i3 = rest % p.size3;
  rest /= p.size3;
  let i2 = rest % p.size2;
  rest /= p.size2;
  let i1 = rest % p.size1;
  let i0 = rest / p.size1;
  return u32(p.offset + i32(i0) * p.stride0 + i32(i1) * p.stride1 + i32(i2) * p.stride2 + i32(i3) * p.stride3
    + i32(i4) * p.stride4 + i32(i5) * p.stride5);
}

@compute @workgroup_size(64)
fn gather(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i < params.count) {
    destination[i] = params.scale * source[stridedIndex(i)];
  }
}

@compute @workgroup_size(64)
fn scatter(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i < params.count) {
    destination[stridedIndex(i)] = params.scale * source[i];
  }
}
