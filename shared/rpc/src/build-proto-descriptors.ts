// Build step (package.json "build"): proto/*.proto → dist/proto/*.json, loaded by loadProtoFile.
import { writeProtoDescriptors } from './proto-descriptor-generator.js';

for (const file of writeProtoDescriptors()) process.stdout.write(`wrote ${file}\n`);
