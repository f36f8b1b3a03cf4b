import { decodeEvent, Streams, Subjects, type Bus } from '@jetmesh/bus';
import { RegistryEventCodec } from '@jetmesh/model';

// JetStream's API error code for a stream that does not exist (no galley has created MESH_REGISTRY yet).
const STREAM_NOT_FOUND = 10059;

/**
 * The service account MESH_REGISTRY holds a workload under (its latest event), or undefined when
 * the name is not registered now (never, removed, or no registry yet). One message get by subject.
 */
export async function registeredServiceAccount(bus: Bus, namespace: string, name: string): Promise<string | undefined> {
  let stored;
  try {
    stored = await bus.jsm.streams.getMessage(Streams.registry, { last_by_subj: Subjects.registry(namespace, name) });
  } catch (err) {
    if ((err as { code?: unknown }).code === STREAM_NOT_FOUND) return undefined;
    throw err;
  }
  if (stored === null) return undefined;
  const event = decodeEvent(RegistryEventCodec, stored.data);
  if (event._tag === 'Left') throw new Error(`${Streams.registry} ${stored.subject} #${stored.seq} does not decode: ${event.left.reason}`);
  return event.right.type === 'WorkloadRemoved' ? undefined : event.right.workload.serviceAccount;
}
