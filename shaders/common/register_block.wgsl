// shaders/common/register_block.wgsl: the inner loop of the 64-invocation GEMM tiles
// (matmul.wgsl, conv2d_gemm.wgsl). The workgroup holds a TILE_M×TILE_K slice of A and a
// TILE_K×TILE_N slice of B in tileA and tileB (row kk of a tile starts at kk·TILE_M, kk·TILE_N);
// each invocation keeps an 8×8 block of C in registers: block row R is tile row
// rowLane + R·ROW_THREADS, block column j is tile column colLane + j·COL_THREADS. The kernel
// declares TILE_M, TILE_N, TILE_K, TILE_A = TILE_M·TILE_K, TILE_B = TILE_N·TILE_K, ROW_THREADS
// and COL_THREADS (ROW_THREADS·COL_THREADS = 64), as constants or overrides.

var<workgroup> tileA: array<f32, TILE_A>;
var<workgroup> tileB: array<f32, TILE_B>;

// Block row R: columns 0..3 in rRa, 4..7 in rRb. Separate members, each read and written by a
// constant name, stay in registers.
struct RegisterBlock {
  r0a: vec4f, r0b: vec4f, r1a: vec4f, r1b: vec4f, r2a: vec4f, r2b: vec4f, r3a: vec4f, r3b: vec4f,
  r4a: vec4f, r4b: vec4f, r5a: vec4f, r5b: vec4f, r6a: vec4f, r6b: vec4f, r7a: vec4f, r7b: vec4f,
}

/** Adds Σ_kk A[row, kk]·B[kk, column] over the first kSteps rows of the tiles to the block. */
fn multiplyTiles(acc: ptr<function, RegisterBlock>, kSteps: u32, rowLane: u32, colLane: u32) {
  // Bounded by kSteps, so the last tile of a short K skips its zero padding; the bound also
  // keeps SwiftShader from unrolling the loop, which measured 15–30% faster rolled.
  for (var kk = 0u; kk < kSteps; kk++) {
    let rb = kk * TILE_N + colLane;
    let ba = vec4f(tileB[rb], tileB[rb + COL_THREADS], tileB[rb + 2u * COL_THREADS], tileB[rb + 3u * COL_THREADS]);
    let bb = vec4f(tileB[rb + 4u * COL_THREADS], tileB[rb + 5u * COL_THREADS], tileB[rb + 6u * COL_THREADS], tileB[rb + 7u * COL_THREADS]);
    let ra = kk * TILE_M + rowLane;
    let a0 = vec4f(tileA[ra]);
    (*acc).r0a = fma(a0, ba, (*acc).r0a);
    (*acc).r0b = fma(a0, bb, (*acc).r0b);
    let a1 = vec4f(tileA[ra + ROW_THREADS]);
    (*acc).r1a = fma(a1, ba, (*acc).r1a);
    (*acc).r1b = fma(a1, bb, (*acc).r1b);
    let a2 = vec4f(tileA[ra + 2u * ROW_THREADS]);
    (*acc).r2a = fma(a2, ba, (*acc).r2a);
    (*acc).r2b = fma(a2, bb, (*acc).r2b);
    let a3 = vec4f(tileA[ra + 3u * ROW_THREADS]);
    (*acc).r3a = fma(a3, ba, (*acc).r3a);
    (*acc).r3b = fma(a3, bb, (*acc).r3b);
    let a4 = vec4f(tileA[ra + 4u * ROW_THREADS]);
    (*acc).r4a = fma(a4, ba, (*acc).r4a);
    (*acc).r4b = fma(a4, bb, (*acc).r4b);
    let a5 = vec4f(tileA[ra + 5u * ROW_THREADS]);
    (*acc).r5a = fma(a5, ba, (*acc).r5a);
    (*acc).r5b = fma(a5, bb, (*acc).r5b);
    let a6 = vec4f(tileA[ra + 6u * ROW_THREADS]);
    (*acc).r6a = fma(a6, ba, (*acc).r6a);
    (*acc).r6b = fma(a6, bb, (*acc).r6b);
    let a7 = vec4f(tileA[ra + 7u * ROW_THREADS]);
    (*acc).r7a = fma(a7, ba, (*acc).r7a);
    (*acc).r7b = fma(a7, bb, (*acc).r7b);
  }
}

/** The block as 16 vec4s: element (R, j) is rows[2R + j / 4][j % 4]. */
fn blockRows(acc: RegisterBlock) -> array<vec4f, 16> {
  return array<vec4f, 16>(acc.r0a, acc.r0b, acc.r1a, acc.r1b, acc.r2a, acc.r2b, acc.r3a, acc.r3b, acc.r4a, acc.r4b, acc.r5a, acc.r5b, acc.r6a, acc.r6b, acc.r7a, acc.r7b);
}
