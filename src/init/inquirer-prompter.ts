import { input, select } from '@inquirer/prompts';
import type { Prompter } from './wizard.js';

/** Prompts on stderr, so stdout stays clean even for an interactive command. */
export function inquirerPrompter(signal: AbortSignal): Prompter {
  const context = { output: process.stderr, signal };
  return {
    select: (message, choices, defaultValue) => select({ message, choices, ...(defaultValue ? { default: defaultValue } : {}) }, context),
    input: (message, defaultValue, validate) => input({ message, default: defaultValue, ...(validate ? { validate } : {}) }, context),
  };
}
