/**
 * The shells `completion` writes for, apart from the generator: the command registers its
 * argument at every start-up, and the generator is loaded only when a script is asked for.
 */
export const SHELLS = ['bash', 'zsh', 'fish', 'powershell'] as const;
export type Shell = (typeof SHELLS)[number];
