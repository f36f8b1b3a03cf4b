import { JetStreamApiError } from '@nats-io/jetstream';
import {
  AuthorizationError,
  ClosedConnectionError,
  ConnectionError,
  DrainingConnectionError,
  NoRespondersError,
  PermissionViolationError,
  RequestError,
  TimeoutError,
  UserAuthenticationExpiredError,
} from '@nats-io/transport-node';

/** The NATS client's own classes for "the server, or whoever should answer, is not there". */
const lostBusClasses: ReadonlyArray<abstract new (...args: never[]) => Error> = [
  TimeoutError,
  ClosedConnectionError,
  DrainingConnectionError,
  ConnectionError,
  NoRespondersError,
  RequestError,
];

/** Deployment errors (credentials, subject permissions): retrying cannot help, whatever wraps them. */
const deploymentClasses: ReadonlyArray<abstract new (...args: never[]) => Error> = [AuthorizationError, PermissionViolationError, UserAuthenticationExpiredError];

// Classes the client's public entry point does not export, so known by name: JetStream requests without
// responders throw the first; a pull answered 503 (no stream leader) throws the second, the status as its code.
const JETSTREAM_NOT_ENABLED = 'JetStreamNotEnabled';
const JETSTREAM_STATUS_ERROR = 'JetStreamStatusError';

/** How deep a cause chain is followed: the client wraps at most twice, a cycle must not hang. */
const MAX_CAUSES = 8;

const isLostBus = (e: Error): boolean => {
  // Our own errors for it (BusUnavailableError, JetStreamNotReadyError, galley's ConfigStateLagError) carry this code.
  if ((e as { code?: unknown }).code === 'UNAVAILABLE') return true;
  if (lostBusClasses.some((c) => e instanceof c)) return true;
  if (e.name === JETSTREAM_NOT_ENABLED) return true;
  // 503 from the JetStream API or a pull: no meta or stream leader right now.
  if (e instanceof JetStreamApiError) return e.status === 503;
  return e.name === JETSTREAM_STATUS_ERROR && (e as { code?: unknown }).code === 503;
};

const causeChain = (err: unknown): Error[] => {
  const chain: Error[] = [];
  for (let e = err; chain.length < MAX_CAUSES && e instanceof Error; e = e.cause) chain.push(e);
  return chain;
};

/**
 * Whether `err` (or an error it was caused by) means NATS or its JetStream is not
 * there: the edge answers UNAVAILABLE, so a caller retries, instead of INTERNAL.
 * False when a credential or permission error is in the chain (BusPermissionError too).
 */
export function isBusUnavailable(err: unknown): boolean {
  const chain = causeChain(err);
  const deployment = chain.some((e) => (e as { code?: unknown }).code === 'PERMISSION_DENIED' || deploymentClasses.some((c) => e instanceof c));
  return !deployment && chain.some(isLostBus);
}

/** A request that nobody is subscribed to: the server says so at once. */
export const isNoResponders = (err: unknown): boolean =>
  causeChain(err).some((e) => e instanceof NoRespondersError || (e instanceof RequestError && e.isNoResponders()));

/** A request that a subscriber received but did not answer in time. */
export const isRequestTimeout = (err: unknown): boolean => causeChain(err).some((e) => e instanceof TimeoutError);
