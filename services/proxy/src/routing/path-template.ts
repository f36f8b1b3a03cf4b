/**
 * Istio's AuthorizationPolicy path templates (Envoy's uri_template matcher): a segment `{*}`
 * matches exactly one non-empty path segment, `{**}` one or more segments and may only be the last
 * operator; other segments match literally.
 */
export const containsPathTemplate = (p: string): boolean => p.includes('{*}') || p.includes('{**}');

/** Undefined when the template is well formed, else why not (what Istio's webhook says). */
export function pathTemplateProblem(template: string): string | undefined {
  const segments = template.split('/');
  for (const [i, seg] of segments.entries()) {
    if (!seg.includes('{') && !seg.includes('}')) continue;
    if (seg !== '{*}' && seg !== '{**}') return `invalid path template "${template}": a segment must be exactly {*} or {**}`;
    if (seg === '{**}' && i !== segments.length - 1) return `invalid path template "${template}": {**} must be the last operator`;
  }
  return undefined;
}

const CACHE = new Map<string, RegExp | null>();

/** Whether `path` (without its query) fits the template; a malformed template matches nothing. */
export function matchPathTemplate(template: string, path: string): boolean {
  let re = CACHE.get(template);
  if (re === undefined) {
    re = pathTemplateProblem(template) === undefined ? compile(template) : null;
    if (CACHE.size > 10_000) CACHE.clear();
    CACHE.set(template, re);
  }
  return re !== null && re.test(path);
}

const SEGMENT = '[^/]+';

function compile(template: string): RegExp {
  const parts = template.split('/').map((seg) => {
    if (seg === '{*}') return SEGMENT;
    if (seg === '{**}') return `${SEGMENT}(?:/${SEGMENT})*`;
    return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${parts.join('/')}$`);
}
