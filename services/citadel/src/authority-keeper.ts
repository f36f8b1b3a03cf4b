import { X509Certificate } from 'node:crypto';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { TrustKeys, type BucketEntry, type BucketWatch, type JsonBucket } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import type { Jwks, TrustBundle } from '@jetmesh/model';
import {
  advanceRotation,
  autoRotationTime,
  initialState,
  issuingGeneration,
  nextDeadline,
  startRotation,
  trustBundleOf,
  type AuthorityState,
  type CaGeneration,
  type RotationStep,
  type RotationTiming,
} from './authority-state.js';
import type { CaAuditLog } from './ca-audit-log.js';
import type { CaKeyAlgorithm } from './ca-key.js';
import type { CaRejection } from './ca-rejection.js';
import { CaKeys, ensureOnce, type CaStore } from './ca-store.js';
import type { CitadelMetrics } from './citadel-metrics.js';
import { createSelfSignedRoot } from './root-certificate.js';
import { loadSigningAuthority, rootIdOf, type CaMaterial, type SigningAuthority } from './signing-authority.js';

/** The CA as one replica currently sees it. */
export interface AuthorityView {
  readonly state: AuthorityState;
  /** KV revision of `state`; 0 for plugged-in roots, which are not shared through KV. */
  readonly revision: number;
  /** Signs new certificates. */
  readonly signing: SigningAuthority;
  /** The certificates that sign workload certificates, of every trusted generation. */
  readonly issuers: readonly X509Certificate[];
  /** Every trusted root and intermediate, PEM: what TLS checks client certificates against. */
  readonly trustedPem: string;
  readonly trustBundle: TrustBundle;
}

export interface RotationStarted {
  readonly newRootId: string;
  readonly oldRootId: string;
  readonly activatesAt: string;
  readonly oldRootRemovedAt: string;
}

export interface AuthorityKeeper {
  current(): AuthorityView;
  /** Called after every change of the view (new state revision). */
  onChange(listener: (view: AuthorityView) => void): () => void;
  /** `jetmesh ca rotate`: start a rotation to a new self-signed root. */
  rotate(reason: string, requestedBy: string): Promise<Either<CaRejection, RotationStarted>>;
  close(): Promise<void>;
}

export interface KeeperOptions {
  readonly trustDomain: string;
  readonly rootAlgorithm: CaKeyAlgorithm;
  readonly rootTtlMs: number;
  readonly timing: RotationTiming;
  /** cacerts from files: no self-signed root, no rotation. */
  readonly pluggedIn?: { readonly material: CaMaterial; readonly rootsPem: readonly string[] };
  readonly clock?: () => Date;
}

export interface KeeperDeps {
  readonly store: CaStore;
  readonly trust: JsonBucket<TrustBundle>;
  readonly audit: CaAuditLog;
  readonly metrics: CitadelMetrics;
  readonly log: Logger;
}

/** Timers further out than this re-check anyway (setTimeout's range ends at ~24.8 days). */
const MAX_TIMER_MS = 60 * 60_000;
const CAS_ATTEMPTS = 8;

function loadOrThrow(generation: CaGeneration): SigningAuthority {
  const loaded = loadSigningAuthority(generation.material);
  // Stored generations were checked when they were created; failing now means corrupted state.
  if (loaded._tag === 'Left') throw new Error(`CA generation ${generation.rootId} is unusable: ${loaded.left.join('; ')}`);
  return loaded.right;
}

function generationOf(material: CaMaterial, source: CaGeneration['source'], now: Date): CaGeneration {
  const stored = { keyPem: material.keyPem, certPem: material.certPem, chainPems: [...material.chainPems] };
  const authority = loadOrThrow({ rootId: '', source, material: stored, createdAt: '', notBefore: '', notAfter: '' });
  return {
    rootId: authority.rootId,
    source,
    material: stored,
    createdAt: now.toISOString(),
    notBefore: new Date(authority.root.validFrom).toISOString(),
    notAfter: new Date(authority.root.validTo).toISOString(),
  };
}

/** Publishes the trust bundle unless a newer (or the same) one is already there. */
async function publishTrustBundle(trust: JsonBucket<TrustBundle>, bundle: TrustBundle, force: boolean): Promise<void> {
  const samePems = (a: TrustBundle, b: TrustBundle): boolean =>
    JSON.stringify(a.roots.map((r) => [r.id, r.state, r.removeAt])) === JSON.stringify(b.roots.map((r) => [r.id, r.state, r.removeAt]));
  for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
    const existing = await trust.get(TrustKeys.roots);
    if (existing !== undefined) {
      if (!force && existing.value.authorityRevision > bundle.authorityRevision) return;
      if (existing.value.authorityRevision === bundle.authorityRevision && samePems(existing.value, bundle)) return;
    }
    const written = existing === undefined ? await trust.create(TrustKeys.roots, bundle) : await trust.update(TrustKeys.roots, bundle, existing.revision);
    if (written._tag === 'Right') return;
  }
  throw new Error('the trust bundle keeps changing under us');
}

export async function publishJwks(trust: JsonBucket<Jwks>, jwks: Jwks): Promise<void> {
  for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
    const existing = await trust.get(TrustKeys.jwks);
    if (existing !== undefined && JSON.stringify(existing.value) === JSON.stringify(jwks)) return;
    const written = existing === undefined ? await trust.create(TrustKeys.jwks, jwks) : await trust.update(TrustKeys.jwks, jwks, existing.revision);
    if (written._tag === 'Right') return;
  }
  throw new Error('the JWKS keeps changing under us');
}

/**
 * Keeps this replica's view of the CA: creates the self-signed root once per
 * mesh (or loads plugged-in files), follows changes other replicas make,
 * carries out rotation steps when they are due (whichever replica wins the
 * KV update records the audit event), and publishes the trust bundle.
 */
export async function startAuthorityKeeper(deps: KeeperDeps, opts: KeeperOptions): Promise<AuthorityKeeper> {
  const { store, trust, audit, metrics, log } = deps;
  const clock = opts.clock ?? (() => new Date());
  const cache = new Map<string, SigningAuthority>();
  const listeners = new Set<(view: AuthorityView) => void>();
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let watch: BucketWatch | undefined;

  const authorityOf = (g: CaGeneration): SigningAuthority => {
    let a = cache.get(g.rootId);
    if (a === undefined) {
      a = loadOrThrow(g);
      cache.set(g.rootId, a);
    }
    return a;
  };

  const viewOf = (state: AuthorityState, revision: number): AuthorityView => {
    const authorities = state.generations.map(authorityOf);
    const rootsPem = opts.pluggedIn?.rootsPem;
    const bundle =
      rootsPem === undefined
        ? trustBundleOf(state, opts.trustDomain, revision, (g) => authorityOf(g).rootPem, clock())
        : {
            ...trustBundleOf(state, opts.trustDomain, revision, (g) => authorityOf(g).rootPem, clock()),
            // A plugged-in root-cert.pem may hold several roots (e.g. while migrating); trust them all.
            roots: rootsPem.map((pem) => {
              const root = new X509Certificate(pem);
              return {
                id: rootIdOf(pem),
                pem: root.toString(),
                notBefore: new Date(root.validFrom).toISOString(),
                notAfter: new Date(root.validTo).toISOString(),
                state: 'plugged-in' as const,
              };
            }),
          };
    const trusted = new Set<string>([...bundle.roots.map((r) => r.pem.trim()), ...authorities.flatMap((a) => a.chainPems.map((p) => p.trim()))]);
    return {
      state,
      revision,
      signing: authorityOf(issuingGeneration(state)),
      issuers: authorities.map((a) => a.chainCertificates[0]!),
      trustedPem: `${[...trusted].join('\n')}\n`,
      trustBundle: bundle,
    };
  };

  const recordSteps = async (steps: readonly RotationStep[], requestedBy: string): Promise<void> => {
    for (const step of steps) {
      metrics.rootRotations.inc({ phase: step.phase });
      log.info({ phase: step.phase, rootId: step.rootId, previousRootId: step.previousRootId }, 'root rotation step');
      await audit
        .rootRotated(
          {
            actor: requestedBy,
            phase: step.phase,
            rootId: step.rootId,
            ...(step.previousRootId === undefined ? {} : { previousRootId: step.previousRootId }),
            ...(step.reason === '' ? {} : { reason: step.reason }),
            ...(step.notAfter === undefined ? {} : { notAfter: step.notAfter }),
          },
          `root-${step.rootId}-${step.phase}`,
        )
        .catch((err: unknown) => log.error({ err, phase: step.phase, rootId: step.rootId }, 'root rotation step not recorded in MESH_AUDIT'));
    }
  };

  const newGeneration = (): CaGeneration => {
    const now = clock();
    return generationOf(createSelfSignedRoot({ algorithm: opts.rootAlgorithm, trustDomain: opts.trustDomain, ttlMs: opts.rootTtlMs, now }), 'self-signed', now);
  };

  let view: AuthorityView;
  if (opts.pluggedIn !== undefined) {
    view = viewOf(initialState(generationOf(opts.pluggedIn.material, 'plugged-in', clock())), 0);
    await publishTrustBundle(trust, view.trustBundle, true);
  } else {
    const { entry, created } = await ensureOnce(store.authority, CaKeys.authority, () => initialState(newGeneration()));
    view = viewOf(entry.value, entry.revision);
    if (created) {
      const root = issuingGeneration(entry.value);
      await recordSteps([{ phase: 'created', rootId: root.rootId, reason: 'first start of the mesh CA', notAfter: root.notAfter }], 'citadel');
    }
    await publishTrustBundle(trust, view.trustBundle, false);
  }
  log.info({ issuingRootId: view.state.issuingRootId, source: issuingGeneration(view.state).source }, 'CA ready');

  const adopt = (entry: BucketEntry<AuthorityState>): void => {
    if (closed || entry.revision <= view.revision) return;
    view = viewOf(entry.value, entry.revision);
    for (const id of cache.keys()) if (!entry.value.generations.some((g) => g.rootId === id)) cache.delete(id);
    for (const listener of listeners) {
      try {
        listener(view);
      } catch (err) {
        log.error({ err }, 'CA change listener failed');
      }
    }
    publishTrustBundle(trust, view.trustBundle, false).catch((err: unknown) => log.error({ err }, 'trust bundle not published'));
    schedule();
  };

  /** Applies `change` to the latest state with a KV compare-and-set, retrying on races. */
  const mutate = async <R>(
    change: (state: AuthorityState) => Either<CaRejection, { state: AuthorityState; steps: RotationStep[]; result: R }> | undefined,
    requestedBy: string,
  ): Promise<Either<CaRejection, R | undefined>> => {
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
      const outcome = change(view.state);
      if (outcome === undefined) return right(undefined);
      if (outcome._tag === 'Left') return outcome;
      const written = await store.authority.update(CaKeys.authority, outcome.right.state, view.revision);
      if (written._tag === 'Right') {
        adopt({ value: outcome.right.state, revision: written.right.revision });
        // A change this replica made is in the trust bundle before its caller hears back
        // (`ca rotate` returning means proxies can already see the next root).
        await publishTrustBundle(trust, view.trustBundle, false);
        await recordSteps(outcome.right.steps, requestedBy);
        return right(outcome.right.result);
      }
      const latest = await store.authority.get(CaKeys.authority);
      if (latest !== undefined) adopt(latest);
    }
    throw new Error('CA state keeps changing under us');
  };

  const tick = async (): Promise<void> => {
    const now = clock();
    let fresh: CaGeneration | undefined;
    await mutate((state) => {
      const advanced = advanceRotation(state, now);
      if (advanced.steps.length > 0) return right({ ...advanced, result: undefined });
      const due = autoRotationTime(state);
      if (due === undefined || due.getTime() > now.getTime()) return undefined;
      fresh ??= newGeneration();
      const started = startRotation(state, fresh, now, opts.timing, 'automatic: less than 20% of the root lifetime left', 'citadel');
      return started._tag === 'Left' ? undefined : right({ ...started.right, result: undefined });
    }, 'citadel');
  };

  function schedule(): void {
    clearTimeout(timer);
    if (closed || opts.pluggedIn !== undefined) return;
    const deadline = nextDeadline(view.state);
    if (deadline === undefined) return;
    const delay = Math.min(Math.max(deadline.getTime() - clock().getTime(), 0), MAX_TIMER_MS);
    timer = setTimeout(() => {
      tick()
        .catch((err: unknown) => log.error({ err }, 'CA rotation step failed; retrying later'))
        .finally(() => {
          // Re-plan from whatever state the tick left (a step may have moved the deadline).
          if (closed) return;
          clearTimeout(timer);
          timer = setTimeout(schedule, 1000);
          timer.unref();
        });
    }, delay);
    timer.unref();
  }

  if (opts.pluggedIn === undefined) {
    watch = await store.authority.watch(CaKeys.authority, (entry) => {
      if (entry !== undefined) adopt(entry);
    });
    schedule();
  }

  return {
    current: () => view,
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    rotate: async (reason, requestedBy) => {
      if (opts.pluggedIn !== undefined) {
        return left({ path: '', code: 'ROOT_PLUGGED_IN', reason: 'the root is plugged in from cacerts files; replace those files to rotate it' });
      }
      const fresh = newGeneration();
      const started = await mutate((state) => {
        const s = startRotation(state, fresh, clock(), opts.timing, reason, requestedBy);
        if (s._tag === 'Left') return s;
        const r = s.right.state.rotation!;
        return right({ ...s.right, result: { newRootId: r.toRootId, oldRootId: r.fromRootId, activatesAt: r.activateAt, oldRootRemovedAt: r.removeAt } });
      }, requestedBy);
      if (started._tag === 'Left') return started;
      // A zero propagation delay activates at once rather than at the next timer.
      await tick();
      return right(started.right!);
    },
    close: async () => {
      closed = true;
      clearTimeout(timer);
      watch?.stop();
    },
  };
}
