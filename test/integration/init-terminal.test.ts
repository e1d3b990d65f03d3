import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { typeOnTerminal } from '../helpers/pty.js';

describe('init on a terminal: a wrong answer is refused where it is typed, and asked again', function () {
  this.timeout(120_000);

  it('a count over the limit and a pool name too long are refused with the rule; the file is written with the corrected answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'win-k8s-init-'));
    const erase = '\x7f'.repeat(20);
    const s = await typeOnTerminal(['init', '--file', 'w.yaml'], { HOME: dir, KUBECONFIG: join(dir, 'none'), AWS_EC2_METADATA_DISABLED: 'true', NO_COLOR: '1' }, dir, [
      { when: /Cloud for the Windows VMs/, keys: '\r' },
      { when: /Region/, keys: '\r' },
      { when: /Pool name/, keys: `${erase}windows-pool\r` },
      { when: /at most 9/, keys: `${erase}iis\r` },
      { when: /Number of Windows nodes/, keys: `${erase}501\r` },
      { when: /expected at most 500/, keys: `${erase}3\r` },
      { when: /Windows Server version/, keys: '\r' },
      { when: /Container runtime/, keys: '\r' },
      { when: /Network plugin/, keys: '\r' },
      { when: /Instance type/, keys: '\r' },
    ], 90_000);
    assert.equal(s.exitCode, 0, s.screen);
    const doc = parse(readFileSync(join(dir, 'w.yaml'), 'utf8')) as { pool: { name: string; count: number } };
    assert.equal(doc.pool.name, 'iis');
    assert.equal(doc.pool.count, 3);
    assert.match(s.screen, /wrote .*w\.yaml and win-k8s\.schema\.json.*next: win-k8s plan -c w\.yaml/s);
  });
});
