import type { Command } from 'commander';
import type { RunCommand } from '../run.js';

export function register(program: Command, run: RunCommand): Command {
  return program
    .command('schema')
    .description('print the JSON Schema of win-k8s.yaml (for editors and CI validation)')
    .action(async (_opts: unknown, cmd: Command) =>
      run(cmd, async () => {
        const { jsonSchema } = await import('../../config/json-schema.js');
        return async (ctx) => {
          // The schema is JSON whatever -o says: it is the artefact itself.
          ctx.output.result(jsonSchema(), (s) => JSON.stringify(s, null, 2));
        };
      }),
    );
}
