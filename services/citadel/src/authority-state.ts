import { left, right, type Either } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { RootRotationPhase, TrustBundle, TrustedRoot } from '@jetmesh/model';
import { type CaRejection, rejection } from './ca-rejection.js';

/*
 * The CA's state as citadel replicas share it (KV mesh_ca, key `authority`),
 * and the pure rules of root rotation: a new root is trusted at once, becomes
 * the issuing one after a propagation delay (so every proxy has it before any
 * peer presents a certificate from it), and the old root is removed after a
 * grace period. No clocks here: `now` is always passed in.
 */

const CaMaterialCodec = t.type({ keyPem: t.string, certPem: t.string, chainPems: t.array(t.string) });

const CaGenerationCodec = t.type({
  rootId: t.string,
  source: t.union([t.literal('self-signed'), t.literal('plugged-in')]),
  material: CaMaterialCodec,
  createdAt: t.string,
  /** The root's validity, RFC 3339. */
  notBefore: t.string,
  notAfter: t.string,
});

const RotationCodec = t.type({
  fromRootId: t.string,
  toRootId: t.string,
  activateAt: t.string,
  removeAt: t.string,
  reason: t.string,
  requestedBy: t.string,
});

export const AuthorityStateCodec = t.intersection([
  t.type({ generations: t.array(CaGenerationCodec), issuingRootId: t.string }),
  t.partial({ rotation: RotationCodec }),
]);

export type CaGeneration = t.TypeOf<typeof CaGenerationCodec>;
export type Rotation = t.TypeOf<typeof RotationCodec>;
export type AuthorityState = t.TypeOf<typeof AuthorityStateCodec>;

export interface RotationTiming {
  /** From trusting the new root to issuing from it. */
  readonly propagationMs: number;
  /** From issuing from the new root to removing the old one. */
  readonly graceMs: number;
}

/** A step of a rotation that happened, for the audit log. */
export interface RotationStep {
  readonly phase: RootRotationPhase;
  readonly rootId: string;
  readonly previousRootId?: string;
  readonly reason: string;
  readonly notAfter?: string;
}

/** Auto-rotation starts when less than this share of the issuing root's lifetime is left. */
export const AUTO_ROTATE_REMAINING_SHARE = 0.2;

export const initialState = (generation: CaGeneration): AuthorityState => ({ generations: [generation], issuingRootId: generation.rootId });

export function issuingGeneration(state: AuthorityState): CaGeneration {
  const found = state.generations.find((g) => g.rootId === state.issuingRootId);
  // The only writers keep issuingRootId among the generations; anything else is corrupted state.
  if (found === undefined) throw new Error(`CA state names issuing root ${state.issuingRootId}, which it does not hold`);
  return found;
}

/** Begins a rotation to `next` (trusted from now on), or says why not. */
export function startRotation(
  state: AuthorityState,
  next: CaGeneration,
  now: Date,
  timing: RotationTiming,
  reason: string,
  requestedBy: string,
): Either<CaRejection, { state: AuthorityState; steps: RotationStep[] }> {
  if (state.rotation !== undefined) {
    const r = state.rotation;
    return left(rejection('', 'ROTATION_IN_PROGRESS', `a rotation from root ${r.fromRootId} to ${r.toRootId} is in progress until ${r.removeAt}`));
  }
  const current = issuingGeneration(state);
  if (current.source === 'plugged-in') {
    return left(rejection('', 'ROOT_PLUGGED_IN', 'the root is plugged in from cacerts files; replace those files to rotate it'));
  }
  const activateAt = new Date(now.getTime() + timing.propagationMs);
  const rotation: Rotation = {
    fromRootId: current.rootId,
    toRootId: next.rootId,
    activateAt: activateAt.toISOString(),
    removeAt: new Date(activateAt.getTime() + timing.graceMs).toISOString(),
    reason,
    requestedBy,
  };
  return right({
    state: { ...state, generations: [...state.generations, next], rotation },
    steps: [{ phase: 'added', rootId: next.rootId, previousRootId: current.rootId, reason, notAfter: next.notAfter }],
  });
}

/** Applies every rotation step whose time has come (both, if `now` is past both). */
export function advanceRotation(state: AuthorityState, now: Date): { state: AuthorityState; steps: RotationStep[] } {
  const steps: RotationStep[] = [];
  let next = state;
  const rotation = state.rotation;
  if (rotation === undefined) return { state, steps };
  if (next.issuingRootId === rotation.fromRootId && now.getTime() >= Date.parse(rotation.activateAt)) {
    next = { ...next, issuingRootId: rotation.toRootId };
    steps.push({ phase: 'activated', rootId: rotation.toRootId, previousRootId: rotation.fromRootId, reason: rotation.reason });
  }
  if (next.issuingRootId === rotation.toRootId && now.getTime() >= Date.parse(rotation.removeAt)) {
    const { rotation: _done, ...rest } = next;
    next = { ...rest, generations: next.generations.filter((g) => g.rootId !== rotation.fromRootId) };
    steps.push({ phase: 'removed', rootId: rotation.fromRootId, reason: rotation.reason });
  }
  return { state: next, steps };
}

/** When the issuing root should be replaced: with less than 20% of its lifetime left. */
export function autoRotationTime(state: AuthorityState): Date | undefined {
  const current = issuingGeneration(state);
  if (current.source !== 'self-signed' || state.rotation !== undefined) return undefined;
  const from = Date.parse(current.notBefore);
  const to = Date.parse(current.notAfter);
  return new Date(to - (to - from) * AUTO_ROTATE_REMAINING_SHARE);
}

/** The earliest moment the state needs attention: a rotation step or an auto-rotation. */
export function nextDeadline(state: AuthorityState): Date | undefined {
  const r = state.rotation;
  if (r === undefined) return autoRotationTime(state);
  return new Date(state.issuingRootId === r.fromRootId ? r.activateAt : r.removeAt);
}

function rootState(state: AuthorityState, generation: CaGeneration): TrustedRoot['state'] {
  if (generation.source === 'plugged-in') return 'plugged-in';
  if (generation.rootId === state.issuingRootId) return 'issuing';
  return state.rotation?.toRootId === generation.rootId ? 'next' : 'retiring';
}

/** What proxies trust: every generation's root, with its role in a rotation. */
export function trustBundleOf(state: AuthorityState, trustDomain: string, authorityRevision: number, rootPemOf: (g: CaGeneration) => string, now: Date): TrustBundle {
  return {
    trustDomain,
    roots: state.generations.map((g) => ({
      id: g.rootId,
      pem: rootPemOf(g),
      notBefore: g.notBefore,
      notAfter: g.notAfter,
      state: rootState(state, g),
      ...(state.rotation?.fromRootId === g.rootId ? { removeAt: state.rotation.removeAt } : {}),
    })),
    authorityRevision,
    updatedAt: now.toISOString(),
  };
}
