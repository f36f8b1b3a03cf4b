import { createHash } from 'node:crypto';
import type { INamespace } from 'protobufjs';

/**
 * A .proto file as protobufjs JSON, generated at build time (build-proto-descriptors.ts) so that
 * starting a client does not parse .proto text; `sources` pins the text it was generated from.
 */
export interface ProtoDescriptor {
  /** SHA-256 (hex) of every file under proto/ the descriptor was built from, by path under proto/. */
  readonly sources: Readonly<Record<string, string>>;
  /** protobufjs `Root.toJSON()`, parsed with the loader's options (camelCase names). */
  readonly root: INamespace;
}

export const sourceHash = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

/** The descriptor of `file` (a path under proto/), relative to shared/rpc/dist/. */
export const descriptorPath = (file: string): string => `proto/${file}.json`;

/** The sources whose text differs from what the descriptor was built from; `read` gives a file's text. */
export const staleSources = (descriptor: ProtoDescriptor, read: (file: string) => string | Buffer | undefined): string[] =>
  Object.entries(descriptor.sources)
    .filter(([file, hash]) => {
      const text = read(file);
      return text === undefined || sourceHash(text) !== hash;
    })
    .map(([file]) => file);
