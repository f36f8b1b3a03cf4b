import * as grpc from '@grpc/grpc-js';
import type { Bus } from '@jetmesh/bus';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { Logger } from '@jetmesh/log';
import {
  ALL_NAMESPACES,
  DEFAULT_NAMESPACE,
  analyzeMesh,
  decodeAnalyzable,
  isKubernetesFact,
  kubernetesFacts,
  decodeResource,
  encodeResource,
  formatRef,
  getResource,
  invalid,
  kindFromName,
  listResources,
  refOf,
  resourceKindNames,
  type AnalyzableDocument,
  type ConfigVerb,
  type Invalid,
  type ResourceRef,
  type StoredResource,
} from '@jetmesh/model';
import {
  type ApplyRequest,
  type ApplyResponse,
  type ConfigServiceHandlers,
  type DeleteRequest,
  type DeleteResponse,
  type GetRequest,
  type GetResponse,
  type ListRequest,
  type ListResponse,
  type ResourceChange,
  type AnalyzeRequest,
  type AnalyzeResponse,
} from '@jetmesh/rpc';
import { documentCountProblem, requestIdOf, withExpectedVersion } from './apply-request.js';
import type { AccessAudit } from './access-audit.js';
import { authorize, isAccessRefusal, type AccessRefusal, type Caller, type CallerIdentity } from './caller-identity.js';
import { wireDiagnostic } from './wire-diagnostic.js';
import { planApply, planDelete, type ApplyItem, type ChangePlan, type DeleteItem } from './change-plan.js';
import type { ChangePublisher, Writer } from './change-publisher.js';
import type { ConfigState } from './config-state.js';
import { documentLabel, inDocument } from './document-label.js';
import { statusOfException, statusOfProblems } from './error-status.js';
import type { GalleyMetrics } from './galley-metrics.js';
import { documentRefPaths, namespaceProblem, resolveRef } from './request-ref.js';
import { parseYamlDocuments, type YamlDocument } from './yaml-documents.js';
import { createRollback } from './rollback.js';
import { createChainRepair } from './chain-repair.js';

type ParsedDocument = Either<Invalid[], YamlDocument>;

/** Documents one Apply or Delete may hold unless configured otherwise (JETMESH_MAX_CHANGESET_DOCUMENTS). */
export const DEFAULT_MAX_CHANGESET_DOCUMENTS = 1000;

export { ANONYMOUS_ACTOR } from './caller-identity.js';

export interface ConfigServiceOptions {
  /** Rollback replays the log up to its target. */
  readonly bus: Bus;
  readonly state: ConfigState;
  readonly publisher: ChangePublisher;
  readonly metrics: GalleyMetrics;
  readonly maxDocumentBytes: number;
  /** Documents per Apply/Delete; default 1000. */
  readonly maxChangeSetDocuments?: number;
  /** Encoded bytes per ChangeSet; default the config stream's maximum message size. */
  readonly maxChangeSetBytes?: number;
  /** Who is calling (bearer token or, with auth disabled, the claimed actor). */
  readonly identity: CallerIdentity;
  /** Where refused calls are recorded. */
  readonly audit: AccessAudit;
}

type Handled<Res> = Either<Invalid[] | AccessRefusal, Res>;

const refusalStatus = { UNAUTHENTICATED: grpc.status.UNAUTHENTICATED, PERMISSION_DENIED: grpc.status.PERMISSION_DENIED } as const;

/** Runs a handler body at the edge: Left → its status (a refusal also audited), exception → UNAVAILABLE/INTERNAL, logged. */
function unary<Req, Res>(
  log: Logger,
  audit: AccessAudit,
  method: string,
  body: (call: grpc.ServerUnaryCall<Req, Res>) => Promise<Handled<Res>>,
  countRefusal?: (failure: Invalid[] | AccessRefusal) => void,
): grpc.handleUnaryCall<Req, Res> {
  const refuse = async (call: grpc.ServerUnaryCall<Req, Res>, refusal: AccessRefusal): Promise<Partial<grpc.StatusObject>> => {
    log.warn({ method, status: refusal.status, code: refusal.code, actor: refusal.actor, reason: refusal.reason }, 'call refused');
    // The caller is refused whether or not the audit write lands; losing it is logged.
    await audit.denied(method, refusal, call.getPeer()).catch((err: unknown) => log.error({ err, method }, 'audit event not stored'));
    return { code: refusalStatus[refusal.status], details: refusal.reason };
  };
  return (call, callback) => {
    body(call)
      .then(async (result) => {
        if (!isLeft(result)) return callback(null, result.right);
        const failure = result.left;
        countRefusal?.(failure);
        return callback(isAccessRefusal(failure) ? await refuse(call, failure) : statusOfProblems(failure), null);
      })
      .catch((err: unknown) => {
        log.error({ err, method }, 'request failed');
        callback(statusOfException(err), null);
      });
  };
}

/** The writer of a call: its actor and the deadline the client set (grpc-timeout), if any. */
const writerOf = (call: { getDeadline(): grpc.Deadline }, actor: string): Writer => {
  const deadline = call.getDeadline();
  return { actor, deadline: deadline instanceof Date ? deadline.getTime() : deadline };
};

/** Identifies the caller and checks it may do every (verb, namespace) of the request. */
const permitted = async (
  identity: CallerIdentity,
  call: { readonly metadata: grpc.Metadata },
  wanted: (caller: Caller) => ReadonlyArray<{ readonly verb: ConfigVerb; readonly namespace: string }>,
): Promise<Either<AccessRefusal, Caller>> => {
  const caller = await identity.identify(call);
  return isLeft(caller) ? caller : authorize(caller.right, wanted(caller.right));
};

const requestNamespace = (given: string): Either<Invalid[], string> => {
  const namespace = given === '' ? DEFAULT_NAMESPACE : given;
  const problem = namespaceProblem(namespace);
  return problem === undefined ? right(namespace) : left([invalid('defaultNamespace', problem)]);
};

/** Decodes every document with `decode`, collecting every error of every document (syntax or schema) under its label. */
const decodeEach = <T>(
  documents: readonly ParsedDocument[],
  defaultNamespace: string,
  decode: (content: unknown, label: string) => Either<Invalid[], T>,
): Either<Invalid[], T[]> => {
  const problems: Invalid[] = [];
  const items: T[] = [];
  for (const parsed of documents) {
    if (isLeft(parsed)) {
      problems.push(...parsed.left);
      continue;
    }
    const label = documentLabel(parsed.right, defaultNamespace);
    const decoded = decode(parsed.right.content, label);
    if (isLeft(decoded)) problems.push(...decoded.left.map((e) => ({ ...e, path: inDocument(label, e.path) })));
    else items.push(decoded.right);
  }
  return problems.length > 0 ? left(problems) : right(items);
};

const decodeDocuments = (documents: readonly ParsedDocument[], defaultNamespace: string): Either<Invalid[], ApplyItem[]> =>
  decodeEach(documents, defaultNamespace, (content, label) => {
    const decoded = decodeResource(content, defaultNamespace);
    return isLeft(decoded) ? decoded : right({ label, document: decoded.right });
  });

/**
 * Analyze reads what apply would refuse as far as it goes (as istioctl analyze does), and reports
 * the refusal as IST0106; only what cannot be read at all (syntax, unknown kind) is an error here.
 */
const decodeAnalyzableDocuments = (documents: readonly ParsedDocument[], defaultNamespace: string): Either<Invalid[], AnalyzableDocument[]> =>
  decodeEach(documents, defaultNamespace, (content) => decodeAnalyzable(content, defaultNamespace));

/** A delete names resources by document (kind and metadata only) or by ref. */
const deleteItems = (documents: readonly ParsedDocument[], req: DeleteRequest, defaultNamespace: string): Either<Invalid[], DeleteItem[]> => {
  const problems: Invalid[] = [];
  const items: DeleteItem[] = [];
  for (const parsed of documents) {
    if (isLeft(parsed)) {
      problems.push(...parsed.left);
      continue;
    }
    const doc = parsed.right;
    const label = documentLabel(doc, defaultNamespace);
    if (typeof doc.content !== 'object' || doc.content === null || Array.isArray(doc.content)) {
      problems.push(invalid(label, 'a resource must be a YAML/JSON object', 'MALFORMED'));
      continue;
    }
    const content = doc.content as Record<string, unknown>;
    const metadata = (typeof content.metadata === 'object' && content.metadata !== null ? content.metadata : {}) as Record<string, unknown>;
    const ref = resolveRef({ kind: content.kind, namespace: metadata.namespace, name: metadata.name }, defaultNamespace, label, documentRefPaths);
    if (isLeft(ref)) problems.push(...ref.left);
    else items.push({ label, ref: ref.right, ...(typeof metadata.resourceVersion === 'string' ? { expectedVersion: metadata.resourceVersion } : {}) });
  }
  req.refs.forEach((given, i) => {
    const ref = resolveRef(given, defaultNamespace, `refs[${i}]`);
    if (isLeft(ref)) problems.push(...ref.left);
    else items.push({ label: `refs[${i}]`, ref: ref.right });
  });
  return problems.length > 0 ? left(problems) : right(items);
};

const wireRef = (ref: ResourceRef): ResourceChange['ref'] => ({ kind: ref.kind, namespace: ref.namespace, name: ref.name });

/** Per resource, in request order; `sequence` 0 (dry run or nothing published) leaves new versions 0. */
const resourceChanges = (plan: ChangePlan, sequence: number): ResourceChange[] =>
  plan.outcomes.map((o) => ({ ref: wireRef(o.ref), action: o.action, resourceVersion: o.action === 'unchanged' ? o.storedVersion : sequence }));

/** What Get and List serve: the stored resource, resourceVersion included. */
const storedResourceJson = (stored: StoredResource): string => {
  const encoded = encodeResource(stored.resource);
  return JSON.stringify({ ...encoded, metadata: { ...(encoded.metadata as object), resourceVersion: String(stored.resourceVersion) } });
};

/** The ConfigService methods over galley's state and publisher. */
export function createConfigService(opts: ConfigServiceOptions, log: Logger): ConfigServiceHandlers {
  const { state, publisher, metrics, maxDocumentBytes, identity, audit } = opts;
  const maxDocuments = opts.maxChangeSetDocuments ?? DEFAULT_MAX_CHANGESET_DOCUMENTS;

  const parse = (yaml: string): ParsedDocument[] => parseYamlDocuments(yaml, maxDocumentBytes);
  // The `istio` ConfigMap's mesh text, read with the same bounds as a request (an unreadable one reads as empty).
  const meshConfigOf = (text: string): unknown => {
    const first = parse(text)[0];
    return first === undefined || isLeft(first) ? {} : first.right.content;
  };

  const applyChange = async (call: grpc.ServerUnaryCall<ApplyRequest, ApplyResponse>): Promise<Handled<ApplyResponse>> => {
    const req = call.request;
    const namespace = requestNamespace(req.defaultNamespace);
    if (isLeft(namespace)) return namespace;
    const requestId = requestIdOf(req.requestId);
    if (isLeft(requestId)) return requestId;
    const documents = parse(req.yaml);
    if (documents.length === 0) return left([invalid('yaml', 'no resources: the request holds no YAML documents', 'REQUIRED')]);
    const tooMany = documentCountProblem(documents.length, maxDocuments);
    if (tooMany !== undefined) return left([tooMany]);
    const decoded = decodeDocuments(documents, namespace.right);
    if (isLeft(decoded)) return decoded;
    const items = withExpectedVersion(decoded.right, req.expectVersion ?? '');
    if (isLeft(items)) return items;
    const caller = await permitted(identity, call, () => decoded.right.map((i) => ({ verb: 'apply' as const, namespace: refOf(i.document.resource).namespace })));
    if (isLeft(caller)) return caller;
    const planOptions = { strict: req.strict === true, ...(opts.maxChangeSetBytes !== undefined ? { maxChangeSetBytes: opts.maxChangeSetBytes } : {}) };
    const answer = (sequence: number, plan: ChangePlan): ApplyResponse => ({
      sequence,
      changes: resourceChanges(plan, sequence),
      warnings: [...plan.warnings],
      diagnostics: (plan.diagnostics ?? []).map(wireDiagnostic),
    });
    if (req.dryRun) {
      const plan = planApply(await state.latest(), items.right, planOptions);
      return isLeft(plan) ? plan : right(answer(0, plan.right));
    }
    const published = await publisher.publish({
      ...writerOf(call, caller.right.actor),
      reason: req.reason,
      ...(requestId.right !== undefined ? { requestId: requestId.right } : {}),
      plan: (current) => planApply(current, items.right, planOptions),
    });
    if (isLeft(published)) return published;
    return right(answer(published.right.sequence, published.right.plan));
  };

  /** istioctl analyze over the live state plus the request's documents; publishes nothing. */
  const analyze = async (call: grpc.ServerUnaryCall<AnalyzeRequest, AnalyzeResponse>): Promise<Handled<AnalyzeResponse>> => {
    const req = call.request;
    const namespace = requestNamespace(req.defaultNamespace);
    if (isLeft(namespace)) return namespace;
    const all = parse(req.yaml);
    const tooMany = documentCountProblem(all.length, maxDocuments);
    if (tooMany !== undefined) return left([tooMany]);
    // Kubernetes objects (Services, Pods, Namespaces, …) are read-only registry facts for the analyzers, never stored.
    const isFact = (d: ParsedDocument): boolean => !isLeft(d) && isKubernetesFact(d.right.content);
    const documents = all.filter((d) => !isFact(d));
    // Every document: ServiceEntries' status.addresses count as facts too (their specs are still decoded below).
    const facts = kubernetesFacts(all.flatMap((d) => (isLeft(d) ? [] : [d.right.content])), namespace.right, { parseMeshConfig: meshConfigOf });
    const items = decodeAnalyzableDocuments(documents, namespace.right);
    if (isLeft(items)) return items;
    const namespaces = new Set([namespace.right, ...items.right.map((i) => refOf(i.resource).namespace)]);
    const caller = await permitted(identity, call, () => [...namespaces].map((ns) => ({ verb: 'read' as const, namespace: ns })));
    if (isLeft(caller)) return caller;
    const current = await state.latest();
    const refusals = items.right.filter((i) => i.problems.length > 0).map((i) => ({ ref: refOf(i.resource), problems: i.problems }));
    const diagnostics = analyzeMesh({ state: current, proposed: items.right.map((i) => i.resource), refusals, facts });
    return right({ diagnostics: diagnostics.map(wireDiagnostic), sequence: current.configSeq });
  };

  const deleteChange = async (call: grpc.ServerUnaryCall<DeleteRequest, DeleteResponse>): Promise<Handled<DeleteResponse>> => {
    const req = call.request;
    const namespace = requestNamespace(req.defaultNamespace);
    if (isLeft(namespace)) return namespace;
    const requestId = requestIdOf(req.requestId);
    if (isLeft(requestId)) return requestId;
    const documents = parse(req.yaml);
    const tooMany = documentCountProblem(documents.length + req.refs.length, maxDocuments);
    if (tooMany !== undefined) return left([tooMany]);
    const items = deleteItems(documents, req, namespace.right);
    if (isLeft(items)) return items;
    if (items.right.length === 0) return left([invalid('', 'nothing to delete: give YAML documents or refs', 'REQUIRED')]);
    const caller = await permitted(identity, call, () => items.right.map((i) => ({ verb: 'delete' as const, namespace: i.ref.namespace })));
    if (isLeft(caller)) return caller;
    if (req.dryRun) {
      const plan = planDelete(await state.latest(), items.right);
      return isLeft(plan) ? plan : right({ sequence: 0, changes: resourceChanges(plan.right, 0) });
    }
    const published = await publisher.publish({
      ...writerOf(call, caller.right.actor),
      reason: req.reason,
      ...(requestId.right !== undefined ? { requestId: requestId.right } : {}),
      plan: (current) => planDelete(current, items.right),
    });
    if (isLeft(published)) return published;
    const { sequence, plan } = published.right;
    return right({ sequence, changes: resourceChanges(plan, sequence) });
  };

  const getResourceJson = async (call: grpc.ServerUnaryCall<GetRequest, GetResponse>): Promise<Handled<GetResponse>> => {
    const ref = resolveRef(call.request.ref ?? {}, DEFAULT_NAMESPACE, 'ref');
    if (isLeft(ref)) return ref;
    const caller = await permitted(identity, call, () => [{ verb: 'read', namespace: ref.right.namespace }]);
    if (isLeft(caller)) return caller;
    const stored = getResource(await state.latest(), ref.right);
    if (stored === undefined) return left([invalid('', `${formatRef(ref.right)} not found`, 'NOT_FOUND')]);
    return right({ resourceJson: storedResourceJson(stored) });
  };

  const listResourceJson = async (call: grpc.ServerUnaryCall<ListRequest, ListResponse>): Promise<Handled<ListResponse>> => {
    const req = call.request;
    const kind = kindFromName(req.kind);
    const problems: Invalid[] = [];
    if (kind === undefined) {
      problems.push(invalid('kind', req.kind === '' ? 'required' : `unknown kind "${req.kind}": expected one of ${resourceKindNames.join(', ')}`));
    }
    const namespace = req.allNamespaces ? right(undefined) : requestNamespace(req.namespace);
    if (isLeft(namespace)) problems.push(...namespace.left.map((e) => ({ ...e, path: 'namespace' })));
    if (problems.length > 0 || kind === undefined || isLeft(namespace)) return left(problems);
    const caller = await permitted(identity, call, () => [{ verb: 'read', namespace: namespace.right ?? ALL_NAMESPACES }]);
    if (isLeft(caller)) return caller;
    const current = await state.latest();
    return right({ resourcesJson: listResources(current, kind, namespace.right).map(storedResourceJson), sequence: current.configSeq });
  };

  const countApply = async (call: grpc.ServerUnaryCall<ApplyRequest, ApplyResponse>): Promise<Handled<ApplyResponse>> => {
    const result = await applyChange(call);
    const conflict = isLeft(result) && Array.isArray(result.left) && result.left.every((e) => e.code === 'CONFLICT');
    metrics.applies.inc({ result: isLeft(result) ? (conflict ? 'conflict' : 'rejected') : 'accepted' });
    return result;
  };

  const countRejection = (failure: Invalid[] | AccessRefusal): void => {
    const reasons = isAccessRefusal(failure) ? [failure.status] : [...new Set(failure.map((p) => p.code))];
    for (const reason of reasons) metrics.configRejections.inc({ reason });
  };

  const rollback = createRollback({ bus: opts.bus, state, publisher }, log);
  const repairChain = createChainRepair({ bus: opts.bus, publisher }, log);
  // Writes that may touch any resource of any namespace.
  const everywhere = (): Array<{ verb: ConfigVerb; namespace: string }> => [
    { verb: 'apply', namespace: ALL_NAMESPACES },
    { verb: 'delete', namespace: ALL_NAMESPACES },
  ];

  return {
    Apply: unary(log, audit, 'Apply', countApply, countRejection),
    Delete: unary(log, audit, 'Delete', deleteChange, countRejection),
    Get: unary(log, audit, 'Get', getResourceJson),
    List: unary(log, audit, 'List', listResourceJson),
    Rollback: unary(log, audit, 'Rollback', async (call) => {
      const caller = await permitted(identity, call, everywhere);
      return isLeft(caller) ? caller : rollback(call.request, writerOf(call, caller.right.actor));
    }, countRejection),
    RepairChain: unary(log, audit, 'RepairChain', async (call) => {
      const caller = await permitted(identity, call, everywhere);
      return isLeft(caller) ? caller : repairChain(call.request, writerOf(call, caller.right.actor));
    }, countRejection),
    Analyze: unary(log, audit, 'Analyze', analyze),
  };
}
