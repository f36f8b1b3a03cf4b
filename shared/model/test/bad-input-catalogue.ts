/*
 * The bad-input catalogue: one row per mistake a user can make in an Istio document, across
 * every kind, with the exact lines (`path: reason`) the user is shown. The model test decodes
 * each row; galley's test applies each through the gRPC API and checks nothing is published.
 */

export interface BadInput {
  readonly kind: string;
  readonly name: string;
  readonly doc: Record<string, unknown>;
  readonly lines: readonly string[];
}

const NET = 'networking.istio.io/v1';
const SEC = 'security.istio.io/v1';

const doc = (apiVersion: string, kind: string, spec: unknown, name = 'bad'): Record<string, unknown> => ({
  apiVersion,
  kind,
  metadata: { name, namespace: 'default' },
  spec,
});

const dest = (host = 'reviews', subset?: string) => ({ host, ...(subset !== undefined ? { subset } : {}) });
const vs = (spec: Record<string, unknown>) => doc(NET, 'VirtualService', { hosts: ['reviews'], ...spec });
const http = (route: Record<string, unknown>) => vs({ http: [route] });
const routed = (extra: Record<string, unknown>) => http({ route: [{ destination: dest() }], ...extra });
const matched = (match: Record<string, unknown>) => http({ match: [match], route: [{ destination: dest() }] });
const dr = (spec: Record<string, unknown>) => doc(NET, 'DestinationRule', { host: 'reviews', ...spec });
const policy = (trafficPolicy: Record<string, unknown>) => dr({ trafficPolicy });
const se = (spec: Record<string, unknown>) => doc(NET, 'ServiceEntry', { hosts: ['api.example.com'], ...spec });
const we = (spec: Record<string, unknown>) => doc(NET, 'WorkloadEntry', { address: '10.0.0.1', ...spec });
const wg = (spec: Record<string, unknown>) => doc(NET, 'WorkloadGroup', { template: {}, ...spec });
const server = (extra: Record<string, unknown> = {}) => ({ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'], ...extra });
const gw = (servers: unknown[], extra: Record<string, unknown> = {}) => doc(NET, 'Gateway', { selector: { istio: 'ingressgateway' }, servers, ...extra });
const sidecar = (spec: Record<string, unknown>) => doc(NET, 'Sidecar', spec);
const pa = (spec: Record<string, unknown>) => doc(SEC, 'PeerAuthentication', spec);
const ap = (spec: Record<string, unknown>) => doc(SEC, 'AuthorizationPolicy', spec);
const rule = (r: Record<string, unknown>) => ap({ rules: [r] });
const ra = (spec: Record<string, unknown>) => doc(SEC, 'RequestAuthentication', spec);
const jwt = (r: Record<string, unknown>) => ra({ jwtRules: [{ issuer: 'issuer.example.com', ...r }] });

const H = 'spec.http[0]';
/** What Istio's webhook adds after Go's regexp.Compile error. */
const RE2 = 'Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)';

export const badInputCatalogue: readonly BadInput[] = [
  // ── VirtualService ────────────────────────────────────────────────────────────────────
  { kind: 'VirtualService', name: 'an IP-like host with a numeric top-level domain', doc: vs({ hosts: ['reviews.123'], http: [{ route: [{ destination: dest() }] }] }), lines: ['spec.hosts[0]: invalid hostname "reviews.123": the top-level domain cannot be all-numeric'] },
  { kind: 'VirtualService', name: 'two hosts where a wildcard covers the other', doc: vs({ hosts: ['*.example.com', 'api.example.com'], http: [{ route: [{ destination: dest() }] }] }), lines: ['spec.hosts[1]: host "api.example.com" overlaps host "*.example.com"'] },
  { kind: 'VirtualService', name: 'a gateway name with an empty namespace', doc: vs({ gateways: ['/gw'], http: [{ route: [{ destination: dest() }] }] }), lines: ['spec.gateways[0]: invalid gateway "/gw": namespace and name must not be empty'] },
  { kind: 'VirtualService', name: 'a gateway name with an upper-case namespace', doc: vs({ gateways: ['Prod/gw'], http: [{ route: [{ destination: dest() }] }] }), lines: ['spec.gateways[0]: invalid gateway "Prod/gw": "Prod" is not a namespace'] },
  { kind: 'VirtualService', name: 'a gateway name with a dotted gateway part', doc: vs({ gateways: ['prod/my.gw'], http: [{ route: [{ destination: dest() }] }] }), lines: ['spec.gateways[0]: invalid gateway "prod/my.gw": "my.gw" is not a gateway name'] },
  { kind: 'VirtualService', name: 'a gateway name with spaces', doc: vs({ gateways: ['my gateway'], http: [{ route: [{ destination: dest() }] }] }), lines: ['spec.gateways[0]: invalid gateway "my gateway": expected mesh, <namespace>/<name> or <name>'] },
  { kind: 'VirtualService', name: 'exportTo with an entry that is no namespace', doc: vs({ exportTo: ['Team A'], http: [{ route: [{ destination: dest() }] }] }), lines: ['spec.exportTo: invalid exportTo entry "Team A": expected ".", "*" or a namespace'] },
  { kind: 'VirtualService', name: 'exportTo mixing * with a namespace', doc: vs({ exportTo: ['*', 'prod'], http: [{ route: [{ destination: dest() }] }] }), lines: ['spec.exportTo: cannot mix "*" (public) with other exportTo entries'] },
  { kind: 'VirtualService', name: 'exportTo listing a namespace twice', doc: vs({ exportTo: ['prod', 'prod'], http: [{ route: [{ destination: dest() }] }] }), lines: ['spec.exportTo: duplicate exportTo entry "prod"'] },
  { kind: 'VirtualService', name: 'exportTo ~ on a VirtualService', doc: vs({ exportTo: ['~'], http: [{ route: [{ destination: dest() }] }] }), lines: ['spec.exportTo: invalid exportTo entry "~": expected ".", "*" or a namespace'] },
  { kind: 'VirtualService', name: 'a destination host "*"', doc: http({ route: [{ destination: dest('*') }] }), lines: [`${H}.route[0].destination.host: invalid destination host "*"`] },
  { kind: 'VirtualService', name: 'a destination with an unknown field', doc: http({ route: [{ destination: { host: 'reviews', version: 'v1' } }] }), lines: [`${H}.route[0].destination.version: unknown field`] },
  { kind: 'VirtualService', name: 'a route weight above int32', doc: http({ route: [{ destination: dest('reviews', 'v1'), weight: 1.5 }] }), lines: [`${H}.route[0].weight: must be an integer`] },
  // Numbers bounded to the protobuf type Istio uses, so nothing accepted changes on its way to xDS.
  { kind: 'VirtualService', name: 'a route weight of 2^32 (int32 in Istio)', doc: http({ route: [{ destination: dest('reviews', 'v1'), weight: 4294967296 }] }), lines: [`${H}.route[0].weight: must be <= 2147483647`] },
  { kind: 'VirtualService', name: 'a route weight of 1e23', doc: http({ route: [{ destination: dest('reviews', 'v1'), weight: 1e23 }] }), lines: [`${H}.route[0].weight: must be <= 2147483647`] },
  { kind: 'VirtualService', name: 'weights adding up past Envoy’s uint32 total', doc: http({ route: [0, 1, 2].map((i) => ({ destination: dest('reviews', `v${i}`), weight: 2147483647 })) }), lines: [`${H}.route: weights add up to 6442450941, more than 4294967295 (the uint32 total Envoy keeps)`] },
  { kind: 'VirtualService', name: 'TCP weights adding up past Envoy’s uint32 total', doc: vs({ tcp: [{ route: [0, 1, 2].map((i) => ({ destination: dest('reviews', `v${i}`), weight: 2147483647 })) }] }), lines: ['spec.tcp[0].route: weights add up to 6442450941, more than 4294967295 (the uint32 total Envoy keeps)'] },
  { kind: 'VirtualService', name: 'retry attempts of 1e20', doc: routed({ retries: { attempts: 1e20 } }), lines: [`${H}.retries.attempts: must be <= 2147483647`] },
  { kind: 'VirtualService', name: 'a timeout past protobuf Duration’s range', doc: routed({ timeout: '100000000000000000000s' }), lines: [`${H}.timeout: invalid duration "100000000000000000000s": must be at most 315576000000s (protobuf Duration's range)`] },
  { kind: 'VirtualService', name: 'a fault delay past protobuf Duration’s range', doc: routed({ fault: { delay: { fixedDelay: '87660000000h', percentage: { value: 10 } } } }), lines: [`${H}.fault.delay.fixedDelay: invalid duration "87660000000h": must be at most 315576000000s (protobuf Duration's range)`] },
  { kind: 'DestinationRule', name: 'consecutive5xxErrors past uint32', doc: policy({ outlierDetection: { consecutive5xxErrors: 4294967296 } }), lines: ['spec.trafficPolicy.outlierDetection.consecutive5xxErrors: must be <= 4294967295'] },
  { kind: 'DestinationRule', name: 'a ring size past what a JSON number holds exactly', doc: policy({ loadBalancer: { consistentHash: { useSourceIp: true, ringHash: { minimumRingSize: 1e20 } } } }), lines: ['spec.trafficPolicy.loadBalancer.consistentHash.ringHash.minimumRingSize: must be <= 9007199254740991'] },
  { kind: 'WorkloadGroup', name: 'a probe period past int32', doc: wg({ probe: { periodSeconds: 2147483648, httpGet: { port: 8080 } } }), lines: ['spec.probe.periodSeconds: must be <= 2147483647'] },
  { kind: 'VirtualService', name: 'route together with directResponse', doc: http({ route: [{ destination: dest() }], directResponse: { status: 503 } }), lines: [`${H}: route, redirect and directResponse are mutually exclusive`] },
  { kind: 'VirtualService', name: 'redirect together with directResponse', doc: http({ redirect: { uri: '/x' }, directResponse: { status: 503 } }), lines: [`${H}: route, redirect and directResponse are mutually exclusive`] },
  { kind: 'VirtualService', name: 'a fault beside a redirect', doc: http({ redirect: { uri: '/x' }, fault: { abort: { httpStatus: 500 } } }), lines: [`${H}.fault: cannot be combined with redirect`] },
  { kind: 'VirtualService', name: 'a rewrite beside a redirect', doc: http({ redirect: { uri: '/x' }, rewrite: { uri: '/y' } }), lines: [`${H}.rewrite: cannot be combined with redirect`] },
  { kind: 'VirtualService', name: 'a fault beside a direct response', doc: http({ directResponse: { status: 200 }, fault: { delay: { fixedDelay: '1s' } } }), lines: [`${H}.fault: cannot be combined with directResponse`] },
  { kind: 'VirtualService', name: 'a delegate beside a route', doc: http({ delegate: { name: 'reviews-delegate' }, route: [{ destination: dest() }] }), lines: [`${H}: a route that delegates cannot also set route, redirect or directResponse`] },
  { kind: 'VirtualService', name: 'a redirect that changes nothing', doc: http({ redirect: { redirectCode: 301 } }), lines: [`${H}.redirect: must set at least one of uri, prefixRewrite, authority, scheme, port, derivePort`] },
  { kind: 'VirtualService', name: 'a redirect with port and derivePort', doc: http({ redirect: { port: 8443, derivePort: 'FROM_REQUEST_PORT' } }), lines: [`${H}.redirect: port and derivePort are mutually exclusive`] },
  { kind: 'VirtualService', name: 'a redirect to an ftp scheme', doc: http({ redirect: { scheme: 'ftp' } }), lines: [`${H}.redirect.scheme: must be one of http, https`] },
  { kind: 'VirtualService', name: 'a redirect code of 400', doc: http({ redirect: { uri: '/', redirectCode: 400 } }), lines: [`${H}.redirect.redirectCode: must be <= 399`] },
  { kind: 'VirtualService', name: 'a direct response status of 600', doc: http({ directResponse: { status: 600 } }), lines: [`${H}.directResponse.status: must be <= 599`] },
  { kind: 'VirtualService', name: 'a direct response status of 199', doc: http({ directResponse: { status: 199 } }), lines: [`${H}.directResponse.status: must be >= 200`] },
  { kind: 'VirtualService', name: 'a direct response body with string and bytes', doc: http({ directResponse: { status: 200, body: { string: 'a', bytes: 'YQ==' } } }), lines: [`${H}.directResponse.body: must set exactly one of string, bytes`] },
  { kind: 'VirtualService', name: 'a direct response body that is not base64', doc: http({ directResponse: { status: 200, body: { bytes: 'not base64!' } } }), lines: [`${H}.directResponse.body.bytes: must be base64`] },
  { kind: 'VirtualService', name: 'a rewrite with uri and uriRegexRewrite', doc: routed({ rewrite: { uri: '/a', uriRegexRewrite: { match: '^/b', rewrite: '/c' } } }), lines: [`${H}.rewrite: uri and uriRegexRewrite are mutually exclusive`] },
  { kind: 'VirtualService', name: 'an empty rewrite', doc: routed({ rewrite: {} }), lines: [`${H}.rewrite: must set at least one of uri, uriRegexRewrite, authority`] },
  { kind: 'VirtualService', name: 'a regex rewrite without rewrite', doc: routed({ rewrite: { uriRegexRewrite: { match: '^/b' } } }), lines: [`${H}.rewrite.uriRegexRewrite.rewrite: required`] },
  { kind: 'VirtualService', name: 'a regex rewrite with a broken regex', doc: routed({ rewrite: { uriRegexRewrite: { match: '([a-z', rewrite: '/' } } }), lines: [`${H}.rewrite.uriRegexRewrite.match: error parsing regexp: missing closing ]: \`[a-z\`; ${RE2}`] },
  { kind: 'VirtualService', name: 'a regex rewrite with a lookahead', doc: routed({ rewrite: { uriRegexRewrite: { match: '^/(?!internal)(.*)', rewrite: '/\\1' } } }), lines: [`${H}.rewrite.uriRegexRewrite.match: error parsing regexp: invalid or unsupported Perl syntax: \`(?!\`; ${RE2}`] },
  { kind: 'VirtualService', name: 'a regex rewrite longer than 1024 bytes', doc: routed({ rewrite: { uriRegexRewrite: { match: 'a'.repeat(1025), rewrite: '/' } } }), lines: [`${H}.rewrite.uriRegexRewrite.match: is too long: at most 1024 bytes`] },
  { kind: 'VirtualService', name: 'the authority rewritten twice', doc: routed({ rewrite: { authority: 'a.example.com' }, headers: { request: { set: { ':authority': 'b.example.com' } } } }), lines: [`${H}: the authority is rewritten more than once (rewrite.authority and headers)`] },
  { kind: 'VirtualService', name: 'retries with a retryOn policy Envoy does not know', doc: routed({ retries: { attempts: 3, retryOn: '5xx,sometimes' } }), lines: [`${H}.retries.retryOn: "sometimes" is not a retryOn policy: use 5xx, gateway-error, reset, reset-before-request, connect-failure, retriable-4xx, … or an HTTP status code`] },
  { kind: 'VirtualService', name: 'retries on a status code that does not exist', doc: routed({ retries: { attempts: 3, retryOn: '599' } }), lines: [`${H}.retries.retryOn: "599" is not a retryOn policy: use 5xx, gateway-error, reset, reset-before-request, connect-failure, retriable-4xx, … or an HTTP status code`] },
  { kind: 'VirtualService', name: 'retry settings with attempts 0', doc: routed({ retries: { attempts: 0, perTryTimeout: '1s' } }), lines: [`${H}.retries: retry settings given while attempts is 0 (retries disabled): set attempts >= 1`] },
  { kind: 'VirtualService', name: 'retry settings without attempts', doc: routed({ retries: { retryOn: '5xx' } }), lines: [`${H}.retries: retry settings given while attempts is 0 (retries disabled): set attempts >= 1`] },
  { kind: 'VirtualService', name: 'a per-try timeout of 0.5ms', doc: routed({ retries: { attempts: 2, perTryTimeout: '1.5ms' } }), lines: [`${H}.retries.perTryTimeout: invalid duration "1.5ms": only whole milliseconds are supported`] },
  { kind: 'VirtualService', name: 'a negative timeout', doc: routed({ timeout: '-1s' }), lines: [`${H}.timeout: invalid duration "-1s": use a number with a unit, e.g. 10s, 1.5s, 100ms`] },
  { kind: 'VirtualService', name: 'a redirect with both uri and prefixRewrite', doc: http({ redirect: { uri: '/a', prefixRewrite: '/b' } }), lines: [`${H}.redirect: uri and prefixRewrite are mutually exclusive`] },
  { kind: 'VirtualService', name: 'an exponential delay', doc: routed({ fault: { delay: { exponentialDelay: '1s' } } }), lines: [`${H}.fault.delay.exponentialDelay: is not supported (by Istio either): use fixedDelay`] },
  { kind: 'VirtualService', name: 'an abort with an HTTP/2 error', doc: routed({ fault: { abort: { http2Error: 'REFUSED_STREAM' } } }), lines: [`${H}.fault.abort.http2Error: is not supported (by Istio either): use httpStatus or grpcStatus`] },
  { kind: 'VirtualService', name: 'an abort with an unknown gRPC status', doc: routed({ fault: { abort: { grpcStatus: 'BROKEN' } } }), lines: [`${H}.fault.abort.grpcStatus: must be one of OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS, UNAUTHENTICATED`] },
  { kind: 'VirtualService', name: 'an abort status of 100', doc: routed({ fault: { abort: { httpStatus: 100 } } }), lines: [`${H}.fault.abort.httpStatus: must be >= 200`] },
  { kind: 'VirtualService', name: 'a negative fault percentage', doc: routed({ fault: { delay: { fixedDelay: '1s', percentage: { value: -1 } } } }), lines: [`${H}.fault.delay.percentage.value: must be between 0 and 100`] },
  { kind: 'VirtualService', name: 'a deprecated integer delay percent above 100', doc: routed({ fault: { delay: { fixedDelay: '1s', percent: 101 } } }), lines: [`${H}.fault.delay.percent: must be <= 100`] },
  { kind: 'VirtualService', name: 'a mirror percentage above 100', doc: routed({ mirror: dest('ratings'), mirrorPercentage: { value: 100.5 } }), lines: [`${H}.mirrorPercentage.value: must be between 0 and 100`] },
  { kind: 'VirtualService', name: 'a negative mirror percentage', doc: routed({ mirror: dest('ratings'), mirrorPercentage: { value: -5 } }), lines: [`${H}.mirrorPercentage.value: must be between 0 and 100`] },
  { kind: 'VirtualService', name: 'a deprecated mirrorPercent above 100', doc: routed({ mirror: dest('ratings'), mirrorPercent: 150 }), lines: [`${H}.mirrorPercent: must be <= 100`] },
  { kind: 'VirtualService', name: 'mirror and mirrors together', doc: routed({ mirror: dest('ratings'), mirrors: [{ destination: dest('details') }] }), lines: [`${H}: mirror and mirrors are mutually exclusive`] },
  { kind: 'VirtualService', name: 'a mirrors entry without destination', doc: routed({ mirrors: [{ percentage: { value: 5 } }] }), lines: [`${H}.mirrors[0].destination: required`] },
  { kind: 'VirtualService', name: 'a mirrors percentage above 100', doc: routed({ mirrors: [{ destination: dest('details'), percentage: { value: 200 } }] }), lines: [`${H}.mirrors[0].percentage.value: must be between 0 and 100`] },
  { kind: 'VirtualService', name: 'a mirror to a subset in upper case', doc: routed({ mirror: dest('ratings', 'Shadow') }), lines: [`${H}.mirror.subset: must be a DNS-1123 label (lower-case letters, digits and "-")`] },
  { kind: 'VirtualService', name: 'a CORS method that is not HTTP', doc: routed({ corsPolicy: { allowMethods: ['GET', 'FETCH'] } }), lines: [`${H}.corsPolicy.allowMethods[1]: must be one of GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT, OPTIONS, TRACE`] },
  { kind: 'VirtualService', name: 'a CORS header with a space', doc: routed({ corsPolicy: { allowHeaders: ['x token'] } }), lines: [`${H}.corsPolicy.allowHeaders[0]: invalid header name "x token"`] },
  { kind: 'VirtualService', name: 'a CORS maxAge below a second', doc: routed({ corsPolicy: { maxAge: '1500ms' } }), lines: [`${H}.corsPolicy.maxAge: is accurate to seconds only: use a whole number of seconds`] },
  { kind: 'VirtualService', name: 'an empty CORS origin', doc: routed({ corsPolicy: { allowOrigins: [{ exact: '' }] } }), lines: [`${H}.corsPolicy.allowOrigins[0]: an origin match must not be empty`] },
  { kind: 'VirtualService', name: 'an unknown unmatchedPreflights', doc: routed({ corsPolicy: { unmatchedPreflights: 'DROP' } }), lines: [`${H}.corsPolicy.unmatchedPreflights: must be one of UNSPECIFIED, FORWARD, IGNORE`] },
  { kind: 'VirtualService', name: 'a header set on a pseudo-header', doc: routed({ headers: { request: { set: { ':path': '/x' } } } }), lines: [`${H}.headers.request.set[":path"]: invalid header ":path": a header cannot have a ":" prefix`] },
  { kind: 'VirtualService', name: 'a response header rewriting Host', doc: routed({ headers: { response: { set: { host: 'x' } } } }), lines: [`${H}.headers.response.set.host: invalid header "host": the Host header cannot be changed here`] },
  { kind: 'VirtualService', name: 'removing the Host header', doc: routed({ headers: { request: { remove: ['Host'] } } }), lines: [`${H}.headers.request.remove[0]: invalid header "Host": the Host header cannot be changed here`] },
  { kind: 'VirtualService', name: 'a header value with a lone %', doc: routed({ headers: { request: { set: { 'x-discount': '50%' } } } }), lines: [`${H}.headers.request.set.x-discount: header value "50%": "%" must start a %VARIABLE% or be written "%%"`] },
  { kind: 'VirtualService', name: 'a header value with a newline', doc: routed({ headers: { response: { add: { 'x-note': 'a\nb' } } } }), lines: [`${H}.headers.response.add.x-note: header value "a\\nb" contains a control character`] },
  { kind: 'VirtualService', name: 'a destination header set with a pseudo-header', doc: http({ route: [{ destination: dest(), headers: { request: { add: { ':method': 'POST' } } } }] }), lines: [`${H}.route[0].headers.request.add[":method"]: invalid header ":method": a header cannot have a ":" prefix`] },
  { kind: 'VirtualService', name: 'a header match name with a space', doc: matched({ headers: { 'end user': { exact: 'jason' } } }), lines: [`${H}.match[0].headers["end user"]: invalid header name "end user"`] },
  { kind: 'VirtualService', name: 'an empty header prefix match', doc: matched({ headers: { 'end-user': { prefix: '' } } }), lines: [`${H}.match[0].headers.end-user.prefix: must not be empty`] },
  { kind: 'VirtualService', name: 'an empty regex match', doc: matched({ uri: { regex: '' } }), lines: [`${H}.match[0].uri.regex: must not be empty`] },
  { kind: 'VirtualService', name: 'a regex longer than 1024 bytes', doc: matched({ uri: { regex: 'a'.repeat(1025) } }), lines: [`${H}.match[0].uri.regex: is too long: at most 1024 bytes`] },
  // Istio counts Go's len, so bytes.
  { kind: 'VirtualService', name: 'a regex of 513 characters that is 1026 bytes', doc: matched({ uri: { regex: 'é'.repeat(513) } }), lines: [`${H}.match[0].uri.regex: is too long: at most 1024 bytes`] },
  { kind: 'VirtualService', name: 'a regex with a lookahead', doc: matched({ uri: { regex: '(?=/api)/api/.*' } }), lines: [`${H}.match[0].uri.regex: error parsing regexp: invalid or unsupported Perl syntax: \`(?=\`; ${RE2}`] },
  { kind: 'VirtualService', name: 'a regex with a lookbehind', doc: matched({ headers: { 'x-version': { regex: '(?<=v)1' } } }), lines: [`${H}.match[0].headers.x-version.regex: error parsing regexp: invalid named capture: \`(?<=v)1\`; ${RE2}`] },
  { kind: 'VirtualService', name: 'a regex with a negative lookbehind', doc: matched({ withoutHeaders: { 'x-debug': { regex: '(?<!0)1' } } }), lines: [`${H}.match[0].withoutHeaders.x-debug.regex: error parsing regexp: invalid named capture: \`(?<!0)1\`; ${RE2}`] },
  { kind: 'VirtualService', name: 'a regex with a backreference', doc: matched({ uri: { regex: '/(a+)/\\1' } }), lines: [`${H}.match[0].uri.regex: error parsing regexp: invalid escape sequence: \`\\1\`; ${RE2}`] },
  { kind: 'VirtualService', name: 'a regex with a possessive repeat', doc: matched({ queryParams: { v: { regex: '[0-9]++' } } }), lines: [`${H}.match[0].queryParams.v.regex: error parsing regexp: invalid nested repetition operator: \`++\`; ${RE2}`] },
  { kind: 'VirtualService', name: 'a regex repeat count over 1000', doc: matched({ authority: { regex: 'a{1001}' } }), lines: [`${H}.match[0].authority.regex: error parsing regexp: invalid repeat count: \`{1001}\`; ${RE2}`] },
  { kind: 'VirtualService', name: 'nested regex repeats of more than 1000 in all', doc: matched({ uri: { regex: '(?:(?:a{10}){10}){11}' } }), lines: [`${H}.match[0].uri.regex: error parsing regexp: invalid repeat count: \`{11}\`; ${RE2}`] },
  { kind: 'VirtualService', name: 'a CORS origin regex with a lookahead', doc: routed({ corsPolicy: { allowOrigins: [{ regex: 'https://(?!evil).*' }] } }), lines: [`${H}.corsPolicy.allowOrigins[0].regex: error parsing regexp: invalid or unsupported Perl syntax: \`(?!\`; ${RE2}`] },
  { kind: 'VirtualService', name: 'an empty method prefix', doc: matched({ method: { prefix: '' } }), lines: [`${H}.match[0].method.prefix: must not be empty`] },
  { kind: 'VirtualService', name: 'a query parameter match with two kinds', doc: matched({ queryParams: { v: { exact: '1', regex: '1' } } }), lines: [`${H}.match[0].queryParams.v: must set exactly one of exact, prefix, regex`] },
  { kind: 'VirtualService', name: 'a sourceNamespace with upper case', doc: matched({ sourceNamespace: 'Prod' }), lines: [`${H}.match[0].sourceNamespace: must be a DNS-1123 label (lower-case letters, digits and "-")`] },
  { kind: 'VirtualService', name: 'a match gateway that is not a name', doc: matched({ gateways: ['a b'] }), lines: [`${H}.match[0].gateways[0]: invalid gateway "a b": expected mesh, <namespace>/<name> or <name>`] },
  { kind: 'VirtualService', name: 'JWT claim routing on a mesh VirtualService', doc: matched({ headers: { '@request.auth.claims.group': { exact: 'admin' } } }), lines: [`${H}.match[0]: JWT claim routing ("@request.auth.claims.group") works only on gateways: bind this VirtualService to a gateway`] },
  { kind: 'VirtualService', name: 'a TCP route without route', doc: vs({ tcp: [{ match: [{ port: 3306 }] }] }), lines: ['spec.tcp[0].route: required'] },
  { kind: 'VirtualService', name: 'TCP weights adding up to 0', doc: vs({ tcp: [{ route: [{ destination: dest('a'), weight: 0 }, { destination: dest('b'), weight: 0 }] }] }), lines: ['spec.tcp[0].route: weights of several destinations must add up to more than 0'] },
  { kind: 'VirtualService', name: 'a TCP destination subnet that is no CIDR', doc: vs({ tcp: [{ match: [{ destinationSubnets: ['10.0.0.0/33'] }], route: [{ destination: dest() }] }] }), lines: ['spec.tcp[0].match[0].destinationSubnets[0]: "10.0.0.0/33" is not a valid CIDR block'] },
  { kind: 'VirtualService', name: 'a TCP match port of 0', doc: vs({ tcp: [{ match: [{ port: 0 }], route: [{ destination: dest() }] }] }), lines: ['spec.tcp[0].match[0].port: must be >= 1'] },
  { kind: 'VirtualService', name: 'a TLS route without match', doc: vs({ tls: [{ route: [{ destination: dest() }] }] }), lines: ['spec.tls[0].match: required'] },
  { kind: 'VirtualService', name: 'a TLS match without sniHosts', doc: vs({ tls: [{ match: [{ port: 443 }], route: [{ destination: dest() }] }] }), lines: ['spec.tls[0].match[0].sniHosts: required'] },
  { kind: 'VirtualService', name: 'an SNI host the VirtualService does not serve', doc: vs({ tls: [{ match: [{ sniHosts: ['other.example.com'] }], route: [{ destination: dest() }] }] }), lines: ['spec.tls[0].match[0].sniHosts[0]: "other.example.com" is not one of the VirtualService\'s hosts (or covered by a wildcard host)'] },
  { kind: 'VirtualService', name: 'a TLS route without destinations', doc: vs({ hosts: ['a.example.com'], tls: [{ match: [{ sniHosts: ['a.example.com'] }], route: [] }] }), lines: ['spec.tls[0].route: must not be empty'] },

  // ── DestinationRule ───────────────────────────────────────────────────────────────────
  { kind: 'DestinationRule', name: 'an empty traffic policy', doc: policy({}), lines: ['spec.trafficPolicy: a traffic policy must set at least one field'] },
  { kind: 'DestinationRule', name: 'an empty connection pool', doc: policy({ connectionPool: {} }), lines: ['spec.trafficPolicy.connectionPool: a connection pool must set at least one field'] },
  { kind: 'DestinationRule', name: 'a negative maxConnections', doc: policy({ connectionPool: { tcp: { maxConnections: -1 } } }), lines: ['spec.trafficPolicy.connectionPool.tcp.maxConnections: must be >= 0'] },
  { kind: 'DestinationRule', name: 'maxConnections above int32', doc: policy({ connectionPool: { tcp: { maxConnections: 2147483648 } } }), lines: ['spec.trafficPolicy.connectionPool.tcp.maxConnections: must be <= 2147483647'] },
  { kind: 'DestinationRule', name: 'a keepalive interval without unit', doc: policy({ connectionPool: { tcp: { tcpKeepalive: { interval: '75' } } } }), lines: ['spec.trafficPolicy.connectionPool.tcp.tcpKeepalive.interval: invalid duration "75": use a number with a unit, e.g. 10s, 1.5s, 100ms'] },
  { kind: 'DestinationRule', name: 'useClientProtocol with UPGRADE', doc: policy({ connectionPool: { http: { h2UpgradePolicy: 'UPGRADE', useClientProtocol: true } } }), lines: ['spec.trafficPolicy.connectionPool.http.useClientProtocol: must not be true when h2UpgradePolicy is UPGRADE'] },
  { kind: 'DestinationRule', name: 'an unknown h2UpgradePolicy', doc: policy({ connectionPool: { http: { h2UpgradePolicy: 'ALWAYS' } } }), lines: ['spec.trafficPolicy.connectionPool.http.h2UpgradePolicy: must be one of DEFAULT, DO_NOT_UPGRADE, UPGRADE'] },
  { kind: 'DestinationRule', name: 'local origin failures without splitting them', doc: policy({ outlierDetection: { consecutiveLocalOriginFailures: 5 } }), lines: ['spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures: needs splitExternalLocalOriginErrors: true'] },
  { kind: 'DestinationRule', name: 'deprecated consecutiveErrors with consecutive5xxErrors', doc: policy({ outlierDetection: { consecutiveErrors: 5, consecutive5xxErrors: 5 } }), lines: ['spec.trafficPolicy.outlierDetection.consecutiveErrors: is deprecated and cannot be combined with consecutive5xxErrors or consecutiveGatewayErrors'] },
  { kind: 'DestinationRule', name: 'minHealthPercent above 100', doc: policy({ outlierDetection: { minHealthPercent: 150 } }), lines: ['spec.trafficPolicy.outlierDetection.minHealthPercent: must be <= 100'] },
  { kind: 'DestinationRule', name: 'a baseEjectionTime of 0', doc: policy({ outlierDetection: { baseEjectionTime: '0s' } }), lines: ['spec.trafficPolicy.outlierDetection.baseEjectionTime: must be at least 1ms'] },
  { kind: 'DestinationRule', name: 'a cookie hash without cookie name', doc: policy({ loadBalancer: { consistentHash: { httpCookie: { name: '', ttl: '0.5ms' } } } }), lines: ['spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name: must not be empty', 'spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.ttl: must be at least 1ms'] },
  { kind: 'DestinationRule', name: 'a Maglev table that is not prime', doc: policy({ loadBalancer: { consistentHash: { useSourceIp: true, maglev: { tableSize: 65536 } } } }), lines: ['spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize: must be a prime number'] },
  { kind: 'DestinationRule', name: 'a Maglev table too large', doc: policy({ loadBalancer: { consistentHash: { useSourceIp: true, maglev: { tableSize: 5000011 } } } }), lines: ['spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize: must be less than 5000011'] },
  { kind: 'DestinationRule', name: 'ringHash and maglev together', doc: policy({ loadBalancer: { consistentHash: { useSourceIp: true, ringHash: { minimumRingSize: 1024 }, maglev: { tableSize: 65537 } } } }), lines: ['spec.trafficPolicy.loadBalancer.consistentHash: ringHash and maglev are mutually exclusive'] },
  { kind: 'DestinationRule', name: 'deprecated minimumRingSize with ringHash', doc: policy({ loadBalancer: { consistentHash: { useSourceIp: true, minimumRingSize: 1024, ringHash: { minimumRingSize: 1024 } } } }), lines: ['spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize: is deprecated and cannot be combined with ringHash or maglev'] },
  { kind: 'DestinationRule', name: 'locality weights not adding up to 100', doc: policy({ loadBalancer: { localityLbSetting: { distribute: [{ from: 'us-west/*', to: { 'us-west/*': 80, 'us-east/*': 10 } }] } } }), lines: ['spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to: weights must add up to 100 (they add up to 90)'] },
  { kind: 'DestinationRule', name: 'locality distribute with failover', doc: policy({ loadBalancer: { localityLbSetting: { distribute: [{ from: 'a/*', to: { 'b/*': 100 } }], failover: [{ from: 'a', to: 'b' }] } } }), lines: ['spec.trafficPolicy.loadBalancer.localityLbSetting: distribute cannot be combined with failover or failoverPriority'] },
  { kind: 'DestinationRule', name: 'a failover to the same region', doc: policy({ loadBalancer: { localityLbSetting: { failover: [{ from: 'us-east', to: 'us-east' }] } } }), lines: ['spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0].to: must differ from "from": failover to the same region does nothing'] },
  { kind: 'DestinationRule', name: 'a warmup duration without unit', doc: policy({ loadBalancer: { simple: 'ROUND_ROBIN', warmupDurationSecs: '30' } }), lines: ['spec.trafficPolicy.loadBalancer.warmupDurationSecs: invalid duration "30": use a number with a unit, e.g. 10s, 1.5s, 100ms'] },
  { kind: 'DestinationRule', name: 'MUTUAL TLS without client certificate', doc: policy({ tls: { mode: 'MUTUAL', privateKey: '/etc/key.pem' } }), lines: ['spec.trafficPolicy.tls.clientCertificate: required for mode MUTUAL (or set credentialName)'] },
  { kind: 'DestinationRule', name: 'ISTIO_MUTUAL with a certificate file', doc: policy({ tls: { mode: 'ISTIO_MUTUAL', caCertificates: '/etc/ca.pem' } }), lines: ['spec.trafficPolicy.tls.caCertificates: cannot be set with mode ISTIO_MUTUAL (Istio provides the certificates)'] },
  { kind: 'DestinationRule', name: 'credentialName beside certificate files', doc: policy({ tls: { mode: 'SIMPLE', credentialName: 'cred', caCertificates: '/etc/ca.pem' } }), lines: ['spec.trafficPolicy.tls.caCertificates: cannot be set together with credentialName'] },
  { kind: 'DestinationRule', name: 'insecureSkipVerify with a CA', doc: policy({ tls: { mode: 'SIMPLE', insecureSkipVerify: true, caCertificates: '/etc/ca.pem' } }), lines: ['spec.trafficPolicy.tls.insecureSkipVerify: cannot be combined with caCertificates or subjectAltNames'] },
  { kind: 'DestinationRule', name: 'a port-level policy with only a port', doc: policy({ portLevelSettings: [{ port: { number: 80 } }] }), lines: ['spec.trafficPolicy.portLevelSettings[0]: a port traffic policy must set at least one of loadBalancer, connectionPool, outlierDetection, tls'] },
  { kind: 'DestinationRule', name: 'a port-level policy for one port twice', doc: policy({ portLevelSettings: [{ port: { number: 80 }, tls: { mode: 'DISABLE' } }, { port: { number: 80 }, tls: { mode: 'SIMPLE' } }] }), lines: ['spec.trafficPolicy.portLevelSettings[1].port.number: duplicate port 80'] },
  { kind: 'DestinationRule', name: 'a tunnel with an unknown protocol', doc: policy({ tunnel: { protocol: 'GET', targetHost: 'proxy.example.com', targetPort: 8080 } }), lines: ['spec.trafficPolicy.tunnel.protocol: must be one of CONNECT, POST'] },
  { kind: 'DestinationRule', name: 'a tunnel target that is no host', doc: policy({ tunnel: { targetHost: 'proxy_1', targetPort: 8080 } }), lines: ['spec.trafficPolicy.tunnel.targetHost: invalid hostname "proxy_1"'] },
  { kind: 'DestinationRule', name: 'tunnel and proxyProtocol together', doc: policy({ tunnel: { targetHost: '10.0.0.1', targetPort: 8080 }, proxyProtocol: { version: 'V1' } }), lines: ['spec.trafficPolicy: tunnel and proxyProtocol are mutually exclusive'] },
  { kind: 'DestinationRule', name: 'an unknown proxy protocol version', doc: policy({ proxyProtocol: { version: 'V3' } }), lines: ['spec.trafficPolicy.proxyProtocol.version: must be one of V1, V2'] },
  { kind: 'DestinationRule', name: 'a subset with an empty traffic policy', doc: dr({ subsets: [{ name: 'v1', labels: { version: 'v1' }, trafficPolicy: {} }] }), lines: ['spec.subsets[0].trafficPolicy: a traffic policy must set at least one field'] },
  { kind: 'DestinationRule', name: 'warmup without duration and with a percent above 100', doc: policy({ loadBalancer: { warmup: { minimumPercent: 150 } } }), lines: ['spec.trafficPolicy.loadBalancer.warmup.duration: required', 'spec.trafficPolicy.loadBalancer.warmup.minimumPercent: must be between 0 and 100'] },
  { kind: 'DestinationRule', name: 'a workload selector exported beyond its namespace', doc: dr({ workloadSelector: { matchLabels: { app: 'ratings' } }, exportTo: ['*'] }), lines: ['spec.exportTo: a DestinationRule with a workloadSelector can only be exported to its own namespace (".")'] },
  { kind: 'DestinationRule', name: 'a selector label value with a wildcard', doc: dr({ workloadSelector: { matchLabels: { app: '*' } } }), lines: ['spec.workloadSelector.matchLabels.app: invalid label value "*"'] },
  { kind: 'DestinationRule', name: 'a host with an all-numeric top-level domain', doc: dr({ host: 'reviews.1' }), lines: ['spec.host: invalid hostname "reviews.1": the top-level domain cannot be all-numeric'] },

  // ── ServiceEntry ──────────────────────────────────────────────────────────────────────
  { kind: 'ServiceEntry', name: 'an address that is not an IP', doc: se({ addresses: ['api.example.com'] }), lines: ['spec.addresses[0]: "api.example.com" is not a valid IP address or CIDR block'] },
  { kind: 'ServiceEntry', name: 'a CIDR address with DNS resolution', doc: se({ addresses: ['10.0.0.0/24'], resolution: 'DNS' }), lines: ['spec.addresses[0]: a CIDR block needs resolution NONE or STATIC (got DNS)'] },
  { kind: 'ServiceEntry', name: 'a port name with upper case', doc: se({ ports: [{ number: 443, name: 'HTTPS' }] }), lines: ['spec.ports[0].name: must be a DNS-1123 label (lower-case letters, digits and "-")'] },
  { kind: 'ServiceEntry', name: 'an unknown protocol', doc: se({ ports: [{ number: 443, name: 'https', protocol: 'QUIC' }] }), lines: ['spec.ports[0].protocol: unsupported protocol "QUIC": expected one of HTTP, HTTPS, GRPC, GRPC-WEB, HTTP2, HTTP_PROXY, MONGO, REDIS, MYSQL, TCP, TLS, UDP'] },
  { kind: 'ServiceEntry', name: 'a targetPort of 0', doc: se({ ports: [{ number: 443, name: 'https', protocol: 'TLS', targetPort: 0 }] }), lines: ['spec.ports[0].targetPort: must be >= 1'] },
  { kind: 'ServiceEntry', name: 'endpoints with resolution NONE', doc: se({ resolution: 'NONE', endpoints: [{ address: '10.0.0.1' }] }), lines: ['spec.endpoints: must be empty with resolution NONE'] },
  { kind: 'ServiceEntry', name: 'a STATIC endpoint named by DNS', doc: se({ resolution: 'STATIC', endpoints: [{ address: 'vm1.example.com' }] }), lines: ['spec.endpoints[0].address: "vm1.example.com" is not an IP address (resolution STATIC needs one; use DNS for names)'] },
  { kind: 'ServiceEntry', name: 'DNS resolution of a wildcard host without endpoints', doc: se({ hosts: ['*.example.com'], resolution: 'DNS' }), lines: ['spec.hosts[0]: must be a DNS name without wildcard: resolution DNS resolves the host itself when no endpoints are given'] },
  { kind: 'ServiceEntry', name: 'two endpoints with DNS_ROUND_ROBIN', doc: se({ resolution: 'DNS_ROUND_ROBIN', endpoints: [{ address: 'a.example.com' }, { address: 'b.example.com' }] }), lines: ['spec.endpoints: at most one endpoint with resolution DNS_ROUND_ROBIN'] },
  { kind: 'ServiceEntry', name: 'an endpoint port the entry does not declare', doc: se({ resolution: 'STATIC', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], endpoints: [{ address: '10.0.0.1', ports: { grpc: 9090 } }] }), lines: ['spec.endpoints[0].ports.grpc: port "grpc" is not declared in spec.ports'] },
  { kind: 'ServiceEntry', name: 'two hosts on a TCP port', doc: se({ hosts: ['a.example.com', 'b.example.com'], resolution: 'DNS', ports: [{ number: 5432, name: 'tcp-db', protocol: 'TCP' }] }), lines: ['spec.ports[0].protocol: several hosts need HTTP or TLS ports (a TCP port cannot tell hosts apart): split the ServiceEntry'] },
  { kind: 'ServiceEntry', name: 'the same host twice', doc: se({ hosts: ['api.example.com', 'api.example.com'] }), lines: ['spec.hosts[1]: duplicate host "api.example.com"'] },
  { kind: 'ServiceEntry', name: 'exportTo ~ with a namespace', doc: se({ exportTo: ['~', 'prod'] }), lines: ['spec.exportTo: cannot mix "~" (exported to no one) with other exportTo entries'] },
  { kind: 'ServiceEntry', name: 'an unknown location', doc: se({ location: 'MESH_EDGE' }), lines: ['spec.location: must be one of MESH_EXTERNAL, MESH_INTERNAL'] },
  { kind: 'ServiceEntry', name: 'a workload selector with a label that is no label', doc: se({ workloadSelector: { labels: { 'a b': 'c' } } }), lines: ['spec.workloadSelector.labels["a b"]: invalid label key "a b"'] },
  { kind: 'ServiceEntry', name: 'an endpoint address with a space', doc: se({ resolution: 'DNS', endpoints: [{ address: 'vm 1' }] }), lines: ['spec.endpoints[0].address: "vm 1" is not a valid IP address or DNS name'] },

  // ── WorkloadEntry ─────────────────────────────────────────────────────────────────────
  { kind: 'WorkloadEntry', name: 'an address that is neither IP nor DNS name', doc: we({ address: '10.0.0.1:8080' }), lines: ['spec.address: "10.0.0.1:8080" is not a valid IP address or DNS name'] },
  { kind: 'WorkloadEntry', name: 'a relative unix socket path', doc: we({ address: 'unix://var/run/app.sock' }), lines: ['spec.address: "unix://var/run/app.sock" is not an absolute path to a unix domain socket'] },
  { kind: 'WorkloadEntry', name: 'a unix socket with ports', doc: we({ address: 'unix:///var/run/app.sock', ports: { http: 80 } }), lines: ['spec.ports: a unix domain socket endpoint has no ports'] },
  { kind: 'WorkloadEntry', name: 'a port name with an underscore', doc: we({ ports: { http_alt: 8080 } }), lines: ['spec.ports.http_alt: invalid port name "http_alt": must be a DNS-1123 label'] },
  { kind: 'WorkloadEntry', name: 'a port above 65535', doc: we({ ports: { http: 65536 } }), lines: ['spec.ports.http: must be <= 65535'] },
  { kind: 'WorkloadEntry', name: 'a label value too long', doc: we({ labels: { version: 'v'.repeat(64) } }), lines: [`spec.labels.version: invalid label value "${'v'.repeat(64)}"`] },
  { kind: 'WorkloadEntry', name: 'a weight that is a string', doc: we({ weight: '10' }), lines: ['spec.weight: must be an integer'] },

  // ── WorkloadGroup ─────────────────────────────────────────────────────────────────────
  { kind: 'WorkloadGroup', name: 'no template', doc: doc(NET, 'WorkloadGroup', { metadata: { labels: { app: 'vm' } } }), lines: ['spec.template: required'] },
  { kind: 'WorkloadGroup', name: 'an address in the template', doc: wg({ template: { address: '10.0.0.1' } }), lines: ['spec.template.address: must not be set in a template: each workload brings its own when it registers'] },
  { kind: 'WorkloadGroup', name: 'invalid labels in the group metadata', doc: wg({ metadata: { labels: { 'app name': 'vm' } } }), lines: ['spec.metadata.labels["app name"]: invalid label key "app name"'] },
  { kind: 'WorkloadGroup', name: 'a probe without a check', doc: wg({ probe: { periodSeconds: 5 } }), lines: ['spec.probe: must set exactly one of httpGet, tcpSocket, exec'] },
  { kind: 'WorkloadGroup', name: 'a probe with two checks', doc: wg({ probe: { httpGet: { port: 80 }, tcpSocket: { port: 80 } } }), lines: ['spec.probe: must set exactly one of httpGet, tcpSocket, exec'] },
  { kind: 'WorkloadGroup', name: 'a negative probe period', doc: wg({ probe: { periodSeconds: -1, exec: { command: ['true'] } } }), lines: ['spec.probe.periodSeconds: must be >= 0'] },
  { kind: 'WorkloadGroup', name: 'an HTTP probe with a bad scheme', doc: wg({ probe: { httpGet: { port: 80, scheme: 'FTP' } } }), lines: ['spec.probe.httpGet.scheme: must be one of HTTP, HTTPS'] },
  { kind: 'WorkloadGroup', name: 'an HTTP probe without port', doc: wg({ probe: { httpGet: { path: '/healthz' } } }), lines: ['spec.probe.httpGet.port: required'] },
  { kind: 'WorkloadGroup', name: 'an exec probe with no command', doc: wg({ probe: { exec: { command: [] } } }), lines: ['spec.probe.exec.command: must not be empty'] },
  { kind: 'WorkloadGroup', name: 'a probe header with a bad name', doc: wg({ probe: { httpGet: { port: 80, httpHeaders: [{ name: 'x y', value: '1' }] } } }), lines: ['spec.probe.httpGet.httpHeaders[0].name: invalid header name "x y"'] },

  // ── Gateway ───────────────────────────────────────────────────────────────────────────
  { kind: 'Gateway', name: 'a Gateway name with a dot', doc: { ...gw([server()]), metadata: { name: 'edge.gateway', namespace: 'default' } }, lines: ['metadata.name: a Gateway name must be a DNS-1123 label (no dots)'] },
  { kind: 'Gateway', name: 'no servers', doc: gw([]), lines: ['spec.servers: must not be empty'] },
  { kind: 'Gateway', name: 'a server without hosts', doc: gw([{ port: { number: 80, name: 'http', protocol: 'HTTP' } }]), lines: ['spec.servers[0].hosts: required'] },
  { kind: 'Gateway', name: 'a server without port', doc: gw([{ hosts: ['*'] }]), lines: ['spec.servers[0].port: required'] },
  { kind: 'Gateway', name: 'a server port without name', doc: gw([{ port: { number: 80, protocol: 'HTTP' }, hosts: ['*'] }]), lines: ['spec.servers[0].port.name: required'] },
  { kind: 'Gateway', name: 'a server port with an unknown protocol', doc: gw([{ port: { number: 80, name: 'http', protocol: 'SPDY' }, hosts: ['*'] }]), lines: ['spec.servers[0].port.protocol: unsupported protocol "SPDY": expected one of HTTP, HTTPS, GRPC, GRPC-WEB, HTTP2, HTTP_PROXY, MONGO, REDIS, MYSQL, TCP, TLS, UDP'] },
  { kind: 'Gateway', name: 'a server port number 0', doc: gw([server({ port: { number: 0, name: 'http', protocol: 'HTTP' } })]), lines: ['spec.servers[0].port.number: must be >= 1'] },
  { kind: 'Gateway', name: 'a targetPort on a Gateway', doc: gw([server({ port: { number: 80, name: 'http', protocol: 'HTTP', targetPort: 8080 } })]), lines: ['spec.servers[0].port.targetPort: has no effect on a Gateway: remove it'] },
  { kind: 'Gateway', name: 'two servers with one port name', doc: gw([server(), server({ port: { number: 8080, name: 'http', protocol: 'HTTP' } })]), lines: ['spec.servers[1].port.name: duplicate port name "http" (also servers[0])'] },
  { kind: 'Gateway', name: 'an HTTPS server without TLS', doc: gw([server({ port: { number: 443, name: 'https', protocol: 'HTTPS' } })]), lines: ['spec.servers[0].tls: required for a HTTPS port'] },
  { kind: 'Gateway', name: 'TLS settings on a TCP port', doc: gw([server({ port: { number: 31400, name: 'tcp', protocol: 'TCP' }, tls: { mode: 'SIMPLE', credentialName: 'c' } })]), lines: ['spec.servers[0].tls: a TCP port cannot have TLS settings (use HTTPS or TLS)'] },
  { kind: 'Gateway', name: 'certificates on a plain HTTP port', doc: gw([server({ tls: { mode: 'SIMPLE', credentialName: 'c' } })]), lines: ['spec.servers[0].tls: a plain-text HTTP port can only set tls.httpsRedirect'] },
  { kind: 'Gateway', name: 'SIMPLE TLS without certificate or credential', doc: gw([server({ port: { number: 443, name: 'https', protocol: 'HTTPS' }, tls: { mode: 'SIMPLE' } })]), lines: ['spec.servers[0].tls.serverCertificate: required for mode SIMPLE (or set credentialName)', 'spec.servers[0].tls.privateKey: required for mode SIMPLE (or set credentialName)'] },
  { kind: 'Gateway', name: 'MUTUAL TLS without CA bundle', doc: gw([server({ port: { number: 443, name: 'https', protocol: 'HTTPS' }, tls: { mode: 'MUTUAL', serverCertificate: '/c.pem', privateKey: '/k.pem' } })]), lines: ['spec.servers[0].tls.caCertificates: required for mode MUTUAL (or set credentialName)'] },
  { kind: 'Gateway', name: 'ISTIO_MUTUAL with a credential', doc: gw([server({ port: { number: 15443, name: 'tls', protocol: 'TLS' }, tls: { mode: 'ISTIO_MUTUAL', credentialName: 'c' } })]), lines: ['spec.servers[0].tls.credentialName: cannot be set with mode ISTIO_MUTUAL (Istio provides the certificates)'] },
  { kind: 'Gateway', name: 'an unknown TLS mode on a server', doc: gw([server({ port: { number: 443, name: 'https', protocol: 'HTTPS' }, tls: { mode: 'STRICT' } })]), lines: ['spec.servers[0].tls.mode: must be one of PASSTHROUGH, SIMPLE, MUTUAL, AUTO_PASSTHROUGH, ISTIO_MUTUAL, OPTIONAL_MUTUAL'] },
  { kind: 'Gateway', name: 'a CRL with SIMPLE TLS', doc: gw([server({ port: { number: 443, name: 'https', protocol: 'HTTPS' }, tls: { mode: 'SIMPLE', serverCertificate: '/c', privateKey: '/k', caCrl: '/crl' } })]), lines: ['spec.servers[0].tls.caCrl: is not supported with mode SIMPLE'] },
  { kind: 'Gateway', name: 'a minimum TLS version above the maximum', doc: gw([server({ port: { number: 443, name: 'https', protocol: 'HTTPS' }, tls: { mode: 'SIMPLE', credentialName: 'c', minProtocolVersion: 'TLSV1_3', maxProtocolVersion: 'TLSV1_2' } })]), lines: ['spec.servers[0].tls.minProtocolVersion: must not be above maxProtocolVersion'] },
  { kind: 'Gateway', name: 'an unknown TLS version', doc: gw([server({ port: { number: 443, name: 'https', protocol: 'HTTPS' }, tls: { mode: 'SIMPLE', credentialName: 'c', minProtocolVersion: 'SSLV3' } })]), lines: ['spec.servers[0].tls.minProtocolVersion: must be one of TLS_AUTO, TLSV1_0, TLSV1_1, TLSV1_2, TLSV1_3'] },
  { kind: 'Gateway', name: 'a server host with an invalid namespace', doc: gw([server({ hosts: ['Prod/bookinfo.example.com'] })]), lines: ['spec.servers[0].hosts[0]: invalid host "Prod/bookinfo.example.com": "Prod" is not a namespace, ".", "~" or "*"'] },
  { kind: 'Gateway', name: 'a server host with a wildcard in the middle', doc: gw([server({ hosts: ['*/api.*.example.com'] })]), lines: ['spec.servers[0].hosts[0]: invalid host "*/api.*.example.com": invalid hostname "api.*.example.com": a wildcard is only allowed as the whole first label'] },
  { kind: 'Gateway', name: 'a bind address that is not an IP', doc: gw([server({ bind: 'localhost' })]), lines: ['spec.servers[0].bind: "localhost" is not a valid IP address'] },
  { kind: 'Gateway', name: 'a tlsCertificates entry without its key', doc: gw([{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['*'], tls: { mode: 'SIMPLE', tlsCertificates: [{ serverCertificate: '/etc/rsa.crt' }] } }]), lines: ['spec.servers[0].tls.tlsCertificates[0].privateKey: required for mode SIMPLE (or set credentialName)'] },
  { kind: 'Gateway', name: 'tlsCertificates beside credentialName', doc: gw([{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['*'], tls: { mode: 'SIMPLE', credentialName: 'web', tlsCertificates: [{ serverCertificate: '/c', privateKey: '/k' }] } }]), lines: ['spec.servers[0].tls.tlsCertificates: only one of credentialName, credentialNames, serverCertificate/privateKey, tlsCertificates should be specified'] },
  { kind: 'Gateway', name: 'three tlsCertificates', doc: gw([{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['*'], tls: { mode: 'SIMPLE', tlsCertificates: [1, 2, 3].map((i) => ({ serverCertificate: `/${i}.crt`, privateKey: `/${i}.key` })) } }]), lines: ['spec.servers[0].tls.tlsCertificates: must have at most 2 items'] },
  { kind: 'Gateway', name: 'a selector label with a space', doc: gw([server()], { selector: { 'istio ingress': 'gateway' } }), lines: ['spec.selector["istio ingress"]: invalid label key "istio ingress"'] },

  // ── Sidecar ───────────────────────────────────────────────────────────────────────────
  { kind: 'Sidecar', name: 'an empty Sidecar', doc: sidecar({}), lines: ['spec: must set at least one of ingress, egress, outboundTrafficPolicy, inboundConnectionPool'] },
  { kind: 'Sidecar', name: 'an egress listener without hosts', doc: sidecar({ egress: [{ port: { number: 80 } }] }), lines: ['spec.egress[0].hosts: required'] },
  { kind: 'Sidecar', name: 'an egress host without namespace', doc: sidecar({ egress: [{ hosts: ['reviews.default.svc.cluster.local'] }] }), lines: ['spec.egress[0].hosts[0]: invalid host "reviews.default.svc.cluster.local": expected <namespace>/<host>, e.g. */reviews or ./*'] },
  { kind: 'Sidecar', name: 'an excluded namespace that is no namespace', doc: sidecar({ egress: [{ hosts: ['~Prod/*'] }] }), lines: ['spec.egress[0].hosts[0]: invalid host "~Prod/*": "Prod" is not a namespace, ".", "~" or "*"'] },
  { kind: 'Sidecar', name: 'the catch-all egress listener not last', doc: sidecar({ egress: [{ hosts: ['./*'] }, { port: { number: 80 }, hosts: ['./*'] }] }), lines: ['spec.egress[0]: the listener without a port catches everything else and must come last'] },
  { kind: 'Sidecar', name: 'two egress listeners on one port', doc: sidecar({ egress: [{ port: { number: 80 }, hosts: ['./*'] }, { port: { number: 80 }, hosts: ['istio-system/*'] }] }), lines: ['spec.egress[1].port.number: duplicate port 80'] },
  { kind: 'Sidecar', name: 'an ingress listener without port', doc: sidecar({ ingress: [{ defaultEndpoint: '127.0.0.1:8080' }] }), lines: ['spec.ingress[0].port: required'] },
  { kind: 'Sidecar', name: 'a defaultEndpoint on another host', doc: sidecar({ ingress: [{ port: { number: 9080, protocol: 'HTTP', name: 'http' }, defaultEndpoint: '10.0.0.1:8080' }] }), lines: ['spec.ingress[0].defaultEndpoint: must be 127.0.0.1:<port>, 0.0.0.0:<port>, [::1]:<port>, [::]:<port> or unix://<path>'] },
  { kind: 'Sidecar', name: 'two ingress listeners on one port', doc: sidecar({ ingress: [{ port: { number: 9080 } }, { port: { number: 9080 } }] }), lines: ['spec.ingress[1].port.number: duplicate port 9080'] },
  { kind: 'Sidecar', name: 'ISTIO_MUTUAL on an ingress listener', doc: sidecar({ ingress: [{ port: { number: 9080 }, tls: { mode: 'ISTIO_MUTUAL' } }] }), lines: ['spec.ingress[0].tls.mode: ISTIO_MUTUAL cannot be used on a sidecar ingress listener'] },
  { kind: 'Sidecar', name: 'an unknown capture mode', doc: sidecar({ egress: [{ port: { number: 80 }, hosts: ['./*'], captureMode: 'EBPF' }] }), lines: ['spec.egress[0].captureMode: must be one of DEFAULT, IPTABLES, NONE'] },
  { kind: 'Sidecar', name: 'an egress proxy with REGISTRY_ONLY', doc: sidecar({ outboundTrafficPolicy: { mode: 'REGISTRY_ONLY', egressProxy: { host: 'egress.example.com', port: { number: 3128 } } } }), lines: ['spec.outboundTrafficPolicy.egressProxy: needs mode ALLOW_ANY'] },
  { kind: 'Sidecar', name: 'an egress proxy without port', doc: sidecar({ outboundTrafficPolicy: { mode: 'ALLOW_ANY', egressProxy: { host: 'egress.example.com' } } }), lines: ['spec.outboundTrafficPolicy.egressProxy.port: required'] },


  // ── PeerAuthentication ────────────────────────────────────────────────────────────────
  { kind: 'PeerAuthentication', name: 'an unknown mTLS mode', doc: pa({ mtls: { mode: 'REQUIRED' } }), lines: ['spec.mtls.mode: must be one of UNSET, DISABLE, PERMISSIVE, STRICT'] },
  { kind: 'PeerAuthentication', name: 'mTLS mode in lower case', doc: pa({ mtls: { mode: 'strict' } }), lines: ['spec.mtls.mode: must be one of UNSET, DISABLE, PERMISSIVE, STRICT'] },
  { kind: 'PeerAuthentication', name: 'port-level mTLS without selector', doc: pa({ mtls: { mode: 'STRICT' }, portLevelMtls: { '8080': { mode: 'DISABLE' } } }), lines: ['spec.portLevelMtls: needs a selector: a mesh- or namespace-wide PeerAuthentication cannot set port-level mTLS'] },
  { kind: 'PeerAuthentication', name: 'an empty port-level mTLS map', doc: pa({ selector: { matchLabels: { app: 'a' } }, portLevelMtls: {} }), lines: ['spec.portLevelMtls: must name at least one port when given'] },
  { kind: 'PeerAuthentication', name: 'a port-level key that is no port', doc: pa({ selector: { matchLabels: { app: 'a' } }, portLevelMtls: { http: { mode: 'DISABLE' } } }), lines: ['spec.portLevelMtls.http: port "http" must be a number in the range 1..65535'] },
  { kind: 'PeerAuthentication', name: 'a port-level port of 0', doc: pa({ selector: { matchLabels: { app: 'a' } }, portLevelMtls: { '0': { mode: 'DISABLE' } } }), lines: ['spec.portLevelMtls.0: port "0" must be a number in the range 1..65535'] },
  { kind: 'PeerAuthentication', name: 'a selector with matchLabels misspelled', doc: pa({ selector: { labels: { app: 'a' } } }), lines: ['spec.selector.labels: unknown field'] },
  { kind: 'PeerAuthentication', name: 'mtls written as a string', doc: pa({ mtls: 'STRICT' }), lines: ['spec.mtls: must be an object'] },

  // ── AuthorizationPolicy ───────────────────────────────────────────────────────────────
  { kind: 'AuthorizationPolicy', name: 'an unknown action', doc: ap({ action: 'REJECT' }), lines: ['spec.action: must be one of ALLOW, DENY, AUDIT, CUSTOM'] },
  { kind: 'AuthorizationPolicy', name: 'DENY without rules', doc: ap({ action: 'DENY' }), lines: ['spec: a DENY policy without rules never matches: add rules (an empty rule {} matches every request)'] },
  { kind: 'AuthorizationPolicy', name: 'CUSTOM without rules', doc: ap({ action: 'CUSTOM', provider: { name: 'ext-authz' } }), lines: ['spec: a CUSTOM policy without rules never triggers: add rules (an empty rule {} matches every request)'] },
  { kind: 'AuthorizationPolicy', name: 'CUSTOM without provider', doc: ap({ action: 'CUSTOM', rules: [{}] }), lines: ['spec.provider: required for action CUSTOM'] },
  { kind: 'AuthorizationPolicy', name: 'a provider with action ALLOW', doc: ap({ action: 'ALLOW', provider: { name: 'ext-authz' }, rules: [{}] }), lines: ['spec.provider: only allowed with action CUSTOM (the action is ALLOW)'] },
  { kind: 'AuthorizationPolicy', name: 'a provider with an empty name', doc: ap({ action: 'CUSTOM', provider: { name: '' }, rules: [{}] }), lines: ['spec.provider.name: must not be empty'] },
  { kind: 'AuthorizationPolicy', name: 'CUSTOM testing principals', doc: ap({ action: 'CUSTOM', provider: { name: 'ext-authz' }, rules: [{ from: [{ source: { principals: ['a'] } }] }] }), lines: ['spec.rules[0].from[0].source.principals: is not supported with action CUSTOM'] },
  { kind: 'AuthorizationPolicy', name: 'CUSTOM testing a JWT claim', doc: ap({ action: 'CUSTOM', provider: { name: 'ext-authz' }, rules: [{ when: [{ key: 'request.auth.claims[iss]', values: ['x'] }] }] }), lines: ['spec.rules[0].when[0].key: request.auth.claims[iss] is not supported with action CUSTOM'] },
  { kind: 'AuthorizationPolicy', name: 'selector and targetRef together', doc: ap({ selector: { matchLabels: { app: 'a' } }, targetRef: { kind: 'Service', name: 'a' } }), lines: ['spec: selector, targetRef and targetRefs are mutually exclusive'] },
  { kind: 'AuthorizationPolicy', name: 'a targetRef to a Deployment', doc: ap({ targetRef: { group: 'apps', kind: 'Deployment', name: 'a' } }), lines: ['spec.targetRef.kind: must be Service, ServiceEntry (group networking.istio.io) or Gateway (group gateway.networking.k8s.io); got "apps/Deployment"'] },
  { kind: 'AuthorizationPolicy', name: 'a targetRef to another namespace', doc: ap({ targetRef: { kind: 'Service', name: 'a', namespace: 'other' } }), lines: ['spec.targetRef.namespace: must not be set: cross-namespace references are not supported'] },
  { kind: 'AuthorizationPolicy', name: 'an empty from list', doc: rule({ from: [] }), lines: ['spec.rules[0].from: must not be empty'] },
  { kind: 'AuthorizationPolicy', name: 'a from without source', doc: rule({ from: [{}] }), lines: ['spec.rules[0].from[0].source: required'] },
  { kind: 'AuthorizationPolicy', name: 'an empty source', doc: rule({ from: [{ source: {} }] }), lines: ['spec.rules[0].from[0].source: must set at least one of principals, notPrincipals, requestPrincipals, notRequestPrincipals, namespaces, notNamespaces, ipBlocks, notIpBlocks, remoteIpBlocks, notRemoteIpBlocks, serviceAccounts, notServiceAccounts, trustDomains, notTrustDomains'] },
  { kind: 'AuthorizationPolicy', name: 'an empty principal', doc: rule({ from: [{ source: { principals: [''] } }] }), lines: ['spec.rules[0].from[0].source.principals[0]: must not be empty'] },
  { kind: 'AuthorizationPolicy', name: 'an IP block that is no CIDR', doc: rule({ from: [{ source: { ipBlocks: ['1.2.3.4/40'] } }] }), lines: ['spec.rules[0].from[0].source.ipBlocks[0]: "1.2.3.4/40" is not a valid CIDR block'] },
  { kind: 'AuthorizationPolicy', name: 'a remote IP block that is a name', doc: rule({ from: [{ source: { notRemoteIpBlocks: ['office'] } }] }), lines: ['spec.rules[0].from[0].source.notRemoteIpBlocks[0]: "office" is not a valid IP address or CIDR block'] },
  { kind: 'AuthorizationPolicy', name: 'namespaces written as a string', doc: rule({ from: [{ source: { namespaces: 'foo' } }] }), lines: ['spec.rules[0].from[0].source.namespaces: must be a list'] },
  { kind: 'AuthorizationPolicy', name: 'an empty to list', doc: rule({ to: [] }), lines: ['spec.rules[0].to: must not be empty'] },
  { kind: 'AuthorizationPolicy', name: 'an empty operation', doc: rule({ to: [{ operation: {} }] }), lines: ['spec.rules[0].to[0].operation: must set at least one of hosts, notHosts, ports, notPorts, methods, notMethods, paths, notPaths'] },
  { kind: 'AuthorizationPolicy', name: 'an operation port that is no number', doc: rule({ to: [{ operation: { ports: ['http'] } }] }), lines: ['spec.rules[0].to[0].operation.ports[0]: port "http" must be a number in the range 1..65535'] },
  { kind: 'AuthorizationPolicy', name: 'an operation port written as a number', doc: rule({ to: [{ operation: { ports: [8080] } }] }), lines: ['spec.rules[0].to[0].operation.ports[0]: must be a string'] },
  { kind: 'AuthorizationPolicy', name: 'a path template with a bad segment', doc: rule({ to: [{ operation: { paths: ['/api/{id}/status'] } }] }), lines: ['spec.rules[0].to[0].operation.paths[0]: invalid path template "/api/{id}/status": a segment must be exactly {*} or {**}'] },
  { kind: 'AuthorizationPolicy', name: 'a path template with {*} after {**}', doc: rule({ to: [{ operation: { notPaths: ['/{**}/admin/{*}'] } }] }), lines: ['spec.rules[0].to[0].operation.notPaths[0]: invalid path template "/{**}/admin/{*}": {**} must be the last operator ({*} after it)'] },
  { kind: 'AuthorizationPolicy', name: 'a condition with an unknown key', doc: rule({ when: [{ key: 'request.method', values: ['GET'] }] }), lines: ['spec.rules[0].when[0].key: unknown condition key "request.method": use e.g. request.headers[<name>], request.auth.claims[<claim>], source.ip, source.namespace, destination.port'] },
  { kind: 'AuthorizationPolicy', name: 'a condition without values', doc: rule({ when: [{ key: 'source.namespace' }] }), lines: ['spec.rules[0].when[0]: must set values or notValues for key source.namespace'] },
  { kind: 'AuthorizationPolicy', name: 'a condition without key', doc: rule({ when: [{ values: ['x'] }] }), lines: ['spec.rules[0].when[0].key: required'] },
  { kind: 'AuthorizationPolicy', name: 'a source.ip condition with a name', doc: rule({ when: [{ key: 'source.ip', values: ['gateway'] }] }), lines: ['spec.rules[0].when[0].values[0]: "gateway" is not a valid IP address or CIDR block'] },
  { kind: 'AuthorizationPolicy', name: 'a destination.port condition out of range', doc: rule({ when: [{ key: 'destination.port', notValues: ['70000'] }] }), lines: ['spec.rules[0].when[0].notValues[0]: port "70000" must be a number in the range 1..65535'] },
  { kind: 'AuthorizationPolicy', name: 'a rule with an unknown field', doc: rule({ from: [{ source: { principals: ['a'] } }], unless: [] }), lines: ['spec.rules[0].unless: unknown field'] },

  // ── RequestAuthentication ─────────────────────────────────────────────────────────────
  { kind: 'RequestAuthentication', name: 'a JWT rule without issuer', doc: ra({ jwtRules: [{ jwksUri: 'https://example.com/jwks.json' }] }), lines: ['spec.jwtRules[0].issuer: required'] },
  { kind: 'RequestAuthentication', name: 'an empty issuer', doc: ra({ jwtRules: [{ issuer: '' }] }), lines: ['spec.jwtRules[0].issuer: must not be empty'] },
  { kind: 'RequestAuthentication', name: 'an empty audience', doc: jwt({ audiences: ['bookinfo', ''] }), lines: ['spec.jwtRules[0].audiences[1]: must not be empty'] },
  { kind: 'RequestAuthentication', name: 'a jwksUri that is no URL', doc: jwt({ jwksUri: 'example.com/jwks' }), lines: ['spec.jwtRules[0].jwksUri: invalid jwksUri "example.com/jwks": not a URL'] },
  { kind: 'RequestAuthentication', name: 'a jwksUri over ftp', doc: jwt({ jwksUri: 'ftp://example.com/jwks' }), lines: ['spec.jwtRules[0].jwksUri: invalid jwksUri "ftp://example.com/jwks": must be an http or https URL'] },
  { kind: 'RequestAuthentication', name: 'inline jwks that is not JSON', doc: jwt({ jwks: '{keys: [' }), lines: ['spec.jwtRules[0].jwks: must be a JSON Web Key Set (JSON), it does not parse'] },
  { kind: 'RequestAuthentication', name: 'inline jwks without keys', doc: jwt({ jwks: '{"kty": "RSA"}' }), lines: ['spec.jwtRules[0].jwks: must be a JSON Web Key Set: an object with a "keys" list'] },
  { kind: 'RequestAuthentication', name: 'a token header without name', doc: jwt({ fromHeaders: [{ prefix: 'Bearer ' }] }), lines: ['spec.jwtRules[0].fromHeaders[0].name: required'] },
  { kind: 'RequestAuthentication', name: 'a token header name with a colon', doc: jwt({ fromHeaders: [{ name: 'x:token' }] }), lines: ['spec.jwtRules[0].fromHeaders[0].name: invalid header name "x:token"'] },
  { kind: 'RequestAuthentication', name: 'an empty token query parameter', doc: jwt({ fromParams: [''] }), lines: ['spec.jwtRules[0].fromParams[0]: must not be empty'] },
  { kind: 'RequestAuthentication', name: 'an empty token cookie', doc: jwt({ fromCookies: [''] }), lines: ['spec.jwtRules[0].fromCookies[0]: must not be empty'] },
  { kind: 'RequestAuthentication', name: 'a claim copied to no header', doc: jwt({ outputClaimToHeaders: [{ claim: 'sub' }] }), lines: ['spec.jwtRules[0].outputClaimToHeaders[0].header: required'] },
  { kind: 'RequestAuthentication', name: 'a claim copied to a bad header', doc: jwt({ outputClaimToHeaders: [{ header: 'x jwt', claim: 'sub' }] }), lines: ['spec.jwtRules[0].outputClaimToHeaders[0].header: invalid header name "x jwt"'] },
  { kind: 'RequestAuthentication', name: 'an empty claim', doc: jwt({ outputClaimToHeaders: [{ header: 'x-sub', claim: '' }] }), lines: ['spec.jwtRules[0].outputClaimToHeaders[0].claim: must not be empty'] },
  { kind: 'RequestAuthentication', name: 'a JWKS fetch timeout without unit', doc: jwt({ timeout: '5' }), lines: ['spec.jwtRules[0].timeout: invalid duration "5": use a number with a unit, e.g. 10s, 1.5s, 100ms'] },
  { kind: 'RequestAuthentication', name: 'selector and targetRefs together', doc: ra({ selector: { matchLabels: { app: 'a' } }, targetRefs: [{ kind: 'Service', name: 'a' }], jwtRules: [{ issuer: 'i' }] }), lines: ['spec: selector, targetRef and targetRefs are mutually exclusive'] },
  { kind: 'RequestAuthentication', name: 'jwtRules written as an object', doc: ra({ jwtRules: { issuer: 'i' } }), lines: ['spec.jwtRules: must be a list'] },
  { kind: 'RequestAuthentication', name: 'security kinds served only as v1beta1 and v1', doc: { ...jwt({}), apiVersion: 'security.istio.io/v1alpha1' }, lines: ['apiVersion: RequestAuthentication is served as security.istio.io/v1beta1, security.istio.io/v1; got "security.istio.io/v1alpha1"'] },
];
