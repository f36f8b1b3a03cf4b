/*
 * `diff -u` of two texts, line by line: the longest common subsequence gives the unchanged lines,
 * the rest become `-`/`+` lines grouped into hunks with three lines of context. Resources are a
 * few hundred lines at most, so the quadratic table is cheap and keeps the code obvious.
 */

type Edit = { readonly op: ' ' | '-' | '+'; readonly line: string };

const CONTEXT = 3;

const editScript = (a: readonly string[], b: readonly string[]): Edit[] => {
  const n = a.length;
  const m = b.length;
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const lcs = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push({ op: ' ', line: a[i]! });
      i++;
      j++;
    } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      // Removals before additions, as diff(1) prints a replaced line.
      out.push({ op: '-', line: a[i++]! });
    } else {
      out.push({ op: '+', line: b[j++]! });
    }
  }
  return out;
};

const range = (start: number, count: number): string => (count === 1 ? `${start}` : `${count === 0 ? start - 1 : start},${count}`);

/** The hunks of a unified diff (without the ---/+++ header); empty when the texts are equal. */
export const unifiedHunks = (before: string, after: string): string[] => {
  const a = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const b = after === '' ? [] : after.replace(/\n$/, '').split('\n');
  const edits = editScript(a, b);
  const changed = edits.map((e, k) => (e.op !== ' ' ? k : -1)).filter((k) => k >= 0);
  if (changed.length === 0) return [];
  // Group changes whose context windows touch into one hunk.
  const groups: Array<[number, number]> = [];
  for (const k of changed) {
    const last = groups[groups.length - 1];
    if (last !== undefined && k - last[1] <= 2 * CONTEXT) last[1] = k;
    else groups.push([k, k]);
  }
  const lines: string[] = [];
  for (const [first, lastChange] of groups) {
    const from = Math.max(0, first - CONTEXT);
    const to = Math.min(edits.length - 1, lastChange + CONTEXT);
    let aStart = 1;
    let bStart = 1;
    for (let k = 0; k < from; k++) {
      if (edits[k]!.op !== '+') aStart++;
      if (edits[k]!.op !== '-') bStart++;
    }
    const slice = edits.slice(from, to + 1);
    const aCount = slice.filter((e) => e.op !== '+').length;
    const bCount = slice.filter((e) => e.op !== '-').length;
    lines.push(`@@ -${range(aStart, aCount)} +${range(bStart, bCount)} @@`, ...slice.map((e) => `${e.op}${e.line}`));
  }
  return lines;
};
