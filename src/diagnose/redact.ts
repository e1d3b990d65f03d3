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
  String.raw`(${SECRET_KEY}(?:\\?["']|\\u0022|\\u0027)?[ \t]*[:=][ \t]*)` +
    String.raw`(\\u0022(?:(?!\\u0022)[^\r\n])*\\u0022|\\u0027(?:(?!\\u0027)[^\r\n])*\\u0027|\\"(?:[^"\\\r\n]|\\[^"\r\n])*\\"|"(?:[^"\\\r\n]|\\.)*"|'[^'\r\n]*'|(?<==[ \t]*)[^\s"',;]+|[^\s"',;]+(?:[ \t]+[^\s"',;]+)*)`,
  'gi',
);

/** A YAML block scalar's header (`|`, `>-`, `|2`): its lines were handled by redactBlockScalars. */
const BLOCK_HEADER = /^[|>](?:[1-9][+-]?|[+-][1-9]?)?$/;

function redactKeyValue(m: string, head: string, value: string): string {
  // Booleans and null under a token-ish key (automountServiceAccountToken: false) say how a pod
  // is set up, not what a credential is.
  if (BLOCK_HEADER.test(value) || /^(?:true|false|null|~)$/i.test(value)) return m;
  for (const q of ['\\u0022', '\\u0027', '\\"', '"', "'"]) {
    if (value.length >= 2 * q.length && value.startsWith(q) && value.endsWith(q)) return `${head}${q}${REDACTED}${q}`;
  }
  return `${head}${REDACTED}`;
}

/** Patterns of secrets that end up in node logs, objects and check messages. */
const SECRET_PATTERNS: Array<[RegExp, string | ((substring: string, ...groups: string[]) => string)]> = [
  // Private keys, whole or cut by a log tail: without an END, the base64 lines that follow
  // the BEGIN (real or JSON-escaped line breaks) go too. An already redacted one stays as it is.
  [
    /-----BEGIN ([A-Z ]*)PRIVATE KEY-----(?:[\s\S]*?(-----END \1PRIVATE KEY-----)|(?:\[REDACTED\])?(?:(?:\r?\n|\\r\\n|\\n)[A-Za-z0-9+/=]+(?=\r?\n|\\r|\\n|"|$))*)/g,
    (_m: string, _kind: string, end: string | undefined) => `-----BEGIN PRIVATE KEY-----${REDACTED}${end === undefined ? '' : '-----END PRIVATE KEY-----'}`,
  ],
  // ... and the END of a key whose BEGIN the tail cut off: the whole base64 lines before it.
  [/(?:^|(?<=\n|\\n))(?:[A-Za-z0-9+/=]{8,}(?:\r?\n|\\r\\n|\\n))+-----END ([A-Z ]*)PRIVATE KEY-----/g, `${REDACTED}-----END PRIVATE KEY-----`],
  // Bootstrap tokens: [a-z0-9]{6}.[a-z0-9]{16}, wherever they appear (flags, kubeconfigs,
  // scripts), also with the dot URL-encoded. No word boundary on the left: `_`, `%3D` and
  // `\u0027` glue the id to a word character; the 6 characters before the dot are the id
  // whatever precedes them. On the right nothing alphanumeric may follow, or a longer run is
  // not a token.
  [/[a-z0-9]{6}(?:\.|%2[eE])[a-z0-9]{16}(?![a-z0-9])/g, REDACTED],
  // The secret half after a masked id (******.<secret>): a half-hearted mask is still a leak.
  [/(\*{6}\.)[a-z0-9]{16}(?![a-z0-9])/g, `$1${REDACTED}`],
  // Connection strings: `;Pwd=` / `;Password=` runs to the next `;` (spaces allowed), or is
  // braced/quoted. The `;` before it is required: PWD=<path> in an environment dump is the
  // working directory.
  [/(?<=;[ \t]*)((?:pwd|password)[ \t]*=[ \t]*)(?:\{(?:[^}]|\}\})*\}|"[^"\r\n]*"|'[^'\r\n]*'|[^;\r\n"']+)/gi, `$1${REDACTED}`],
  // URL-encoded key=value (a query string logged encoded): the value ends at an encoded or plain `&`.
  [new RegExp(String.raw`(${SECRET_KEY}(?:%22)?%3[dDaA](?:%22)?)(?:(?!%2[26])[^\s&"'])+`, 'gi'), `$1${REDACTED}`],
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

/**
 * YAML block scalars under a secret key (`token: |`, `password: >-`): the value is on the
 * lines below, indented deeper than the key. They become one `[REDACTED]` line, the header
 * stays so the YAML still reads. Done line by line before the patterns: the key-value pattern
 * sees only the header line.
 */
function redactBlockScalars(text: string): string {
  if (!/:[ \t]*[|>]/.test(text)) return text;
  const secretKey = new RegExp(SECRET_KEY, 'i');
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    out.push(line);
    const m = /^([ \t]*(?:-[ \t]+)?)(["']?)([^\s:"']+)\2[ \t]*:[ \t]*([|>][0-9+-]*)[ \t]*(?:#.*)?\r?$/.exec(line);
    if (!m || !BLOCK_HEADER.test(m[4]!) || !secretKey.test(m[3]!)) continue;
    const keyColumn = m[1]!.length;
    let last = i;
    let contentIndent: number | undefined;
    for (let j = i + 1; j < lines.length; j++) {
      const next = lines[j]!;
      if (next.trim() === '') continue;
      const indent = /^[ \t]*/.exec(next)![0].length;
      if (indent <= keyColumn) break;
      contentIndent ??= indent;
      last = j;
    }
    if (contentIndent === undefined) continue;
    out.push(`${' '.repeat(contentIndent)}${REDACTED}${lines[last]!.endsWith('\r') ? '\r' : ''}`);
    i = last;
  }
  return out.join('\n');
}

/**
 * Base64 runs that decode to text holding a secret (user data, customData, a config file
 * embedded in an object): the whole run goes, since a secret's own base64 depends on where
 * it sits in the blob. Runs that decode to binary (digests, ids) or to harmless text stay.
 */
function redactBase64(text: string): string {
  return text.replace(/(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{24,}={0,2}(?![A-Za-z0-9+/=])/g, (run) => {
    const bytes = Buffer.from(run, 'base64');
    let printable = 0;
    for (const b of bytes) if ((b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d) printable++;
    if (bytes.length === 0 || printable < bytes.length * 0.95) return run;
    const decoded = bytes.toString('latin1');
    return applyPatterns(redactBlockScalars(decoded)) === decoded ? run : REDACTED;
  });
}

function applyPatterns(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement as string);
  return out;
}

export function redact(text: string): string {
  return applyPatterns(redactBase64(redactBlockScalars(text)));
}

/**
 * A collected file's bytes as text. Windows writes many logs as UTF-16LE (with or without a
 * BOM); read as UTF-8 they are letters between NUL bytes, which no pattern matches, so a
 * token in them would reach the bundle untouched.
 */
export function decodeText(data: Buffer): string {
  if (data.length >= 2 && data[0] === 0xff && data[1] === 0xfe) return data.subarray(2).toString('utf16le');
  if (data.length >= 2 && data[0] === 0xfe && data[1] === 0xff) return Buffer.from(data.subarray(2)).swap16().toString('utf16le');
  if (data.length >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) return data.subarray(3).toString('utf8');
  // No BOM: ASCII text in UTF-16LE has a NUL in (nearly) every odd byte and none in the even ones.
  const sample = data.subarray(0, Math.min(data.length, 4096) & ~1);
  if (sample.length >= 4) {
    let oddNul = 0;
    let evenNul = 0;
    for (let i = 0; i < sample.length; i += 2) {
      if (sample[i] === 0) evenNul++;
      if (sample[i + 1] === 0) oddNul++;
    }
    if (oddNul >= (sample.length / 2) * 0.9 && evenNul <= (sample.length / 2) * 0.1) return data.subarray(0, data.length & ~1).toString('utf16le');
  }
  return data.toString('utf8');
}
