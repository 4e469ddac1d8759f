import { validateConfiguration } from '../config/configuration.js';
import { dailyAt } from './jobs.js';

describe('the daily follow digest', () => {
  const env = { DATABASE_URL: 'postgresql://127.0.0.1/handlingsplan' };

  it('runs at FOLLOW_DIGEST_AT, 07:00 unless set', () => {
    expect(dailyAt(validateConfiguration(env).FOLLOW_DIGEST_AT)).toBe('0 7 * * *');
    expect(dailyAt(validateConfiguration({ ...env, FOLLOW_DIGEST_AT: '18:45' }).FOLLOW_DIGEST_AT)).toBe('45 18 * * *');
  });

  it.each(['7:00', '24:00', '07:60', '7am', ''])('refuses FOLLOW_DIGEST_AT=%s by name', (value) => {
    expect(() => validateConfiguration({ ...env, FOLLOW_DIGEST_AT: value })).toThrow(/FOLLOW_DIGEST_AT: must be HH:MM/);
  });
});
