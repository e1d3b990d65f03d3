import { input, select } from '@inquirer/prompts';
import type { Prompter } from '../init/wizard.js';
import { interruptible } from './prompt.js';

/** The wizard's questions on the terminal's stderr, so stdout stays clean even for an interactive command. */
export function inquirerPrompter(stream: NodeJS.WritableStream, signal: AbortSignal): Prompter {
  const context = { output: stream, signal };
  return {
    select: (message, choices, defaultValue) => interruptible(select({ message, choices, ...(defaultValue ? { default: defaultValue } : {}) }, context)),
    input: (message, defaultValue, validate) => interruptible(input({ message, default: defaultValue, ...(validate ? { validate } : {}) }, context)),
  };
}
