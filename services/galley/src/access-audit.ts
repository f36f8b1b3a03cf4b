import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ConfigAuditSubjects, publishEvent, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { ConfigAccessDeniedCodec, type ConfigAccessDenied } from '@jetmesh/model';
import type { AccessRefusal } from './caller-identity.js';

/** Records refused config API calls on MESH_AUDIT. */
export interface AccessAudit {
  denied(method: string, refusal: AccessRefusal, peer: string | undefined): Promise<void>;
}

export function createAccessAudit(bus: Bus, log: Logger): AccessAudit {
  const replica = `galley@${hostname()}/${process.pid}`;
  return {
    denied: async (method, refusal, peer) => {
      const id = randomUUID();
      const event: ConfigAccessDenied = {
        id,
        at: new Date().toISOString(),
        actor: refusal.actor,
        replica,
        type: 'ConfigAccessDenied',
        method,
        status: refusal.status,
        code: refusal.code,
        reason: refusal.reason,
        ...(refusal.verb === undefined ? {} : { verb: refusal.verb }),
        ...(refusal.namespace === undefined ? {} : { namespace: refusal.namespace }),
        ...(refusal.tokenId === undefined ? {} : { tokenId: refusal.tokenId }),
        ...(peer === undefined ? {} : { peer }),
      };
      const published = await publishEvent(bus, ConfigAccessDeniedCodec, ConfigAuditSubjects.accessDenied, event, { msgId: id });
      if (published._tag === 'Left') log.error({ rejection: published.left, method }, 'audit event not stored');
    },
  };
}
