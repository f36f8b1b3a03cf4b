import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerCertificate } from 'node:tls';
import { checkPeerIdentity, istioPrincipal, peerIdentityCheck, peerSpiffeId } from '../src/identity/peer-identity.js';
import { DEFAULT_RETRY, renewalAt, retryDelay } from '../src/identity/renewal-schedule.js';

const peer = (subjectaltname: string | undefined): PeerCertificate => ({ subjectaltname }) as unknown as PeerCertificate;
const TD = 'cluster.local';

describe('peer identity', () => {
  test('peer.spiffe-id: the one spiffe:// URI SAN; none, two, or only other names give undefined', () => {
    assert.equal(peerSpiffeId(peer('URI:spiffe://cluster.local/ns/a/sa/b')), 'spiffe://cluster.local/ns/a/sa/b');
    assert.equal(peerSpiffeId(peer('DNS:x.example.com, URI:https://example.com, URI:spiffe://cluster.local/ns/a/sa/b')), 'spiffe://cluster.local/ns/a/sa/b');
    assert.equal(peerSpiffeId(peer('URI:"spiffe://cluster.local/ns/a/sa/b"')), 'spiffe://cluster.local/ns/a/sa/b', 'Node quotes some entries');
    assert.equal(peerSpiffeId(peer('URI:spiffe://cluster.local/ns/a/sa/b, URI:spiffe://cluster.local/ns/a/sa/c')), undefined);
    assert.equal(peerSpiffeId(peer('DNS:localhost')), undefined);
    assert.equal(peerSpiffeId(peer(undefined)), undefined, 'no certificate: getPeerCertificate() returns {}');
    assert.equal(peerSpiffeId(undefined), undefined);
  });

  test('peer.principal: Istio principals are the SPIFFE ID without its scheme', () => {
    assert.equal(istioPrincipal('spiffe://cluster.local/ns/x/sa/y'), 'cluster.local/ns/x/sa/y');
  });

  test('peer.check: an expected service account must match; without one any workload of the trust domain passes', () => {
    const cert = peer('URI:spiffe://cluster.local/ns/shop/sa/cart');
    assert.deepEqual(checkPeerIdentity(cert, { trustDomain: TD }), { identity: { trustDomain: TD, namespace: 'shop', serviceAccount: 'cart' } });
    assert.deepEqual(checkPeerIdentity(cert, { trustDomain: TD, expected: { namespace: 'shop', serviceAccount: 'cart' } }), {
      identity: { trustDomain: TD, namespace: 'shop', serviceAccount: 'cart' },
    });
    assert.deepEqual(checkPeerIdentity(cert, { trustDomain: TD, expected: { namespace: 'shop', serviceAccount: 'orders' } }), {
      reason: 'peer is spiffe://cluster.local/ns/shop/sa/cart, expected spiffe://cluster.local/ns/shop/sa/orders',
    });
    assert.deepEqual(checkPeerIdentity(cert, { trustDomain: 'other.mesh' }), { reason: 'peer spiffe://cluster.local/ns/shop/sa/cart belongs to trust domain cluster.local, not other.mesh' });
    assert.match((checkPeerIdentity(peer('URI:spiffe://cluster.local/workload'), { trustDomain: TD }) as { reason: string }).reason, /not a workload SPIFFE ID/);
    const check = peerIdentityCheck({ trustDomain: TD, expected: { namespace: 'shop', serviceAccount: 'orders' } });
    assert.equal(check('10.0.0.1', cert)?.name, 'PeerIdentityError');
    assert.equal(peerIdentityCheck({ trustDomain: TD })('10.0.0.1', cert), undefined);
  });
});

describe('renewal schedule', () => {
  test('renewal.at: halfway through the lifetime as seen at receipt', () => {
    assert.equal(renewalAt(1_000, 5_000), 3_000);
  });

  test('renewal.retry: exponential with jitter in [50%, 100%], capped, and never past a quarter of the time left', () => {
    assert.equal(retryDelay(1, DEFAULT_RETRY, 1), 1_000);
    assert.equal(retryDelay(1, DEFAULT_RETRY, 0), 500);
    assert.equal(retryDelay(3, DEFAULT_RETRY, 1), 4_000);
    assert.equal(retryDelay(30, DEFAULT_RETRY, 1), 60_000);
    assert.equal(retryDelay(30, DEFAULT_RETRY, 1, 40_000), 10_000, 'a quarter of 40 s left');
    assert.equal(retryDelay(30, DEFAULT_RETRY, 1, 100), 250, 'a floor, so it does not spin');
    assert.equal(retryDelay(30, DEFAULT_RETRY, 1, -5), 60_000, 'already expired: plain backoff');
  });
});
