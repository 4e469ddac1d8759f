import { parseReply, type DigestMilestone, type ParsedReply, type UnreadLine } from './parse-reply.js';

const lines = (...text: string[]) => text.join('\n');

function milestones(...labels: (string | null)[]): DigestMilestone[] {
  return labels.map((label, at) => ({ number: at + 1, label }));
}

/** Unread lines with their English reason only. */
const plain = (unread: UnreadLine[]) => unread.map(({ line, reason }) => ({ line, reason }));

/** Updates as compact tuples, for replies with many lines. */
function updates(reply: ParsedReply) {
  return reply.updates.map(({ number, state, progress, comment }) => [number, state, progress, comment]);
}

describe('parseReply', () => {
  describe('realistic replies', () => {
    it('reads a Swedish reply above an Outlook-quoted digest', () => {
      const digest = milestones('MP2021', 'M2021', 'M2021', 'M23/24', 'D:', null, 'MP 2022');
      const body = lines(
        'Hej!',
        '',
        'Här kommer Tornedalsrådets svar.',
        '',
        '1: klar - rapporten publicerades i maj',
        '#4 försenad, ny tidplan i höst',
        'MP2022 - pågår, 60 %',
        'D: genomförd (100 %)',
        '6. ej påbörjad',
        'M2021: klar',
        '',
        'Med vänlig hälsning',
        'Anna Andersson',
        'Tornedalsrådet',
        '0922-123 45',
        '',
        'Från: Handlingsplan <handlingsplan@example.org>',
        'Skickat: den 5 mars 2024 09:12',
        'Till: Tornedalsrådet <info@tornedalsradet.example>',
        'Ämne: Status för era milstolpar 2024',
        '',
        'Hej Tornedalsrådet,',
        '1. MP2021 Rapport om gränshinder: pågår',
        '2. M2021 Seminarium: ej påbörjad',
        'Svara på detta mejl, t.ex. "3: klar - kommentar".',
      );
      const reply = parseReply(body.replace(/\n/g, '\r\n'), digest);
      expect(updates(reply)).toEqual([
        [1, 'completed', null, 'rapporten publicerades i maj'],
        [4, 'delayed', null, 'ny tidplan i höst'],
        [7, 'in_progress', 60, null],
        [5, 'completed', 100, null],
        [6, 'not_started', null, null],
      ]);
      expect(reply.updates[0]?.line).toBe('1: klar - rapporten publicerades i maj');
      expect(plain(reply.ambiguous)).toEqual([
        {
          line: 'M2021: klar',
          reason: `M2021 is the label of milestones 2, 3; write the milestone's reference or number instead: M2021-a (2), M2021-b (3)`,
        },
      ]);
      expect(reply.notUnderstood).toEqual([]);
    });

    it('reads a Danish reply above a Gmail-quoted digest', () => {
      const digest = milestones('MP2021', 'M22', 'MP2022', 'D2023');
      const body = lines(
        'Hej',
        '',
        '1. færdig – rapport udgivet',
        'Nr 2: i gang, 50 %',
        'MP2022 - forsinket; afventer finansiering',
        '4) aflyst',
        '3: halvvejs',
        '',
        'Venlig hilsen',
        'Jens Jensen',
        'Greater Copenhagen',
        '2100 København Ø',
        '',
        'Den tirs. 5. mar. 2024 kl. 09.12 skrev Handlingsplan <handlingsplan@example.org>:',
        '',
        '> Kære Greater Copenhagen',
        '> 1. MP2021 Analyse af grænsehindringer',
        '> 4. D2023 Konference',
      );
      const reply = parseReply(body, digest);
      expect(updates(reply)).toEqual([
        [1, 'completed', null, 'rapport udgivet'],
        [2, 'in_progress', 50, null],
        [3, 'delayed', null, 'afventer finansiering'],
        [4, 'cancelled', null, null],
      ]);
      // The later "3: halvvejs" is not understood, so it does not override the line above.
      expect(reply.notUnderstood).toEqual(['3: halvvejs']);
      expect(plain(reply.notUnderstoodReasons)).toEqual([
        { line: '3: halvvejs', reason: 'the state after 3 is not one of the words this service knows' },
      ]);
      expect(reply.ambiguous).toEqual([]);
    });

    it('reads a Norwegian reply sent from a phone', () => {
      const digest = milestones('MP2021', 'M22', 'M22/23', 'M2021-2024', 'M 5');
      const body = lines(
        'Hei,',
        'Status fra Grensekomiteen:',
        '1: ferdig',
        '2 - i rute (75%)',
        '3: utsatt til 2025',
        'M2021-2024: pågår',
        'M5: avlyst - midlene er flyttet',
        'Mvh',
        'Kari',
        '',
        'Sendt fra min iPhone',
        '',
        'tir. 5. mar. 2024 kl. 09:12 skrev Handlingsplan <handlingsplan@example.org>:',
        '> 1. MP2021 …',
      );
      const reply = parseReply(body, digest);
      expect(updates(reply)).toEqual([
        [1, 'completed', null, null],
        [2, 'in_progress', 75, null],
        // Delayed to 2025 is delayed: the words after the state are its comment.
        [3, 'delayed', null, 'til 2025'],
        [4, 'in_progress', null, null],
        [5, 'cancelled', null, 'midlene er flyttet'],
      ]);
      expect(reply.notUnderstoodReasons).toEqual([]);
    });

    it('reads a Finnish reply with a signature', () => {
      const digest = milestones('MP2021', 'M2022', 'M2022', 'MP2023', null);
      const body = lines(
        'Hei,',
        '',
        '1: valmis',
        '2. käynnissä 40 %',
        '#3 viivästynyt - uusi aikataulu syksyllä',
        'MP2023: ei aloitettu',
        '5: peruttu',
        '',
        'Ystävällisin terveisin',
        'Matti Meikäläinen',
        '-- ',
        'Matti Meikäläinen | Kvarkenin neuvosto | puh. 040 123 4567',
        '1: valmis in the signature is not read',
        '',
        'ti 5.3.2024 klo 9.12 Handlingsplan (<handlingsplan@example.org>) kirjoitti:',
        '> 1. MP2021 Selvitys',
      );
      const reply = parseReply(body, digest);
      expect(updates(reply)).toEqual([
        [1, 'completed', null, null],
        [2, 'in_progress', 40, null],
        [3, 'delayed', null, 'uusi aikataulu syksyllä'],
        [4, 'not_started', null, null],
        [5, 'cancelled', null, null],
      ]);
      expect(reply.notUnderstood).toEqual([]);
      expect(reply.ambiguous).toEqual([]);
    });

    it('reads an English reply above an Outlook original message', () => {
      const digest = milestones('MP2021', 'M2022', null, 'MP2022', 'D:');
      const body = lines(
        'Hi,',
        '',
        'Thanks for the reminder. Our status:',
        '',
        '1: completed - report published',
        '2: not started',
        '3: started',
        'MP2022: completed - report published in May',
        'D - at risk: budget cut by 20 %',
        '',
        'Best regards,',
        'John Smith',
        '',
        '-----Original Message-----',
        'From: Action plan <handlingsplan@example.org>',
        'Sent: Tuesday, March 5, 2024 9:12 AM',
        'To: Nordkalottrådet',
        'Subject: Status 2024',
        '',
        '1. MP2021 Study - in progress',
      );
      const reply = parseReply(body, digest);
      expect(reply.updates).toEqual([
        { line: '1: completed - report published', number: 1, state: 'completed', progress: null, comment: 'report published' },
        { line: '2: not started', number: 2, state: 'not_started', progress: null, comment: null },
        { line: '3: started', number: 3, state: 'in_progress', progress: null, comment: null },
        {
          line: 'MP2022: completed - report published in May',
          number: 4,
          state: 'completed',
          progress: null,
          comment: 'report published in May',
        },
        { line: 'D - at risk: budget cut by 20 %', number: 5, state: 'at_risk', progress: null, comment: 'budget cut by 20 %' },
      ]);
      expect(reply.notUnderstood).toEqual([]);
      expect(reply.ambiguous).toEqual([]);
    });
  });

  describe('naming the milestone', () => {
    const digest = milestones('MP2021', 'M2021', 'M2021-2024', 'D:', 'MP 2022', null);

    it.each([
      ['1: completed', 1],
      ['1. klar', 1],
      ['1) done', 1],
      ['1 - done', 1],
      ['1 – færdig', 1],
      ['1 valmis', 1],
      ['#1 försenad', 1],
      ['# 1: done', 1],
      ['Nr 1: færdig', 1],
      ['nr. 1 klar', 1],
      ['Nro 1: valmis', 1],
      ['Punkt 1: klar', 1],
      ['Milestone 1: done', 1],
      ['- 1: done', 1],
      ['• 1: done', 1],
      ['MP2021: done', 1],
      ['mp2021 done', 1],
      ['MP 2021 - done', 1],
      ['M2021 - 2024: klar', 3],
      ['M2021-2024: klar', 3],
      ['M2021: klar', 2],
      ['D: klar', 4],
      ['d - klar', 4],
      ['MP2022: klar', 5],
      ['mp 2022: klar', 5],
      ['1. MP2021: klar', 1],
      ['1 (MP2021): klar', 1],
      ['6: klar', 6],
    ])('%s → milestone %i', (line, number) => {
      const reply = parseReply(line, digest);
      expect(reply.updates.map((update) => update.number)).toEqual([number]);
      expect(reply.notUnderstood).toEqual([]);
    });

    it('does not take the start of a word for a label', () => {
      const reply = parseReply('Done: 1 and 2', digest);
      expect(reply.updates).toEqual([]);
      expect(plain(reply.notUnderstoodReasons)).toEqual([
        { line: 'Done: 1 and 2', reason: 'start the line with the number of the milestone, then its state' },
      ]);
    });

    it('reports a number or a label that is not in the list', () => {
      const reply = parseReply(lines('9: klar', 'M2025: klar', 'MP 2023 - done', '0: done'), digest);
      expect(reply.updates).toEqual([]);
      expect(plain(reply.notUnderstoodReasons)).toEqual([
        { line: '9: klar', reason: 'there is no milestone 9 in the list' },
        { line: 'M2025: klar', reason: 'no milestone in the list is labelled M2025' },
        { line: 'MP 2023 - done', reason: 'no milestone in the list is labelled MP 2023' },
        { line: '0: done', reason: 'there is no milestone 0 in the list' },
      ]);
    });

    it('reports a number and label that name different milestones', () => {
      const reply = parseReply('1. MP2022: klar', digest);
      expect(reply.updates).toEqual([]);
      expect(plain(reply.notUnderstoodReasons)).toEqual([{ line: '1. MP2022: klar', reason: 'milestone 1 is not labelled MP2022' }]);
    });

    it('asks for the number when a label is shared', () => {
      const shared = milestones('M2021', 'MP2022', 'M2021', 'MP 2022');
      const reply = parseReply(lines('m 2021: klar', 'MP2022 - pågår', '2: pågår'), shared);
      expect(updates(reply)).toEqual([[2, 'in_progress', null, null]]);
      expect(plain(reply.ambiguous)).toEqual([
        {
          line: 'm 2021: klar',
          reason: `m 2021 is the label of milestones 1, 3; write the milestone's reference or number instead: M2021-a (1), M2021-b (3)`,
        },
        {
          line: 'MP2022 - pågår',
          reason: `MP2022 is the label of milestones 2, 4; write the milestone's reference or number instead: MP2022-a (2), MP2022-b (4)`,
        },
      ]);
      expect(reply.notUnderstood).toEqual([]);
    });

    it('uses the last line when a milestone is given twice', () => {
      const reply = parseReply(lines('1: pågår', 'MP2021: klar - rättat', '2: klar'), digest);
      expect(updates(reply)).toEqual([
        [1, 'completed', null, 'rättat'],
        [2, 'completed', null, null],
      ]);
      expect(plain(reply.ambiguous)).toEqual([
        { line: '1: pågår', reason: 'milestone 1 is given again further down; the later line was used' },
      ]);
    });
  });

  describe('state, progress and comment', () => {
    const digest = milestones('MP2021', 'M22', 'M23/24', 'D2024');

    it('reads "not started" as not started and "started" as in progress', () => {
      const reply = parseReply(lines('1: not started', '2: started', '3: ikke startet', '4: startet'), digest);
      expect(updates(reply)).toEqual([
        [1, 'not_started', null, null],
        [2, 'in_progress', null, null],
        [3, 'not_started', null, null],
        [4, 'in_progress', null, null],
      ]);
    });

    it('reads a verb before the state', () => {
      const reply = parseReply(lines('1: is done', '2: är klar', '3 er forsinket - se bilag', '4: on valmis'), digest);
      expect(updates(reply)).toEqual([
        [1, 'completed', null, null],
        [2, 'completed', null, null],
        [3, 'delayed', null, 'se bilag'],
        [4, 'completed', null, null],
      ]);
    });

    it.each([
      ['M23/24 - i gang, 50 %', 50, null],
      ['3: i gang 50%', 50, null],
      ['3: in progress (75%)', 75, null],
      ['3: pågår ( 30 % ) - enligt plan', 30, 'enligt plan'],
      ['3: pågår, 0 %', 0, null],
      ['3: klar 100 % - klart', 100, 'klart'],
      ['3: käynnissä 40 prosenttia', 40, null],
      ['3: pågår 33,3 %', 33, null],
      ['3: in progress 12.5 percent; on budget', 13, 'on budget'],
      // The hedges and the "done" words the committees write around a figure (issue 15).
      ['3: pågår - ca 40 % klart', 40, null],
      ['3: pågår, ca. 40 % klart - rapport i maj', 40, 'rapport i maj'],
      ['3: i gang - omkring 40 procent færdig', 40, null],
      ['3: i rute, omtrent 60 prosent ferdig', 60, null],
      ['3: käynnissä, noin 40 % valmiina', 40, null],
      ['3: in progress - about 40 % done', 40, null],
      ['3: pågår 40 procent', 40, null],
    ])('%s → progress %p, comment %p', (line, progress, comment) => {
      const reply = parseReply(line, digest);
      expect(updates(reply)).toEqual([[3, expect.any(String), progress, comment]]);
    });

    it('does not understand progress outside 0-100', () => {
      const reply = parseReply(lines('3: i gang, 150 %', '2: pågår (1000%)', '1: klar'), digest);
      expect(updates(reply)).toEqual([[1, 'completed', null, null]]);
      expect(reply.notUnderstood).toEqual(['3: i gang, 150 %', '2: pågår (1000%)']);
      expect(reply.notUnderstoodReasons.map((entry) => entry.reason)).toEqual([
        'progress 150 % is outside 0-100 %',
        'progress 1000 % is outside 0-100 %',
      ]);
    });

    it.each([
      ['1: klar - rapport publicerad', 'rapport publicerad'],
      ['1: klar – rapport publicerad', 'rapport publicerad'],
      ['1: klar, rapport publicerad', 'rapport publicerad'],
      ['1: klar: rapport publicerad', 'rapport publicerad'],
      ['1: klar; rapport publicerad', 'rapport publicerad'],
      ['1: klar. Rapporten publicerad.', 'Rapporten publicerad.'],
      ['1: klar (rapport publicerad)', '(rapport publicerad)'],
      ['1: klar -   ', null],
      ['1: klar.', null],
      ['1: klar!', null],
    ])('%s → comment %p', (line, comment) => {
      expect(parseReply(line, digest).updates).toEqual([{ line: line.trim(), number: 1, state: 'completed', progress: null, comment }]);
    });

    it("returns HTML in a comment verbatim: escaping is the renderer's job", () => {
      const line = `1: done - <script>alert("x")</script> & <b onclick='y()'>bold</b>`;
      const reply = parseReply(line, digest);
      expect(reply.updates).toEqual([
        { line, number: 1, state: 'completed', progress: null, comment: `<script>alert("x")</script> & <b onclick='y()'>bold</b>` },
      ]);
    });

    it('does not understand an unknown state, a missing state, or a state that is a plan', () => {
      const reply = parseReply(lines('1: halvvägs', '2:', '3: klar till sommaren', '4: not completed', 'MP2021 var ett bra år'), digest);
      expect(reply.updates).toEqual([]);
      expect(plain(reply.notUnderstoodReasons)).toEqual([
        { line: '1: halvvägs', reason: 'the state after 1 is not one of the words this service knows' },
        { line: '2:', reason: 'no state after 2' },
        {
          line: '3: klar till sommaren',
          reason:
            '"klar till" after 3 reads as a plan or a condition, not as the state today; write the state it has now, then a dash and the comment',
        },
        { line: '4: not completed', reason: 'the state after 4 is not one of the words this service knows' },
        { line: 'MP2021 var ett bra år', reason: 'the state after MP2021 is not one of the words this service knows' },
      ]);
    });

    it('does not let one line hide the update of another milestone in its comment', () => {
      const reply = parseReply(lines('1: klar, 2: pågår', '3: klar - 2 rapporter publicerade'), digest);
      expect(updates(reply)).toEqual([[3, 'completed', null, '2 rapporter publicerade']]);
      expect(plain(reply.notUnderstoodReasons)).toEqual([{ line: '1: klar, 2: pågår', reason: 'write one milestone per line' }]);
    });
  });

  describe('lines that are not answers', () => {
    const digest = milestones('MP2021', 'M22');

    it('ignores greetings, thanks, sign-offs and names', () => {
      const body = lines(
        'Hej,',
        'Hei!',
        'Tack för påminnelsen.',
        'Kiitos!',
        '1: klar',
        'Med vänlig hälsning',
        'Best regards',
        'Ystävällisin terveisin',
        'Mvh',
        'Venlig hilsen',
        'Anna Andersson',
        'Gränskommittén Østfold-Bohuslän/Dalsland',
      );
      const reply = parseReply(body, digest);
      expect(updates(reply)).toEqual([[1, 'completed', null, null]]);
      expect(reply.notUnderstood).toEqual([]);
      expect(reply.ambiguous).toEqual([]);
    });

    it('reports lines that look like an attempt', () => {
      const body = lines('Klart: 1 och 2', 'Vi har 2 punkter som är klara', '2024 var ett bra år', 'Allt är klart', 'Vi hörs den 5 maj');
      const reply = parseReply(body, digest);
      expect(reply.updates).toEqual([]);
      expect(plain(reply.notUnderstoodReasons)).toEqual([
        { line: 'Klart: 1 och 2', reason: 'start the line with the number of the milestone, then its state' },
        { line: 'Vi har 2 punkter som är klara', reason: 'start the line with the number of the milestone, then its state' },
        { line: '2024 var ett bra år', reason: 'there is no milestone 2024 in the list' },
      ]);
    });

    it('still reads an update below the sign-off, but not the address and phone lines there', () => {
      const body = lines('Mvh Kari', 'Storgata 1', '0155 Oslo', 'Tlf. 22 33 44 55', '2: i rute', 'PS: 1 er klar snart');
      const reply = parseReply(body, digest);
      expect(updates(reply)).toEqual([[2, 'in_progress', null, null]]);
      expect(reply.notUnderstood).toEqual([]);
    });

    it('returns nothing for an empty body, a body of quote only, or an empty digest', () => {
      const empty = { updates: [], notUnderstood: [], notUnderstoodReasons: [], ambiguous: [], inline: false, unnamedInline: [] };
      expect(parseReply('', digest)).toEqual(empty);
      expect(parseReply('> 1: klar', digest)).toEqual(empty);
      expect(parseReply('Hej', [])).toEqual(empty);
      expect(parseReply('1: klar', []).notUnderstood).toEqual(['1: klar']);
    });
  });

  describe('size', () => {
    it('reads a 10,000-line body', () => {
      const digest = Array.from({ length: 40 }, (_, at) => ({ number: at + 1, label: `M20${at}` }));
      const own = Array.from({ length: 5_000 }, (_, at) => (at % 2 === 0 ? `${(at % 40) + 1}: klar - rad ${at}` : 'Hej och tack'));
      const quoted = Array.from({ length: 5_000 }, (_, at) => `> ${at}: pågår`);
      const reply = parseReply([...own, 'On 5 Mar 2024, X <x@example.org> wrote:', ...quoted].join('\n'), digest);
      // 2,500 update lines over 20 odd-numbered milestones: the last line of each wins.
      expect(reply.updates).toHaveLength(20);
      expect(reply.updates[19]).toEqual({
        line: '39: klar - rad 4998',
        number: 39,
        state: 'completed',
        progress: null,
        comment: 'rad 4998',
      });
      expect(reply.ambiguous).toHaveLength(2_480);
      expect(reply.notUnderstood).toEqual([]);
    });

    it('reads a single very long line without backtracking', () => {
      const long = `1: pågår${' '.repeat(100_000)}x`;
      const reply = parseReply(
        lines(long, `2 ${'klar '.repeat(20_000)}`, `Den 5 mars ${'skrev '.repeat(20_000)}:`),
        milestones('MP2021', 'M22'),
      );
      // Words after a state without a dash are its comment, however many there are.
      expect(reply.updates.map((u) => [u.number, u.state, u.comment?.length])).toEqual([
        [1, 'in_progress', 1],
        [2, 'completed', 'klar '.repeat(19_999).trim().length],
      ]);
      expect(reply.notUnderstoodReasons).toEqual([]);
    });
  });
});
