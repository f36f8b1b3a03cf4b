import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { LineCounter, YAMLParseError, isScalar, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import { invalid, type Invalid } from '@jetmesh/model';
import { MAX_NESTING_DEPTH, firstNestingOverflow } from './yaml-nesting.js';

/** One non-empty document of a YAML stream, as plain data. */
export interface YamlDocument {
  /** 1-based, counting only non-empty documents: how users refer to "the 2nd resource". */
  readonly number: number;
  /** 1-based line of the request where the document starts. */
  readonly line: number;
  readonly content: unknown;
}

/** An alias-heavy document ("billion laughs") is refused instead of expanded. */
const MAX_ALIAS_COUNT = 100;

/** A broken document can yield one syntax error per byte; the first few say what is wrong. */
const MAX_ERRORS_PER_DOCUMENT = 10;

interface DocumentText {
  readonly text: string;
  readonly line: number;
}

const documentStart = /^---(?:[ \t]|$)/;
const documentEnd = /^\.\.\.(?:[ \t]|$)/;
const directive = /^%/;
const blankOrComment = /^[ \t]*(?:#.*)?$/;

/**
 * Splits a YAML stream at its document markers without parsing it, so an oversized
 * document can be refused before the parser spends anything on it. Markers at
 * column 0 cannot occur inside YAML content, so this split is exact.
 */
const splitDocuments = (text: string): DocumentText[] => {
  const lines = text.split(/\r?\n/);
  const documents: DocumentText[] = [];
  let current: string[] = [];
  let currentLine = 1;
  const flush = (nextLine: number): void => {
    documents.push({ text: current.join('\n'), line: currentLine });
    current = [];
    currentLine = nextLine;
  };
  lines.forEach((line, i) => {
    const lineNumber = i + 1;
    if (documentStart.test(line)) {
      // `%YAML 1.2` and friends belong to the document their `---` opens.
      const onlyDirectives = current.some((l) => directive.test(l)) && current.every((l) => directive.test(l) || blankOrComment.test(l));
      if (!onlyDirectives) flush(lineNumber);
      current.push(line);
    } else if (documentEnd.test(line)) {
      flush(lineNumber + 1);
    } else {
      current.push(line);
    }
  });
  flush(lines.length + 1);
  return documents;
};

const formatBytes = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`;

/**
 * Every non-empty document of a multi-document YAML stream, each parsed or with all its problems:
 * syntax errors as `document N (line L): reason`, an oversized document naming its size and the limit.
 * Per document, so one broken document does not hide the errors of the others.
 */
export const parseYamlDocuments = (text: string, maxDocumentBytes: number): Either<Invalid[], YamlDocument>[] => {
  const results: Either<Invalid[], YamlDocument>[] = [];
  let number = 0;
  for (const part of splitDocuments(text)) {
    if (part.text.trim() === '') continue;
    const bytes = Buffer.byteLength(part.text, 'utf8');
    if (bytes > maxDocumentBytes) {
      number += 1;
      const reason = `is ${bytes} bytes (${formatBytes(bytes)}), over the limit of ${maxDocumentBytes} bytes (${formatBytes(maxDocumentBytes)}) per document`;
      results.push(left([invalid(`document ${number} (line ${part.line})`, reason, 'TOO_LARGE')]));
      continue;
    }
    const overflow = firstNestingOverflow(part.text);
    if (overflow !== undefined) {
      number += 1;
      const line = part.line + countNewlines(part.text, overflow.offset);
      const reason = `nests deeper than ${MAX_NESTING_DEPTH} levels (collections inside collections); no Istio resource needs that many`;
      results.push(left([invalid(`document ${number} (line ${line})`, reason, 'MALFORMED')]));
      continue;
    }
    const lineCounter = new LineCounter();
    const doc = parseDocument(part.text, { lineCounter, prettyErrors: false, uniqueKeys: false });
    if (doc.errors.length === 0) doc.errors.push(...duplicateKeyErrors(doc));
    if (doc.errors.length === 0 && (doc.contents === null || isNullScalar(doc.contents))) continue;
    number += 1;
    const label = (offset: number): string => `document ${number} (line ${lineCounter.linePos(offset).line + part.line - 1})`;
    if (doc.errors.length > 0) {
      const shown = doc.errors.slice(0, MAX_ERRORS_PER_DOCUMENT).map((e) => invalid(label(e.pos[0]), firstLine(e.message), 'MALFORMED'));
      const more = doc.errors.length - shown.length;
      if (more > 0) shown.push(invalid(label(doc.errors[MAX_ERRORS_PER_DOCUMENT]?.pos[0] ?? 0), `and ${more} more syntax errors`, 'MALFORMED'));
      results.push(left(shown));
      continue;
    }
    try {
      results.push(right({ number, line: part.line, content: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) }));
    } catch (err) {
      // The yaml library reports alias exhaustion by throwing; it is still the user's input.
      results.push(left([invalid(label(0), firstLine(err instanceof Error ? err.message : String(err)), 'MALFORMED')]));
    }
  }
  return results;
};

/**
 * The yaml library's own unique-key check compares each key with every earlier one (10k labels
 * took 0.6 s); this one keeps a set per map. Same rule and message: scalar keys by value.
 */
const duplicateKeyErrors = (doc: Document): YAMLError[] => {
  const errors: YAMLError[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const { key } of map.items) {
        if (!isScalar(key)) continue;
        if (seen.has(key.value)) errors.push(new YAMLParseError([key.range?.[0] ?? 0, key.range?.[1] ?? 0], 'DUPLICATE_KEY', 'Map keys must be unique'));
        seen.add(key.value);
      }
    },
  });
  return errors;
};

const isNullScalar = (node: unknown): boolean =>
  typeof node === 'object' && node !== null && 'value' in node && (node as { value: unknown }).value === null && !('items' in node);

const countNewlines = (text: string, end: number): number => {
  let count = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) count += 1;
  return count;
};

const firstLine = (message: string): string => message.split('\n')[0] ?? message;
