// A promise-chain mutex: check-then-act sequences on the backing folder
// (conflict check + rename into place) must not interleave between requests.

export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
