/**
 * A small strict XML 1.0 reader for tests: elements, attributes, text, CDATA, comments, the
 * predefined and numeric entities. It throws on what a real parser (a CI system reading JUnit)
 * would reject — mismatched or unclosed tags, duplicate attributes, a bare `&` or `<`, unknown
 * entities, characters XML forbids, content outside the single root — so a test that reads a
 * document through it proves the document is well-formed, not just that a regex matched.
 * No DTDs: the documents under test have none.
 */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlNode[];
}
export type XmlNode = XmlElement | string;

const NAME_START = String.raw`A-Za-z_:\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD`;
const NAME = new RegExp(String.raw`[${NAME_START}][${NAME_START}\-.0-9\u00B7\u0300-\u036F\u203F-\u2040]*`, 'y');
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

export class XmlError extends Error {}

export function parseXml(text: string): XmlElement {
  let i = 0;
  const fail = (what: string): never => {
    const line = text.slice(0, i).split('\n').length;
    throw new XmlError(`${what} at line ${line}, offset ${i}: ${JSON.stringify(text.slice(i, i + 40))}`);
  };

  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    // A lone surrogate reads as one code point in the surrogate range.
    if (!isXmlChar(cp)) {
      i = text.indexOf(ch);
      fail(`character U+${cp.toString(16).padStart(4, '0')} is not allowed in XML`);
    }
  }

  const skipSpace = () => {
    while (i < text.length && /[ \t\r\n]/.test(text[i]!)) i++;
  };
  const expect = (s: string) => {
    if (!text.startsWith(s, i)) fail(`expected ${JSON.stringify(s)}`);
    i += s.length;
  };
  const name = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(text);
    if (!m) return fail('expected a name');
    i += m[0].length;
    return m[0];
  };
  const decode = (raw: string, inAttribute: boolean): string =>
    raw.replace(/&([^;]*);|&|</g, (m, ref: string | undefined) => {
      if (m === '<') fail(inAttribute ? '"<" in an attribute value' : 'unexpected "<"');
      if (ref === undefined) fail('"&" that starts no entity');
      const num = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(ref!);
      if (num) {
        const cp = num[1] !== undefined ? parseInt(num[1], 16) : Number(num[2]);
        if (!isXmlChar(cp)) fail(`character reference &${ref}; names a character XML forbids`);
        return String.fromCodePoint(cp);
      }
      const named = ENTITIES[ref!];
      if (named === undefined) fail(`unknown entity &${ref};`);
      return named!;
    });
  /** Comments, processing instructions and white space, allowed around the root element. */
  const misc = () => {
    for (;;) {
      skipSpace();
      if (text.startsWith('<!--', i)) comment();
      else if (text.startsWith('<?', i)) pi();
      else return;
    }
  };
  const comment = () => {
    const end = text.indexOf('-->', i + 4);
    if (end === -1) fail('unclosed comment');
    if (text.slice(i + 4, end).includes('--')) fail('"--" inside a comment');
    i = end + 3;
  };
  const pi = () => {
    i += 2;
    const target = name();
    if (target.toLowerCase() === 'xml') fail('XML declaration not at the start of the document');
    const end = text.indexOf('?>', i);
    if (end === -1) fail('unclosed processing instruction');
    i = end + 2;
  };

  const element = (): XmlElement => {
    expect('<');
    const tag = name();
    const attributes: Record<string, string> = {};
    for (;;) {
      const before = i;
      skipSpace();
      if (text.startsWith('/>', i)) {
        i += 2;
        return { name: tag, attributes, children: [] };
      }
      if (text[i] === '>') {
        i++;
        break;
      }
      if (i === before) fail('expected white space, ">" or "/>"');
      const attr = name();
      skipSpace();
      expect('=');
      skipSpace();
      const quote = text[i];
      if (quote !== '"' && quote !== "'") fail('expected a quoted attribute value');
      const end = text.indexOf(quote!, i + 1);
      if (end === -1) fail('unclosed attribute value');
      if (Object.hasOwn(attributes, attr)) fail(`duplicate attribute ${attr}`);
      // Attribute-value normalisation: literal white space becomes a space.
      attributes[attr] = decode(text.slice(i + 1, end), true).replace(/[\t\n\r]/g, ' ');
      i = end + 1;
    }
    const children: XmlNode[] = [];
    for (;;) {
      if (i >= text.length) fail(`<${tag}> is not closed`);
      if (text.startsWith('</', i)) {
        i += 2;
        const closing = name();
        if (closing !== tag) fail(`</${closing}> closes <${tag}>`);
        skipSpace();
        expect('>');
        return { name: tag, attributes, children };
      }
      if (text.startsWith('<!--', i)) comment();
      else if (text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i);
        if (end === -1) fail('unclosed CDATA section');
        children.push(text.slice(i + 9, end));
        i = end + 3;
      } else if (text.startsWith('<?', i)) pi();
      else if (text[i] === '<') children.push(element());
      else {
        const next = text.indexOf('<', i);
        const raw = text.slice(i, next === -1 ? text.length : next);
        if (raw.includes(']]>')) fail('"]]>" in text');
        children.push(decode(raw, false));
        i += raw.length;
      }
    }
  };

  if (text.startsWith('\uFEFF')) i = 1;
  if (text.startsWith('<?xml', i)) {
    const end = text.indexOf('?>', i);
    if (end === -1) fail('unclosed XML declaration');
    if (!/^<\?xml\s+version\s*=\s*(["'])1\.[0-9]+\1(\s+encoding\s*=\s*(["'])[A-Za-z][A-Za-z0-9._-]*\3)?(\s+standalone\s*=\s*(["'])(yes|no)\5)?\s*$/.test(text.slice(i, end))) fail('malformed XML declaration');
    i = end + 2;
  }
  misc();
  if (text.startsWith('<!DOCTYPE', i)) fail('DTDs are not supported by this reader');
  if (text[i] !== '<') fail('expected the root element');
  const root = element();
  misc();
  if (i !== text.length) fail('content after the root element');
  return root;
}

/** Child elements, optionally only those named `name`. */
export function elements(e: XmlElement, name?: string): XmlElement[] {
  return e.children.filter((c): c is XmlElement => typeof c !== 'string' && (name === undefined || c.name === name));
}

/** The concatenated text content of an element and its descendants. */
export function textOf(e: XmlElement): string {
  return e.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}
