import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type fc from 'fast-check';
import { repoRoot } from '@jetmesh/testing';

/*
 * The model package's test tables (the bad-input catalogue, the valid-document arbitraries) are
 * shared with galley's tests, which run them through the real gRPC API. They are not part of
 * the model's public API, so they are loaded from its build output.
 */

export interface BadInput {
  readonly kind: string;
  readonly name: string;
  readonly doc: Record<string, unknown>;
  readonly lines: readonly string[];
}

const modelTest = async <T>(file: string): Promise<T> => (await import(pathToFileURL(join(repoRoot, 'shared', 'model', 'dist', 'test', file)).href)) as T;

export const loadBadInputCatalogue = async (): Promise<readonly BadInput[]> =>
  (await modelTest<{ badInputCatalogue: readonly BadInput[] }>('bad-input-catalogue.js')).badInputCatalogue;

/** Valid documents of all ten kinds. */
export const loadAnyKindDoc = async (): Promise<fc.Arbitrary<Record<string, unknown>>> =>
  (await modelTest<{ anyKindDoc: fc.Arbitrary<Record<string, unknown>> }>('kind-arbitraries.js')).anyKindDoc;

/** The Istio compatibility fixtures (real-world YAML), one file each. */
export const istioFixturesDir = join(repoRoot, 'shared', 'model', 'test', 'fixtures', 'istio');
