/**
 * Resolves after ms, or at once when the signal aborts, including a signal that was aborted
 * before the call: an 'abort' event fires only once, so a sleep that merely listens for it
 * would wait its whole interval when the stop came first. Callers check signal.aborted
 * themselves afterwards; the sleep never rejects.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
