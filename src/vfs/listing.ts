import type { DownloadLink, RemoteEntry } from '../drives/types.js';

/**
 * Slots per chunk: the columns grow a chunk at a time, so a big folder never copies (and for a
 * moment doubles) an array of all its entries to grow.
 */
const CHUNK = 1024;

// Bits of an entry's flags.
const DIR = 1;
const READ_ONLY = 2;
const SIZE_UNKNOWN = 4;
const VERSION = 8;
const HASHES = 16;
const QUICK_XOR = 32;
const SHA1 = 64;
const SHA256 = 128;
/** The tag is JSON (a part held the separator, which no service string is known to hold). */
const TAG_JSON = 256;

/** Separates the parts of a tag (version, then the hashes present, in flag order). */
const SEP = '\u0000';

/**
 * Rough heap bytes of one slot besides its strings: the three string slots, the numbers, the
 * flags, and its places in the name index and in the cache's id index (each a hash-table entry).
 */
const SLOT_BYTES = 3 * 8 + 3 * 8 + 2 + 2 * 40;
/** A V8 string's header (and its rounding to 8 bytes, on average). */
const STRING_BYTES = 20;
/** A download link kept beside a small listing's entry: its object and the url. */
const LINK_BYTES = 80;

interface Chunk {
  names: string[];
  ids: string[];
  /** Version and hashes in one flat string ('' when there are none): one heap object instead of up to five. */
  tags: string[];
  /** size, mtimeMs, birthtimeMs of each slot. */
  nums: Float64Array;
  flags: Uint16Array;
  /** Only in chunks where some entry came with a link: the driver's own objects (it knows them by identity). */
  links?: Array<DownloadLink | undefined>;
}

/** What a program walking a tree needs of a listing: names and which are folders, no entries. */
export interface ListedNames {
  readonly size: number;
  nameAt(slot: number): string;
  isDirAt(slot: number): boolean;
}

/**
 * One folder's children in columns (names, ids, numbers, flags, one tag string per entry),
 * growing in chunks of 1,024 slots. An entry becomes a RemoteEntry object only when asked for,
 * and that object is not kept: a 100,000-entry folder costs its strings and a few numbers per
 * entry rather than an object graph per entry. Names are unique (the last set wins); slots are
 * dense (a removed entry's slot takes the last one), so slot order is not the service's order.
 *
 * What round-trips: every field of a RemoteEntry; optional booleans come back only when true,
 * and `hashes` only with the algorithms it had.
 */
export class Listing implements ListedNames {
  private readonly chunks: Chunk[] = [];
  private count = 0;
  private readonly slotByName = new Map<string, number>();
  /** Built on first use (changes from the service name items by id): id → slot. */
  private slotById?: Map<string, number>;
  private approxBytes = 64;
  private linksKept = true;

  /** A listing holding `entries` (tests, and drivers' whole-folder answers). */
  static of(entries: Iterable<RemoteEntry>): Listing {
    const l = new Listing();
    for (const e of entries) l.set(e.name, e);
    return l;
  }

  get size(): number {
    return this.count;
  }

  /** Approximate heap bytes (kept up to date as entries come and go). */
  get bytes(): number {
    return this.approxBytes;
  }

  /** From now on, and for what is held, no download links (a big folder's links would be most of its memory). */
  dropLinks(): void {
    this.linksKept = false;
    for (let c = 0; c < this.chunks.length; c++) {
      const ch = this.chunks[c]!;
      if (!ch.links) continue;
      for (let i = 0; i < ch.links.length; i++) if (ch.links[i]) this.approxBytes -= linkBytes(ch.links[i]!);
      ch.links = undefined;
    }
  }

  has(name: string): boolean {
    return this.slotByName.has(name);
  }

  get(name: string): RemoteEntry | undefined {
    const s = this.slotByName.get(name);
    return s === undefined ? undefined : this.entryAt(s);
  }

  /** The id of the child called `name`, without building its entry. */
  idOf(name: string): string | undefined {
    const s = this.slotByName.get(name);
    return s === undefined ? undefined : this.idAt(s);
  }

  /** The slot of the child with this id, if it is here. */
  slotOfId(id: string): number | undefined {
    if (this.count <= 32) {
      for (let s = 0; s < this.count; s++) if (this.idAt(s) === id) return s;
      return undefined;
    }
    if (!this.slotById) {
      this.slotById = new Map();
      for (let s = 0; s < this.count; s++) this.slotById.set(this.idAt(s), s);
    }
    return this.slotById.get(id);
  }

  nameAt(slot: number): string {
    return this.chunks[slot >> 10]!.names[slot & (CHUNK - 1)]!;
  }

  idAt(slot: number): string {
    return this.chunks[slot >> 10]!.ids[slot & (CHUNK - 1)]!;
  }

  isDirAt(slot: number): boolean {
    return (this.chunks[slot >> 10]!.flags[slot & (CHUNK - 1)]! & DIR) !== 0;
  }

  /** Every name, in slot order (readdir's answer). */
  names(): string[] {
    const out = new Array<string>(this.count);
    for (let s = 0; s < this.count; s++) out[s] = this.nameAt(s);
    return out;
  }

  /** Every entry as an object (for small callers; a big folder's readdir uses names and isDirAt). */
  entries(): RemoteEntry[] {
    const out = new Array<RemoteEntry>(this.count);
    for (let s = 0; s < this.count; s++) out[s] = this.entryAt(s);
    return out;
  }

  /** The first child whose name passes `test`, if any. */
  findName(test: (name: string) => boolean): string | undefined {
    for (let s = 0; s < this.count; s++) if (test(this.nameAt(s))) return this.nameAt(s);
    return undefined;
  }

  entryAt(slot: number): RemoteEntry {
    const ch = this.chunks[slot >> 10]!;
    const i = slot & (CHUNK - 1);
    const f = ch.flags[i]!;
    const e: RemoteEntry = {
      id: ch.ids[i]!,
      name: ch.names[i]!,
      isDir: (f & DIR) !== 0,
      size: ch.nums[i * 3]!,
      mtimeMs: ch.nums[i * 3 + 1]!,
      birthtimeMs: ch.nums[i * 3 + 2]!,
    };
    if (f & (VERSION | HASHES)) {
      const parts = f & TAG_JSON ? (JSON.parse(ch.tags[i]!) as string[]) : ch.tags[i]!.split(SEP);
      let p = 0;
      if (f & VERSION) e.version = parts[p++];
      if (f & HASHES) {
        const h: NonNullable<RemoteEntry['hashes']> = {};
        if (f & QUICK_XOR) h.quickXor = parts[p++];
        if (f & SHA1) h.sha1 = parts[p++];
        if (f & SHA256) h.sha256 = parts[p++];
        e.hashes = h;
      }
    }
    const link = ch.links?.[i];
    if (link) e.link = link;
    if (f & READ_ONLY) e.readOnly = true;
    if (f & SIZE_UNKNOWN) e.sizeUnknown = true;
    return e;
  }

  /** Adds or replaces the child called `name` (the entry's own name may differ: the name shown wins). */
  set(name: string, e: RemoteEntry): void {
    let slot = this.slotByName.get(name);
    if (slot === undefined) {
      slot = this.count++;
      if ((slot >> 10) === this.chunks.length) this.chunks.push(newChunk());
      this.slotByName.set(name, slot);
      this.approxBytes += SLOT_BYTES + STRING_BYTES + name.length;
    } else {
      this.approxBytes -= this.valueBytes(slot);
      if (this.slotById) this.slotById.delete(this.idAt(slot));
    }
    this.write(slot, name, e);
    this.approxBytes += this.valueBytes(slot);
    this.slotById?.set(e.id, slot);
  }

  /** Removes the child called `name`; answers whether it was there. */
  delete(name: string): boolean {
    const slot = this.slotByName.get(name);
    if (slot === undefined) return false;
    this.approxBytes -= SLOT_BYTES + STRING_BYTES + name.length + this.valueBytes(slot);
    this.slotById?.delete(this.idAt(slot));
    this.slotByName.delete(name);
    const last = --this.count;
    if (slot !== last) {
      this.move(last, slot);
      this.slotByName.set(this.nameAt(slot), slot);
      this.slotById?.set(this.idAt(slot), slot);
    }
    this.clearSlot(last);
    if ((last & (CHUNK - 1)) === 0) this.chunks.pop(); // the last chunk is empty now
    return true;
  }

  private write(slot: number, name: string, e: RemoteEntry): void {
    const ch = this.chunks[slot >> 10]!;
    const i = slot & (CHUNK - 1);
    ch.names[i] = name;
    ch.ids[i] = e.id;
    ch.nums[i * 3] = e.size;
    ch.nums[i * 3 + 1] = e.mtimeMs;
    ch.nums[i * 3 + 2] = e.birthtimeMs;
    let f = 0;
    if (e.isDir) f |= DIR;
    if (e.readOnly) f |= READ_ONLY;
    if (e.sizeUnknown) f |= SIZE_UNKNOWN;
    const parts: string[] = [];
    if (e.version !== undefined) {
      f |= VERSION;
      parts.push(e.version);
    }
    const h = e.hashes;
    if (h) {
      f |= HASHES;
      if (h.quickXor !== undefined) (f |= QUICK_XOR), parts.push(h.quickXor);
      if (h.sha1 !== undefined) (f |= SHA1), parts.push(h.sha1);
      if (h.sha256 !== undefined) (f |= SHA256), parts.push(h.sha256);
    }
    let tag = '';
    if (parts.length > 0) {
      if (parts.some((p) => p.includes(SEP))) {
        f |= TAG_JSON;
        tag = JSON.stringify(parts);
      } else {
        tag = parts.length === 1 ? parts[0]! : parts.join(SEP);
      }
      // A joined string starts as a tree of its parts (a cons string); reading a character makes
      // V8 flatten it, and the next GC drops the tree: one string per entry rather than three to five.
      tag.charCodeAt(0);
    }
    ch.tags[i] = tag;
    ch.flags[i] = f;
    if (e.link && this.linksKept) {
      ch.links ??= [];
      fill(ch.links, i);
      ch.links[i] = e.link;
    } else if (ch.links && i < ch.links.length) {
      ch.links[i] = undefined;
    }
  }

  /** Bytes of a slot's id, tag and link (what `set` replaces). */
  private valueBytes(slot: number): number {
    const ch = this.chunks[slot >> 10]!;
    const i = slot & (CHUNK - 1);
    const tag = ch.tags[i]!;
    let n = STRING_BYTES + ch.ids[i]!.length + (tag.length > 0 ? STRING_BYTES + tag.length : 0);
    const link = ch.links?.[i];
    if (link) n += linkBytes(link);
    return n;
  }

  private move(from: number, to: number): void {
    const a = this.chunks[from >> 10]!;
    const i = from & (CHUNK - 1);
    const b = this.chunks[to >> 10]!;
    const j = to & (CHUNK - 1);
    b.names[j] = a.names[i]!;
    b.ids[j] = a.ids[i]!;
    b.tags[j] = a.tags[i]!;
    b.flags[j] = a.flags[i]!;
    b.nums[j * 3] = a.nums[i * 3]!;
    b.nums[j * 3 + 1] = a.nums[i * 3 + 1]!;
    b.nums[j * 3 + 2] = a.nums[i * 3 + 2]!;
    const link = a.links?.[i];
    if (link) {
      b.links ??= [];
      fill(b.links, j);
      b.links[j] = link;
    } else if (b.links && j < b.links.length) {
      b.links[j] = undefined;
    }
  }

  private clearSlot(slot: number): void {
    const ch = this.chunks[slot >> 10]!;
    const i = slot & (CHUNK - 1);
    // Arrays shrink from the end, so they stay dense (no holes for V8 to switch them to a slower form).
    ch.names.length = i;
    ch.ids.length = i;
    ch.tags.length = i;
    if (ch.links && ch.links.length > i) ch.links.length = i;
  }
}

function newChunk(): Chunk {
  return { names: [], ids: [], tags: [], nums: new Float64Array(CHUNK * 3), flags: new Uint16Array(CHUNK) };
}

/** Pads `a` with undefined up to index `i` (a sparse array would become a slow dictionary). */
function fill<T>(a: Array<T | undefined>, i: number): void {
  while (a.length < i) a.push(undefined);
}

function linkBytes(l: DownloadLink): number {
  return LINK_BYTES + STRING_BYTES + l.url.length + (l.headers ? 200 : 0);
}
