/**
 * Paths that mount-time recovery has still to commit, while the mount already serves. Changes
 * through the mount to such a path (open for writing, create, truncate, unlink, rename from or
 * onto it) wait until its recovery is done, so neither overwrites the other. Reads do not wait:
 * they see what the service holds until the recovered bytes land.
 */
export class RecoveryHolds {
  private readonly held = new Map<string, Promise<void>>();

  /** Hold `paths`; returns the release of one path, and of all of them (recovery ended). */
  hold(paths: readonly string[]): { done(path: string): void; all(): void } {
    const releases = new Map<string, () => void>();
    for (const p of paths) {
      if (this.held.has(p)) continue;
      let release!: () => void;
      this.held.set(p, new Promise<void>((r) => (release = r)));
      releases.set(p, () => {
        this.held.delete(p);
        release();
      });
    }
    return {
      done: (p) => releases.get(p)?.(),
      all: () => {
        for (const r of releases.values()) r();
      },
    };
  }

  /** Resolves once none of `paths` is held. */
  async after(...paths: string[]): Promise<void> {
    if (this.held.size === 0) return;
    for (const p of paths) await this.held.get(p);
  }
}
