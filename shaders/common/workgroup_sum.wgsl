// shaders/common/workgroup_sum.wgsl: a tree sum across one workgroup. The kernel declares
// `const WORKGROUP` (its workgroup size, a power of two).

var<workgroup> partial: array<f32, WORKGROUP>;

/**
 * Σ of `value` over the workgroup's invocations, returned to each of them. Call it from uniform
 * control flow; a kernel that writes `partial` again afterwards (a second sum) first waits on a
 * workgroupBarrier so that every invocation has read this one.
 */
fn workgroupSum(lid: u32, value: f32) -> f32 {
  partial[lid] = value;
  workgroupBarrier();
  for (var stride = WORKGROUP / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      partial[lid] += partial[lid + stride];
    }
    workgroupBarrier();
  }
  return partial[0];
}
