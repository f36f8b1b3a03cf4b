import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import protobuf from 'protobufjs';
import { type ProtoDescriptor, descriptorPath, sourceHash } from './proto-descriptor.js';
import { descriptorRoot, loaderOptions, protoRoot } from './proto-package.js';

/** Parses `file` (under proto/) as @grpc/proto-loader would, and records the text of every file it read. */
export const generateProtoDescriptor = (file: string): ProtoDescriptor => {
  const root = new protobuf.Root();
  // Imports resolve against proto/ only, like the loader's includeDirs; google/protobuf/* are protobufjs' own.
  root.resolvePath = (_origin, target) => join(protoRoot, target);
  root.loadSync(file, { keepCase: loaderOptions.keepCase ?? false });
  root.resolveAll();
  const sources = Object.fromEntries(
    root.files
      .map((f) => relative(protoRoot, f))
      .filter((f) => !f.startsWith('..'))
      .sort()
      .map((f) => [f, sourceHash(readFileSync(join(protoRoot, f)))]),
  );
  return { sources, root: root.toJSON() };
};

const protoFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? protoFiles(join(dir, e.name)) : e.name.endsWith('.proto') ? [relative(protoRoot, join(dir, e.name))] : [],
  );

/** Writes the descriptor of every .proto under proto/ into dist/; returns the files written. */
export const writeProtoDescriptors = (): string[] =>
  protoFiles(protoRoot).map((file) => {
    const out = join(descriptorRoot, descriptorPath(file));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(generateProtoDescriptor(file))}\n`);
    return out;
  });
