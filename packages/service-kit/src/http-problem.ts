import { HttpError, type HttpErrorCode } from '@coffeechat/contracts';

/** An HTTP error as a value: the code of SPEC §5's envelope, its status, and the field at fault. */
export class HttpProblem extends Error {
  readonly status: number;
  constructor(
    readonly code: HttpErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'HttpProblem';
    this.status = HttpError[code];
  }
}
