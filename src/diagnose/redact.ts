/**
 * Secret redaction for everything diagnose prints or packs: check results (stdout, JSON,
 * JUnit) and every text in the --bundle. One implementation, so a pattern added here
 * protects every output at once.
 */

export const REDACTED = '[REDACTED]';

/**
 * Keys whose value is a secret. Most are matched inside longer names too (identitytoken,
 * registrytoken, bootstrap_token, client_secret), erring towards redacting; `auth` is
 * matched only as a whole word so authorization-mode or authority stay readable.
 */
const SECRET_KEY = String.raw`(?:client[-_]?key[-_]?data|client[-_]?secret|identity[-_]?token|registry[-_]?token|token|password|passwd|secret|api[-_]?key|access[-_]?key|\bsas|\bauth\b|\bauthorization\b)`;

/**
 * A value after `key:` or `key=`: quoted values are taken whole (a password may hold spaces),
 * including quotes escaped once (a log line inside a JSON string); an unquoted value after
 * `=` stops at the first space, as in flags and logfmt, and after `:` runs on over spaces to
 * the end of the line, as in YAML.
 */
const KEY_VALUE = new RegExp(
  String.raw`(${SECRET_KEY}(?:\\?["'])?[ \t]*[:=][ \t]*)` +
    String.raw`(\\"(?:[^"\\\r\n]|\\[^"\r\n])*\\"|"(?:[^"\\\r\n]|\\.)*"|'[^'\r\n]*'|(?<==[ \t]*)[^\s"',;]+|[^\s"',;]+(?:[ \t]+[^\s"',;]+)*)`,
  'gi',
);

function redactKeyValue(_m: string, head: string, value: string): string {
  for (const q of ['\\"', '"', "'"]) {
    if (value.length >= 2 * q.length && value.startsWith(q) && value.endsWith(q)) return `${head}${q}${REDACTED}${q}`;
  }
  return `${head}${REDACTED}`;
}

/** Patterns of secrets that end up in node logs, objects and check messages. */
const SECRET_PATTERNS: Array<[RegExp, string | ((substring: string, ...groups: string[]) => string)]> = [
  [/-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g, `-----BEGIN PRIVATE KEY-----${REDACTED}-----END PRIVATE KEY-----`],
  // Bootstrap tokens: [a-z0-9]{6}.[a-z0-9]{16}, wherever they appear (flags, kubeconfigs, scripts).
  [/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g, REDACTED],
  // JWTs (service account and OIDC tokens).
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, REDACTED],
  [/(\bBearer\s+)[A-Za-z0-9._~+/=-]+/gi, `$1${REDACTED}`],
  // `Basic <base64 of user:password>` outside a header line; prose like "Basic authentication" does not decode to user:password.
  [/(\bBasic\s+)([A-Za-z0-9+/]{4,}={0,2})(?![A-Za-z0-9+/=])/gi, (m: string, head: string, b64: string) => (/^[\x20-\x7e]+:[\x20-\x7e]*$/.test(Buffer.from(b64, 'base64').toString('latin1')) ? `${head}${REDACTED}` : m)],
  [KEY_VALUE, redactKeyValue],
  [/(--(?:token|password|client-secret)[= ])\S+/gi, `$1${REDACTED}`],
  // Passwords in URLs (https://user:password@registry).
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@"']+:)[^\s/@"']+@/gi, `$1${REDACTED}@`],
  // Azure SAS signatures in blob URLs.
  [/([?&]sig=)[^&\s"']+/gi, `$1${REDACTED}`],
];

export function redact(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement as string);
  return out;
}
