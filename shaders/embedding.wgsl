// Embedding lookup: output[p, j] = weight[indices[p], j] for every flat index position p.
// Backward is a deterministic scatter-add of gradient rows into dL/dweight without float
// atomics: count the positions of every row (integer atomics), turn the counts into offsets
// (one-workgroup scan), place each position in its row's segment, sort every segment
// ascending, then every dL/dweight element sums its row's positions in that fixed order.
// The padding row (paddingIdx, −1 for none) and out-of-range indices receive nothing.

struct Params {
  positions: u32, vocab: u32, dim: u32, paddingIdx: i32,
}

const SCAN_WORKGROUP = 256u;

@group(0) @binding(0) var<uniform> params: Params;

fn contributes(index: i32) -> bool {
  return index >= 0 && u32(index) < params.vocab && index != params.paddingIdx;
}

@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read> indices: array<i32>;
@group(0) @binding(3) var<storage, read_write> output: array<f32>;

// One invocation per output element; an out-of-range index (refused on the host) reads as zeros.
@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  let p = params;
  if (index >= p.positions * p.dim) {
    return;
  }
  let row = indices[index / p.dim];
  var v = 0.0;
  if (row >= 0 && u32(row) < p.vocab) {
    v = weight[u32(row) * p.dim + index % p.dim];
  }
  output[index] = v;
}

@group(0) @binding(1) var<storage, read> countIndices: array<i32>;
@group(0) @binding(2) var<storage, read_write> counts: array<atomic<u32>>;

// counts[r] = how many positions hold row r.
@compute @workgroup_size(64)
fn count(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let position = gid.x + gid.y * groups.x * 64u;
  if (position >= params.positions) {
    return;
  }
  let row = countIndices[position];
  if (contributes(row)) {
    atomicAdd(&counts[u32(row)], 1u);
  }
}

@group(0) @binding(1) var<storage, read> rowCounts: array<u32>;
@group(0) @binding(2) var<storage, read_write> offsets: array<u32>;

var<workgroup> chunkTotals: array<u32, SCAN_WORKGROUP>;

// offsets[r] = Σ_{s<r} counts[s] for r in [0, vocab]: every invocation scans one contiguous
// chunk serially, and a Hillis–Steele scan over the chunk totals joins them.
@compute @workgroup_size(SCAN_WORKGROUP)
fn scan(@builtin(local_invocation_index) lid: u32) {
  let vocab = params.vocab;
  let chunk = (vocab + SCAN_WORKGROUP - 1u) / SCAN_WORKGROUP;
  let begin = min(lid * chunk, vocab);
  let end = min(begin + chunk, vocab);
  var total = 0u;
  for (var r = begin; r < end; r++) {
    total += rowCounts[r];
  }
  chunkTotals[lid] = total;
  workgroupBarrier();
  for (var stride = 1u; stride < SCAN_WORKGROUP; stride *= 2u) {
    var add = 0u;
    if (lid >= stride) {
      add = chunkTotals[lid - stride];
    }
    workgroupBarrier();
    chunkTotals[lid] += add;
    workgroupBarrier();
  }
  var running = chunkTotals[lid] - total;
  for (var r = begin; r < end; r++) {
    offsets[r] = running;
    running += rowCounts[r];
  }
  if (lid == SCAN_WORKGROUP - 1u) {
    offsets[vocab] = chunkTotals[lid];
  }
}

@group(0) @binding(1) var<storage, read> placeIndices: array<i32>;
@group(0) @binding(2) var<storage, read> placeOffsets: array<u32>;
@group(0) @binding(3) var<storage, read_write> cursors: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> order: array<u32>;

// Puts every contributing position into its row's segment of `order` (in any order).
@compute @workgroup_size(64)
fn place(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let position = gid.x + gid.y * groups.x * 64u;
  if (position >= params.positions) {
    return;
  }
  let row = placeIndices[position];
  if (contributes(row)) {
    let slot = atomicAdd(&cursors[u32(row)], 1u);
    order[placeOffsets[u32(row)] + slot] = position;
  }
}

@group(0) @binding(1) var<storage, read> sortOffsets: array<u32>;
@group(0) @binding(2) var<storage, read_write> sortOrder: array<u32>;

// Restores the max-heap property from `start` down in the heap sortOrder[begin .. begin + size).
fn siftDown(begin: u32, start: u32, size: u32) {
  var root = start;
  loop {
    var child = 2u * root + 1u;
    if (child >= size) {
      break;
    }
    if (child + 1u < size && sortOrder[begin + child] < sortOrder[begin + child + 1u]) {
      child++;
    }
    let top = sortOrder[begin + root];
    let below = sortOrder[begin + child];
    if (top >= below) {
      break;
    }
    sortOrder[begin + root] = below;
    sortOrder[begin + child] = top;
    root = child;
  }
}

// Heap sort of each row's segment, one invocation per row (O(k log k) even when every position
// holds the same row), so the sums below add a row's positions in ascending order whatever
// order the atomics placed them in.
@compute @workgroup_size(64)
fn sort_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let row = gid.x + gid.y * groups.x * 64u;
  if (row >= params.vocab) {
    return;
  }
  let begin = sortOffsets[row];
  let size = sortOffsets[row + 1u] - begin;
  if (size < 2u) {
    return;
  }
  for (var start = size / 2u; start > 0u; start--) {
    siftDown(begin, start - 1u, size);
  }
  for (var end = size - 1u; end > 0u; end--) {
    let largest = sortOrder[begin];
    sortOrder[begin] = sortOrder[begin + end];
    sortOrder[begin + end] = largest;
    siftDown(begin, 0u, end);
  }
}

@group(0) @binding(1) var<storage, read> gatherOffsets: array<u32>;
@group(0) @binding(2) var<storage, read> gatherOrder: array<u32>;
@group(0) @binding(3) var<storage, read> gradOutput: array<f32>;
@group(0) @binding(4) var<storage, read_write> gradWeight: array<f32>;

// gradWeight[r, j] = Σ over r's positions p (ascending) of gradOutput[p, j]; zero for rows no
// index hit and for the padding row.
@compute @workgroup_size(64)
fn gather(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  let p = params;
  if (index >= p.vocab * p.dim) {
    return;
  }
  let row = index / p.dim;
  let j = index % p.dim;
  var acc = 0.0;
  let end = gatherOffsets[row + 1u];
  for (var q = gatherOffsets[row]; q < end; q++) {
    acc += gradOutput[gatherOrder[q] * p.dim + j];
  }
  gradWeight[index] = acc;
}

@group(0) @binding(3) var<storage, read> gradOutput4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> gradWeight4: array<vec4<f32>>;

// The same for dim a multiple of 4: four features per invocation, so each row's offsets and
// positions are read once for four features.
@compute @workgroup_size(64)
fn gather4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  let p = params;
  let quads = p.dim / 4u;
  if (index >= p.vocab * quads) {
    return;
  }
  let row = index / quads;
  let j = index % quads;
  var acc = vec4<f32>(0.0);
  let end = gatherOffsets[row + 1u];
  for (var q = gatherOffsets[row]; q < end; q++) {
    acc += gradOutput4[gatherOrder[q] * quads + j];
  }
  gradWeight4[index] = acc;
}
