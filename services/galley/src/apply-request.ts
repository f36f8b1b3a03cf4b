import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { invalid, type Invalid } from '@jetmesh/model';
import type { ApplyItem } from './change-plan.js';
import { inDocument } from './document-label.js';

/**
 * `--expect-version N` (ApplyRequest.expect_version): the precondition `metadata.resourceVersion: N`
 * puts in a document, given on the command line for a document that does not carry it.
 * It names one resource's version, so it needs a request of one document.
 */
export const withExpectedVersion = (items: readonly ApplyItem[], expectVersion: string): Either<Invalid[], readonly ApplyItem[]> => {
  if (expectVersion === '') return right(items);
  if (!/^[0-9]+$/.test(expectVersion)) return left([invalid('expectVersion', `"${expectVersion}" is not a resourceVersion (a change number, e.g. 42)`)]);
  const [item, ...more] = items;
  if (item === undefined || more.length > 0) {
    return left([invalid('expectVersion', `names the version of one resource, but the request holds ${items.length} documents`)]);
  }
  const own = item.document.expectedVersion;
  if (own !== undefined && own !== expectVersion) {
    return left([invalid(inDocument(item.label, 'metadata.resourceVersion'), `is "${own}" but expectVersion is "${expectVersion}": say one version`)]);
  }
  return right([{ ...item, document: { ...item.document, expectedVersion: expectVersion } }]);
};

/** Too many documents for one change: refused before anything is decoded, naming the limit. */
export const documentCountProblem = (count: number, max: number): Invalid | undefined =>
  count > max ? invalid('yaml', `the request holds ${count} documents; the limit is ${max} per change: apply it in smaller parts`, 'TOO_LARGE') : undefined;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A client's request id ('' or absent: none), checked so it can serve as the ChangeSet's Nats-Msg-Id. */
export const requestIdOf = (given: string | undefined): Either<Invalid[], string | undefined> => {
  if (given === undefined || given === '') return right(undefined);
  return REQUEST_ID.test(given) ? right(given) : left([invalid('requestId', 'must be 1-128 of A-Z a-z 0-9 . _ : - (e.g. a UUID), the same on every retry of the request')]);
};
