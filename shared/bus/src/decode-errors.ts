import type * as t from 'io-ts';

/*
 * io-ts errors in words, for any generic codec (events on the bus, the CLI's context file).
 * @jetmesh/model's own codecs carry their reasons in the message and have their own Invalid values.
 */

const VALUE_PREVIEW_CHARS = 80;

function preview(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > VALUE_PREVIEW_CHARS ? `${text.slice(0, VALUE_PREVIEW_CHARS)}…` : text;
}

/** Where the error is: the keys from the root, dot-joined (`items.0.name`); '' at the root. */
export const decodeErrorPath = (error: t.ValidationError): string =>
  error.context
    .map((entry) => entry.key)
    .filter((key) => key !== '')
    .join('.');

/** One line per error: the codec's own message, else `path: expected Type, got value`. */
export const describeDecodeErrors = (errors: t.Errors): string[] =>
  errors.map((error) => {
    const path = decodeErrorPath(error);
    const expected = error.context.at(-1)?.type.name ?? 'unknown';
    return error.message ?? `${path === '' ? '<root>' : path}: expected ${expected}, got ${preview(error.value)}`;
  });
