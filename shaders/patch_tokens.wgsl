// ViT's patch tokens (torchvision VisionTransformer._process_input + class token + pos_embedding):
// x [N, D, h, w] viewed as [N, D, P] → out [N, T, D] with T = P + hasClass, token 0 the class token,
// every token plus its position embedding row. Backward transposes the gradient back, and sums
// it over the batch for the class token (row 0) and the position embedding (every row).
// One invocation per output element; all three entry points are gathers (no atomics).

struct Params {
  batch: u32, dim: u32, patches: u32, hasClass: u32, hasPos: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> classToken: array<f32>;
@group(0) @binding(3) var<storage, read> posEmbedding: array<f32>;
@group(0) @binding(4) var<storage, read_write> tokens: array<f32>;

fn flatIndex(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = flatIndex(gid, groups);
  let seq = params.patches + params.hasClass;
  if (index >= params.batch * seq * params.dim) {
    return;
  }
  let d = index % params.dim;
  let t = (index / params.dim) % seq;
  let n = index / (params.dim * seq);
  var value: f32;
  if (params.hasClass == 1u && t == 0u) {
    value = classToken[d];
  } else {
    let p = t - params.hasClass;
    value = x[(n * params.dim + d) * params.patches + p];
  }
  if (params.hasPos == 1u) {
    value += posEmbedding[t * params.dim + d];
  }
  tokens[index] = value;
}

@group(0) @binding(1) var<storage, read> gradTokens: array<f32>;
@group(0) @binding(2) var<storage, read_write> gradX: array<f32>;

// dL/dx[n, d, p] = dL/dtokens[n, p + hasClass, d].
@compute @workgroup_size(64)
fn backward_input(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = flatIndex(gid, groups);
  if (index >= params.batch * params.dim * params.patches) {
    return;
  }
  let p = index % params.patches;
  let d = (index / params.patches) % params.dim;
  let n = index / (params.patches * params.dim);
  let seq = params.patches + params.hasClass;
  gradX[index] = gradTokens[(n * seq + p + params.hasClass) * params.dim + d];
}

@group(0) @binding(1) var<storage, read> gradOut: array<f32>;
@group(0) @binding(2) var<storage, read_write> gradSum: array<f32>;

// gradSum[t, d] = Σ_n dL/dtokens[n, t, d]: the position embedding's gradient (row 0 is also the class token's).
@compute @workgroup_size(64)
fn backward_params(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = flatIndex(gid, groups);
  let seq = params.patches + params.hasClass;
  let rowElements = seq * params.dim;
  if (index >= rowElements) {
    return;
  }
  var acc = 0.0;
  for (var n = 0u; n < params.batch; n++) {
    acc += gradOut[n * rowElements + index];
  }
  gradSum[index] = acc;
}
