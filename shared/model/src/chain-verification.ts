import { contentHash } from './canonical-json.js';
import { GENESIS_HASH } from './events.js';

/**
 * Where the `prev` chain of MESH_CONFIG breaks: the ChangeSet at `seq` names `found` as its
 * predecessor's hash, but the predecessor as stored now hashes to `expected`. Either that
 * predecessor (`previousSeq`) was altered after `seq` was written, or something between them
 * was removed, or `seq` itself was forged. `repair-mismatch`: the repair at `seq` names
 * `found` as the hash of `previousSeq`, a ChangeSet a fork left out, which hashes to `expected`.
 */
export interface ChainBreak {
  readonly seq: number;
  /** 0 when `seq` is the first message of the stream. */
  readonly previousSeq: number;
  readonly expected: string;
  readonly found: string;
  readonly reason: 'prev-mismatch' | 'not-a-changeset' | 'repair-mismatch';
}

/**
 * Two ChangeSets stored on one predecessor: `seq` names the hash of `predecessorSeq`, an earlier
 * ChangeSet than the one stored right before it (`orphanSeq`), which no later ChangeSet names.
 * The log stays readable (every replica folds both, in log order) but `orphanSeq` is outside
 * the chain, so tampering with it would not show, until a repair names its hash.
 */
export interface ChainFork {
  readonly seq: number;
  readonly actor: string;
  readonly predecessorSeq: number;
  readonly orphanSeq: number;
  readonly orphanActor: string;
  readonly orphanHash: string;
  /** The repair ChangeSet that re-chained `orphanSeq`. */
  readonly repairedBy?: number;
}

export type ChainVerdict =
  | { readonly intact: true; readonly changes: number; readonly headSeq: number; readonly headHash: string; readonly forks: readonly ChainFork[] }
  | { readonly intact: false; readonly changes: number; readonly firstBreak?: ChainBreak; readonly forks: readonly ChainFork[] };

/** The forks a verdict holds that no repair has re-chained yet. */
export const unrepairedForks = (verdict: ChainVerdict): ChainFork[] => verdict.forks.filter((f) => f.repairedBy === undefined);

// Hashes of recent ChangeSets, so a `prev` naming one that is not the last is told apart from a
// forgery: forks come from writes in flight together, a few sequences apart.
const RECENT_HASHES = 65_536;

interface Link {
  readonly seq: number;
  readonly actor: string;
}

const actorOf = (json: unknown): string => {
  const actor = typeof json === 'object' && json !== null ? (json as { actor?: unknown }).actor : undefined;
  return typeof actor === 'string' ? actor : '(unknown)';
};

const repairsOf = (json: unknown): ReadonlyArray<{ seq?: unknown; hash?: unknown }> => {
  const repairs = typeof json === 'object' && json !== null ? (json as { repairs?: unknown }).repairs : undefined;
  return Array.isArray(repairs) ? (repairs as Array<{ seq?: unknown; hash?: unknown }>) : [];
};

/**
 * Walks a stored MESH_CONFIG message by message (the parsed JSON as stored, never re-encoded:
 * a ChangeSet's hash is the SHA-256 of its canonical JSON, which is what galley stored),
 * remembers the first break and every fork, and checks what repairs claim. Undecodable-but-JSON
 * messages are hashed like any other, so a foreign message shows up as a break at its successor.
 * Intact: no break, and every fork repaired.
 */
export class ChainVerification {
  private changes = 0;
  private previousSeq = 0;
  private previousHash = GENESIS_HASH;
  private previousActor = '';
  private firstBreak: ChainBreak | undefined;
  private readonly recent = new Map<string, Link>();
  private readonly forks = new Map<number, ChainFork>();

  /** One stored message in stream order; `json` is its parsed body, or undefined when it is not JSON. */
  message(seq: number, json: unknown): void {
    this.changes += 1;
    const prev = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as { prev?: unknown }).prev : undefined;
    const actor = actorOf(json);
    if (typeof prev !== 'string') {
      this.breakAt({ seq, previousSeq: this.previousSeq, expected: this.previousHash, found: prev === undefined ? '(none)' : JSON.stringify(prev), reason: 'not-a-changeset' });
    } else if (prev !== this.previousHash) {
      const predecessor = prev === GENESIS_HASH ? { seq: 0, actor: '' } : this.recent.get(prev);
      if (predecessor !== undefined && this.previousSeq > 0) {
        this.forks.set(this.previousSeq, {
          seq,
          actor,
          predecessorSeq: predecessor.seq,
          orphanSeq: this.previousSeq,
          orphanActor: this.previousActor,
          orphanHash: this.previousHash,
        });
      } else {
        this.breakAt({ seq, previousSeq: this.previousSeq, expected: this.previousHash, found: prev, reason: 'prev-mismatch' });
      }
    }
    for (const r of repairsOf(json)) this.repair(seq, r);
    // A message that is not JSON cannot be named by a successor; hash its absence of content.
    const hash = json === undefined ? contentHash(null) : contentHash(json);
    this.remember(hash, { seq, actor });
    this.previousSeq = seq;
    this.previousHash = hash;
    this.previousActor = actor;
  }

  verdict(): ChainVerdict {
    const forks = [...this.forks.values()].sort((a, b) => a.seq - b.seq);
    if (this.firstBreak === undefined && forks.every((f) => f.repairedBy !== undefined)) {
      return { intact: true, changes: this.changes, headSeq: this.previousSeq, headHash: this.previousHash, forks };
    }
    return { intact: false, changes: this.changes, ...(this.firstBreak !== undefined ? { firstBreak: this.firstBreak } : {}), forks };
  }

  private repair(seq: number, claim: { seq?: unknown; hash?: unknown }): void {
    const orphanSeq = typeof claim.seq === 'number' ? claim.seq : 0;
    const found = typeof claim.hash === 'string' ? claim.hash : '(none)';
    const fork = this.forks.get(orphanSeq);
    if (fork === undefined) {
      this.breakAt({ seq, previousSeq: orphanSeq, expected: '(no fork left it out of the chain)', found, reason: 'repair-mismatch' });
    } else if (fork.orphanHash !== found) {
      this.breakAt({ seq, previousSeq: orphanSeq, expected: fork.orphanHash, found, reason: 'repair-mismatch' });
    } else if (fork.repairedBy === undefined) {
      this.forks.set(orphanSeq, { ...fork, repairedBy: seq });
    }
  }

  private remember(hash: string, link: Link): void {
    this.recent.set(hash, link);
    if (this.recent.size > RECENT_HASHES) {
      const oldest = this.recent.keys().next();
      if (oldest.done !== true) this.recent.delete(oldest.value);
    }
  }

  private breakAt(b: ChainBreak): void {
    this.firstBreak ??= b;
  }
}
