import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CaAuditEventCodec, TrustBundleCodec, decodeCaAuditEvent, rootRotationPhases, type CaAuditEvent } from '@jetmesh/model';

const text = fc.string({ minLength: 1, maxLength: 40 });
const base = { id: fc.uuid(), at: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), actor: text, replica: text };

const event: fc.Arbitrary<CaAuditEvent> = fc.oneof(
  fc.record({ ...base, type: fc.constant('CertificateIssued' as const), serial: fc.stringMatching(/^[0-9A-F]{1,32}$/), identity: text, notBefore: text, notAfter: text, requester: text, rootId: text }, { requiredKeys: ['id', 'at', 'actor', 'replica', 'type', 'serial', 'identity', 'notBefore', 'notAfter', 'requester', 'rootId'] }),
  fc.record({ ...base, type: fc.constant('CertificateDenied' as const), reason: text, code: text, status: text, identity: text, requested: text, requester: text, peer: text }, { requiredKeys: ['id', 'at', 'actor', 'replica', 'type', 'reason', 'code', 'status'] }),
  fc.record({ ...base, type: fc.constant('RootRotated' as const), phase: fc.constantFrom(...rootRotationPhases), rootId: text, previousRootId: text, reason: text, notAfter: text }, { requiredKeys: ['id', 'at', 'actor', 'replica', 'type', 'phase', 'rootId'] }),
  fc.record({ ...base, type: fc.constant('TokenMinted' as const), identity: text, tokenId: text, audience: text, expiresAt: text }),
  fc.record({ ...base, type: fc.constant('BusUserIssued' as const), identity: text, workload: text, userPublicKey: text, expiresAt: text, requester: text, peer: text }, { requiredKeys: ['id', 'at', 'actor', 'replica', 'type', 'identity', 'workload', 'userPublicKey', 'expiresAt', 'requester'] }),
  fc.record({ ...base, type: fc.constant('BusUserDenied' as const), reason: text, code: text, status: text, identity: text, workload: text, peer: text }, { requiredKeys: ['id', 'at', 'actor', 'replica', 'type', 'reason', 'code', 'status'] }),
);

describe('audit-event.properties', () => {
  test('audit-event.properties: every CA audit event survives encode → JSON → decode unchanged', () => {
    fc.assert(
      fc.property(event, (e) => {
        const decoded = decodeCaAuditEvent(JSON.parse(JSON.stringify(CaAuditEventCodec.encode(e))));
        // fast-check builds prototype-less records; compare plain objects.
        assert.deepEqual(decoded, { _tag: 'Right', right: { ...e } });
      }),
    );
  });

  test('audit-event.properties: an unknown type or a missing field is refused with its path', () => {
    assert.deepEqual(decodeCaAuditEvent({ type: 'CertificateRevoked' }), {
      _tag: 'Left',
      left: [{ path: 'type', reason: 'must be one of CertificateIssued, CertificateDenied, RootRotated, TokenMinted, BusUserIssued, BusUserDenied', code: 'INVALID' }],
    });
    const missing = decodeCaAuditEvent({ id: 'x', at: 'y', actor: 'a', replica: 'r', type: 'TokenMinted', identity: 'i', tokenId: 't', audience: 'istio-ca' });
    assert.deepEqual(missing, { _tag: 'Left', left: [{ path: 'expiresAt', reason: 'required', code: 'REQUIRED' }] });
  });

  test('audit-event.properties: a trust bundle needs at least one root', () => {
    const r = TrustBundleCodec.decode({ trustDomain: 'cluster.local', roots: [], authorityRevision: 1, updatedAt: 'now' });
    assert.equal(r._tag, 'Left');
  });
});
