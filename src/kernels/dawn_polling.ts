/**
 * dawn.node polls for GPU events by re-queueing itself with the global `setImmediate` while any
 * promise (mapAsync, onSubmittedWorkDone, …) is pending. On a 2-core machine running
 * SwiftShader that busy loop takes a core from the shader threads (measured here: a 1.8 s
 * conv2d dispatch took 1.1 s once polling was paced). Paced polling spins for 2 ms of
 * back-to-back calls, then yields through `setTimeout(…, 1)` until the burst ends.
 */
const SPIN_MS = 2;
const BURST_GAP_MS = 1.5;

let installed = false;

/** Replaces the global setImmediate/clearImmediate with the paced pair, once per process. */
export function paceDawnPolling(): void {
  if (installed) return;
  installed = true;
  const immediate = globalThis.setImmediate;
  const clearImmediateOriginal = globalThis.clearImmediate;
  let burstStart = 0;
  let lastCall = 0;
  const paced = (callback: (...args: unknown[]) => void, ...args: unknown[]) => {
    const now = performance.now();
    if (now - lastCall > BURST_GAP_MS) burstStart = now;
    lastCall = now;
    return now - burstStart < SPIN_MS ? immediate(callback, ...args) : setTimeout(callback, 1, ...args);
  };
  globalThis.setImmediate = paced as unknown as typeof setImmediate;
  globalThis.clearImmediate = ((handle: unknown) => {
    // A paced call may have returned a Timeout; clear whichever kind it is.
    if (handle && typeof handle === 'object' && '_idleTimeout' in handle) clearTimeout(handle as unknown as NodeJS.Timeout);
    else clearImmediateOriginal(handle as NodeJS.Immediate);
  }) as typeof clearImmediate;
}
