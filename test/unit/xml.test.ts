import assert from 'node:assert/strict';
import { elements, parseXml, textOf, XmlError } from '../helpers/xml.js';

describe('test XML reader (test/helpers/xml.ts)', () => {
  it('reads elements, attributes, text, entities, CDATA and comments', () => {
    const root = parseXml(
      `<?xml version="1.0" encoding="UTF-8"?>\n<!-- c --><a x="1 &amp; 2" y='&quot;q&quot;'>t &lt;&#65;&#x42;&gt;<b/><![CDATA[<raw & text>]]><c z="&apos;">in</c></a>\n`,
    );
    assert.equal(root.name, 'a');
    assert.deepEqual(root.attributes, { x: '1 & 2', y: '"q"' });
    assert.deepEqual(elements(root).map((e) => e.name), ['b', 'c']);
    assert.equal(elements(root, 'c')[0]!.attributes['z'], "'");
    assert.equal(textOf(root), 't <AB><raw & text>in');
  });

  it('rejects malformed documents', () => {
    const bad: Array<[string, RegExp]> = [
      ['<a><b></a></b>', /closes/],
      ['<a>', /not closed/],
      ['<a x="1" x="2"/>', /duplicate attribute/],
      ['<a>fish & chips</a>', /"&"|entity/],
      ['<a>&nbsp;</a>', /unknown entity/],
      ['<a x="<"/>', /"<" in an attribute/],
      ['<a x=1/>', /quoted attribute/],
      ['<a/><b/>', /after the root/],
      ['text<a/>', /root element/],
      ['<a>\u001b[31mred</a>', /not allowed in XML/],
      ['<a>&#1;</a>', /forbids/],
      ['<a>\ud800</a>', /not allowed in XML/],
      ['<a><!-- x -- y --></a>', /inside a comment/],
      ['<a>x]]>y</a>', /]]>/],
      ['<a y="1"z="2"/>', /white space/],
      ['', /root element/],
      ['<a/><?xml version="1.0"?>', /XML declaration/],
    ];
    for (const [doc, why] of bad) assert.throws(() => parseXml(doc), (e: unknown) => e instanceof XmlError && why.test(e.message), doc);
  });
});
