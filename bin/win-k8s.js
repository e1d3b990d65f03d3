#!/usr/bin/env node
// Kept tiny on purpose: startup time is part of the product (see bench/).
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // main() maps every known error to an exit code; reaching here is a bug in win-k8s.
    process.stderr.write(`win-k8s: internal error: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  },
);
