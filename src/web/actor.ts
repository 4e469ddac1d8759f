import type { I18n } from '../i18n/i18n.js';

/**
 * Who made a change, as a person reads it. The history stores how the answer came in as a prefix
 * ("link:Kvarkenrådet", "api:…") and a reviewer's acceptance in English; the channel is shown in
 * its own column, so the page shows the name and says "accepted by" in the page's language.
 */
export function actorText(i18n: I18n, language: string, actor: string): string {
  if (actor === 'import') return i18n.t(language, 'dashboard:channel.import');
  const accepted = /^(.*) \(accepted by (.*)\)$/.exec(actor);
  if (accepted) return i18n.t(language, 'dashboard:actor.accepted', { who: accepted[1], reviewer: accepted[2] });
  const prefixed = /^(?:link|api):(.+)$/.exec(actor);
  return prefixed ? prefixed[1]! : actor;
}
