import { randomUUID } from 'node:crypto';
import { CaAuditSubjects, publishEvent, type Bus } from '@jetmesh/bus';
import { CaAuditEventCodec, type CaAuditEvent, type CertificateDenied, type CertificateIssued, type RootRotated, type TokenMinted } from '@jetmesh/model';
import type { WorkloadIdentity } from './spiffe-id.js';

type Fields<E> = Omit<E, 'id' | 'type' | 'at' | 'replica'>;

/** Citadel's writes to MESH_AUDIT. Each resolves once the event is stored; lost NATS throws. */
export interface CaAuditLog {
  certificateIssued(fields: Fields<CertificateIssued>, subject: WorkloadIdentity): Promise<CertificateIssued>;
  certificateDenied(fields: Fields<CertificateDenied>, caller: WorkloadIdentity | undefined): Promise<CertificateDenied>;
  tokenMinted(fields: Fields<TokenMinted>, subject: WorkloadIdentity): Promise<TokenMinted>;
  /** A config token for galley (no workload identity: the subject is the actor it names). */
  configTokenMinted(fields: Fields<TokenMinted>): Promise<TokenMinted>;
  /** `id` is derived from the step, so replicas that both record a step store it once. */
  rootRotated(fields: Fields<RootRotated>, id: string): Promise<RootRotated>;
}

export function createCaAuditLog(bus: Bus, replica: string, clock: () => Date = () => new Date()): CaAuditLog {
  const record = async <E extends CaAuditEvent>(event: E, subject: string): Promise<E> => {
    const stored = await publishEvent(bus, CaAuditEventCodec, subject, event, { msgId: event.id });
    // Audit events are small and never conditional: a rejection means a broken stream, not bad input.
    if (stored._tag === 'Left') throw new Error(`MESH_AUDIT refused a ${event.type} event: ${JSON.stringify(stored.left)}`);
    return event;
  };
  const base = (id: string = randomUUID()) => ({ id, at: clock().toISOString(), replica });
  return {
    certificateIssued: (fields, subject) =>
      record({ ...base(), type: 'CertificateIssued', ...fields }, CaAuditSubjects.certificateIssued(subject.namespace, subject.serviceAccount)),
    certificateDenied: (fields, caller) => record({ ...base(), type: 'CertificateDenied', ...fields }, CaAuditSubjects.certificateDenied(caller)),
    tokenMinted: (fields, subject) => record({ ...base(), type: 'TokenMinted', ...fields }, CaAuditSubjects.tokenMinted(subject.namespace, subject.serviceAccount)),
    configTokenMinted: (fields) => record({ ...base(), type: 'TokenMinted', ...fields }, CaAuditSubjects.configTokenMinted),
    rootRotated: (fields, id) => record({ ...base(id), type: 'RootRotated', ...fields }, CaAuditSubjects.rootRotated),
  };
}
