import { gzipSync } from 'node:zlib';
import { readTemplate, stripComments, substitute } from './templates.js';

/**
 * Base85 with the RFC 1924 alphabet (Python's base64.b85encode): 5 characters per 4 bytes,
 * where base64 needs 5.33. None of its characters is a quote, so the text sits safely in a
 * single-quoted here-string, and no line can start with the '@ that would end it.
 */
export const B85_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~';

export function b85encode(data: Buffer): string {
  const pad = (4 - (data.length % 4)) % 4;
  const padded = Buffer.concat([data, Buffer.alloc(pad)]);
  let out = '';
  for (let i = 0; i < padded.length; i += 4) {
    let v = padded.readUInt32BE(i);
    const chunk: string[] = [];
    for (let k = 0; k < 5; k++) {
      chunk.unshift(B85_ALPHABET[v % 85]!);
      v = Math.floor(v / 85);
    }
    out += chunk.join('');
  }
  // Python drops the characters that only encode the padding; so does this.
  return pad ? out.slice(0, out.length - pad) : out;
}

/**
 * A small stub that carries the full script as base85 gzip, writes it to disk and runs it with
 * -File (so the script knows its own path and can resume itself after a reboot). AWS user data
 * holds 16 KB; the full script does not fit, the stub does. A cloud with its own stub (Azure's
 * takes the token from its extension) names that template and its other values.
 */
export function compressScript(script: string, stub: { template: string; values?: Record<string, string> } = { template: 'bootstrap/stub.ps1' }): string {
  // The <# #> block is for a person reading the script; in the payload it only costs bytes
  // (EC2 user data holds 16 KB), so the stub carries its first line, the summary, instead.
  const block = /^<#\n(.*)\n[\s\S]*?#>\n/.exec(script);
  const body = block ? script.slice(block[0].length) : script;
  const summary = `# win-k8s bootstrap stub (gzip, base85)\n${block ? `# ${block[1]!.trim()}\n` : ''}`;
  const payload = b85encode(gzipSync(Buffer.from(body, 'utf8'), { level: 9 }));
  const lines = payload.match(/.{1,200}/g) ?? [];
  // Comments and indentation go before the payload is put in (its lines must stay as they are).
  // Both stubs share one decoder and one protected writer (stub-decode.ps1, stub-write.ps1).
  const fragment = (name: string) => stripComments(readTemplate(`bootstrap/${name}`)).trimEnd();
  return summary + substitute(stripComments(readTemplate(stub.template)), { ...stub.values, DECODE: fragment('stub-decode.ps1'), WRITE: fragment('stub-write.ps1'), PAYLOAD: lines.join('\n') });
}
