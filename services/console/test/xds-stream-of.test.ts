import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { XdsStreamStatus } from '@jetmesh/model';
import { xdsStreamOf } from '../src/mesh-reader.js';

const stream = (node: string, namespace?: string): XdsStreamStatus => ({ node, protocol: 'sotw', connectedAt: '2026-01-01T00:00:00.000Z', types: [], ...(namespace !== undefined ? { namespace } : {}) });

describe('xdsStreamOf (which xDS streams a workload node shows)', () => {
  it('xds-stream-of.names: the node id is the workload, name.namespace, or Istio\'s type~ip~name.namespace~… form', () => {
    assert.ok(xdsStreamOf(stream('reviews-v1'), 'default', 'reviews-v1'));
    assert.ok(xdsStreamOf(stream('reviews-v1.default'), 'default', 'reviews-v1'));
    assert.ok(xdsStreamOf(stream('sidecar~10.0.0.1~reviews-v1.default~default.svc.cluster.local'), 'default', 'reviews-v1'));
  });

  it('xds-stream-of.others: another namespace or another workload is not shown', () => {
    assert.ok(!xdsStreamOf(stream('reviews-v1', 'shop'), 'default', 'reviews-v1'));
    assert.ok(!xdsStreamOf(stream('sidecar~10.0.0.1~reviews-v1.shop~shop.svc.cluster.local'), 'default', 'reviews-v1'));
    assert.ok(!xdsStreamOf(stream('reviews-v10'), 'default', 'reviews-v1'));
  });
});
