// shaders/common/elementwise_backward.wgsl: the backward pass of an elementwise op, one
// invocation per element of a grid1d dispatch: grad_x = gradInput(grad_y, saved), where saved is
// the tensor autograd keeps for the op (its input or its output). The kernel defines
// gradInput() and a Params with `count`.

@group(0) @binding(1) var<storage, read> saved: array<f32>;
@group(0) @binding(2) var<storage, read> gradY: array<f32>;
@group(0) @binding(3) var<storage, read_write> gradX: array<f32>;

@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  if (index < params.count) {
    gradX[index] = gradInput(gradY[index], saved[index]);
  }
}
