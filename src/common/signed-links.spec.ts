import type { AppConfig } from '../config/config.module.js';
import { SignedLinks } from './signed-links.js';

const configured = (secret: string) =>
  new SignedLinks({
    get: (key: string) => ({ APP_SECRET: secret, INBOUND_DOMAIN: 'reports.example.org', PUBLIC_URL: 'https://plan.example.org' })[key],
  } as unknown as AppConfig);

describe('SignedLinks: a question’s own reply address', () => {
  const links = configured('a secret of at least thirty-two characters');

  it('names the question and is signed, in characters a mailbox name and the listener accept', () => {
    const address = links.questionReplyAddress(42);
    expect(address).toMatch(/^reports\+q42x[a-z2-7]{26}@reports\.example\.org$/);
    expect(links.questionOfReplyKey(links.questionReplyKey(42))).toEqual({ questionId: 42, genuine: true });
    expect(links.questionReplyKey(42)).toBe(links.questionReplyKey(42));
    expect(links.questionReplyKey(43).slice(4)).not.toBe(links.questionReplyKey(42).slice(4));
  });

  it('finds a key forged for another question, or made with another secret, not genuine', () => {
    const mac = links.questionReplyKey(42).slice('q42x'.length);
    expect(links.questionOfReplyKey(`q43x${mac}`)).toEqual({ questionId: 43, genuine: false });
    expect(links.questionOfReplyKey(configured('another secret of at least thirty-two chars').questionReplyKey(42))).toEqual({
      questionId: 42,
      genuine: false,
    });
  });

  it('leaves every other key to the requests: theirs are 26 characters, a question’s never', () => {
    expect(links.questionOfReplyKey(links.replyKey('nonce'))).toBeNull();
    expect(links.replyKey('nonce')).toHaveLength(26);
    expect(links.questionOfReplyKey('oldkey16chars000')).toBeNull();
    expect(links.questionOfReplyKey(`q0x${'a'.repeat(26)}`)).toBeNull();
    expect(links.questionOfReplyKey(`q12345678901x${'a'.repeat(26)}`)).toBeNull();
  });
});
