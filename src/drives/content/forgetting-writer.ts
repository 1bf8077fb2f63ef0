import type { DriveWriter } from '../types.js';

/**
 * A writer that drops cached download links of every item it changes: an upload that replaces a
 * file may keep its id (OneDrive), and a link of the old bytes must not serve the new ones.
 */
export function forgettingWriter(w: DriveWriter, forget: (id: string) => void): DriveWriter {
  return {
    checkName: (p) => w.checkName(p),
    upload: async (p, src, o) => {
      if (o.replaces) forget(o.replaces.id);
      const e = await w.upload(p, src, o);
      forget(e.id);
      return e;
    },
    resumeUpload: w.resumeUpload
      ? async (p, src, session, o) => {
          if (o.replaces) forget(o.replaces.id);
          const e = await w.resumeUpload!(p, src, session, o);
          forget(e.id);
          return e;
        }
      : undefined,
    mkdir: (p) => w.mkdir(p),
    move: async (from, e, to, o) => {
      forget(e.id);
      if (o.replaces) forget(o.replaces.id);
      return w.move(from, e, to, o);
    },
    remove: async (p, e) => {
      forget(e.id);
      return w.remove(p, e);
    },
    setModified: w.setModified ? (p, e, t) => w.setModified!(p, e, t) : undefined,
  };
}
