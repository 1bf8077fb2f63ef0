import type { OperationsContext } from './context.js';
import { errnoOf } from './errno.js';
import { readOperations } from './read-operations.js';
import { writeOperations } from './write-operations.js';

/**
 * FUSE operations → vfs calls. Each handler is asynchronous (the binding's threads wait on
 * Node's one thread) and answers exactly once.
 */
export function buildOperations(ctx: OperationsContext) {
  return {
    ...readOperations(ctx),
    ...(ctx.vfs.writable ? writeOperations(ctx) : refuseWrites(errnoOf('EROFS'))),
  };
}

/** On a read-only mount every change answers EROFS (the kernel also enforces "ro"). */
function refuseWrites(errno: number) {
  // The callback is always the last argument, whatever the operation.
  const refuse = (...args: unknown[]) => (args[args.length - 1] as (e: number) => void)(errno);
  return {
    create: refuse, write: refuse, truncate: refuse, ftruncate: refuse, unlink: refuse, rename: refuse,
    mkdir: refuse, rmdir: refuse, utimens: refuse, chmod: refuse, chown: refuse, symlink: refuse,
    link: refuse, mknod: refuse,
  };
}
