import { JetStreamApiError } from '@nats-io/jetstream';

/** JetStream API error codes the bus turns into values or handles. */
export const ApiErrorCodes = {
  streamNameInUse: 10058,
  streamNotFound: 10059,
  wrongLastSequence: 10071,
  messageTooLarge: 10054,
  noMessageFound: 10037,
  // The cluster cannot place the replicas asked for (more than it has servers, or not clustered at all).
  noSuitablePeers: 10005,
  insufficientResources: 10023,
  replicasNotSupported: 10074,
} as const;

export function isApiError(err: unknown, code: number): err is JetStreamApiError {
  return err instanceof JetStreamApiError && err.code === code;
}
