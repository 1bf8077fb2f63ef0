/**
 * The life of a file being written through the mount. Every change goes through a named
 * transition that checks it is legal from where the file is; the set is small on purpose, so a
 * journal can record each step exactly.
 *
 *   open ──write──▶ dirty ──commit──▶ committing ──ok──▶ committed ──write──▶ dirty
 *                     ▲                   │
 *                     └──────write──── failed ◀──error──┘
 *   any state ──unlink/rename over──▶ detached (never uploaded; its staging file goes on close)
 *   detached ──reopened through an open descriptor (/proc/PID/fd/N)──▶ detached (one more handle)
 */
export type StagedFileState = 'open' | 'dirty' | 'committing' | 'committed' | 'failed' | 'detached';

/** A transition asked for where it cannot happen: a bug in the caller, never a user error. */
export class IllegalTransition extends Error {
  constructor(readonly path: string, readonly from: StagedFileState, readonly transition: string) {
    super(`internal error: ${path}: ${transition} is not allowed while the file is ${from}`);
    this.name = 'IllegalTransition';
  }
}

/** The local bytes (or a pending time) differ from the service's, judged by state alone. */
export function holdsUnsentChanges(s: StagedFileState): boolean {
  return s === 'dirty' || s === 'committing' || s === 'failed';
}
