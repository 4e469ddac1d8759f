/**
 * What the person wrote in a reply, without the message they answered and without their
 * signature. Mail clients mark the quoted history in a handful of ways (">" lines, an
 * attribution line, an Outlook header block, a forwarded-message rule); everything from the
 * first such marker down is dropped. Nothing above it is touched, apart from blank lines at the
 * ends: a false marker would lose the committee's answer, so the patterns are specific.
 */
export function stripQuotedText(body: string): string {
  return splitReply(body).own.join('\n');
}

/** A reply as its parts: what was written above the quote, and answers written into it. */
export interface ReplyParts {
  /** The lines above the first quote marker, without blank lines at the ends. */
  own: string[];
  /**
   * Lines written between or below ">" lines, after the first quote marker: answers written into
   * the quoted digest ("> 3. MP2023 Seminarium" then "3: klar"), or below it. Signatures, phone
   * footers and nested quote headers are left out.
   */
  inline: string[];
}

export function splitReply(body: string): ReplyParts {
  const lines = body.replace(/\r\n?/g, '\n').split('\n');
  let end = lines.findIndex((raw, at) => startsQuoteOrSignature(raw, lines, at));
  if (end === -1) end = lines.length;
  let start = 0;
  while (start < end && lines[start]?.trim() === '') start++;
  let ownEnd = end;
  while (ownEnd > start && lines[ownEnd - 1]?.trim() === '') ownEnd--;
  return { own: lines.slice(start, ownEnd), inline: inlineLines(lines, end) };
}

/**
 * Unquoted lines after the first ">" line below the marker at `from`. A quote without ">" marks
 * (Outlook's) has no inline answers: there, what is not the service's own words is history.
 */
function inlineLines(lines: string[], from: number): string[] {
  const firstQuoted = lines.findIndex((line, at) => at >= from && QUOTED.test(line));
  if (firstQuoted === -1) return [];
  const inline: string[] = [];
  for (let at = firstQuoted + 1; at < lines.length; at++) {
    const raw = lines[at]!;
    const line = raw.trim();
    if (line === '' || QUOTED.test(raw)) continue;
    // A signature or a phone footer ends what the person wrote.
    if (SIGNATURE_DELIMITER.test(raw) || (line.length <= 80 && FROM_PHONE.test(line))) break;
    // An older message's header, forwarded or quoted without marks: history again.
    if (RULE.test(line) || FORWARD_INTRO.test(line) || isAttribution(line, lines[at + 1]?.trim() ?? '')) break;
    if (FROM_HEADER.test(line) && headerFollows(lines, at + 1)) break;
    inline.push(line);
  }
  return inline;
}

const QUOTED = /^\s*>/;

/** "-- " on its own line; many clients trim the space, so "--" counts too. */
const SIGNATURE_DELIMITER = /^--[ \t]*$/;

const FROM_PHONE = new RegExp(
  '^(?:sent from (?:my |mail for |outlook for |yahoo mail)|get outlook for |' +
    'skickat från (?:min |e-post för |outlook för )|hämta outlook för |' +
    'sendt fra (?:min |mail til |mail for |outlook til |outlook for )|hent outlook til |få outlook til |' +
    'lähetetty (?:\\S+(?:sta|stä|stani|stäni)(?=\\s|$)|outlook))',
  'iu',
);

const RULE = new RegExp(
  '^-{2,}\\s*(?:original message|ursprungligt meddelande|originalmeddelande|oprindelig meddelelse|opprinnelig melding|' +
    'alkuperäinen viesti|forwarded message|vidarebefordrat meddelande|videresendt meddelelse|videresendt melding|' +
    'välitetty viesti|' +
    // German, French, Dutch, Spanish: Outlook's and Gmail's rules in the other languages partners write.
    'ursprüngliche nachricht|weitergeleitete nachricht|message d.origine|message transféré|message original|' +
    'oorspronkelijk bericht|doorgestuurd bericht|origineel bericht|mensaje original|mensaje reenviado)\\s*-{2,}$',
  'iu',
);

const FORWARD_INTRO =
  /^(?:begin forwarded message|vidarebefordrat brev|start på videresendt besked|videresendt besked|videresendt melding|välitetty viesti alkaa|anfang der weitergeleiteten nachricht|début du message réexpédié|begin doorgestuurd bericht|inicio del mensaje reenviado)\s*:$/iu;

/**
 * "On … wrote:", "… kirjoitti:", the Scandinavian "Den … skrev Name <address>:" / "… skrev
 * følgende:", and the German "Am … schrieb …:", French "Le … a écrit :", Dutch "Op … schreef …:" /
 * "… het volgende geschreven:" and Spanish "El … escribió:".
 */
const ATTRIBUTION_END = /(?:\b(?:wrote|kirjoitti|escribió|a écrit|geschreven|schreef(?:\s.*)?)|\b(?:skrev|schrieb)(?:\s.*)?)\s*:$/iu;
/** How attribution lines begin: "On 5 Mar 2024", "Den 5. marts", "tis 5 mars 2024", "ti 5.3.2024", "Am 5. März", "Le 5 mars". */
const ATTRIBUTION_START =
  /^(?:(?:on|den|am|le|op|el)\s|(?:mon|tue|wed|thu|fri|sat|sun|mån|tis|ons|tor|fre|lör|sön|man|tir|lør|søn|ma|ti|ke|to|pe|la|su|mo|di|mi|do|fr|sa|so|lun|mar|mer|jeu|ven|sam|dim|lu|wo|vr|za|zo|mié|jue|vie|sáb|dom)\.?,?\s+\d)/iu;
/** Every client writes the time (09:12, 09.12) or a dotted date (05.03.2024); prose rarely does. */
const CLOCK = /\d[:.]\d\d/;

const FROM_HEADER = /^\*?(?:from|från|fra|lähettäjä|afsender|avsender|von|de|van)\s*:\*?\s*\S/iu;
const OTHER_HEADER =
  /^\*?(?:sent|date|to|cc|subject|skickat|datum|till|kopia|ämne|sendt|dato|til|kopi|emne|lähetetty|päivämäärä|vastaanottaja|kopio|aihe|gesendet|an|betreff|envoyé|à|objet|verzonden|aan|onderwerp|enviado(?: el)?|para|asunto|fecha)\s*:/iu;
/** Outlook draws a rule of underscores above its header block. */
const UNDERSCORES = /^_{8,}$/;

function startsQuoteOrSignature(raw: string, lines: string[], at: number): boolean {
  if (QUOTED.test(raw) || SIGNATURE_DELIMITER.test(raw)) return true;
  const line = raw.trim();
  if (line === '') return false;
  if (RULE.test(line) || FORWARD_INTRO.test(line)) return true;
  if (line.length <= 80 && FROM_PHONE.test(line)) return true;
  if (isAttribution(line, lines[at + 1]?.trim() ?? '')) return true;
  if (FROM_HEADER.test(line)) return headerFollows(lines, at + 1);
  if (UNDERSCORES.test(line)) return FROM_HEADER.test(nextNonBlank(lines, at + 1));
  return false;
}

/**
 * On one line it needs an address, or its opening words and a time, so "som Anna skrev:" in the
 * answer itself is kept. Gmail wraps long attributions, so an opening line that the next line
 * completes ("… wrote:", "… skrev Name" / "<address>:") counts as well.
 */
function isAttribution(line: string, next: string): boolean {
  // Attributions are short; the length cap also keeps a huge line from costing more than a glance.
  if (line.length > 300 || next.length > 300) return false;
  if (ATTRIBUTION_END.test(line)) return /[@<]/.test(line) || (ATTRIBUTION_START.test(line) && CLOCK.test(line));
  return ATTRIBUTION_START.test(line) && CLOCK.test(line) && !QUOTED.test(next) && ATTRIBUTION_END.test(`${line} ${next}`);
}

/** A From line only starts a header block when Sent/To/Subject (or their translations) follow. */
function headerFollows(lines: string[], from: number): boolean {
  return lines.slice(from, from + 4).some((line) => OTHER_HEADER.test(line.trim()));
}

function nextNonBlank(lines: string[], from: number): string {
  for (const line of lines.slice(from, from + 3)) {
    if (line.trim() !== '') return line.trim();
  }
  return '';
}
