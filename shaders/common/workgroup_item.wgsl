// shaders/common/workgroup_item.wgsl: the entry-point builtins of a kernel that gives each
// workgroup one item (a row, a channel, a weight, a chunk) and each of its invocations a
// strided share of that item. Both are uniform across the workgroup, so barriers may follow
// a branch on the item.

struct WorkgroupItem {
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
}

/** The item of this workgroup; grid1d (runtime.ts) folds counts past 65,535 into y. */
fn itemIndex(at: WorkgroupItem) -> u32 {
  return at.wid.x + at.wid.y * at.groups.x;
}
