import { contentHash } from './canonical-json.js';
import { GENESIS_HASH } from './events.js';

/**
 * Where the `prev` chain of MESH_CONFIG breaks: the ChangeSet at `seq` names `found` as its
 * predecessor's hash, but the predecessor as stored now hashes to `expected`. Either that
 * predecessor (`previousSeq`) was altered after `seq` was written, or something between them
 * was removed, or `seq` itself was forged.
 */
export interface ChainBreak {
  readonly seq: number;
  /** 0 when `seq` is the first message of the stream. */
  readonly previousSeq: number;
  readonly expected: string;
  readonly found: string;
  readonly reason: 'prev-mismatch' | 'not-a-changeset';
}

export type ChainVerdict =
  | { readonly intact: true; readonly changes: number; readonly headSeq: number; readonly headHash: string }
  | { readonly intact: false; readonly changes: number; readonly firstBreak: ChainBreak };

/**
 * Walks a stored MESH_CONFIG message by message (the parsed JSON as stored, never re-encoded:
 * a ChangeSet's hash is the SHA-256 of its canonical JSON, which is what galley stored) and
 * remembers the first break. Undecodable-but-JSON messages are hashed like any other, so a
 * foreign message shows up as a break at its successor.
 */
export class ChainVerification {
  private changes = 0;
  private previousSeq = 0;
  private previousHash = GENESIS_HASH;
  private firstBreak: ChainBreak | undefined;

  /** One stored message in stream order; `json` is its parsed body, or undefined when it is not JSON. */
  message(seq: number, json: unknown): void {
    this.changes += 1;
    const prev = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as { prev?: unknown }).prev : undefined;
    if (typeof prev !== 'string') {
      this.breakAt({ seq, previousSeq: this.previousSeq, expected: this.previousHash, found: prev === undefined ? '(none)' : JSON.stringify(prev), reason: 'not-a-changeset' });
    } else if (prev !== this.previousHash) {
      this.breakAt({ seq, previousSeq: this.previousSeq, expected: this.previousHash, found: prev, reason: 'prev-mismatch' });
    }
    this.previousSeq = seq;
    // A message that is not JSON cannot be named by a successor; hash its absence of content.
    this.previousHash = json === undefined ? contentHash(null) : contentHash(json);
  }

  verdict(): ChainVerdict {
    return this.firstBreak === undefined
      ? { intact: true, changes: this.changes, headSeq: this.previousSeq, headHash: this.previousHash }
      : { intact: false, changes: this.changes, firstBreak: this.firstBreak };
  }

  private breakAt(b: ChainBreak): void {
    this.firstBreak ??= b;
  }
}
