/** What `ferry` exits with, so CI jobs can tell the outcomes apart. */
export const ExitCode = {
  Done: 0,
  Failed: 1,
  BadInput: 2,
  Refused: 3,
  Nondeterministic: 4,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An outcome that is not a crash: the CLI prints `message` and exits with `code`. */
export class CliExit extends Error {
  constructor(
    readonly code: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliExit';
  }
}
