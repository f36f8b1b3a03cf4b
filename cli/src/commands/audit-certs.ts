import { CaAuditSubjects, readStream, Streams } from '@jetmesh/bus';
import { CaAuditEventCodec, type CaAuditEvent } from '@jetmesh/model';
import { CliError, ExitCode } from '../cli-error.js';
import { type CliIo, printLines } from '../cli-io.js';
import { withMeshBus } from '../mesh-bus.js';
import { renderTable } from '../render/text-table.js';

export interface AuditCertsOptions {
  /** A SPIFFE ID, or NAMESPACE/SERVICE-ACCOUNT. */
  readonly identity?: string;
  readonly output: 'table' | 'json';
}

/** The namespace and service account an --identity names, or why it names none. */
export function identityFilter(text: string): { namespace: string; serviceAccount: string } | undefined {
  const match = /^(?:spiffe:\/\/[^/]+\/ns\/)?([a-z0-9-]+)(?:\/sa\/|\/)([a-z0-9.-]+)$/.exec(text.trim());
  return match === null ? undefined : { namespace: match[1]!, serviceAccount: match[2]! };
}

const detail = (e: CaAuditEvent): string => {
  switch (e.type) {
    case 'CertificateIssued':
      return `root ${e.rootId}`;
    case 'CertificateDenied':
      return `${e.status}: ${e.reason.split('\n').join('; ')}`;
    case 'RootRotated':
      return `${e.phase}${e.reason === undefined ? '' : `: ${e.reason}`}`;
    case 'TokenMinted':
      return `token ${e.tokenId}, audience ${e.audience}`;
    case 'BusUserIssued':
      return `NATS user ${e.userPublicKey} for ${e.workload}`;
    case 'BusUserDenied':
      return `NATS user${e.workload === undefined ? '' : ` for ${e.workload}`}: ${e.status}: ${e.reason.split('\n').join('; ')}`;
  }
};

const row = (e: CaAuditEvent): string[] => [
  e.at,
  e.type,
  e.type === 'RootRotated' ? e.rootId : (e.identity ?? '-'),
  e.type === 'CertificateIssued' ? e.serial : '-',
  e.type === 'CertificateIssued' ? e.notAfter : e.type === 'TokenMinted' || e.type === 'BusUserIssued' ? e.expiresAt : '-',
  e.type === 'CertificateIssued' || e.type === 'BusUserIssued' ? e.requester : e.actor,
  e.replica,
  detail(e),
];

/** `jetmesh audit certs`: citadel's audit log (issued, denied, rotations, tokens, NATS users), oldest first. */
export const runAuditCerts = async (opts: AuditCertsOptions, io: CliIo): Promise<void> => {
  let filterSubject: string = CaAuditSubjects.all;
  if (opts.identity !== undefined) {
    const identity = identityFilter(opts.identity);
    if (identity === undefined) {
      throw new CliError(ExitCode.usage, [`--identity ${JSON.stringify(opts.identity)}: expected spiffe://<trust-domain>/ns/<ns>/sa/<sa> or <ns>/<sa>`]);
    }
    filterSubject = CaAuditSubjects.identity(identity.namespace, identity.serviceAccount);
  }
  const events = await withMeshBus(io, async (bus) => {
    const found: CaAuditEvent[] = [];
    for await (const e of readStream(bus, { stream: Streams.audit, codec: CaAuditEventCodec, fromSequence: 1, filterSubject })) found.push(e.value);
    return found;
  });
  if (opts.output === 'json') {
    io.stdout.write(`${JSON.stringify(events, null, 2)}\n`);
    return;
  }
  if (events.length === 0) {
    io.stderr.write('no certificate audit events\n');
    return;
  }
  printLines(io.stdout, renderTable(['TIME', 'EVENT', 'IDENTITY', 'SERIAL', 'EXPIRES', 'BY', 'REPLICA', 'DETAIL'], events.map(row)));
};
