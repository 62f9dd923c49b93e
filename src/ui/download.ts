/**
 * Saving what a component shows as a file: a Blob handed to the browser's download through a
 * temporary object URL, under a file name made safe for every file system.
 */

/** A file name from a tensor or chart name: `∂L/∂conv1` → `dL_dconv1`, with `extension` appended. */
export function fileNameFor(name: string, extension: string): string {
  const stem = name.replace(/∂/g, 'd').replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^[._]+|_+$/g, '');
  return `${stem || 'tensor'}.${extension}`;
}

/** Starts the browser's download of `data` as `fileName`. */
export function downloadBlob(data: Blob, fileName: string): void {
  const url = URL.createObjectURL(data);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.click();
  // The click starts the download asynchronously: revoke once it has surely read the URL.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
