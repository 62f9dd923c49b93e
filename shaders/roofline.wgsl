// Microbenchmarks for the adapter's roofline: FMA throughput on vec4<f32> chains, and copy
// bandwidth through a large storage buffer.

struct Params {
  iterations: u32, count: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> source: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> sink: array<vec4f>;

// Eight independent chains hide the FMA latency; each fma() is 4 lanes × 2 FLOPs.
@compute @workgroup_size(256)
fn fma_peak(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 256u;
  let scale = vec4f(0.99999);
  let step = vec4f(1e-6);
  var c0 = vec4f(f32(index) * 1e-9);
  var c1 = c0 + 0.1;
  var c2 = c0 + 0.2;
  var c3 = c0 + 0.3;
  var c4 = c0 + 0.4;
  var c5 = c0 + 0.5;
  var c6 = c0 + 0.6;
  var c7 = c0 + 0.7;
  for (var i = 0u; i < params.iterations; i++) {
    c0 = fma(c0, scale, step);
    c1 = fma(c1, scale, step);
    c2 = fma(c2, scale, step);
    c3 = fma(c3, scale, step);
    c4 = fma(c4, scale, step);
    c5 = fma(c5, scale, step);
    c6 = fma(c6, scale, step);
    c7 = fma(c7, scale, step);
  }
  if (index < params.count) {
    sink[index] = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7;
  }
}

@compute @workgroup_size(256)
fn copy(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 256u;
  if (index < params.count) {
    sink[index] = source[index];
  }
}
