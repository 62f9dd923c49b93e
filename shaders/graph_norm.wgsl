// Per-node in-degrees from the CSR by target, and one coefficient per message:
//   mode 0 (GCN symmetric normalization): deg(src)^-1/2 · deg(dst)^-1/2, 0 where a degree is 0;
//   mode 1 (mean aggregation):            1 / deg(dst);
//   mode 2 (plain sum):                    1.
// Degrees count incoming messages (a duplicate edge twice, the self loop once when added).

struct Params {
  nodes: u32, messages: u32, mode: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> rowPtr: array<u32>;
@group(0) @binding(2) var<storage, read_write> deg: array<f32>;

@compute @workgroup_size(64)
fn degree(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  if (index < params.nodes) {
    deg[index] = f32(rowPtr[index + 1u] - rowPtr[index]);
  }
}

@group(0) @binding(1) var<storage, read> msgSrc: array<u32>;
@group(0) @binding(2) var<storage, read> msgDst: array<u32>;
@group(0) @binding(3) var<storage, read> degIn: array<f32>;
@group(0) @binding(4) var<storage, read_write> coef: array<f32>;

fn invSqrt(d: f32) -> f32 {
  return select(0.0, 1.0 / sqrt(d), d > 0.0);
}

@compute @workgroup_size(64)
fn edge_coef(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let m = gid.x + gid.y * groups.x * 64u;
  if (m >= params.messages) {
    return;
  }
  let dt = degIn[msgDst[m]];
  var c = 1.0;
  if (params.mode == 0u) {
    c = invSqrt(degIn[msgSrc[m]]) * invSqrt(dt);
  } else if (params.mode == 1u) {
    c = select(0.0, 1.0 / dt, dt > 0.0);
  }
  coef[m] = c;
}
