import type { Vfs } from '../vfs/vfs.js';
import type { StatOptions } from './attrs.js';
import type { HandlerContext } from './handler.js';

/** What every group of FUSE operations needs: the vfs, how to present stats, and the handler's log and fatal hook. */
export interface OperationsContext extends HandlerContext {
  vfs: Vfs;
  stat: StatOptions;
  /** Whether the binding passes utimens' real modification time (see native-notes). */
  utimensHasMtime: boolean;
}
