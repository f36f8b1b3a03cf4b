import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { Buckets, ConfigAuditSubjects, openJsonBucket, readStream, Streams, TrustKeys } from '@jetmesh/bus';
import { CONFIG_TOKEN_AUDIENCE, ConfigAccessDeniedCodec, JwksCodec, type ConfigAccessDenied, type ConfigVerb } from '@jetmesh/model';
import { createConfigClient, type ConfigClient } from '@jetmesh/rpc';
import { createTokenIssuer, generateTokenSigningKey, type TokenIssuer } from '@jetmesh/citadel';
import { eventually } from '@jetmesh/testing';
import { failureOf, startGalleyHarness, type GalleyHarness } from './galley-harness.js';

const virtualService = (namespace: string, name = 'reviews-route'): string => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: { host: reviews }
`;

describe('authz.security: galley with JETMESH_GALLEY_AUTH=required', () => {
  let h: GalleyHarness;
  let issuer: TokenIssuer;
  let stranger: TokenIssuer;
  const clients: ConfigClient[] = [];

  const configToken = async (namespaces: string[], verbs: ConfigVerb[], opts: { by?: TokenIssuer; audience?: string; ttlSeconds?: number; now?: Date } = {}): Promise<string> =>
    (
      await (opts.by ?? issuer).mint(
        { subject: 'alice@example', audience: opts.audience ?? CONFIG_TOKEN_AUDIENCE, ttlSeconds: opts.ttlSeconds ?? 3600, extra: { namespaces, verbs } },
        opts.now,
      )
    ).token;

  const clientWith = (token: string | undefined): ConfigClient => {
    const c = createConfigClient(h.galleys[0]?.address ?? '', { actor: 'mallory@claimed', deadlineMs: 20_000, ...(token === undefined ? {} : { token }) });
    clients.push(c);
    return c;
  };

  const deniedEvents = async (): Promise<ConfigAccessDenied[]> => {
    const events: ConfigAccessDenied[] = [];
    for await (const e of readStream(h.bus, { stream: Streams.audit, codec: ConfigAccessDeniedCodec, fromSequence: 1, filterSubject: ConfigAuditSubjects.accessDenied })) {
      events.push(e.value);
    }
    return events;
  };

  /** The call fails with `code`, nothing reaches MESH_CONFIG, and one more refusal is audited. */
  const assertRefused = async (call: () => Promise<unknown>, code: number, details: RegExp): Promise<ConfigAccessDenied> => {
    const seqBefore = await h.lastSequence();
    const auditedBefore = (await deniedEvents()).length;
    const failure = await failureOf(call());
    assert.equal(failure.code, code, failure.lines.join('\n'));
    assert.match(failure.lines.join('\n'), details);
    assert.equal(await h.lastSequence(), seqBefore, 'nothing published');
    const events = await deniedEvents();
    assert.equal(events.length, auditedBefore + 1, 'one audit event');
    const event = events.at(-1) as ConfigAccessDenied;
    assert.equal(event.status, code === status.UNAUTHENTICATED ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED');
    return event;
  };

  before(async () => {
    // Galley starts before any keys exist, as it does when citadel starts later.
    h = await startGalleyHarness({ auth: 'required' });
    issuer = await createTokenIssuer(await generateTokenSigningKey(new Date()));
    stranger = await createTokenIssuer(await generateTokenSigningKey(new Date()));
    const trust = await openJsonBucket(h.bus, Buckets.trust, JwksCodec);
    await trust.create(TrustKeys.jwks, issuer.jwks);
    // Galley follows the key: a valid token is accepted once it has seen it.
    const reader = clientWith(await configToken(['*'], ['read']));
    await eventually(
      () => reader.list({ kind: 'VirtualService', allNamespaces: true }).then(() => true, () => undefined),
      'galley picks up the published JWKS',
    );
  });
  after(async () => {
    for (const c of clients) c.close();
    await h.dispose();
  });

  test('authz.security: an apply without a token is UNAUTHENTICATED and audited', async () => {
    const event = await assertRefused(() => clientWith(undefined).apply({ yaml: virtualService('default') }), status.UNAUTHENTICATED, /config token is required/);
    assert.equal(event.code, 'TOKEN_MISSING');
    assert.equal(event.method, 'Apply');
    assert.equal(event.actor, 'anonymous');
  });

  test('authz.security: a token signed by another key is UNAUTHENTICATED', async () => {
    const token = await configToken(['*'], ['apply'], { by: stranger });
    const event = await assertRefused(() => clientWith(token).apply({ yaml: virtualService('default') }), status.UNAUTHENTICATED, /not signed by a mesh token key|signature/);
    assert.equal(event.code, 'TOKEN_SIGNATURE');
  });

  test('authz.security: a tampered token (bad signature) is UNAUTHENTICATED', async () => {
    const token = await configToken(['*'], ['apply']);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flipped = signature.startsWith('A') ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
    const event = await assertRefused(() => clientWith(`${header}.${payload}.${flipped}`).apply({ yaml: virtualService('default') }), status.UNAUTHENTICATED, /signature/);
    assert.equal(event.code, 'TOKEN_SIGNATURE');
  });

  test('authz.security: an expired token is UNAUTHENTICATED', async () => {
    const token = await configToken(['*'], ['apply'], { ttlSeconds: 60, now: new Date(Date.now() - 3_600_000) });
    const event = await assertRefused(() => clientWith(token).apply({ yaml: virtualService('default') }), status.UNAUTHENTICATED, /token expired at/);
    assert.equal(event.code, 'TOKEN_EXPIRED');
  });

  test('authz.security: a token for another audience (a CA token) is UNAUTHENTICATED', async () => {
    const token = await configToken(['*'], ['apply'], { audience: 'istio-ca' });
    const event = await assertRefused(() => clientWith(token).apply({ yaml: virtualService('default') }), status.UNAUTHENTICATED, /audience is not "jetmesh-config"/);
    assert.equal(event.code, 'TOKEN_AUDIENCE');
  });

  test('authz.security: an apply outside the token namespaces is PERMISSION_DENIED naming verb and namespace', async () => {
    const token = await configToken(['team-a'], ['apply', 'read']);
    const yaml = `${virtualService('team-a')}---${virtualService('team-b', 'other')}`;
    const event = await assertRefused(() => clientWith(token).apply({ yaml }), status.PERMISSION_DENIED, /alice@example may not apply in namespace team-b/);
    assert.equal(event.verb, 'apply');
    assert.equal(event.namespace, 'team-b');
    assert.equal(event.actor, 'alice@example');
    assert.equal(event.code, 'OUT_OF_SCOPE');
  });

  test('authz.security: a verb outside the token verbs is PERMISSION_DENIED (read-only token deletes)', async () => {
    const token = await configToken(['team-a'], ['read']);
    await assertRefused(
      () => clientWith(token).delete({ refs: [{ kind: 'VirtualService', namespace: 'team-a', name: 'reviews-route' }] }),
      status.PERMISSION_DENIED,
      /may not delete in namespace team-a/,
    );
  });

  test('authz.security: a delete checks every ref', async () => {
    const token = await configToken(['team-a'], ['delete']);
    await assertRefused(
      () =>
        clientWith(token).delete({
          refs: [
            { kind: 'VirtualService', namespace: 'team-a', name: 'x' },
            { kind: 'VirtualService', namespace: 'team-c', name: 'y' },
          ],
        }),
      status.PERMISSION_DENIED,
      /may not delete in namespace team-c/,
    );
  });

  test('authz.security: reads need read in the namespace; listing all namespaces needs *', async () => {
    const token = await configToken(['team-a'], ['read']);
    await assertRefused(() => clientWith(token).get({ ref: { kind: 'VirtualService', namespace: 'team-b', name: 'x' } }), status.PERMISSION_DENIED, /may not read in namespace team-b/);
    await assertRefused(() => clientWith(token).list({ kind: 'VirtualService', allNamespaces: true }), status.PERMISSION_DENIED, /may not read in namespace \*/);
    await assertRefused(() => clientWith(token).analyze({ yaml: virtualService('team-b'), defaultNamespace: 'team-a' }), status.PERMISSION_DENIED, /may not read in namespace team-b/);
    const listed = await clientWith(token).list({ kind: 'VirtualService', namespace: 'team-a' });
    assert.ok(Array.isArray(listed.resourcesJson));
  });

  test('authz.security: a scoped token applies in its namespace and the ChangeSet actor is the token subject', async () => {
    const token = await configToken(['team-a'], ['apply']);
    const res = await clientWith(token).apply({ yaml: virtualService('team-a') });
    assert.ok(res.sequence > 0);
    const last = (await h.changeSets()).at(-1);
    assert.equal(last?.seq, res.sequence);
    assert.equal(last?.changeSet.actor, 'alice@example', 'not the claimed x-jetmesh-actor');
  });
});
