/**
 * One WGSL module from a kernel family's own file and the shared pieces it uses
 * (shaders/common/*.wgsl: structs, helpers and reductions that several families need, each
 * written once). WGSL resolves module-scope names in any order, so the pieces simply follow
 * the kernel's code; each piece opens with a comment naming its file. The result is the whole
 * source that `createShaderModule` compiles and that compile errors number their lines in.
 */
export function composeWgsl(kernel: string, ...pieces: string[]): string {
  return [kernel.trimEnd(), ...pieces.map((piece) => piece.trim())].join('\n\n') + '\n';
}
