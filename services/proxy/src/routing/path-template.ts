/**
 * Istio's AuthorizationPolicy path templates (Envoy's uri_template matcher): a segment `{*}`
 * matches exactly one non-empty path segment, `{**}` one or more segments (once, and no `{*}` after
 * it); other segments match literally.
 */
export const containsPathTemplate = (p: string): boolean => p.includes('{*}') || p.includes('{**}');

import { pathTemplateReason } from '@jetmesh/model';

/** Undefined when the template is well formed, else why not: the rule galley validates with. */
export const pathTemplateProblem = (template: string): string | undefined => pathTemplateReason(template);

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
