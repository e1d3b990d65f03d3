import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** templates/ sits two levels above both src/bootstrap/*.ts and dist/bootstrap/*.js. */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

const PLACEHOLDER = /\{\{([A-Z][A-Z0-9_]*)\}\}/g;

export function readTemplate(relativePath: string): string {
  return readFileSync(`${TEMPLATES_DIR}${relativePath}`, 'utf8').replace(/\r\n/g, '\n');
}

/**
 * Replaces every {{NAME}} with values[NAME]. Fails on a placeholder without a value and on a
 * value no template asked for: either means the template and the renderer have drifted apart.
 */
export function substitute(text: string, values: Record<string, string>): string {
  const used = new Set<string>();
  const missing = new Set<string>();
  const out = text.replace(PLACEHOLDER, (_, name: string) => {
    const value = values[name];
    if (value === undefined) {
      missing.add(name);
      return `{{${name}}}`;
    }
    used.add(name);
    return value;
  });
  if (missing.size > 0) throw new Error(`template placeholders without a value: ${[...missing].join(', ')}`);
  const unused = Object.keys(values).filter((k) => !used.has(k));
  if (unused.length > 0) throw new Error(`values no template uses: ${unused.join(', ')}`);
  const leftover = out.match(/\{\{\s*[A-Za-z][\w.-]*\s*\}\}/);
  if (leftover) throw new Error(`left-over placeholder after rendering: ${leftover[0]}`);
  return out;
}

/**
 * Drops full-line `#` comments, blank runs and indentation. Templates explain themselves to
 * maintainers; the rendered script keeps only its header block, because AWS user data holds
 * 16 KB and every byte counts in the compressed stub. Templates hold no here-strings and no
 * string literal that spans lines (a test reads every string of each rendered script with
 * PowerShell's parser before and after), so leading white space carries no meaning.
 */
export function stripComments(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('#') && !/^#requires\b/i.test(trimmed)) continue;
    if (trimmed === '' && (out.length === 0 || out[out.length - 1] === '')) continue;
    out.push(trimmed);
  }
  return out.join('\n');
}
