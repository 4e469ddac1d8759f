import { Clock } from '../../src/common/clock.js';

/** A clock that stands still until a test moves it. */
export class FakeClock extends Clock {
  constructor(private current: Date) {
    super();
  }

  override now(): Date {
    return new Date(this.current);
  }

  set(instant: Date | string): void {
    this.current = new Date(instant);
  }
}
