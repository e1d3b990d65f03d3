/**
 * What happens when whoever reads our output goes away (`win-k8s --help | head -1`).
 *
 * Node reports a write to a closed pipe as an 'error' event on the stream; with no listener
 * that is an uncaught exception and a stack trace, after output the reader already had all
 * it wanted of. Unix tools end quietly instead.
 *
 * - stdout closed: the result has nobody to read it, and results are written last, so there
 *   is nothing left worth doing. Exit at once with 141 (128 + SIGPIPE), the status a shell
 *   reports for kubectl or gh in the same pipe, and print nothing.
 * - stderr closed: only logs are lost. The command goes on (a join half done must still
 *   finish or clean up), and later writes to stderr are dropped.
 */

/** 128 + SIGPIPE (13): what the shell reports for a process ended by a broken pipe. */
export const CLOSED_PIPE_EXIT = 141;

const GONE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

export interface ClosedPipeGuard {
  /** Removes the listeners (tests that run the CLI in-process several times). */
  dispose(): void;
}

export function endQuietlyOnClosedPipe(
  stdout: NodeJS.EventEmitter,
  stderr: NodeJS.EventEmitter,
  exit: (code: number) => void,
): ClosedPipeGuard {
  const onStdoutError = (err: NodeJS.ErrnoException) => {
    if (!GONE.has(err.code ?? '')) throw err;
    exit(CLOSED_PIPE_EXIT);
  };
  const onStderrError = (err: NodeJS.ErrnoException) => {
    if (!GONE.has(err.code ?? '')) throw err;
    // Dropped: a stream that has failed discards what is written to it afterwards.
  };
  stdout.on('error', onStdoutError);
  stderr.on('error', onStderrError);
  return {
    dispose() {
      stdout.off('error', onStdoutError);
      stderr.off('error', onStderrError);
    },
  };
}
