import { CST, Lexer } from 'yaml';

/**
 * Deeper than any Istio resource needs (a VirtualService's header match is 8 levels), far below
 * what the yaml composer's recursion survives: 100k nested `[` overflow its stack or exhaust memory.
 */
export const MAX_NESTING_DEPTH = 64;

/** The lexer's markers that stand for no source text. */
const markers = new Set([CST.DOCUMENT, CST.FLOW_END, CST.SCALAR, CST.BOM]);

/** Where a document nests deeper than the limit: the 0-based offset and the depth reached there. */
export interface NestingOverflow {
  readonly offset: number;
  readonly depth: number;
}

/**
 * An upper bound of a YAML text's collection nesting, found in one linear pass over the lexer's
 * tokens (the lexer is iterative; the parser and composer are not), stopping at the first point
 * deeper than `limit`. Flow collections count their brackets; block collections count the
 * indentation columns open at a line's content and at each `-`/`?` indicator on it.
 */
export const firstNestingOverflow = (text: string, limit: number = MAX_NESTING_DEPTH): NestingOverflow | undefined => {
  let offset = 0;
  let column = 0;
  let flowDepth = 0;
  // Columns of the open block collections, innermost last.
  const blockColumns: number[] = [];
  // The next content token opens a block level: at a line's start and after `-` or `?`.
  let atContentStart = true;
  for (const source of new Lexer().lex(text)) {
    if (markers.has(source)) continue;
    const type = CST.tokenType(source);
    const start = column;
    offset += source.length;
    const lastNewline = source.lastIndexOf('\n');
    column = lastNewline < 0 ? column + source.length : source.length - lastNewline - 1;
    if (type === 'newline') {
      if (flowDepth === 0) atContentStart = true;
      continue;
    }
    if (type === 'space' || type === 'comment') continue;
    if (type === 'flow-seq-start' || type === 'flow-map-start') {
      flowDepth += 1;
    } else if (type === 'flow-seq-end' || type === 'flow-map-end') {
      flowDepth = Math.max(0, flowDepth - 1);
    }
    if (flowDepth === 0 || (flowDepth === 1 && (type === 'flow-seq-start' || type === 'flow-map-start'))) {
      if (atContentStart) {
        while (blockColumns.length > 0 && (blockColumns.at(-1) ?? 0) > start) blockColumns.pop();
        if (blockColumns.length === 0 || (blockColumns.at(-1) ?? 0) < start) blockColumns.push(start);
      }
      atContentStart = type === 'seq-item-ind' || type === 'explicit-key-ind';
    }
    const depth = blockColumns.length + flowDepth;
    if (depth > limit) return { offset: offset - source.length, depth };
  }
  return undefined;
};
