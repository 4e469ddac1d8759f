/**
 * Whether a subject is an automatic reply's ("Automatisk svar: …", "Fraværsmeddelelse: …",
 * "RE: SV: Out of office", "Abwesenheitsnotiz: …", "Poissaoloilmoitus: …"), for the many
 * servers that send them without Auto-Submitted or X-Autoreply headers. The words are matched at
 * the start of the subject after any run of reply and forward prefixes, in the plan's five
 * languages, English and German; compounds count ("Frånvaromeddelande", "Fraværsmelding").
 */
const PREFIXES = /^(?:\s*(?:re|sv|svar|vs|vl|aw|wg|fw|fwd|antw|vs|ang|r|tr|rif)\s*(?:\[\d+\])?\s*:\s*)+/iu;

const AUTO_REPLY = new RegExp(
  '^(?:' +
    [
      // English
      'out of (?:the )?office',
      'automatic reply',
      'auto(?:matic)?[- ]?(?:reply|response)',
      'away from (?:the )?office',
      'on (?:annual )?leave',
      // Swedish
      'automatiskt svar',
      'autosvar',
      'frånvaro\\p{L}*',
      'ej på kontoret',
      'inte på kontoret',
      'semester(?:svar|meddelande)?(?=\\s*:|\\s*$)',
      // Danish and Norwegian
      'automatisk svar',
      'autosvar',
      'fravær\\p{L}*',
      'ikke på kontoret',
      'ikke til stede',
      'ute av kontoret',
      'ferie(?:svar|melding|meddelelse)',
      // Finnish
      'automaattinen vastaus',
      'poissa\\p{L}*',
      'lomalla',
      'lomaviesti',
      'lomavastaaja',
      // German
      'abwesenheit\\p{L}*',
      'abwesend',
      'automatische antwort',
      'nicht im büro',
    ].join('|') +
    ')(?![\\p{L}\\p{N}])',
  'iu',
);

export function isAutoReplySubject(subject: string): boolean {
  return AUTO_REPLY.test(subject.replace(PREFIXES, '').trim());
}
