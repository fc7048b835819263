// Bad data files and bad flags are the user's to fix: one error type the CLI turns into exit code 2
// with the message as is, apart from programming errors that should crash loudly.

/** Input that cannot be used as given; the message names the file/line or flag and what is expected. */
export class BacktestInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BacktestInputError';
  }
}
